//! Running an API call from an event handler, in the background.

use std::future::Future;

use leptos::prelude::*;

use crate::api::ApiFailure;

/// Runs `call` in the background: its answer goes to `done`, a failure into `failure` (the
/// section's error line). `done` clears `failure` itself where a success should.
pub fn spawn_report<T: 'static>(
    failure: RwSignal<Option<ApiFailure>>,
    call: impl Future<Output = Result<T, ApiFailure>> + 'static,
    done: impl FnOnce(T) + 'static,
) {
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(answer) => done(answer),
            Err(f) => {
                failure.try_set(Some(f));
            }
        }
    });
}
