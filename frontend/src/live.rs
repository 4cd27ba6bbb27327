//! Live updates: one `EventSource` on `/api/v1/events` while signed in. Each
//! `ticket.created` / `ticket.updated` bumps [`AppState::live`], which lists and ticket
//! pages read, so they refetch without a reload. Each `ticket.comment_created` /
//! `ticket.comment_updated` carries the comment itself: it is appended to
//! [`LiveComments`], which an open ticket's thread merges in (keeping the draft).
//!
//! `EventSource` cannot send headers, so each connection opens with a fresh single-use link
//! token (`POST /auth/link-tokens`). Its own reconnect would reuse the spent token, so on an
//! error the app closes the source and opens a new one with a new token after a pause, and
//! bumps [`AppState::live`] so that pages catch up on what they missed meanwhile. A session
//! that no longer works answers the link-token request 401, which signs the operator out.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use api_types::EventType;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MessageEvent};

use crate::state::AppState;
use crate::thread_logic::comment_of_event;

/// How long to wait before opening a stream again after it failed.
const RETRY: Duration = Duration::from_secs(3);

struct Connection {
    source: EventSource,
    _on_event: Closure<dyn FnMut(Event)>,
    _on_comment: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// Bumped by every sign-in and sign-out: a pending reconnect of an older session stops.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// Whether the stream is open: shown in the header.
#[derive(Clone, Copy)]
pub struct LiveStatus(pub RwSignal<bool>);

/// The comments seen on the stream, numbered in arrival order (the latest
/// [`LiveComments::KEEP`]): a thread applies those numbered after the last it applied.
#[derive(Clone, Copy)]
pub struct LiveComments(pub RwSignal<Vec<(u64, api_types::Comment)>>);

impl LiveComments {
    pub const KEEP: usize = 200;

    fn push(self, comment: api_types::Comment) {
        self.0.update(|list| {
            let seq = list.last().map_or(1, |(n, _)| n + 1);
            list.push((seq, comment));
            if list.len() > Self::KEEP {
                list.remove(0);
            }
        });
    }

    /// The number of the latest comment seen (0 before any).
    pub fn last_seq_untracked(self) -> u64 {
        self.0.with_untracked(|list| list.last().map_or(0, |(n, _)| *n))
    }
}

/// Opens the stream whenever someone signs in and closes it when they sign out.
pub fn connect(app: AppState) {
    let status = LiveStatus(RwSignal::new(false));
    provide_context(status);
    let comments = LiveComments(RwSignal::new(Vec::new()));
    provide_context(comments);
    Effect::new(move |_| {
        let signed_in = app.session.with(|s| s.is_some());
        close();
        status.0.set(false);
        let generation = GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        if signed_in {
            open(app, status, comments, generation);
        }
    });
}

fn current(generation: u64) -> bool {
    GENERATION.with(|g| g.get() == generation)
}

/// Gets a link token and opens the stream with it (unless the session changed meanwhile).
fn open(app: AppState, status: LiveStatus, comments: LiveComments, generation: u64) {
    leptos::task::spawn_local(async move {
        let Some(api) = app.api() else { return };
        let url = api.events_url().await;
        if !current(generation) {
            return;
        }
        match url {
            Ok(url) => attach(app, status, comments, generation, &url),
            // A 401 has signed the operator out (new generation); anything else: try again.
            Err(_) => retry(app, status, comments, generation),
        }
    });
}

fn retry(app: AppState, status: LiveStatus, comments: LiveComments, generation: u64) {
    set_timeout(
        move || {
            if current(generation) {
                open(app, status, comments, generation);
            }
        },
        RETRY,
    );
}

fn attach(app: AppState, status: LiveStatus, comments: LiveComments, generation: u64, url: &str) {
    let Ok(source) = EventSource::new(url) else {
        retry(app, status, comments, generation);
        return;
    };
    let on_event = Closure::<dyn FnMut(Event)>::new(move |_: Event| app.live.update(|n| *n += 1));
    let on_comment = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(comment) = ev.data().as_string().as_deref().and_then(comment_of_event) {
            comments.push(comment);
        }
    });
    let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| status.0.set(true));
    let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
        status.0.set(false);
        if current(generation) {
            close();
            // Whatever happened while disconnected is fetched again.
            app.live.update(|n| *n += 1);
            retry(app, status, comments, generation);
        }
    });
    for kind in [EventType::TicketCreated, EventType::TicketUpdated] {
        let _ = source.add_event_listener_with_callback(kind.as_str(), on_event.as_ref().unchecked_ref());
    }
    for kind in [EventType::TicketCommentCreated, EventType::TicketCommentUpdated] {
        let _ = source.add_event_listener_with_callback(kind.as_str(), on_comment.as_ref().unchecked_ref());
    }
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CONNECTION.with(|c| {
        *c.borrow_mut() = Some(Connection {
            source,
            _on_event: on_event,
            _on_comment: on_comment,
            _on_open: on_open,
            _on_error: on_error,
        })
    });
}

fn close() {
    // Taken out first: closing runs no callback, but the closures must outlive this call.
    let conn = CONNECTION.with(|c| c.borrow_mut().take());
    if let Some(conn) = conn {
        conn.source.close();
        // Dropped later: the error handler that called `close` is one of these closures.
        set_timeout(move || drop(conn), Duration::ZERO);
    }
}
