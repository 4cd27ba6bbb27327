//! Delivery of outbox events to notification channels and of replies to requesters: a
//! worker claims due deliveries, sends each one (`POST` of the signed JSON event, a Slack
//! `text` message, or a mail over SMTP — see [`mail`]) with a 10 s timeout, and records the
//! outcome; failures are retried with exponential backoff and jitter for 24 hours (a mail
//! server's permanent refusal, 5xx, is not retried). Safe with several instances on one
//! PostgreSQL: a claimed delivery is leased to its worker.

pub mod mail;

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::delivery::TargetKind;
use domain::notification::{EventType, OutboxEventType, RETRY_WINDOW, retry_delay, signature_header};
use rand::Rng;
use store::Store;
use store::notifications::{AttemptOutcome, DueDelivery, OutboxEvent};

pub mod http;

/// Worker settings.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Allow webhook URLs on loopback/private addresses (local testing only).
    pub allow_private: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long a claimed delivery is reserved for its worker.
    pub lease: chrono::Duration,
    /// Deliveries claimed per round.
    pub batch: u64,
    /// Pause between rounds when nothing was due.
    pub idle: Duration,
    /// The SMTP transport for replies and e-mail pings; without one they stay queued for an
    /// instance that has one.
    pub mail: Option<mail::Mailer>,
}

impl DeliveryConfig {
    /// The delivery kinds this worker sends.
    pub fn kinds(&self) -> Vec<TargetKind> {
        let mut kinds = vec![TargetKind::Webhook, TargetKind::Slack];
        if self.mail.is_some() {
            kinds.extend([TargetKind::Email, TargetKind::Reply]);
        }
        kinds
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            lease: chrono::Duration::seconds(60),
            batch: 32,
            idle: Duration::from_millis(500),
            mail: None,
        }
    }
}

/// Runs the delivery loop until the task is aborted, with one HTTP client for its whole
/// life (see [`http`]).
pub fn spawn_worker(store: Store, config: DeliveryConfig) -> Result<tokio::task::JoinHandle<()>, String> {
    let client = http::client(&config)?;
    Ok(tokio::spawn(async move {
        loop {
            match run_once(&store, &config, &client).await {
                Ok(0) => tokio::time::sleep(config.idle).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "delivery round failed; retrying");
                    tokio::time::sleep(config.idle * 4).await;
                }
            }
        }
    }))
}

/// One round: claims the due deliveries, sends them concurrently, records the outcomes.
/// Returns how many were attempted.
pub async fn run_once(
    store: &Store,
    config: &DeliveryConfig,
    client: &reqwest::Client,
) -> Result<usize, store::StoreError> {
    run_once_at(store, config, client, domain::time::now()).await
}

