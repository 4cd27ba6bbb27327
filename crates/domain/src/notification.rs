//! Notification channels and webhook deliveries: event types, URL safety, the signature
//! header, and the retry schedule.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::Duration;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where a channel delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// `POST` of the signed JSON event.
    Webhook,
    /// A Slack-compatible incoming webhook: `POST {"text": "…"}`.
    Slack,
    /// A mailbox: each event mailed as a short text (`Auto-Submitted: auto-generated`).
    Email,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "webhook" => Some(ChannelKind::Webhook),
            "slack" => Some(ChannelKind::Slack),
            "email" => Some(ChannelKind::Email),
            _ => None,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "lead.created")]
    LeadCreated,
    #[serde(rename = "ticket.created")]
    TicketCreated,
    #[serde(rename = "ticket.updated")]
    TicketUpdated,
    #[serde(rename = "ticket.comment_created")]
    TicketCommentCreated,
    #[serde(rename = "ticket.comment_updated")]
    TicketCommentUpdated,
    /// An SLA due time passed with its clock running (once per due time).
    #[serde(rename = "ticket.sla_breached")]
    TicketSlaBreached,
}

impl EventType {
    pub const ALL: [EventType; 6] = [
        EventType::LeadCreated,
        EventType::TicketCreated,
        EventType::TicketUpdated,
        EventType::TicketCommentCreated,
        EventType::TicketCommentUpdated,
        EventType::TicketSlaBreached,
    ];
    /// What a new channel subscribes to unless told otherwise (comment events are asked for).
    pub const DEFAULT_SUBSCRIPTION: [EventType; 4] = [
        EventType::LeadCreated,
        EventType::TicketCreated,
        EventType::TicketUpdated,
        EventType::TicketSlaBreached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::LeadCreated => "lead.created",
            EventType::TicketCreated => "ticket.created",
            EventType::TicketUpdated => "ticket.updated",
            EventType::TicketSlaBreached => "ticket.sla_breached",
            EventType::TicketCommentCreated => "ticket.comment_created",
            EventType::TicketCommentUpdated => "ticket.comment_updated",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            format!(
                "unknown event type `{s}`: expected one of {}",
                Self::ALL.map(EventType::as_str).join(", ")
            )
        })
    }
}

/// The type of an outbox event: an [`EventType`] channels subscribe to, or a channel's test
/// send (`POST /notification-channels/{id}/test`), which goes to that channel alone and which
/// nothing subscribes to. Stored and sent as its name (`ticket.created`, `test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxEventType {
    Event(EventType),
    Test,
}

impl OutboxEventType {
    /// Every outbox event type: the subscribable ones, then the test.
    pub const ALL: [OutboxEventType; EventType::ALL.len() + 1] = {
        let mut all = [OutboxEventType::Test; EventType::ALL.len() + 1];
        let mut i = 0;
        while i < EventType::ALL.len() {
            all[i] = OutboxEventType::Event(EventType::ALL[i]);
            i += 1;
        }
        all
    };

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxEventType::Event(event) => event.as_str(),
            OutboxEventType::Test => TEST_EVENT,
        }
    }

    /// The subscribable event type; `None` for a test.
    pub fn event(self) -> Option<EventType> {
        match self {
            OutboxEventType::Event(event) => Some(event),
            OutboxEventType::Test => None,
        }
    }
}

impl From<EventType> for OutboxEventType {
    fn from(event: EventType) -> Self {
        OutboxEventType::Event(event)
    }
}

impl PartialEq<EventType> for OutboxEventType {
    fn eq(&self, other: &EventType) -> bool {
        *self == OutboxEventType::Event(*other)
    }
}

impl fmt::Display for OutboxEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OutboxEventType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| {
            format!(
                "unknown event type `{s}`: expected one of {}",
                Self::ALL.map(OutboxEventType::as_str).join(", ")
            )
        })
    }
}

