//! The ticket thread: the requester, comment kinds and authors, comment bodies, and the
//! delivery state of a reply as the API shows it.

use std::fmt;
use std::str::FromStr;

use crate::FieldErrors;
use crate::validation::trimmed_text;
use crate::workspace::Email;

string_enum!(
    /// What a comment is.
    CommentKind {
        /// Internal: never sent to the requester.
        Note = "note",
        /// Public: e-mailed to the requester.
        Reply = "reply",
        /// The requester's own words (an inbound mail, a web form, a logged phone call).
        Customer = "customer",
    }
);

string_enum!(
    /// Who wrote a comment.
    AuthorType {
        /// A workspace member.
        User = "user",
        /// The ticket's requester (customer comments).
        Requester = "requester",
        /// An API token (an integration's note or reply).
        Token = "token",
    }
);

string_enum!(
    /// Where a reply's e-mail is: `queued` (waiting, or retrying after a failure), `sent`,
    /// or `failed` (retries ended after 24 hours).
    DeliveryStatus {
        Queued = "queued",
        Sent = "sent",
        Failed = "failed",
    }
);

impl From<crate::delivery::DeliveryState> for DeliveryStatus {
    fn from(state: crate::delivery::DeliveryState) -> Self {
        use crate::delivery::DeliveryState;
        match state {
            DeliveryState::Pending => DeliveryStatus::Queued,
            DeliveryState::Delivered => DeliveryStatus::Sent,
            DeliveryState::Failed => DeliveryStatus::Failed,
        }
    }
}

/// A comment body: plain text, 1–20,000 characters (not blank), line breaks kept.
pub const COMMENT_BODY_MAX: usize = 20_000;
/// The longest requester name, in characters.
pub const REQUESTER_NAME_MAX: usize = 200;

/// A comment body: not blank, at most 20,000 characters; kept as written but for trailing
/// whitespace.
pub fn parse_comment_body(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the body", 1, COMMENT_BODY_MAX)?;
    Ok(raw.trim_end().to_owned())
}

/// Who a ticket is for: the person replies are mailed to. Either part may be unknown, not both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requester {
    pub name: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
}

impl Requester {
    /// Checks a requester given by a caller; errors go under `{field}.name` and
    /// `{field}.email`. Blank parts are absent; `None` when both are.
    pub fn parse(
        name: Option<&str>,
        email: Option<&str>,
        field: &str,
        errors: &mut FieldErrors,
    ) -> Option<Requester> {
        let name = name.filter(|n| !n.trim().is_empty()).and_then(|n| {
            errors.check(&format!("{field}.name"), trimmed_text(n, "the name", 1, REQUESTER_NAME_MAX))
        });
        let email = email
            .filter(|e| !e.trim().is_empty())
            .and_then(|e| errors.check(&format!("{field}.email"), Email::parse(e)))
            .map(Email::into_inner);
        Requester::from_parts(name, email)
    }

    /// `None` when both parts are absent.
    pub fn from_parts(name: Option<String>, email: Option<String>) -> Option<Requester> {
        if name.is_none() && email.is_none() { None } else { Some(Requester { name, email }) }
    }

    /// Fills the parts this one lacks from `other`.
    pub fn or(self, other: Option<Requester>) -> Requester {
        let other = other.unwrap_or(Requester { name: None, email: None });
        Requester { name: self.name.or(other.name), email: self.email.or(other.email) }
    }

    /// How the activity log shows it: `Name <email>`, or whichever part is known.
    pub fn display(&self) -> String {
        match (&self.name, &self.email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name.clone(),
            (None, Some(email)) => email.clone(),
            (None, None) => String::new(),
        }
    }
}

/// What a `customer` comment does to its ticket: an open or pending ticket stays as it is,
/// a resolved one reopens, and a closed one gets a follow-up ticket that carries the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerEffect {
    /// `open` / `pending`: the status stays.
    Stays,
    /// `resolved`: the ticket reopens with this status (`pending` if assigned, else `open`)
    /// and `resolved_at` is cleared.
    Reopen(crate::ticket::Status),
    /// `closed`: a follow-up ticket takes the message; the closed one stays closed.
    FollowUp,
}

