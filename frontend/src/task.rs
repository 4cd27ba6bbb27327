//! Running an API call from an event handler, in the background.

use std::future::Future;

use leptos::prelude::*;

use crate::api::ApiFailure;

/// Runs `call` in the background: its answer goes to `done`, a failure into `failure` (an
/// error line's `Option<ApiFailure>`, or a form's state with a failed variant). `done` clears
/// `failure` itself where a success should.
pub fn spawn_report<T, S>(
    failure: RwSignal<S>,
    call: impl Future<Output = Result<T, ApiFailure>> + 'static,
    done: impl FnOnce(T) + 'static,
) where
    T: 'static,
    S: From<ApiFailure> + Send + Sync + 'static,
{
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(answer) => done(answer),
            Err(f) => {
                failure.try_set(S::from(f));
            }
        }
    });
}
