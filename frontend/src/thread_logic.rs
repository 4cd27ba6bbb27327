//! Pure logic of the ticket thread (the comments under a ticket and the composer): delivery
//! labels, the Ctrl+Enter decision, relative times, merging live comments into the list,
//! reading live events. No browser here, so it is unit-tested natively.

use api_types::{Comment, CommentDelivery, CommentKind, DeliveryStatus, Requester};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::logic::format_age;

/// The longest comment body the API takes.
pub const BODY_MAX_CHARS: usize = 20_000;

/// What a reply's delivery looks like in the thread: the text and a CSS modifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLabel {
    pub text: String,
    /// `sending`, `sent`, `retrying` or `failed`.
    pub state: &'static str,
}

/// "Sending…", "Sent 12:03" (the day too when not today, UTC like the rest of the app),
/// "Retrying: <last error>", or "Failed: <last error>".
pub fn delivery_label(delivery: &CommentDelivery, now: DateTime<Utc>) -> DeliveryLabel {
    let error = delivery.last_error.as_deref().map(str::trim).filter(|e| !e.is_empty());
    match (delivery.status, error) {
        (DeliveryStatus::Queued, None) => DeliveryLabel { text: "Sending…".into(), state: "sending" },
        (DeliveryStatus::Queued, Some(e)) => {
            DeliveryLabel { text: format!("Retrying: {e}"), state: "retrying" }
        }
        (DeliveryStatus::Sent, _) => {
            let text = match delivery.sent_at {
                Some(at) => format!("Sent {}", short_time(at, now)),
                None => "Sent".into(),
            };
            DeliveryLabel { text, state: "sent" }
        }
        (DeliveryStatus::Failed, Some(e)) => DeliveryLabel { text: format!("Failed: {e}"), state: "failed" },
        (DeliveryStatus::Failed, None) => DeliveryLabel { text: "Failed".into(), state: "failed" },
    }
}

/// `12:03` today, `2026-05-02 12:03` on another day (UTC).
pub fn short_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// "just now", "5 min ago", "3 h ago", "2 d ago" …
pub fn relative_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match format_age(at, now) {
        age if age == "just now" => age,
        age => format!("{age} ago"),
    }
}

/// The CSS class of a comment by its kind: replies, internal notes and the customer's own
/// words look different.
pub fn comment_class(kind: CommentKind) -> &'static str {
    match kind {
        CommentKind::Reply => "comment comment-reply",
        CommentKind::Note => "comment comment-note",
        CommentKind::Customer => "comment comment-customer",
    }
}

pub fn comment_kind_label(kind: CommentKind) -> &'static str {
    match kind {
        CommentKind::Reply => "Reply",
        CommentKind::Note => "Internal note",
        CommentKind::Customer => "Customer",
    }
}

/// Who wrote a comment: the name, else the e-mail address, else what kind of author.
pub fn author_label(comment: &Comment) -> String {
    let a = &comment.author;
    let named = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let mail = a.email.as_deref().map(str::trim).filter(|n| !n.is_empty());
    match (named, mail) {
        (Some(n), _) => n.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => match comment.kind {
            CommentKind::Customer => "The customer".into(),
            _ => "API token".into(),
        },
    }
}

/// The requester as one line: `Jane Doe <jane@example.com>`, `jane@example.com`, `Jane Doe
/// (no e-mail)`, or `Unknown`.
pub fn requester_line(requester: Option<&Requester>) -> String {
    let name = requester.and_then(|r| r.name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
    let email = requester.and_then(|r| r.email.as_deref()).map(str::trim).filter(|n| !n.is_empty());
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (None, Some(e)) => e.to_owned(),
        (Some(n), None) => format!("{n} (no e-mail)"),
        (None, None) => "Unknown".into(),
    }
}

/// The requester a form sends: blank fields become null, and both blank is no requester.
pub fn requester_from_form(name: &str, email: &str) -> Option<Requester> {
    let name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
    let email = Some(email.trim().to_owned()).filter(|e| !e.is_empty());
    (name.is_some() || email.is_some()).then_some(Requester { name, email })
}

/// Whether a key press in the composer sends it: Ctrl+Enter (Cmd+Enter on a Mac), without
/// Shift or Alt, and not while an input method is composing text.
pub fn is_send_shortcut(key: &str, ctrl: bool, meta: bool, shift: bool, alt: bool, composing: bool) -> bool {
    key == "Enter" && (ctrl || meta) && !shift && !alt && !composing
}

/// Why the composer cannot send its draft now, if it cannot (the send button is disabled
/// and the shortcut does nothing).
pub fn send_problem(body: &str, busy: bool) -> Option<String> {
    if busy {
        return Some("Sending…".into());
    }
    if body.trim().is_empty() {
        return Some("Write something first.".into());
    }
    let n = body.chars().count();
    (n > BODY_MAX_CHARS).then(|| format!("Too long: {n} characters, at most {BODY_MAX_CHARS}."))
}

