//! Tickets: status and priority, the text rules, and the status rules (`TicketState::apply`):
//! any status may be set from any other; assigning an open ticket makes it `pending` and
//! unassigning a pending one makes it `open`, unless the same change sets `status`; resolving
//! stamps `resolved_at`, going back to `open` or `pending` clears it, and moving between
//! `resolved` and `closed` keeps it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::thread::Requester;
use crate::validation::{FieldErrors, ValidationError, trimmed_text};
use crate::{TicketId, UserId};

string_enum!(
    /// Where a ticket is in its life. `closed` tickets are hidden from default lists.
    Status {
        /// Created, not yet picked up (the default).
        Open = "open",
        /// Assigned to an operator and being worked.
        Pending = "pending",
        /// Marked done; `resolved_at` is stamped.
        Resolved = "resolved",
        /// Archived.
        Closed = "closed",
    }
);

string_enum!(
    /// How urgent a ticket is.
    Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
);

string_enum!(
    /// How a ticket was born; written to `metadata.source`.
    Source {
        /// The bot called the `open_ticket` tool mid-chat.
        OpenTicketTool = "open_ticket_tool",
        /// A visitor clicked a call-to-action button.
        Cta = "cta",
        /// An operator converted a live conversation.
        HumanEscalation = "human_escalation",
        /// An integrator called `POST /tickets`.
        Api = "api",
        /// An inbound e-mail that threads to no ticket.
        Email = "email",
    }
);

string_enum!(
    /// What an activity-log entry records.
    EventKind {
        Created = "created",
        StatusChanged = "status_changed",
        PriorityChanged = "priority_changed",
        AssigneeChanged = "assignee_changed",
        NotesChanged = "notes_changed",
        /// An SLA due time passed (`to`: `first_response` or `resolution`); by the system.
        SlaBreached = "sla_breached",
        /// The requester was replaced (from → to as `Name <email>`).
        RequesterChanged = "requester_changed",
        /// A comment was added; `to` is its kind, the actor who recorded it.
        Commented = "commented",
        /// A customer comment reopened a resolved ticket (from → to status).
        Reopened = "reopened",
    }
);

#[allow(clippy::derivable_impls)]
impl Default for Status {
    fn default() -> Self {
        Status::Open
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Normal
    }
}

impl Status {
    /// The statuses a list shows when none is asked for: all but `closed`.
    pub const DEFAULT_LIST: &'static [Status] = &[Status::Open, Status::Pending, Status::Resolved];
}

impl Priority {
    /// The order used by `sort=-priority` and stored in the database (0 = low … 3 = urgent).
    pub fn rank(self) -> i16 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

pub const SUBJECT_MAX: usize = 120;
pub const BODY_MAX: usize = 20_000;
pub const NOTES_MAX: usize = 20_000;
/// Keys an integrator's `metadata` may have.
pub const METADATA_KEYS_MAX: usize = 50;
/// The longest `metadata` key, in characters.
pub const METADATA_KEY_MAX: usize = 100;
/// The largest `metadata` object, as compact JSON, in bytes.
pub const METADATA_BYTES_MAX: usize = 16 * 1024;

/// A subject: trimmed, 1–120 characters.
pub fn parse_subject(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the subject", 1, SUBJECT_MAX)
}

/// A body: non-empty after trimming, at most 20,000 characters (kept as written).
pub fn parse_body(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the body", 1, BODY_MAX)?;
    Ok(raw.trim_end().to_owned())
}

/// Operator notes: at most 20,000 characters; blank notes clear them.
pub fn parse_notes(raw: &str) -> Result<Option<String>, String> {
    let value = trimmed_text(raw, "the notes", 0, NOTES_MAX)?;
    Ok(if value.is_empty() { None } else { Some(value) })
}

/// An integrator's `metadata`: at most 50 keys of 1–100 characters, at most 16 KiB of
/// JSON. (`source` is the server's: whatever is sent there is overwritten.)
pub fn parse_metadata(
    metadata: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    if metadata.len() > METADATA_KEYS_MAX {
        return Err(format!("at most {METADATA_KEYS_MAX} keys (got {})", metadata.len()));
    }
    if let Some(key) = metadata.keys().find(|k| k.trim().is_empty()) {
        return Err(format!("a key must not be blank (got `{key}`)"));
    }
    if let Some(key) = metadata.keys().find(|k| k.chars().count() > METADATA_KEY_MAX) {
        let start: String = key.chars().take(20).collect();
        return Err(format!("keys must be at most {METADATA_KEY_MAX} characters (`{start}…` is longer)"));
    }
    if has_nul(&serde_json::Value::Object(metadata.clone())) {
        return Err("keys and values must not contain the NUL character (\\u0000)".into());
    }
    let size = serde_json::to_vec(&metadata).map_or(usize::MAX, |json| json.len());
    if size > METADATA_BYTES_MAX {
        return Err(format!("at most {METADATA_BYTES_MAX} bytes of JSON (got {size})"));
    }
    Ok(metadata)
}

fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// A validated new ticket (whatever its creation path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub subject: String,
    pub body: String,
    pub priority: Priority,
}

