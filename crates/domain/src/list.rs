//! The ticket list query: filters, sort, pagination and the opaque cursor, parsed from the
//! raw query-string pairs so that every bad parameter is reported by name.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ticket::{Priority, Status};
use crate::validation::{FieldErrors, ValidationError};
use crate::{TicketId, UserId};

pub const PER_PAGE_DEFAULT: u64 = 25;
pub const PER_PAGE_MAX: u64 = 100;
pub const Q_MIN: usize = 3;
pub const Q_MAX: usize = 200;
/// Past this many matches the total may be an estimate (`total_exact: false`).
pub const EXACT_TOTAL_LIMIT: u64 = 1_000;

/// Who a ticket is assigned to, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// The signed-in caller (`assignee=me`).
    Me,
    /// Unassigned tickets (`assignee=none`).
    Nobody,
    User(UserId),
}

/// List order; every order ends with the id so that keyset pages are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    /// Most urgent first, then newest.
    PriorityDesc,
    /// The earliest running SLA due time first; tickets with no running clock last, newest
    /// first.
    Due,
}

/// `sla=`: tickets by where their running SLA clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaFilter {
    /// Open or pending with a running clock past its due time.
    Breached,
    /// A running clock due in (now, now + 60 min].
    DueSoon,
}

impl SlaFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaFilter::Breached => "breached",
            SlaFilter::DueSoon => "due_soon",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "breached" => Ok(SlaFilter::Breached),
            "due_soon" => Ok(SlaFilter::DueSoon),
            other => Err(format!("unknown sla filter `{other}`: expected breached or due_soon")),
        }
    }
}

impl Sort {
    pub const ALL: [Sort; 5] =
        [Sort::CreatedDesc, Sort::CreatedAsc, Sort::UpdatedDesc, Sort::PriorityDesc, Sort::Due];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::CreatedDesc => "-created_at",
            Sort::CreatedAsc => "created_at",
            Sort::UpdatedDesc => "-updated_at",
            Sort::PriorityDesc => "-priority",
            Sort::Due => "due",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| {
            format!("unknown sort `{raw}`: expected one of {}", Self::ALL.map(Sort::as_str).join(", "))
        })
    }
}

/// Where the previous page ended: the sort key of its last row and its id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    /// The sort this cursor was made for.
    #[serde(rename = "s")]
    pub sort: String,
    /// `created_at` or `updated_at` of the last row, per the sort.
    #[serde(rename = "t")]
    pub at: DateTime<Utc>,
    /// Priority rank of the last row (for `-priority`).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub priority_rank: Option<i16>,
    /// `sort=due`: the last row had no running clock (`at` is then its `created_at`, else its
    /// next due time).
    #[serde(rename = "n", default, skip_serializing_if = "std::ops::Not::not")]
    pub no_clock: bool,
    #[serde(rename = "i")]
    pub id: TicketId,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serialising a plain struct of strings and numbers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str) -> Result<Self, String> {
        let invalid = || "the cursor is not valid: pass `meta.next_cursor` back as it was".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }
}

/// How to page: by number (jump anywhere) or by cursor (cost independent of depth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    Page { page: u64, per_page: u64 },
    After { cursor: Option<Cursor>, per_page: u64 },
}

/// A parsed `GET /tickets` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketListQuery {
    pub statuses: Vec<Status>,
    pub priorities: Vec<Priority>,
    pub assignee: Option<AssigneeFilter>,
    /// Lower-cased search text (substring of subject, body or reference).
    pub q: Option<String>,
    /// `sla=breached|due_soon`.
    pub sla: Option<SlaFilter>,
    pub sort: Sort,
    pub paging: Paging,
}