/// What the composer says once the API took the comment.
pub fn sent_message(kind: CommentKind, requester: Option<&Requester>) -> String {
    match kind {
        CommentKind::Reply => match requester.and_then(|r| r.email.as_deref()) {
            Some(e) => format!("Reply queued for {e}."),
            None => "Reply queued.".into(),
        },
        CommentKind::Note => "Internal note added.".into(),
        CommentKind::Customer => "Customer message recorded.".into(),
    }
}

/// Adds a comment to the thread, or replaces the one with the same id (a live update of
/// its delivery, or the live echo of the comment this page just posted), keeping the
/// thread oldest first. Answers whether anything changed.
pub fn upsert_comment(thread: &mut Vec<Comment>, comment: Comment) -> bool {
    if let Some(existing) = thread.iter_mut().find(|c| c.id == comment.id) {
        if *existing == comment {
            return false;
        }
        *existing = comment;
    } else {
        thread.push(comment);
    }
    thread.sort_by_key(|c| (c.created_at, c.id));
    true
}

/// The comment of a live `ticket.comment_created` / `ticket.comment_updated` event (the
/// `data:` of the stream, the same JSON as a webhook body), with the ticket it belongs to.
pub fn comment_of_event(data: &str) -> Option<Comment> {
    let value: serde_json::Value = serde_json::from_str(data).ok()?;
    let comment = value.pointer("/data/comment")?.clone();
    serde_json::from_value(comment).ok()
}

/// Whether a live comment belongs on the ticket shown.
pub fn belongs_to(comment: &Comment, ticket_id: Uuid) -> bool {
    comment.ticket_id == ticket_id
}

#[cfg(test)]
mod tests {
    use api_types::CommentAuthor;

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn delivery(status: DeliveryStatus, last_error: Option<&str>, sent_at: Option<&str>) -> CommentDelivery {
        CommentDelivery {
            status,
            attempts: 1,
            last_error: last_error.map(str::to_owned),
            sent_at: sent_at.map(at),
        }
    }

    fn comment(n: u128, kind: CommentKind, created: &str) -> Comment {
        Comment {
            id: Uuid::from_u128(n),
            ticket_id: Uuid::from_u128(1000),
            kind,
            author: CommentAuthor {
                kind: api_types::AuthorType::User,
                id: None,
                name: Some("Olivia Operator".into()),
                email: None,
            },
            body: format!("comment {n}"),
            created_at: at(created),
            delivery: None,
        }
    }

    #[test]
    fn delivery_states_read_as_the_operator_expects() {
        let now = at("2026-05-10T15:00:00Z");
        let l = delivery_label(&delivery(DeliveryStatus::Queued, None, None), now);
        assert_eq!((l.text.as_str(), l.state), ("Sending…", "sending"));
        let l = delivery_label(&delivery(DeliveryStatus::Queued, Some("connection refused"), None), now);
        assert_eq!((l.text.as_str(), l.state), ("Retrying: connection refused", "retrying"));
        let l = delivery_label(&delivery(DeliveryStatus::Queued, Some("  "), None), now);
        assert_eq!(l.text, "Sending…");
        let l = delivery_label(&delivery(DeliveryStatus::Sent, None, Some("2026-05-10T12:03:41Z")), now);
        assert_eq!((l.text.as_str(), l.state), ("Sent 12:03", "sent"));
        let l = delivery_label(&delivery(DeliveryStatus::Sent, None, Some("2026-05-02T09:30:00Z")), now);
        assert_eq!(l.text, "Sent 2026-05-02 09:30");
        let l = delivery_label(&delivery(DeliveryStatus::Sent, None, None), now);
        assert_eq!(l.text, "Sent");
        let l = delivery_label(&delivery(DeliveryStatus::Failed, Some("550 no such user"), None), now);
        assert_eq!((l.text.as_str(), l.state), ("Failed: 550 no such user", "failed"));
        let l = delivery_label(&delivery(DeliveryStatus::Failed, None, None), now);
        assert_eq!(l.text, "Failed");
    }

    #[test]
    fn relative_times() {
        let now = at("2026-05-10T15:00:00Z");
        assert_eq!(relative_time(at("2026-05-10T14:59:30Z"), now), "just now");
        assert_eq!(relative_time(at("2026-05-10T14:55:00Z"), now), "5 min ago");
        assert_eq!(relative_time(at("2026-05-10T12:00:00Z"), now), "3 h ago");
        assert_eq!(relative_time(at("2026-05-08T15:00:00Z"), now), "2 d ago");
        // A clock slightly behind the server's never says "in the future".
        assert_eq!(relative_time(at("2026-05-10T15:00:20Z"), now), "just now");
    }

    #[test]
    fn ctrl_or_cmd_enter_sends_and_nothing_else_does() {
        assert!(is_send_shortcut("Enter", true, false, false, false, false));
        assert!(is_send_shortcut("Enter", false, true, false, false, false));
        assert!(!is_send_shortcut("Enter", false, false, false, false, false), "plain Enter is a new line");
        assert!(!is_send_shortcut("Enter", true, false, true, false, false), "Ctrl+Shift+Enter");
        assert!(!is_send_shortcut("Enter", true, false, false, true, false), "Ctrl+Alt+Enter");
        assert!(!is_send_shortcut("Enter", true, false, false, false, true), "while composing (IME)");
        assert!(!is_send_shortcut("s", true, false, false, false, false));
    }