impl NewTicket {
    pub fn parse(subject: &str, body: &str, priority: Option<Priority>) -> Result<Self, ValidationError> {
        let mut errors = FieldErrors::new();
        let subject = errors.check("subject", parse_subject(subject));
        let body = errors.check("body", parse_body(body));
        errors.into_result(|| NewTicket {
            subject: subject.unwrap_or_default(),
            body: body.unwrap_or_default(),
            priority: priority.unwrap_or_default(),
        })
    }
}

/// How a request names a ticket: its id or its reference (`ACME-12`, case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketKey {
    Id(TicketId),
    Reference { prefix: String, number: i64 },
}

impl TicketKey {
    /// `None` when the text is neither a UUID nor a reference: such a ticket cannot exist.
    pub fn parse(raw: &str) -> Option<Self> {
        if let Ok(id) = Uuid::parse_str(raw) {
            return Some(TicketKey::Id(TicketId(id)));
        }
        let (prefix, number) = raw.rsplit_once('-')?;
        let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
        if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        Some(TicketKey::Reference { prefix: prefix.to_ascii_uppercase(), number })
    }
}

/// The fields of a ticket that operators change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub status: Status,
    pub priority: Priority,
    pub assignee: Option<UserId>,
    pub notes: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub requester: Option<Requester>,
}

/// A requested change; `None` leaves a field alone, `assignee: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketPatch {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<UserId>>,
    pub notes: Option<Option<String>>,
    /// `Some(None)` clears the requester.
    pub requester: Option<Option<Requester>>,
}

/// One field that changed, from → to, as the activity log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl TicketState {
    /// Applies `patch` at `now` and returns the new state with the changes to log: assigning
    /// an open ticket makes it `pending` and unassigning a pending one makes it `open` (an
    /// explicit `status` wins), `resolved_at` follows [`resolved_at_after`], and setting a
    /// value a field already has is no change.
    pub fn apply(&self, patch: &TicketPatch, now: DateTime<Utc>) -> (TicketState, Vec<Change>) {
        let mut next = self.clone();
        let mut changes = Vec::new();

        if let Some(assignee) = patch.assignee
            && assignee != self.assignee
        {
            next.assignee = assignee;
            changes.push(Change {
                kind: EventKind::AssigneeChanged,
                from: self.assignee.map(|u| u.to_string()),
                to: assignee.map(|u| u.to_string()),
            });
        }

        // The status asked for wins; otherwise (un)assignment moves open ↔ pending.
        let target = match patch.status {
            Some(status) => status,
            None => match (self.assignee, next.assignee, self.status) {
                (None, Some(_), Status::Open) => Status::Pending,
                (Some(_), None, Status::Pending) => Status::Open,
                _ => self.status,
            },
        };
        if target != self.status {
            next.status = target;
            next.resolved_at = resolved_at_after(self.status, target, self.resolved_at, now);
            changes.push(Change {
                kind: EventKind::StatusChanged,
                from: Some(self.status.to_string()),
                to: Some(target.to_string()),
            });
        }

        if let Some(priority) = patch.priority
            && priority != self.priority
        {
            next.priority = priority;
            changes.push(Change {
                kind: EventKind::PriorityChanged,
                from: Some(self.priority.to_string()),
                to: Some(priority.to_string()),
            });
        }

        if let Some(notes) = &patch.notes
            && *notes != self.notes
        {
            next.notes = notes.clone();
            changes.push(Change {
                kind: EventKind::NotesChanged,
                from: self.notes.clone(),
                to: notes.clone(),
            });
        }

        if let Some(requester) = &patch.requester
            && *requester != self.requester
        {
            next.requester = requester.clone();
            changes.push(Change {
                kind: EventKind::RequesterChanged,
                from: self.requester.as_ref().map(Requester::display),
                to: requester.as_ref().map(Requester::display),
            });
        }

        (next, changes)
    }
}

