//! Working the queue at scale: saved views, bulk edits and their jobs, and the CSV export's
//! columns and formula guard.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::UserId;
use crate::list::TicketListQuery;
use crate::ticket::{Priority, Status, TicketPatch};
use crate::validation::{FieldErrors, ValidationError, trimmed_text};

/// The longest view name, in characters.
pub const VIEW_NAME_MAX: usize = 80;
/// The longest stored list query, in characters.
pub const VIEW_QUERY_MAX: usize = 2_000;
/// Tickets one `POST /tickets/bulk` may name by id or reference.
pub const BULK_IDS_MAX: usize = 500;
/// Per-ticket errors a job keeps (it still counts the others as processed).
pub const JOB_ERRORS_MAX: usize = 100;

/// A view's name: trimmed, 1–80 characters.
pub fn parse_view_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, VIEW_NAME_MAX)
}

/// A stored list query, given as its decoded pairs: validated like `GET /tickets` and
/// stricter (no unknown parameter, `page` or `cursor`), every error named `query.<param>`.
pub fn parse_view_query(raw: &str, pairs: &[(String, String)]) -> Result<TicketListQuery, ValidationError> {
    if raw.chars().count() > VIEW_QUERY_MAX {
        return Err(ValidationError::field("query", format!("at most {VIEW_QUERY_MAX} characters")));
    }
    TicketListQuery::parse_stored(pairs).map_err(|ValidationError(errors)| {
        let mut named = FieldErrors::new();
        for (field, messages) in errors.0 {
            for message in messages {
                named.add(format!("query.{field}"), message);
            }
        }
        ValidationError(named)
    })
}

/// A stored query as kept: without a leading `?` or surrounding blanks.
pub fn normalise_query(raw: &str) -> &str {
    raw.trim().trim_start_matches('?')
}

/// What a bulk edit sets on every ticket: status, priority, assignee (at least one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSet {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
}

impl BulkSet {
    /// At least one field must be set.
    pub fn parse(
        status: Option<Status>,
        priority: Option<Priority>,
        assignee: Option<Option<UserId>>,
    ) -> Result<Self, ValidationError> {
        if status.is_none() && priority.is_none() && assignee.is_none() {
            return Err(ValidationError::field(
                "set",
                "set at least one of `status`, `priority`, `assigned_to_user_id`",
            ));
        }
        Ok(BulkSet { status, priority, assignee })
    }

    /// The change a single `PATCH` with these fields would make.
    pub fn patch(&self) -> TicketPatch {
        TicketPatch {
            status: self.status,
            priority: self.priority,
            assignee: self.assignee,
            notes: None,
            requester: None,
        }
    }
}

string_enum!(
    /// Where a bulk job is.
    JobStatus {
        /// Accepted, waiting for a worker.
        Queued = "queued",
        /// A worker is on it (or was, and its lease will run out).
        Running = "running",
        /// Every matching ticket was processed without an error.
        Succeeded = "succeeded",
        /// Finished, but some tickets could not be changed (see `errors`), or the job could not run.
        Failed = "failed",
    }
);

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// The CSV export's columns, in order.
pub const EXPORT_COLUMNS: [&str; 13] = [
    "reference",
    "subject",
    "status",
    "priority",
    "assignee_email",
    "requester_email",
    "source",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "first_response_due_at",
    "resolution_due_at",
];

/// A cell a spreadsheet would read as a formula (`= + - @`, and the tab and carriage return
/// that some of them skip first) gets a leading `'`, so that it shows as text.
pub fn csv_cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(raw: &[(&str, &str)]) -> Vec<(String, String)> {
        raw.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn view_queries_are_strict_and_named() {
        assert!(
            parse_view_query("status=open", &pairs(&[("status", "open"), ("sort", "-priority")])).is_ok()
        );
        let err = parse_view_query(
            "",
            &pairs(&[("status", "nope"), ("colour", "red"), ("page", "2"), ("cursor", ""), ("q", "ab")]),
        )
        .unwrap_err();
        let fields: Vec<&str> = err.0.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["query.colour", "query.cursor", "query.page", "query.q", "query.status"]);
        assert!(parse_view_query(&"a".repeat(VIEW_QUERY_MAX + 1), &[]).is_err());
        assert_eq!(normalise_query(" ?status=open "), "status=open");
    }

    #[test]
    fn a_bulk_set_sets_something() {
        assert!(BulkSet::parse(None, None, None).is_err());
        let set = BulkSet::parse(Some(Status::Closed), None, Some(None)).unwrap();
        assert_eq!(set.patch().assignee, Some(None));
        assert_eq!(set.patch().notes, None);
    }

    #[test]
    fn formulas_are_defused() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(csv_cell(risky), format!("'{risky}"));
        }
        for safe in ["", "refund", "a=b", " =1", "ACME-1"] {
            assert_eq!(csv_cell(safe), safe);
        }
    }
}