    #[test]
    fn drafts_that_cannot_be_sent_say_why() {
        assert_eq!(send_problem("Hello", false), None);
        assert_eq!(send_problem(" \n\t", false).as_deref(), Some("Write something first."));
        assert_eq!(send_problem("Hello", true).as_deref(), Some("Sending…"));
        assert_eq!(send_problem(&"x".repeat(BODY_MAX_CHARS), false), None);
        assert_eq!(
            send_problem(&"é".repeat(BODY_MAX_CHARS + 1), false).as_deref(),
            Some("Too long: 20001 characters, at most 20000.")
        );
    }

    #[test]
    fn kinds_are_styled_and_named_apart() {
        assert_eq!(comment_class(CommentKind::Note), "comment comment-note");
        assert_eq!(comment_class(CommentKind::Reply), "comment comment-reply");
        assert_eq!(comment_class(CommentKind::Customer), "comment comment-customer");
        assert_eq!(comment_kind_label(CommentKind::Note), "Internal note");
        let mut c = comment(1, CommentKind::Customer, "2026-05-10T12:00:00Z");
        assert_eq!(author_label(&c), "Olivia Operator");
        c.author.name = None;
        c.author.email = Some("jane@example.com".into());
        assert_eq!(author_label(&c), "jane@example.com");
        c.author.email = None;
        assert_eq!(author_label(&c), "The customer");
        let r = Requester { name: Some("Jane".into()), email: Some("jane@example.com".into()) };
        assert_eq!(sent_message(CommentKind::Reply, Some(&r)), "Reply queued for jane@example.com.");
        assert_eq!(sent_message(CommentKind::Note, Some(&r)), "Internal note added.");
    }

    #[test]
    fn requester_lines_and_forms() {
        let both = Requester { name: Some("Jane Doe".into()), email: Some("jane@example.com".into()) };
        assert_eq!(requester_line(Some(&both)), "Jane Doe <jane@example.com>");
        let mail = Requester { name: None, email: Some("jane@example.com".into()) };
        assert_eq!(requester_line(Some(&mail)), "jane@example.com");
        let name = Requester { name: Some("Jane Doe".into()), email: None };
        assert_eq!(requester_line(Some(&name)), "Jane Doe (no e-mail)");
        assert_eq!(requester_line(None), "Unknown");
        assert_eq!(requester_from_form("  Jane Doe ", " jane@example.com "), Some(both));
        assert_eq!(requester_from_form("", "jane@example.com"), Some(mail));
        assert_eq!(requester_from_form(" ", ""), None);
    }

    #[test]
    fn live_comments_merge_into_the_thread_oldest_first_without_duplicates() {
        let mut thread = vec![
            comment(1, CommentKind::Customer, "2026-05-10T12:00:00Z"),
            comment(3, CommentKind::Note, "2026-05-10T12:10:00Z"),
        ];
        // Posted here, then echoed by the live stream: once.
        let mut reply = comment(2, CommentKind::Reply, "2026-05-10T12:05:00Z");
        reply.delivery = Some(delivery(DeliveryStatus::Queued, None, None));
        assert!(upsert_comment(&mut thread, reply.clone()));
        assert!(!upsert_comment(&mut thread, reply.clone()));
        assert_eq!(thread.iter().map(|c| c.id.as_u128()).collect::<Vec<_>>(), [1, 2, 3]);
        // Its delivery changes: replaced in place.
        reply.delivery = Some(delivery(DeliveryStatus::Sent, None, Some("2026-05-10T12:05:02Z")));
        assert!(upsert_comment(&mut thread, reply));
        assert_eq!(thread.len(), 3);
        assert_eq!(thread[1].delivery.as_ref().map(|d| d.status), Some(DeliveryStatus::Sent));
        // The same instant: ordered by id, as the API orders them.
        assert!(upsert_comment(&mut thread, comment(0, CommentKind::Note, "2026-05-10T12:10:00Z")));
        assert_eq!(thread.iter().map(|c| c.id.as_u128()).collect::<Vec<_>>(), [1, 2, 0, 3]);
    }

    #[test]
    fn live_events_carry_the_comment() {
        let c = comment(7, CommentKind::Note, "2026-05-10T12:00:00Z");
        let data = serde_json::json!({
            "id": Uuid::from_u128(99),
            "type": "ticket.comment_created",
            "created_at": "2026-05-10T12:00:00Z",
            "workspace_id": Uuid::from_u128(5),
            "data": {"ticket": {"id": Uuid::from_u128(1000)}, "comment": c},
        })
        .to_string();
        let got = comment_of_event(&data).unwrap();
        assert_eq!(got, c);
        assert!(belongs_to(&got, Uuid::from_u128(1000)));
        assert!(!belongs_to(&got, Uuid::from_u128(1001)));
        assert_eq!(comment_of_event("{\"type\":\"ticket.updated\",\"data\":{}}"), None);
        assert_eq!(comment_of_event("not json"), None);
    }
}
