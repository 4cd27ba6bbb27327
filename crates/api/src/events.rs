//! Live events for the admin app: Server-Sent Events of the ticket events (`ticket.created`,
//! `ticket.updated`, `ticket.comment_created`, `ticket.comment_updated` and
//! `ticket.sla_breached`, as `is_live` picks them) in the caller's workspace, with
//! keep-alives and `Last-Event-ID` resume.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use api_types::Problem;
use domain::auth::{Requirement, Scope};
use domain::notification::{EventType, OutboxEventType};
use store::notifications::OutboxEvent;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;
use crate::stream_auth::CredentialWatch;

const RESUME_MAX: u64 = 500;

/// Whether the stream carries events of this type: the ticket events, not leads or channel
/// tests.
fn is_live(event_type: OutboxEventType) -> bool {
    match event_type {
        OutboxEventType::Event(
            EventType::TicketCreated
            | EventType::TicketUpdated
            | EventType::TicketCommentCreated
            | EventType::TicketCommentUpdated
            | EventType::TicketSlaBreached,
        ) => true,
        OutboxEventType::Event(EventType::LeadCreated) | OutboxEventType::Test => false,
    }
}
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
/// `EventSource`, which cannot send headers, passes a single-use `?link_token=` from
/// `POST /auth/link-tokens` instead (`?access_token=` is refused). Each event has `id:` (send
/// it back as `Last-Event-ID` to resume after a disconnect), `event:` (`ticket.created`,
/// `ticket.updated`, `ticket.comment_created`, `ticket.comment_updated` or `ticket.sla_breached`) and `data:` — the same JSON as a webhook delivery. A comment line is sent
/// every 15 s to keep proxies from closing the stream. The stream ends when the credential
/// that opened it (directly or through its link token) stops working: the session expires,
/// the API token is revoked, the member is removed or changes their password (checked every
/// 30 s). At most 10 streams may be open per credential (429 past that).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(
        ("link_token" = Option<String>, Query, description = "A single-use token from `POST /auth/link-tokens`, for clients that cannot set headers"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses(
        (status = 200, description = "A `text/event-stream` that lasts as long as its credential", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in, or the link token is unknown, expired or used", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many open streams for this credential or this server", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[get("/events")]
pub async fn stream_events(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::TicketsRead))?;
    let slot = state.security.open_stream(&auth.credential.key)?;
    let mut watch = CredentialWatch::new(&state, &auth);
    let keep_alive = state.security.settings.stream_keep_alive.max(Duration::from_millis(10));
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
        // Holds this stream's place in the per-credential and instance counts until it ends.
        let _slot = slot;
        // Say hello at once, so clients and proxies see the stream open.
        if tx.send(web::Bytes::from_static(b": connected\n\n")).await.is_err() {
            return;
        }
        let mut resync = last.is_some();
        let mut sent = Sent::default();
        let mut ticker = tokio::time::interval(keep_alive);
        ticker.tick().await;
        let mut stopping = Terminate::register();
        loop {
            if resync {
                resync = false;
                let after = last.unwrap_or_else(Uuid::nil);
                match store.events_after(ws, after, RESUME_MAX).await {
                    Ok(events) => {
                        for event in events.iter().filter(|e| is_live(e.event_type)) {
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
                            && is_live(event.event_type)
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
                () = watch.ended() => {
                    let _ = tx.send(web::Bytes::from_static(b": the credential of this stream stopped working\n\n")).await;
                    return;
                }
                // The client went away: give the stream's place back now, not at the next send.
                () = tx.closed() => return,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_carries_the_ticket_events() {
        let live: Vec<&str> =
            OutboxEventType::ALL.into_iter().filter(|t| is_live(*t)).map(OutboxEventType::as_str).collect();
        assert_eq!(
            live,
            [
                "ticket.created",
                "ticket.updated",
                "ticket.comment_created",
                "ticket.comment_updated",
                "ticket.sla_breached"
            ]
        );
    }
}
