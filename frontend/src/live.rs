//! Live updates: one `EventSource` on `/api/v1/events` while signed in. Each
//! `ticket.created` / `ticket.updated` bumps [`AppState::live`], which lists and ticket
//! pages read, so they refetch without a reload.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource};

use crate::state::AppState;

struct Connection {
    source: EventSource,
    _on_event: Closure<dyn FnMut(Event)>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

/// Whether the stream is open: shown in the header.
#[derive(Clone, Copy)]
pub struct LiveStatus(pub RwSignal<bool>);

/// Opens the stream whenever someone signs in and closes it when they sign out.
pub fn connect(app: AppState) {
    let status = LiveStatus(RwSignal::new(false));
    provide_context(status);
    Effect::new(move |_| {
        let token = app.session.with(|s| s.as_ref().map(|s| s.token.clone()));
        close();
        status.0.set(false);
        if token.is_none() {
            return;
        }
        let Some(api) = app.api() else { return };
        let Ok(source) = EventSource::new(&api.events_url()) else { return };
        let on_event = Closure::<dyn FnMut(Event)>::new(move |_: Event| app.live.update(|n| *n += 1));
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| status.0.set(true));
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| status.0.set(false));
        for kind in ["ticket.created", "ticket.updated"] {
            let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        CONNECTION.with(|c| {
            *c.borrow_mut() =
                Some(Connection { source, _on_event: on_event, _on_open: on_open, _on_error: on_error })
        });
    });
}

fn close() {
    CONNECTION.with(|c| {
        if let Some(conn) = c.borrow_mut().take() {
            conn.source.close();
        }
    });
}