/// [`run_once`] as if the time were `now`: what is due then is claimed, and retries are
/// scheduled from then (tests move the clock instead of waiting).
pub async fn run_once_at(
    store: &Store,
    config: &DeliveryConfig,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<usize, store::StoreError> {
    let due = store.claim_due_deliveries(now, config.lease, config.batch, &config.kinds()).await?;
    let count = due.len();
    let attempts = due.into_iter().map(|d| async move {
        let outcome = match d.target_kind {
            TargetKind::Webhook | TargetKind::Slack => attempt(&d, config, client, now).await,
            TargetKind::Email | TargetKind::Reply => mail::attempt(store, &d, config.mail.as_ref(), now).await,
        };
        match &outcome {
            AttemptOutcome::Delivered { status_code } => {
                tracing::info!(delivery = %d.id, event = %d.event.id, status = status_code, "delivered")
            }
            AttemptOutcome::Failed { status_code, error, retry_at } => {
                tracing::warn!(delivery = %d.id, event = %d.event.id, ?status_code, %error, ?retry_at, "delivery failed")
            }
        }
        if let Err(e) = store.record_attempt(d.id, outcome).await {
            tracing::warn!(delivery = %d.id, error = %e, "cannot record the delivery attempt; it will be retried");
            return;
        }
        // A reply's new delivery state reaches the app live (and webhooks) as
        // `ticket.comment_updated`.
        if let Some(comment) = d.comment_id
            && let Err(e) = store.emit_comment_updated(d.event.workspace_id, comment).await
        {
            tracing::warn!(delivery = %d.id, %comment, error = %e, "cannot announce the reply's delivery");
        }
    });
    // Polled together: a slow receiver does not hold the others back.
    futures_util::future::join_all(attempts).await;
    Ok(count)
}

/// The JSON body of a webhook delivery: `{id, type, created_at, workspace_id, data}`.
pub fn webhook_body(event: &OutboxEvent) -> serde_json::Value {
    serde_json::json!({
        "id": event.id,
        "type": event.event_type,
        "created_at": event.created_at,
        "workspace_id": event.workspace_id,
        "data": event.data,
    })
}

/// The `text` of a Slack message for an event.
pub fn slack_text(event: &OutboxEvent) -> String {
    event_summary(event, |reference| format!("*{reference}*"))
}

/// One line that says what happened; `strong` marks the ticket's reference (Slack: bold).
pub fn event_summary(event: &OutboxEvent, strong: impl Fn(&str) -> String) -> String {
    let data = &event.data;
    let ticket = &data["ticket"];
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    let event_type = match event.event_type {
        OutboxEventType::Event(event_type) => event_type,
        OutboxEventType::Test => return "Test notification from ticketd: this channel works.".to_owned(),
    };
    match event_type {
        EventType::TicketCreated => format!(
            "New ticket {} ({} priority, via {}): {}",
            strong(&s(&ticket["reference"])),
            s(&ticket["priority"]),
            s(&ticket["metadata"]["source"]).replace('_', " "),
            s(&ticket["subject"])
        ),
        EventType::TicketUpdated => format!(
            "Ticket {} updated: {} — now {}",
            strong(&s(&ticket["reference"])),
            s(&ticket["subject"]),
            s(&ticket["status"])
        ),
        EventType::TicketSlaBreached => format!(
            "SLA breached on *{}*: {} due {} — {}",
            s(&ticket["reference"]),
            s(&data["clock"]).replace('_', " "),
            s(&data["due_at"]),
            s(&ticket["subject"])
        ),
        EventType::LeadCreated => {
            let who = [s(&data["name"]), s(&data["email"]), s(&data["phone"])]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let summary = s(&data["summary"]);
            let who = if who.is_empty() { "a visitor".to_owned() } else { who };
            if summary.is_empty() {
                format!("New lead: {who}")
            } else {
                format!("New lead: {who} — {summary}")
            }
        }
        EventType::TicketCommentCreated => {
            let what = match data["comment"]["kind"].as_str() {
                Some("note") => "Internal note",
                Some("reply") => "Reply",
                _ => "Customer message",
            };
            format!("{what} on {}: {}", strong(&s(&ticket["reference"])), s(&ticket["subject"]))
        }
        EventType::TicketCommentUpdated => format!(
            "Reply on {} is {}: {}",
            strong(&s(&ticket["reference"])),
            s(&data["comment"]["delivery"]["status"]),
            s(&ticket["subject"])
        ),
    }
}

/// A failed attempt: retried after the backoff, unless `permanent` or the 24 hours since
/// the event are over.
fn failure(
    d: &DueDelivery,
    now: DateTime<Utc>,
    status_code: Option<u16>,
    error: String,
    permanent: bool,
) -> AttemptOutcome {
    let retry_at = if permanent || now - d.event.created_at >= RETRY_WINDOW {
        None
    } else {
        let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
        Some(now + retry_delay(d.attempts.max(1) as u32, jitter))
    };
    AttemptOutcome::Failed { status_code, error, retry_at }
}

async fn attempt(
    d: &DueDelivery,
    config: &DeliveryConfig,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> AttemptOutcome {
    let failed = |status_code: Option<u16>, error: String| failure(d, now, status_code, error, false);
    // Checked again by name and literal address; the resolver checks what a name resolves to.
    if let Err(error) = domain::notification::parse_webhook_url(&d.target, config.allow_private) {
        return failed(None, error);
    }
    let body = match d.target_kind {
        TargetKind::Webhook => webhook_body(&d.event),
        TargetKind::Slack => serde_json::json!({ "text": slack_text(&d.event) }),
        TargetKind::Email | TargetKind::Reply => {
            return failed(None, format!("{} deliveries are not sent by this worker", d.target_kind));
        }
    };
    let body = body.to_string().into_bytes();
    let signature = signature_header(d.secret.as_deref().unwrap_or_default(), Utc::now().timestamp(), &body);
    let sent = client
        .post(&d.target)
        .header("content-type", "application/json")
        .header("user-agent", concat!("ticketd/", env!("CARGO_PKG_VERSION")))
        .header("Ticketd-Signature", signature)
        .header("Ticketd-Event-Id", d.event.id.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            AttemptOutcome::Delivered { status_code: response.status().as_u16() }
        }
        Ok(response) => {
            let status = response.status();
            failed(Some(status.as_u16()), format!("the receiver answered {status}"))
        }
        Err(e) if e.is_timeout() => failed(None, format!("no answer within {} s", config.timeout.as_secs())),
        Err(e) => failed(None, format!("cannot reach the receiver: {}", root_cause(&e))),
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::WorkspaceId;

    fn event(kind: impl Into<OutboxEventType>, data: serde_json::Value) -> OutboxEvent {
        OutboxEvent {
            id: uuid::Uuid::nil(),
            workspace_id: WorkspaceId(uuid::Uuid::nil()),
            event_type: kind.into(),
            data,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn slack_texts_read_well() {
        let created = event(
            EventType::TicketCreated,
            serde_json::json!({"ticket": {"reference": "ACME-7", "priority": "high", "subject": "Refund", "metadata": {"source": "open_ticket_tool"}}}),
        );
        assert_eq!(slack_text(&created), "New ticket *ACME-7* (high priority, via open ticket tool): Refund");
        let lead = event(
            EventType::LeadCreated,
            serde_json::json!({"name": "Jane", "email": "jane@example.com", "summary": "Wants a demo"}),
        );
        assert_eq!(slack_text(&lead), "New lead: Jane, jane@example.com — Wants a demo");
    }

    #[test]
    fn webhook_bodies_have_the_documented_fields() {
        let body = webhook_body(&event(OutboxEventType::Test, serde_json::json!({"x": 1})));
        for field in ["id", "type", "created_at", "workspace_id", "data"] {
            assert!(body.get(field).is_some(), "{field}");
        }
        assert_eq!(body["type"], "test");
        let body = webhook_body(&event(EventType::TicketSlaBreached, serde_json::json!({})));
        assert_eq!(body["type"], "ticket.sla_breached");
    }
}