impl TicketListQuery {
    /// Parses query-string pairs. `status` and `priority` may repeat or hold comma lists.
    /// Unknown parameters are ignored, as HTTP clients add their own.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Self::parse_pairs(pairs, false)
    }

    /// [`Self::parse`], stricter, for a query kept to be run again (a saved view, a bulk
    /// job, an export): an unknown parameter, `page` or `cursor` is an error named after it.
    pub fn parse_stored(pairs: &[(String, String)]) -> Result<Self, ValidationError> {
        Self::parse_pairs(pairs, true)
    }

    fn parse_pairs(pairs: &[(String, String)], strict: bool) -> Result<Self, ValidationError> {
        let mut unknown: Vec<&str> = Vec::new();
        let mut errors = FieldErrors::new();
        let mut statuses = Vec::new();
        let mut priorities = Vec::new();
        let mut assignee = None;
        let mut q = None;
        let mut sla = None;
        let mut sort = Sort::default();
        let mut page = None;
        let mut per_page = None;
        let mut cursor = None;
        let mut use_cursor = false;

        for (key, value) in pairs {
            match key.as_str() {
                "status" | "status[]" => {
                    for part in split_list(value) {
                        if let Some(s) = errors.check("status", part.parse::<Status>()) {
                            statuses.push(s);
                        }
                    }
                }
                "priority" | "priority[]" => {
                    for part in split_list(value) {
                        if let Some(p) = errors.check("priority", part.parse::<Priority>()) {
                            priorities.push(p);
                        }
                    }
                }
                "assignee" => assignee = errors.check("assignee", parse_assignee(value)),
                "q" => q = errors.check("q", parse_q(value)),
                "sla" => sla = errors.check("sla", SlaFilter::parse(value)),
                "sort" => {
                    if let Some(s) = errors.check("sort", Sort::parse(value)) {
                        sort = s;
                    }
                }
                "page" => page = errors.check("page", parse_number(value, 1, u64::from(u32::MAX))),
                "per_page" => per_page = errors.check("per_page", parse_number(value, 1, PER_PAGE_MAX)),
                "cursor" => {
                    use_cursor = true;
                    if !value.is_empty() {
                        cursor = errors.check("cursor", Cursor::decode(value));
                    }
                }
                other => unknown.push(other),
            }
        }
        if strict {
            for key in unknown {
                errors.add(key, "unknown parameter");
            }
            for (key, given) in [("page", page.is_some()), ("cursor", use_cursor)] {
                if given || pairs.iter().any(|(k, _)| k == key) {
                    errors.add(key, "a stored query lists from the top: leave out `page` and `cursor`");
                }
            }
        }

        if use_cursor && page.is_some() {
            errors.add("cursor", "use either `page` or `cursor`, not both");
        }
        if let Some(c) = &cursor {
            if c.sort != sort.as_str() {
                errors.add("cursor", "the cursor was made for another sort order");
            } else if sort == Sort::PriorityDesc && c.priority_rank.is_none() {
                errors.add("cursor", "the cursor is not valid: pass `meta.next_cursor` back as it was");
            }
        }

        statuses.sort_by_key(|s| Status::ALL.iter().position(|x| x == s));
        statuses.dedup();
        priorities.sort_by_key(|p| p.rank());
        priorities.dedup();
        if statuses.is_empty() {
            statuses = Status::DEFAULT_LIST.to_vec();
        }
        let per_page = per_page.unwrap_or(PER_PAGE_DEFAULT);
        let paging = if use_cursor {
            Paging::After { cursor, per_page }
        } else {
            Paging::Page { page: page.unwrap_or(1), per_page }
        };
        errors.into_result(|| TicketListQuery { statuses, priorities, assignee, q, sla, sort, paging })
    }

    pub fn per_page(&self) -> u64 {
        match self.paging {
            Paging::Page { per_page, .. } | Paging::After { per_page, .. } => per_page,
        }
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_assignee(value: &str) -> Result<AssigneeFilter, String> {
    match value.trim() {
        "me" => Ok(AssigneeFilter::Me),
        "none" => Ok(AssigneeFilter::Nobody),
        other => Uuid::parse_str(other)
            .map(|id| AssigneeFilter::User(UserId(id)))
            .map_err(|_| format!("`{other}` is not a user id, `me` or `none`")),
    }
}

fn parse_q(value: &str) -> Result<String, String> {
    crate::validation::no_nul(value, "the search text")?;
    let q = value.trim();
    let len = q.chars().count();
    // `#7` names a ticket by number: shorter than a search, and still a lookup.
    if len < Q_MIN && !matches!(reference_lookup(q), Some(RefLookup::Number(_))) {
        return Err(format!("the search text must be at least {Q_MIN} characters"));
    }
    // The maximum applies to the text as sent, as the API documents it.
    if value.chars().count() > Q_MAX {
        return Err(format!("the search text must be at most {Q_MAX} characters"));
    }
    Ok(q.to_lowercase())
}

/// A search text that names one ticket: `#123`, or a whole reference (`acme-123`, any case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefLookup {
    /// `#` and digits: this workspace's ticket with that number.
    Number(i64),
    /// `PREFIX-123`: the ticket with that number, when `PREFIX` is this workspace's prefix.
    Reference { prefix: String, number: i64 },
}

impl RefLookup {
    pub fn number(&self) -> i64 {
        match self {
            RefLookup::Number(n) | RefLookup::Reference { number: n, .. } => *n,
        }
    }

    /// Whether the text is also searched as a substring: a lookup shorter than a search
    /// (`#7`) finds its ticket alone.
    pub fn searches_too(q: &str) -> bool {
        q.chars().count() >= Q_MIN
    }
}

/// The ticket a search text names, if it is a whole reference or `#` and digits.
pub fn reference_lookup(q: &str) -> Option<RefLookup> {
    let q = q.trim();
    let positive = |digits: &str| -> Option<i64> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok().filter(|n| *n > 0)
    };
    if let Some(digits) = q.strip_prefix('#') {
        return positive(digits).map(RefLookup::Number);
    }
    let (prefix, digits) = q.rsplit_once('-')?;
    let number = positive(digits)?;
    if prefix.is_empty() || !prefix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(RefLookup::Reference { prefix: prefix.to_ascii_uppercase(), number })
}