impl CustomerEffect {
    pub fn of(status: crate::ticket::Status, assigned: bool) -> Self {
        use crate::ticket::Status;
        match status {
            Status::Open | Status::Pending => CustomerEffect::Stays,
            Status::Resolved if assigned => CustomerEffect::Reopen(Status::Pending),
            Status::Resolved => CustomerEffect::Reopen(Status::Open),
            Status::Closed => CustomerEffect::FollowUp,
        }
    }
}

/// Where a page of a thread ends: the last comment's time and id (comments are walked
/// oldest first). Opaque to clients: base64url of a small JSON object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommentCursor {
    #[serde(rename = "t")]
    pub at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "i")]
    pub id: uuid::Uuid,
}

impl CommentCursor {
    pub fn encode(&self) -> String {
        use base64::Engine;
        // Serialising a plain struct of a time and a uuid cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str) -> Result<Self, String> {
        use base64::Engine;
        let invalid = || "the cursor is not valid: pass `meta.next_cursor` back as it was".to_string();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }
}

/// Comments per page by default, and at most.
pub const COMMENTS_PER_PAGE: u64 = 50;
pub const COMMENTS_PER_PAGE_MAX: u64 = 100;

/// A parsed `GET /tickets/{ref}/comments` query: `per_page` (1–100) and `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentListQuery {
    pub per_page: u64,
    pub cursor: Option<CommentCursor>,
}

impl CommentListQuery {
    /// From the query's (name, value) pairs; unknown names are ignored, a bad value is an
    /// error under its name.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, crate::ValidationError> {
        let mut errors = FieldErrors::new();
        let mut query = CommentListQuery { per_page: COMMENTS_PER_PAGE, cursor: None };
        for (name, value) in pairs {
            match name.as_str() {
                "per_page" => {
                    let parsed = value
                        .trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (1..=COMMENTS_PER_PAGE_MAX).contains(n))
                        .ok_or_else(|| format!("must be a whole number from 1 to {COMMENTS_PER_PAGE_MAX}"));
                    if let Some(n) = errors.check("per_page", parsed) {
                        query.per_page = n;
                    }
                }
                "cursor" if !value.is_empty() => {
                    query.cursor = errors.check("cursor", CommentCursor::decode(value));
                }
                _ => {}
            }
        }
        errors.into_result(|| query)
    }
}

/// The sender of replies and pings (`TICKETD_MAIL_FROM`): `Name <local@domain>` or a bare
/// address. Its domain names Message-IDs and the reply addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFrom {
    pub name: Option<String>,
    /// Lower-cased.
    pub address: String,
}

impl MailFrom {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (name, address) = match (raw.rfind('<'), raw.ends_with('>')) {
            (Some(open), true) => {
                let name = raw[..open].trim().trim_matches('"').trim();
                (Some(name).filter(|n| !n.is_empty()).map(str::to_owned), &raw[open + 1..raw.len() - 1])
            }
            _ => (None, raw),
        };
        let address = Email::parse(address)
            .map_err(|e| format!("`{raw}` is not `Name <address>` or an address: {e}"))?
            .into_inner();
        Ok(MailFrom { name, address })
    }

    /// The address's domain.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// The Message-ID ticketd gives the mail of a reply: `<{comment id}@{mail domain}>`.