impl serde::Serialize for OutboxEventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for OutboxEventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for OutboxEventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "An event type a channel subscribes to, or `test`: a test sent to one channel.",
            ))
            .enum_values(Some(Self::ALL.map(OutboxEventType::as_str)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for OutboxEventType {}

/// The longest webhook URL, in characters.
pub const URL_MAX: usize = 2048;
/// A channel's signing secret: 16–200 characters.
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 200;
/// The longest lead name, phone number and summary, in characters.
pub const LEAD_NAME_MAX: usize = 200;
pub const LEAD_PHONE_MAX: usize = 50;
pub const LEAD_SUMMARY_MAX: usize = 2000;

/// A channel's signing secret, chosen by the operator: 16–200 characters, trimmed.
pub fn parse_channel_secret(raw: &str) -> Result<String, String> {
    crate::validation::trimmed_text(raw, "the secret", SECRET_MIN, SECRET_MAX)
}

/// The validated free-text fields of a lead; blank fields are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub summary: Option<String>,
}

impl LeadDetails {
    /// Checks each field, recording errors under its own name.
    pub fn parse(
        name: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        summary: Option<&str>,
        errors: &mut crate::FieldErrors,
    ) -> Self {
        let mut text = |field: &str, value: Option<&str>, what: &str, max: usize| {
            value
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| errors.check(field, crate::validation::trimmed_text(v, what, 1, max)))
        };
        let name = text("name", name, "the name", LEAD_NAME_MAX);
        let phone = text("phone", phone, "the phone number", LEAD_PHONE_MAX);
        let summary = text("summary", summary, "the summary", LEAD_SUMMARY_MAX);
        let email = email
            .filter(|e| !e.trim().is_empty())
            .and_then(|e| errors.check("email", crate::workspace::Email::parse(e)))
            .map(crate::workspace::Email::into_inner);
        LeadDetails { name, email, phone, summary }
    }
}

/// An e-mail channel's address: an e-mail address (lowercased), with none of the characters
/// that a mail header would need quoted.
pub fn parse_channel_address(raw: &str) -> Result<String, String> {
    let email = crate::workspace::Email::parse(raw)?;
    if email.as_str().chars().any(|c| "<>()[]\\,;:\"".contains(c)) {
        return Err(format!("`{}` is not an e-mail address", raw.trim()));
    }
    Ok(email.into_inner())
}

/// The name of the event `POST /notification-channels/{id}/test` sends
/// ([`OutboxEventType::Test`]).
pub const TEST_EVENT: &str = "test";

/// Checks a webhook URL: absolute http(s), a host, no credentials; unless `allow_private`,
/// no loopback, private, link-local or otherwise internal address or `localhost` name
/// (hostnames are checked again, resolved, when delivering).
pub fn parse_webhook_url(raw: &str, allow_private: bool) -> Result<url::Url, String> {
    let len = raw.chars().count();
    if len > URL_MAX {
        return Err(format!("the URL must be at most {URL_MAX} characters (got {len})"));
    }
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the URL must start with http:// or https://".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not contain credentials".into());
    }
    let Some(host) = url.host() else {
        return Err("the URL has no host".into());
    };
    if !allow_private {
        let internal = match host {
            url::Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost"
                    || name.ends_with(".localhost")
                    || name.ends_with(".internal")
                    || name.ends_with(".local")
            }
        };
        if internal {
            return Err(
                "the URL points at a loopback, private or internal address; set TICKETD_WEBHOOK_ALLOW_PRIVATE=true to allow it (local testing only)"
                    .into(),
            );
        }
    }
    Ok(url)
}

pub use crate::address::is_internal;

/// `Ticketd-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_hmac());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[allow(clippy::panic)]
fn unreachable_hmac() -> Hmac<Sha256> {
    panic!("HMAC-SHA256 takes keys of any length")
}

