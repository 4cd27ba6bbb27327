//! Delivery of outbox events to notification channels: a worker claims due deliveries,
//! sends each one (`POST` of the signed JSON event, or a Slack `text` message) with a 10 s
//! timeout, and records the outcome; failures are retried with exponential backoff and
//! jitter for 24 hours. Safe with several instances on one PostgreSQL: a claimed delivery
//! is leased to its worker.

pub mod mail;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use domain::delivery::TargetKind;
use domain::notification::{RETRY_WINDOW, is_internal, retry_delay, signature_header};
use rand::Rng;
use store::Store;
use store::notifications::{AttemptOutcome, DueDelivery, OutboxEvent};

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
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            lease: chrono::Duration::seconds(60),
            batch: 32,
            idle: Duration::from_millis(500),
        }
    }
}

/// Runs the delivery loop until the task is aborted.
pub fn spawn_worker(store: Store, config: DeliveryConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match run_once(&store, &config).await {
                Ok(0) => tokio::time::sleep(config.idle).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "delivery round failed; retrying");
                    tokio::time::sleep(config.idle * 4).await;
                }
            }
        }
    })
}

/// The delivery kinds this worker sends (mail is not sent yet: those rows wait).
const SENT_HERE: &[TargetKind] = &[TargetKind::Webhook, TargetKind::Slack];

/// One round: claims the due deliveries, sends them concurrently, records the outcomes.
/// Returns how many were attempted.
pub async fn run_once(store: &Store, config: &DeliveryConfig) -> Result<usize, store::StoreError> {
    let due = store.claim_due_deliveries(domain::time::now(), config.lease, config.batch, SENT_HERE).await?;
    let count = due.len();
    let attempts = due.into_iter().map(|d| async move {
        let outcome = attempt(&d, config).await;
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
        }
    });
    futures_join_all(attempts).await;
    Ok(count)
}

async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl IntoIterator<Item = F>) {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    // Poll them together: a slow receiver does not hold the others back.
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = set.into_iter().map(Box::pin).collect();
    std::future::poll_fn(move |cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
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
    let data = &event.data;
    let ticket = &data["ticket"];
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    match event.event_type.as_str() {
        "ticket.created" => format!(
            "New ticket *{}* ({} priority, via {}): {}",
            s(&ticket["reference"]),
            s(&ticket["priority"]),
            s(&ticket["metadata"]["source"]).replace('_', " "),
            s(&ticket["subject"])
        ),
        "ticket.updated" => format!(
            "Ticket *{}* updated: {} — now {}",
            s(&ticket["reference"]),
            s(&ticket["subject"]),
            s(&ticket["status"])
        ),
        "lead.created" => {
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
        "test" => "Test notification from ticketd: this channel works.".to_owned(),
        other => format!("ticketd event {other}"),
    }
}

async fn attempt(d: &DueDelivery, config: &DeliveryConfig) -> AttemptOutcome {
    let failed = |status_code: Option<u16>, error: String| {
        let now = Utc::now();
        let retry_at = if now - d.event.created_at >= RETRY_WINDOW {
            None
        } else {
            let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
            Some(domain::time::now() + retry_delay(d.attempts.max(1) as u32, jitter))
        };
        AttemptOutcome::Failed { status_code, error, retry_at }
    };
    let client = match client_for(&d.target, config).await {
        Ok(client) => client,
        Err(error) => return failed(None, error),
    };
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

/// A client for one delivery: redirects only within the same host, and — unless private
/// addresses are allowed — the host resolved once, checked, and pinned, so that DNS cannot
/// point the request at an internal address after the check.
async fn client_for(raw_url: &str, config: &DeliveryConfig) -> Result<reqwest::Client, String> {
    let url = domain::notification::parse_webhook_url(raw_url, config.allow_private)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let redirect_host = host.clone();
    let mut builder = reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let same_host = attempt.url().host_str() == Some(redirect_host.as_str());
            if same_host && attempt.previous().len() < 3 { attempt.follow() } else { attempt.stop() }
        }));
    if !config.allow_private && matches!(url.host(), Some(url::Host::Domain(_))) {
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        if let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
            return Err(format!("{host} resolves to the internal address {}: refused", bad.ip()));
        }
        builder = builder.resolve_to_addrs(&host, &addrs);
    }
    builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::WorkspaceId;

    fn event(kind: &str, data: serde_json::Value) -> OutboxEvent {
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
            "ticket.created",
            serde_json::json!({"ticket": {"reference": "ACME-7", "priority": "high", "subject": "Refund", "metadata": {"source": "open_ticket_tool"}}}),
        );
        assert_eq!(slack_text(&created), "New ticket *ACME-7* (high priority, via open ticket tool): Refund");
        let lead = event(
            "lead.created",
            serde_json::json!({"name": "Jane", "email": "jane@example.com", "summary": "Wants a demo"}),
        );
        assert_eq!(slack_text(&lead), "New lead: Jane, jane@example.com — Wants a demo");
    }

    #[test]
    fn webhook_bodies_have_the_documented_fields() {
        let body = webhook_body(&event("test", serde_json::json!({"x": 1})));
        for field in ["id", "type", "created_at", "workspace_id", "data"] {
            assert!(body.get(field).is_some(), "{field}");
        }
    }

    #[tokio::test]
    async fn internal_hosts_are_refused_unless_allowed() {
        let strict = DeliveryConfig::default();
        assert!(client_for("http://127.0.0.1:1/", &strict).await.is_err());
        assert!(client_for("http://localhost:1/", &strict).await.is_err());
        let lax = DeliveryConfig { allow_private: true, ..DeliveryConfig::default() };
        assert!(client_for("http://127.0.0.1:1/", &lax).await.is_ok());
    }
}