/// `resolved_at` after a status change: cleared when a ticket goes back to `open` or
/// `pending`; stamped when an open or pending ticket is resolved; kept between `resolved`
/// and `closed`; left empty when an unresolved ticket is closed.
fn resolved_at_after(
    from: Status,
    to: Status,
    resolved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    use Status::*;
    match (from, to) {
        (_, Open | Pending) => None,
        (Open | Pending, Resolved) => Some(now),
        (Resolved | Closed, Resolved) => resolved_at.or(Some(now)),
        (Open | Pending, Closed) => None,
        (Resolved | Closed, Closed) => resolved_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap()
    }

    fn state(status: Status, assignee: Option<UserId>, resolved_at: Option<DateTime<Utc>>) -> TicketState {
        TicketState {
            status,
            priority: Priority::Normal,
            assignee,
            notes: None,
            resolved_at,
            requester: None,
        }
    }

    #[test]
    fn resolved_at_follows_the_status_table() {
        use Status::*;
        let before = Some(at(1));
        let now = at(2);
        // (from, resolved_at before, to, expected resolved_at)
        let table = [
            (Open, None, Pending, None),
            (Open, None, Resolved, Some(now)),
            (Pending, None, Resolved, Some(now)),
            (Open, None, Closed, None),
            (Pending, None, Closed, None),
            (Resolved, before, Open, None),
            (Resolved, before, Pending, None),
            (Resolved, before, Closed, before),
            (Closed, None, Open, None),
            (Closed, before, Pending, None),
            (Closed, before, Resolved, before),
            (Closed, None, Resolved, Some(now)),
        ];
        for (from, resolved_at, to, expected) in table {
            let patch = TicketPatch { status: Some(to), ..Default::default() };
            let (next, changes) = state(from, None, resolved_at).apply(&patch, now);
            assert_eq!(next.status, to, "{from} -> {to}");
            assert_eq!(next.resolved_at, expected, "{from} -> {to}");
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].kind, EventKind::StatusChanged);
        }
    }

    #[test]
    fn same_status_changes_nothing() {
        for &status in Status::ALL {
            let s = state(status, None, Some(at(1)));
            let (next, changes) = s.apply(&TicketPatch { status: Some(status), ..Default::default() }, at(2));
            assert_eq!(next, s);
            assert!(changes.is_empty());
        }
    }

    #[test]
    fn assigning_an_open_ticket_makes_it_pending() {
        let user = UserId::new();
        let patch = TicketPatch { assignee: Some(Some(user)), ..Default::default() };
        let (next, changes) = state(Status::Open, None, None).apply(&patch, at(2));
        assert_eq!(next.status, Status::Pending);
        assert_eq!(next.assignee, Some(user));
        let kinds: Vec<_> = changes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![EventKind::AssigneeChanged, EventKind::StatusChanged]);
    }

    #[test]
    fn unassigning_a_pending_ticket_reopens_it() {
        let patch = TicketPatch { assignee: Some(None), ..Default::default() };
        let (next, _) = state(Status::Pending, Some(UserId::new()), None).apply(&patch, at(2));
        assert_eq!(next.status, Status::Open);
        assert_eq!(next.assignee, None);
    }

    #[test]
    fn an_explicit_status_wins_over_assignment() {
        let user = UserId::new();
        let patch =
            TicketPatch { assignee: Some(Some(user)), status: Some(Status::Resolved), ..Default::default() };
        let (next, _) = state(Status::Open, None, None).apply(&patch, at(2));
        assert_eq!(next.status, Status::Resolved);
        assert_eq!(next.resolved_at, Some(at(2)));

        let patch = TicketPatch { assignee: Some(None), status: Some(Status::Pending), ..Default::default() };
        let (next, _) = state(Status::Pending, Some(user), None).apply(&patch, at(2));
        assert_eq!(next.status, Status::Pending);
    }

    #[test]
    fn assignment_leaves_other_statuses_alone() {
        let user = UserId::new();
        for status in [Status::Resolved, Status::Closed] {
            let patch = TicketPatch { assignee: Some(Some(user)), ..Default::default() };
            let (next, _) = state(status, None, Some(at(1))).apply(&patch, at(2));
            assert_eq!(next.status, status);
        }
        // Reassigning a pending ticket keeps it pending.
        let patch = TicketPatch { assignee: Some(Some(UserId::new())), ..Default::default() };
        let (next, changes) = state(Status::Pending, Some(user), None).apply(&patch, at(2));
        assert_eq!(next.status, Status::Pending);
        assert_eq!(changes.len(), 1);
    }

    #[test]
    fn priority_and_notes_log_changes() {
        let patch = TicketPatch {
            priority: Some(Priority::Urgent),
            notes: Some(Some("call back".into())),
            ..Default::default()
        };
        let (next, changes) = state(Status::Open, None, None).apply(&patch, at(2));
        assert_eq!(next.priority, Priority::Urgent);
        assert_eq!(next.notes.as_deref(), Some("call back"));
        assert_eq!(changes.len(), 2);
        let (_, again) = next.apply(&patch, at(3));
        assert!(again.is_empty());
    }

    #[test]
    fn text_rules() {
        assert_eq!(parse_subject("  Printer  ").unwrap(), "Printer");
        assert!(parse_subject(&"x".repeat(121)).is_err());
        assert!(parse_subject(&"é".repeat(120)).is_ok());
        assert!(parse_subject(" ").is_err());
        assert!(parse_body("").is_err());
        assert!(parse_body(&"x".repeat(20_001)).is_err());
        assert_eq!(parse_notes("  ").unwrap(), None);
        let err = NewTicket::parse("", "", None).unwrap_err();
        assert!(err.0.0.contains_key("subject") && err.0.0.contains_key("body"));
        assert_eq!(NewTicket::parse("a", "b", None).unwrap().priority, Priority::Normal);
    }

    #[test]
    fn metadata_rules() {
        let map =
            |pairs: Vec<(String, serde_json::Value)>| pairs.into_iter().collect::<serde_json::Map<_, _>>();
        assert!(parse_metadata(map(vec![("crm_id".into(), "C-88".into())])).is_ok());
        let many = map((0..=METADATA_KEYS_MAX).map(|i| (format!("k{i}"), 1.into())).collect());
        assert!(parse_metadata(many).unwrap_err().contains("at most 50 keys"));
        assert!(parse_metadata(map(vec![(" ".into(), 1.into())])).is_err());
        assert!(parse_metadata(map(vec![("k".repeat(METADATA_KEY_MAX), 1.into())])).is_ok());
        assert!(parse_metadata(map(vec![("k".repeat(METADATA_KEY_MAX + 1), 1.into())])).is_err());
        let big = map(vec![("k".into(), "v".repeat(METADATA_BYTES_MAX).into())]);
        assert!(parse_metadata(big).unwrap_err().contains("bytes"));
        assert!(parse_metadata(map(vec![("k".into(), serde_json::json!({"deep": ["a\0"]}))])).is_err());
        assert!(parse_metadata(map(vec![("k\0".into(), 1.into())])).is_err());
    }

    #[test]
    fn ticket_keys() {
        let id = Uuid::now_v7();
        assert_eq!(TicketKey::parse(&id.to_string()), Some(TicketKey::Id(TicketId(id))));
        assert_eq!(
            TicketKey::parse("acme-12"),
            Some(TicketKey::Reference { prefix: "ACME".into(), number: 12 })
        );
        for bad in ["ACME", "ACME-", "ACME-0", "ACME--1", "-1", "AC ME-1", "ACME-x"] {
            assert_eq!(TicketKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn enums_parse_with_helpful_errors() {
        assert_eq!("urgent".parse::<Priority>().unwrap(), Priority::Urgent);
        assert!("extreme".parse::<Priority>().unwrap_err().contains("low, normal, high, urgent"));
        for &p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), Some(p));
        }
    }
}