/// Verifies a signature header as a receiver would (constant-time compare, max clock skew).
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.push(s.to_owned()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if (now - t).abs() > tolerance_secs {
        return false;
    }
    let Ok(expected) = hex::decode(signature(secret, t, body)) else { return false };
    signatures.iter().filter_map(|s| hex::decode(s).ok()).any(|given| {
        given.len() == expected.len()
            && given.iter().zip(&expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    })
}

/// Deliveries are retried for this long after the event, then given up.
pub const RETRY_WINDOW: Duration = Duration::hours(24);
const FIRST_DELAY_SECS: f64 = 2.0;
const MAX_DELAY_SECS: f64 = 3600.0;

/// The wait before retry number `attempt` (1 after the first failure): about 2 s, 4 s,
/// 8 s …, capped at an hour, spread by `jitter` ∈ [-1, 1] times 20%.
pub fn retry_delay(attempt: u32, jitter: f64) -> Duration {
    let base = (FIRST_DELAY_SECS * 2f64.powi(attempt.saturating_sub(1).min(30) as i32)).min(MAX_DELAY_SECS);
    let spread = base * 0.2 * jitter.clamp(-1.0, 1.0);
    Duration::milliseconds(((base + spread) * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_webhook_url("https://hooks.example.com/x", false).is_ok());
        for bad in [
            "ftp://example.com",
            "https://user:pw@example.com/",
            "not a url",
            "http://127.0.0.1:9000/",
            "http://localhost/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://db.internal/",
        ] {
            assert!(parse_webhook_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_webhook_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(parse_webhook_url("ftp://127.0.0.1/", true).is_err());
    }

    #[test]
    fn lengths() {
        let long = format!("https://hooks.example.com/{}", "x".repeat(URL_MAX));
        assert!(parse_webhook_url(&long, false).unwrap_err().contains("at most 2048"));
        assert!(parse_channel_secret(&"s".repeat(SECRET_MIN - 1)).is_err());
        assert!(parse_channel_secret(&"s".repeat(SECRET_MAX)).is_ok());
        assert!(parse_channel_secret(&"s".repeat(SECRET_MAX + 1)).is_err());
        let mut errors = crate::FieldErrors::new();
        let lead = LeadDetails::parse(
            Some(" Jo "),
            Some(" "),
            None,
            Some(&"s".repeat(LEAD_SUMMARY_MAX)),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!((lead.name.as_deref(), lead.email), (Some("Jo"), None));
        let name = "n".repeat(LEAD_NAME_MAX + 1);
        let phone = "1".repeat(LEAD_PHONE_MAX + 1);
        let summary = "s".repeat(LEAD_SUMMARY_MAX + 1);
        LeadDetails::parse(Some(&name), Some("x"), Some(&phone), Some(&summary), &mut errors);
        assert_eq!(errors.0.keys().collect::<Vec<_>>(), ["email", "name", "phone", "summary"]);
    }

    #[test]
    fn signatures_verify() {
        let header = signature_header("whsec", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify_signature("whsec", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify_signature("whsec", &header, b"{\"a\":2}", 1_700_000_010, 300));
        assert!(!verify_signature("other", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify_signature("whsec", &header, b"{\"a\":1}", 1_700_001_000, 300), "too old");
        // A known vector: HMAC-SHA256("key", "1.body").
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"1.body");
        assert_eq!(signature("key", 1, b"body"), hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        assert_eq!(retry_delay(1, 0.0), Duration::seconds(2));
        assert_eq!(retry_delay(2, 0.0), Duration::seconds(4));
        assert_eq!(retry_delay(3, 0.0), Duration::seconds(8));
        assert_eq!(retry_delay(40, 0.0), Duration::hours(1));
        assert_eq!(retry_delay(1, 1.0), Duration::milliseconds(2400));
        assert_eq!(retry_delay(1, -1.0), Duration::milliseconds(1600));
    }

    #[test]
    fn channel_addresses() {
        assert_eq!(parse_channel_address(" Team@Acme.test ").unwrap(), "team@acme.test");
        for bad in ["team", "team@", "a b@acme.test", "<team@acme.test>", "a,b@acme.test", "x@acme"] {
            assert!(parse_channel_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_types_parse() {
        assert_eq!("ticket.created".parse::<EventType>().unwrap(), EventType::TicketCreated);
        assert!("ticket.deleted".parse::<EventType>().is_err());
        assert!("test".parse::<EventType>().is_err(), "nothing subscribes to tests");
    }

    #[test]
    fn outbox_event_types_keep_their_names() {
        for event in EventType::ALL {
            let outbox = OutboxEventType::from(event);
            assert_eq!(outbox.as_str(), event.as_str());
            assert_eq!(outbox.event(), Some(event));
            assert_eq!(event.as_str().parse::<OutboxEventType>().unwrap(), outbox);
            assert_eq!(serde_json::to_value(outbox).unwrap(), serde_json::to_value(event).unwrap());
        }
        assert_eq!("test".parse::<OutboxEventType>().unwrap(), OutboxEventType::Test);
        assert_eq!(serde_json::to_value(OutboxEventType::Test).unwrap(), "test");
        assert_eq!(
            serde_json::from_value::<OutboxEventType>("ticket.updated".into()).unwrap(),
            OutboxEventType::Event(EventType::TicketUpdated)
        );
        assert!(serde_json::from_value::<OutboxEventType>("ticket.deleted".into()).is_err());
        assert_eq!(OutboxEventType::Test.event(), None);
        assert!(OutboxEventType::Event(EventType::TicketCreated) == EventType::TicketCreated);
        assert!(OutboxEventType::Test != EventType::TicketCreated);
    }
}
