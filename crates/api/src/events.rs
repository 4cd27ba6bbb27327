//! Live events for the admin app: Server-Sent Events of `ticket.created`,
//! `ticket.updated`, `ticket.comment_created` and `ticket.comment_updated` in the caller's workspace, with keep-alives and `Last-Event-ID` resume.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use api_types::Problem;
use domain::auth::{Requirement, Scope};
use store::notifications::OutboxEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;

const KEEP_ALIVE: Duration = Duration::from_secs(15);
const RESUME_MAX: u64 = 500;
const LIVE_TYPES: [&str; 4] =
    ["ticket.created", "ticket.updated", "ticket.comment_created", "ticket.comment_updated"];
/// How many sent event ids a stream remembers, to send none twice.
const SENT_MEMORY: usize = 2 * RESUME_MAX as usize;

/// The ids a stream sent lately. The replay and the live feed overlap, and concurrent
/// transactions commit out of id order, so "newer than the last id sent" would drop events;
/// remembering what was sent does not.
#[derive(Default)]
struct Sent {
    ids: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl Sent {
    /// Whether `id` is new to this stream (and remembers it).
    fn first_time(&mut self, id: Uuid) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > SENT_MEMORY
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        true
    }
}

/// SIGTERM, which starts the server's graceful shutdown: it waits for open connections,
/// and an endless stream would hold it for the whole shutdown timeout. The stream ends
/// instead; `EventSource` reconnects (to another instance) and resumes with `Last-Event-ID`.
struct Terminate {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Terminate {
    #[cfg(unix)]
    fn register() -> Self {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => Terminate { signal: Some(signal) },
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch for SIGTERM; event streams end at the shutdown timeout");
                Terminate { signal: None }
            }
        }
    }

    #[cfg(not(unix))]
    fn register() -> Self {
        Terminate {}
    }

    async fn received(&mut self) {
        #[cfg(unix)]
        if let Some(signal) = &mut self.signal
            && signal.recv().await.is_some()
        {
            return;
        }
        std::future::pending::<()>().await
    }
}

fn frame(event: &OutboxEvent) -> web::Bytes {
    let body = serde_json::json!({
        "id": event.id, "type": event.event_type, "created_at": event.created_at,
        "workspace_id": event.workspace_id, "data": event.data,
    });
    web::Bytes::from(format!("id: {}\nevent: {}\ndata: {}\n\n", event.id, event.event_type, body))
}

/// Stream ticket events (Server-Sent Events).
///
/// For `EventSource`, which cannot send headers, pass the token as `?access_token=`.
/// Each event has `id:` (send it back as `Last-Event-ID` to resume after a disconnect),
/// `event:` (`ticket.created` or `ticket.updated`) and `data:` — the same JSON as a webhook
/// delivery. A comment line is sent every 15 s to keep proxies from closing the stream.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(
        ("access_token" = Option<String>, Query, description = "The bearer token, for clients that cannot set headers"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn stream_events(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::TicketsRead))?;
    let ws = auth.workspace_id();
    let mut live = state.store.subscribe();
    let mut last: Option<Uuid> = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let store = state.store.clone();
    let (tx, mut rx) = mpsc::channel::<web::Bytes>(64);
    actix_web::rt::spawn(async move {
        // Say hello at once, so clients and proxies see the stream open.
        if tx.send(web::Bytes::from_static(b": connected\n\n")).await.is_err() {
            return;
        }
        let mut resync = last.is_some();
        let mut sent = Sent::default();
        let mut ticker = tokio::time::interval(KEEP_ALIVE);
        ticker.tick().await;
        let mut stopping = Terminate::register();
        loop {
            if resync {
                resync = false;
                let after = last.unwrap_or_else(Uuid::nil);
                match store.events_after(ws, after, RESUME_MAX).await {
                    Ok(events) => {
                        for event in events.iter().filter(|e| LIVE_TYPES.contains(&e.event_type.as_str())) {
                            if sent.first_time(event.id) && tx.send(frame(event)).await.is_err() {
                                return;
                            }
                        }
                        if let Some(e) = events.last() {
                            last = last.max(Some(e.id));
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot replay events"),
                }
            }
            tokio::select! {
                received = live.recv() => match received {
                    Ok(event) => {
                        if event.workspace_id == ws
                            && LIVE_TYPES.contains(&event.event_type.as_str())
                            && sent.first_time(event.id)
                        {
                            last = last.max(Some(event.id));
                            if tx.send(frame(&event)).await.is_err() {
                                return;
                            }
                        }
                    }
                    // Too slow a reader: catch up from the outbox instead of losing events.
                    Err(RecvError::Lagged(_)) => resync = last.is_some(),
                    Err(RecvError::Closed) => return,
                },
                _ = ticker.tick() => {
                    if tx.send(web::Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        return;
                    }
                }
                () = stopping.received() => return,
            }
        }
    });
    let body =
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|b| b.map(Ok::<_, actix_web::Error>)));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