pub fn reply_message_id(comment_id: uuid::Uuid, mail_domain: &str) -> String {
    format!("<{comment_id}@{mail_domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requesters_parse() {
        let mut errors = FieldErrors::new();
        let r = Requester::parse(Some(" Jane "), Some(" Jane@Example.COM "), "requester", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(r, Some(Requester { name: Some("Jane".into()), email: Some("jane@example.com".into()) }));
        assert_eq!(r.unwrap().display(), "Jane <jane@example.com>");
        assert_eq!(Requester::parse(Some(" "), None, "requester", &mut errors), None);
        assert!(errors.is_empty());
        Requester::parse(Some("J"), Some("not-an-address"), "requester", &mut errors);
        assert_eq!(errors.0.keys().collect::<Vec<_>>(), ["requester.email"]);
        let long = "n".repeat(REQUESTER_NAME_MAX + 1);
        Requester::parse(Some(&long), None, "requester", &mut errors);
        assert!(errors.0.contains_key("requester.name"));
    }

    #[test]
    fn a_requester_is_completed_by_another() {
        let visitor = Requester { name: Some("Jo".into()), email: None };
        let given = Some(Requester { name: Some("X".into()), email: Some("jo@example.com".into()) });
        assert_eq!(
            visitor.or(given),
            Requester { name: Some("Jo".into()), email: Some("jo@example.com".into()) }
        );
    }

    #[test]
    fn comment_queries_parse() {
        let pairs =
            |p: &[(&str, &str)]| p.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        let q = CommentListQuery::parse(&pairs(&[])).unwrap();
        assert_eq!((q.per_page, q.cursor), (COMMENTS_PER_PAGE, None));
        let cursor = CommentCursor { at: chrono::Utc::now(), id: uuid::Uuid::nil() };
        let q =
            CommentListQuery::parse(&pairs(&[("per_page", "100"), ("cursor", &cursor.encode())])).unwrap();
        assert_eq!((q.per_page, q.cursor), (100, Some(cursor)));
        let e = CommentListQuery::parse(&pairs(&[("per_page", "101"), ("cursor", "nope")])).unwrap_err();
        assert_eq!(e.0.0.keys().collect::<Vec<_>>(), ["cursor", "per_page"]);
        assert!(CommentListQuery::parse(&pairs(&[("per_page", "0")])).is_err());
    }

    #[test]
    fn senders_parse() {
        let from = MailFrom::parse("Acme Support <Support@Acme.test>").unwrap();
        assert_eq!(
            (from.name.as_deref(), from.address.as_str(), from.domain()),
            (Some("Acme Support"), "support@acme.test", "acme.test")
        );
        let bare = MailFrom::parse("support@acme.test").unwrap();
        assert_eq!((bare.name.as_deref(), bare.domain()), (None, "acme.test"));
        assert!(MailFrom::parse("Acme <nope>").is_err());
        assert!(MailFrom::parse("").is_err());
    }

    #[test]
    fn bodies() {
        assert_eq!(parse_comment_body("Hello\n\nthere\n  ").unwrap(), "Hello\n\nthere");
        assert!(parse_comment_body("  \n ").is_err());
        assert!(parse_comment_body(&"x".repeat(COMMENT_BODY_MAX)).is_ok());
        assert!(parse_comment_body(&"x".repeat(COMMENT_BODY_MAX + 1)).is_err());
    }

    #[test]
    fn customer_comments_reopen_or_follow_up() {
        use crate::ticket::Status;
        assert_eq!(CustomerEffect::of(Status::Open, true), CustomerEffect::Stays);
        assert_eq!(CustomerEffect::of(Status::Pending, true), CustomerEffect::Stays);
        assert_eq!(CustomerEffect::of(Status::Resolved, true), CustomerEffect::Reopen(Status::Pending));
        assert_eq!(CustomerEffect::of(Status::Resolved, false), CustomerEffect::Reopen(Status::Open));
        assert_eq!(CustomerEffect::of(Status::Closed, false), CustomerEffect::FollowUp);
    }

    #[test]
    fn delivery_states_read_as_statuses() {
        use crate::delivery::DeliveryState;
        assert_eq!(DeliveryStatus::from(DeliveryState::Pending), DeliveryStatus::Queued);
        assert_eq!(DeliveryStatus::from(DeliveryState::Delivered), DeliveryStatus::Sent);
        assert_eq!(
            reply_message_id(uuid::Uuid::nil(), "acme.test"),
            format!("<{}@acme.test>", uuid::Uuid::nil())
        );
    }
}
