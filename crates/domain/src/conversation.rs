//! Conversations between a visitor and an agent, and their expiry.

use chrono::{DateTime, Duration, Utc};

use crate::validation::{FieldErrors, trimmed_text};
use crate::workspace::Email;

/// A conversation expires this long after its last message, and is then purged — unless a
/// ticket links it, in which case its transcript lives as long as the ticket.
pub const CONVERSATION_TTL: Duration = Duration::hours(24);
pub const MESSAGE_MAX: usize = 20_000;
/// The longest visitor name, in characters.
pub const VISITOR_NAME_MAX: usize = 100;
/// Messages accepted in one `POST /conversations`.
pub const INITIAL_MESSAGES_MAX: usize = 200;
/// The most messages a conversation holds (its transcript, tool and system entries
/// included); past it, a new message is refused (409) and the chat backend starts a new
/// conversation. Also the largest page of `GET /conversations/{id}`.
pub const MESSAGES_MAX: u64 = 1000;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// The website visitor.
    Visitor,
    /// The bot.
    Assistant,
    /// A human operator.
    Operator,
    /// A tool invocation and its result.
    Tool,
    /// A system notice.
    System,
}

impl MessageRole {
    pub const ALL: [MessageRole; 5] = [
        MessageRole::Visitor,
        MessageRole::Assistant,
        MessageRole::Operator,
        MessageRole::Tool,
        MessageRole::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::Visitor => "visitor",
            MessageRole::Assistant => "assistant",
            MessageRole::Operator => "operator",
            MessageRole::Tool => "tool",
            MessageRole::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// Message text: non-empty, at most 20,000 characters, kept as written.
pub fn parse_message(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the message", 1, MESSAGE_MAX)?;
    Ok(raw.to_owned())
}

/// The optional visitor details of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visitor {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Visitor {
    /// Validates the visitor's name (≤ 100 characters) and e-mail, recording errors under
    /// `visitor.name` / `visitor.email`.
    pub fn parse(name: Option<&str>, email: Option<&str>, errors: &mut FieldErrors) -> Self {
        let name = name
            .filter(|n| !n.trim().is_empty())
            .and_then(|n| errors.check("visitor.name", trimmed_text(n, "the name", 1, VISITOR_NAME_MAX)));
        let email = email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .and_then(|e| errors.check("visitor.email", Email::parse(e)))
            .map(Email::into_inner);
        Visitor { name, email }
    }
}

/// When a conversation whose last message was at `last_activity_at` expires.
pub fn expires_at(last_activity_at: DateTime<Utc>) -> DateTime<Utc> {
    last_activity_at + CONVERSATION_TTL
}

/// Conversations whose last message is before this instant have expired at `as_of`.
pub fn expiry_cutoff(as_of: DateTime<Utc>) -> DateTime<Utc> {
    as_of - CONVERSATION_TTL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse() {
        for role in MessageRole::ALL {
            assert_eq!(MessageRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(MessageRole::parse("bot"), None);
    }

    #[test]
    fn expiry_is_a_day_after_the_last_message() {
        let t = crate::time::now();
        assert_eq!(expires_at(t) - t, Duration::hours(24));
        assert_eq!(expiry_cutoff(expires_at(t)), t);
    }

    #[test]
    fn visitors_are_checked_field_by_field() {
        let mut errors = FieldErrors::new();
        let v = Visitor::parse(Some(" Jane "), Some("JANE@example.com"), &mut errors);
        assert!(errors.is_empty());
        assert_eq!(v, Visitor { name: Some("Jane".into()), email: Some("jane@example.com".into()) });
        let _ = Visitor::parse(Some(&"x".repeat(101)), Some("nope"), &mut errors);
        assert_eq!(errors.0.keys().collect::<Vec<_>>(), ["visitor.email", "visitor.name"]);
        assert!(parse_message("  ").is_err());
        assert_eq!(parse_message(" hi ").unwrap(), " hi ");
    }
}