fn parse_number(value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Result<TicketListQuery, ValidationError> {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TicketListQuery::parse(&pairs)
    }

    #[test]
    fn defaults_hide_closed() {
        let query = q(&[]).unwrap();
        assert_eq!(query.statuses, Status::DEFAULT_LIST);
        assert_eq!(query.paging, Paging::Page { page: 1, per_page: PER_PAGE_DEFAULT });
        assert_eq!(query.sort, Sort::CreatedDesc);
    }

    #[test]
    fn statuses_repeat_or_comma_separate() {
        let query = q(&[("status", "closed,open"), ("status", "open")]).unwrap();
        assert_eq!(query.statuses, vec![Status::Open, Status::Closed]);
        let query = q(&[("priority", "urgent, low")]).unwrap();
        assert_eq!(query.priorities, vec![Priority::Low, Priority::Urgent]);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let err = q(&[
            ("status", "nope"),
            ("priority", "extreme"),
            ("assignee", "bob"),
            ("q", "ab"),
            ("sort", "subject"),
            ("page", "0"),
            ("per_page", "101"),
            ("sla", "late"),
        ])
        .unwrap_err();
        let fields: Vec<&str> = err.0.0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["assignee", "page", "per_page", "priority", "q", "sla", "sort", "status"]);
    }

    #[test]
    fn sla_filters_and_the_due_sort() {
        assert_eq!(q(&[("sla", "breached")]).unwrap().sla, Some(SlaFilter::Breached));
        assert_eq!(q(&[("sla", "due_soon")]).unwrap().sla, Some(SlaFilter::DueSoon));
        assert_eq!(q(&[]).unwrap().sla, None);
        assert_eq!(q(&[("sort", "due")]).unwrap().sort, Sort::Due);
        let cursor = Cursor {
            sort: "due".into(),
            at: crate::time::now(),
            priority_rank: None,
            no_clock: true,
            id: TicketId::new(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        let parsed = q(&[("sort", "due"), ("cursor", &cursor.encode())]).unwrap();
        assert_eq!(parsed.paging, Paging::After { cursor: Some(cursor), per_page: PER_PAGE_DEFAULT });
    }

    #[test]
    fn assignee_filters() {
        assert_eq!(q(&[("assignee", "me")]).unwrap().assignee, Some(AssigneeFilter::Me));
        assert_eq!(q(&[("assignee", "none")]).unwrap().assignee, Some(AssigneeFilter::Nobody));
        let id = Uuid::now_v7();
        assert_eq!(
            q(&[("assignee", &id.to_string())]).unwrap().assignee,
            Some(AssigneeFilter::User(UserId(id)))
        );
    }

    #[test]
    fn search_text_is_trimmed_and_lowercased() {
        assert_eq!(q(&[("q", "  PRInter ")]).unwrap().q.as_deref(), Some("printer"));
        assert!(q(&[("q", " ab ")]).is_err());
        assert!(q(&[("q", "abc\0")]).is_err());
    }

    #[test]
    fn references_and_numbers_are_lookups() {
        assert_eq!(
            reference_lookup("acme-123"),
            Some(RefLookup::Reference { prefix: "ACME".into(), number: 123 })
        );
        assert_eq!(reference_lookup("#7"), Some(RefLookup::Number(7)));
        for not_one in ["#", "#0", "#7a", "acme-", "-12", "ac me-12", "acme-1x", "refund", "#-3"] {
            assert_eq!(reference_lookup(not_one), None, "{not_one}");
        }
        // `#7` is exempt from the search minimum; other short texts are not.
        assert_eq!(q(&[("q", " #7 ")]).unwrap().q.as_deref(), Some("#7"));
        assert!(q(&[("q", "#a")]).is_err());
        assert!(q(&[("q", "a-")]).is_err());
        assert!(!RefLookup::searches_too("#7"));
        assert!(RefLookup::searches_too("#123"));
    }

    #[test]
    fn cursors_round_trip_and_are_checked() {
        let cursor = Cursor {
            sort: "-priority".into(),
            at: crate::time::now(),
            priority_rank: Some(3),
            no_clock: false,
            id: TicketId::new(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        let parsed = q(&[("sort", "-priority"), ("cursor", &cursor.encode())]).unwrap();
        assert_eq!(parsed.paging, Paging::After { cursor: Some(cursor.clone()), per_page: PER_PAGE_DEFAULT });
        assert!(q(&[("cursor", &cursor.encode())]).is_err(), "sort mismatch");
        assert!(q(&[("cursor", "garbage!")]).is_err());
        assert!(q(&[("cursor", &cursor.encode()), ("sort", "-priority"), ("page", "2")]).is_err());
        // An empty cursor starts a walk from the top.
        assert_eq!(
            q(&[("cursor", "")]).unwrap().paging,
            Paging::After { cursor: None, per_page: PER_PAGE_DEFAULT }
        );
    }
}
