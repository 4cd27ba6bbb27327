//! Pure logic of the admin app: the ticket filters ⇄ the URL query, formatting of ages and
//! totals, badge classes. No browser here, so it is unit-tested natively.

use api_types::{EventKind, Priority, Status, TicketEvent};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Rows per page of the ticket list.
pub const PER_PAGE: u64 = 25;
/// The API's minimum length of a text search.
pub const Q_MIN_CHARS: usize = 3;

/// Which statuses the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// All but `closed` (the API's default).
    #[default]
    Active,
    Only(Status),
    /// Every status, closed included.
    All,
}

impl StatusFilter {
    /// The value of the `<select>` option and of the `status` URL parameter.
    pub fn as_param(self) -> &'static str {
        match self {
            StatusFilter::Active => "",
            StatusFilter::Only(s) => s.as_str(),
            StatusFilter::All => "all",
        }
    }

    /// Reads the app's `status` (`all`, one status) and the API's (a list: every status is
    /// "all"; another list is read as the default).
    pub fn from_param(raw: &str) -> Self {
        let listed: Vec<Status> = raw.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        match raw {
            "all" => StatusFilter::All,
            _ if Status::ALL.iter().all(|s| listed.contains(s)) => StatusFilter::All,
            other => other.parse().map(StatusFilter::Only).unwrap_or_default(),
        }
    }

    /// The options of the status `<select>`: (value, label).
    pub fn options() -> Vec<(&'static str, &'static str)> {
        vec![
            ("", "Active (all but closed)"),
            ("open", "Open"),
            ("pending", "Pending"),
            ("resolved", "Resolved"),
            ("closed", "Closed"),
            ("all", "All, closed included"),
        ]
    }
}

/// Whose tickets the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Me,
    Nobody,
    User(Uuid),
}

impl AssigneeFilter {
    pub fn as_param(self) -> String {
        match self {
            AssigneeFilter::Anyone => String::new(),
            AssigneeFilter::Me => "me".into(),
            AssigneeFilter::Nobody => "none".into(),
            AssigneeFilter::User(id) => id.to_string(),
        }
    }

    pub fn from_param(raw: &str) -> Self {
        match raw {
            "me" => AssigneeFilter::Me,
            "none" => AssigneeFilter::Nobody,
            other => Uuid::parse_str(other).map(AssigneeFilter::User).unwrap_or_default(),
        }
    }
}

/// The orders the API offers: (value, label); the first is the default.
pub const SORTS: [(&str, &str); 5] = [
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("-updated_at", "Recently updated"),
    ("-priority", "Most urgent first"),
    ("due", "Due first (SLA)"),
];

/// The `sla` filters the API offers: (value, label); empty for any.
pub const SLA_FILTERS: [(&str, &str); 3] =
    [("", "Any"), ("breached", "Breached"), ("due_soon", "Due within the hour")];

/// The state of the ticket list, as kept in the URL query of `/app/tickets`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketFilter {
    pub status: StatusFilter,
    pub priority: Option<Priority>,
    pub assignee: AssigneeFilter,
    pub q: String,
    /// One of [`SORTS`]; empty for the default.
    pub sort: String,
    /// One of [`SLA_FILTERS`]; empty for any.
    pub sla: String,
    /// From 1.
    pub page: u64,
}

impl TicketFilter {
    /// Reads `?status=…&priority=…` (with or without the `?`); unknown values fall back to
    /// the defaults, so an old or hand-edited link still opens a list.
    pub fn from_query(search: &str) -> Self {
        let mut filter = TicketFilter { page: 1, ..Default::default() };
        for (key, value) in parse_query(search) {
            match key.as_str() {
                "status" => filter.status = StatusFilter::from_param(&value),
                "priority" => filter.priority = value.parse().ok(),
                "assignee" => filter.assignee = AssigneeFilter::from_param(&value),
                "q" => filter.q = value,
                "sort" if SORTS.iter().any(|(s, _)| *s == value) && value != SORTS[0].0 => {
                    filter.sort = value
                }
                "sla" if SLA_FILTERS.iter().any(|(s, _)| *s == value) => filter.sla = value,
                "page" => filter.page = value.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                _ => {}
            }
        }
        filter
    }

    /// The app's URL query (`?…`, or empty when every filter has its default).
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.status != StatusFilter::Active {
            pairs.push(("status", self.status.as_param().into()));
        }
        if let Some(p) = self.priority {
            pairs.push(("priority", p.as_str().into()));
        }
        if self.assignee != AssigneeFilter::Anyone {
            pairs.push(("assignee", self.assignee.as_param()));
        }
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().into()));
        }
        if !self.sort.is_empty() {
            pairs.push(("sort", self.sort.clone()));
        }
        if !self.sla.is_empty() {
            pairs.push(("sla", self.sla.clone()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        if pairs.is_empty() { String::new() } else { format!("?{}", build_query(&pairs)) }
    }

    /// The query of `GET /api/v1/tickets` for this state. A search shorter than the API's
    /// minimum is left out (the page says why) rather than answered with a 422.
    pub fn to_api_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match self.status {
            StatusFilter::Active => {}
            StatusFilter::Only(s) => pairs.push(("status", s.as_str().into())),
            StatusFilter::All => pairs.push(("status", "open,pending,resolved,closed".into())),
        }
        if let Some(p) = self.priority {
            pairs.push(("priority", p.as_str().into()));
        }
        if self.assignee != AssigneeFilter::Anyone {
            pairs.push(("assignee", self.assignee.as_param()));
        }
        if q_problem(&self.q).is_none() && !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().into()));
        }
        if !self.sort.is_empty() {
            pairs.push(("sort", self.sort.clone()));
        }
        if !self.sla.is_empty() {
            pairs.push(("sla", self.sla.clone()));
        }
        pairs.push(("page", self.page.max(1).to_string()));
        pairs.push(("per_page", PER_PAGE.to_string()));
        format!("?{}", build_query(&pairs))
    }

    /// The query of `GET /api/v1/tickets/export.csv` for this state: its filters and sort,
    /// no page.
    pub fn to_export_query(&self) -> String {
        let query = TicketFilter { page: 1, ..self.clone() }.to_api_query();
        let pairs: Vec<String> = query
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.starts_with("page=") && !p.starts_with("per_page="))
            .map(str::to_owned)
            .collect();
        if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) }
    }

    /// The same filters on another page.
    pub fn with_page(&self, page: u64) -> Self {
        TicketFilter { page: page.max(1), ..self.clone() }
    }
}

/// Why a search text cannot be sent, if it cannot.
pub fn q_problem(q: &str) -> Option<String> {
    let n = q.trim().chars().count();
    (n > 0 && n < Q_MIN_CHARS).then(|| format!("Type at least {Q_MIN_CHARS} characters to search."))
}

/// Splits a URL query into decoded pairs.
pub fn parse_query(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

pub fn build_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but the unreserved characters (RFC 3986); `,` is kept for
/// readable status lists.
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` and `+` (a space in form encoding); a malformed escape stays as it is.
pub fn decode_component(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `meta.total` as the list header shows it: exact, "1,000+" for the lower bound, or
/// "≈ 250,000" for an estimate.
pub fn format_total(total: u64, exact: bool) -> String {
    let noun = if exact && total == 1 { "ticket" } else { "tickets" };
    if exact {
        format!("{} {noun}", group_thousands(total))
    } else if total <= 1000 {
        format!("{}+ {noun}", group_thousands(total))
    } else {
        format!("≈ {} {noun}", group_thousands(total))
    }
}

/// How many pages, when the total is exact (else unknown: `None`).
pub fn page_count(total: u64, exact: bool, per_page: u64) -> Option<u64> {
    exact.then(|| total.div_ceil(per_page.max(1)).max(1))
}

/// A short age: "just now", "5 min", "3 h", "2 d", "4 mo", "2 y".
pub fn format_age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        86_400..2_592_000 => format!("{} d", secs / 86_400),
        2_592_000..31_536_000 => format!("{} mo", secs / 2_592_000),
        _ => format!("{} y", secs / 31_536_000),
    }
}

/// A timestamp for people: `2026-05-02 14:03 UTC`.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Open => "Open",
        Status::Pending => "Pending",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

pub fn priority_label(p: Priority) -> &'static str {
    match p {
        Priority::Low => "Low",
        Priority::Normal => "Normal",
        Priority::High => "High",
        Priority::Urgent => "Urgent",
    }
}

pub fn status_badge_class(s: Status) -> String {
    format!("badge status-{}", s.as_str())
}

pub fn priority_badge_class(p: Priority) -> String {
    format!("badge priority-{}", p.as_str())
}

/// The CSS class of a chat message by its role; unknown roles look like system lines.
pub fn message_class(role: &str) -> &'static str {
    match role {
        "visitor" => "msg msg-visitor",
        "assistant" => "msg msg-assistant",
        "operator" => "msg msg-operator",
        "tool" => "msg msg-tool",
        _ => "msg msg-system",
    }
}

pub fn message_role_label(role: &str) -> &'static str {
    match role {
        "visitor" => "Visitor",
        "assistant" => "Bot",
        "operator" => "Operator",
        "tool" => "Tool",
        _ => "System",
    }
}

/// How a ticket was created, from `metadata.source`.
pub fn source_label(metadata: &serde_json::Value) -> String {
    match metadata.get("source").and_then(|s| s.as_str()) {
        Some("open_ticket_tool") => "Bot (open_ticket tool)".into(),
        Some("cta") => "Visitor (call-to-action button)".into(),
        Some("human_escalation") => "Operator (converted a live chat)".into(),
        Some("api") => "REST API".into(),
        Some("email") => "E-mail".into(),
        Some(other) => other.into(),
        None => "unknown".into(),
    }
}

/// One line of the activity log.
pub fn describe_event(event: &TicketEvent) -> String {
    let who = event.actor.name.clone().unwrap_or_else(|| event.actor.kind.clone());
    let to = event.to.clone().unwrap_or_else(|| "nothing".into());
    let from = event.from.clone().unwrap_or_else(|| "nothing".into());
    match event.kind {
        EventKind::Created => format!("{who} created the ticket"),
        EventKind::StatusChanged => format!("{who} changed the status from {from} to {to}"),
        EventKind::PriorityChanged => format!("{who} changed the priority from {from} to {to}"),
        EventKind::AssigneeChanged => match &event.to {
            Some(to) => format!("{who} assigned it to {to}"),
            None => format!("{who} unassigned it"),
        },
        EventKind::NotesChanged => format!("{who} edited the notes"),
        EventKind::SlaBreached => format!("The {} SLA was breached", to.replace('_', " ")),
        EventKind::RequesterChanged => format!("{who} changed the requester from {from} to {to}"),
        EventKind::Commented => match event.to.as_deref() {
            Some("note") => format!("{who} added an internal note"),
            Some("reply") => format!("{who} replied to the customer"),
            _ => format!("{who} recorded a customer message"),
        },
        EventKind::Reopened => format!("{who} reopened the ticket ({from} to {to})"),
    }
}

/// The session's remaining lifetime: whether a token that expires at `expires_at_ms`
/// (milliseconds since the epoch) is still good at `now_ms`, with a minute's margin.
/// A `tool` message's JSON (`{"tool", "input", "result"}`), summed up for the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallSummary {
    /// "open_ticket → ACME-9", or just the tool's name when it returned no reference.
    pub headline: String,
    pub subject: Option<String>,
    pub priority: Option<String>,
    /// The content pretty-printed, for a "raw JSON" disclosure.
    pub pretty: String,
}

/// `None` when the content is not a tool call's JSON (the transcript shows it as text).
pub fn tool_call_summary(content: &str) -> Option<ToolCallSummary> {
    let value: serde_json::Value = serde_json::from_str(content).ok()?;
    let tool = value.get("tool")?.as_str()?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let reference = text(value.pointer("/result/reference"));
    let headline = match reference {
        Some(r) => format!("{tool} \u{2192} {r}"),
        None => tool.to_owned(),
    };
    Some(ToolCallSummary {
        headline,
        subject: text(value.pointer("/input/subject")),
        priority: text(value.pointer("/input/priority")),
        pretty: serde_json::to_string_pretty(&value).unwrap_or_else(|_| content.to_owned()),
    })
}

/// The reference `step` places from `current` in `list` (the last list's order), or `None`
/// past either end or when `current` is not in it.
pub fn neighbour(list: &[String], current: &str, step: isize) -> Option<String> {
    let at = list.iter().position(|r| r == current)?;
    let to = at.checked_add_signed(step)?;
    list.get(to).cloned()
}

pub fn session_valid(expires_at_ms: f64, now_ms: f64) -> bool {
    expires_at_ms - now_ms > 60_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_takes_the_filters_without_the_page() {
        let filter = TicketFilter::from_query("?status=closed&priority=urgent&q=refund&page=3");
        assert_eq!(filter.to_export_query(), "?status=closed&priority=urgent&q=refund");
        assert_eq!(TicketFilter::from_query("").to_export_query(), "");
    }

    #[test]
    fn default_filter_has_an_empty_query_and_asks_the_api_for_page_one() {
        let f = TicketFilter::from_query("");
        assert_eq!(f, TicketFilter { page: 1, ..Default::default() });
        assert_eq!(f.to_query(), "");
        assert_eq!(f.to_api_query(), "?page=1&per_page=25");
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let id = Uuid::parse_str("0190f2a0-0000-7000-8000-000000000001").unwrap();
        let cases = [
            TicketFilter { status: StatusFilter::Only(Status::Closed), page: 1, ..Default::default() },
            TicketFilter {
                status: StatusFilter::All,
                priority: Some(Priority::Urgent),
                page: 3,
                ..Default::default()
            },
            TicketFilter {
                assignee: AssigneeFilter::Me,
                q: "refund #5521 & co".into(),
                page: 1,
                ..Default::default()
            },
            TicketFilter {
                assignee: AssigneeFilter::User(id),
                sort: "-priority".into(),
                page: 2,
                ..Default::default()
            },
            TicketFilter {
                assignee: AssigneeFilter::Nobody,
                q: "é ü +".into(),
                page: 1,
                ..Default::default()
            },
            TicketFilter { sort: "due".into(), sla: "breached".into(), page: 1, ..Default::default() },
            TicketFilter { sla: "due_soon".into(), page: 2, ..Default::default() },
        ];
        for f in cases {
            let q = f.to_query();
            assert_eq!(TicketFilter::from_query(&q), f, "{q}");
        }
    }

    #[test]
    fn api_query_names_the_statuses_and_drops_short_searches() {
        let f = TicketFilter::from_query("?status=all&q=ab&assignee=none&sort=-priority&page=2");
        assert_eq!(
            f.to_api_query(),
            "?status=open,pending,resolved,closed&assignee=none&sort=-priority&page=2&per_page=25"
        );
        assert!(q_problem(&f.q).is_some());
        let f = TicketFilter::from_query("?status=closed&q=refund");
        assert_eq!(f.to_api_query(), "?status=closed&q=refund&page=1&per_page=25");
        assert_eq!(q_problem("refund"), None);
        assert_eq!(q_problem("  "), None);
    }

    #[test]
    fn junk_in_the_url_falls_back_to_defaults() {
        let f = TicketFilter::from_query("?status=bogus&priority=extreme&assignee=x&sort=name&page=0&zzz=1");
        assert_eq!(f, TicketFilter { page: 1, ..Default::default() });
        assert_eq!(TicketFilter::from_query("?sort=-created_at").sort, "");
    }

    #[test]
    fn components_encode_and_decode() {
        assert_eq!(encode_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(decode_component("a+b%20c%2"), "a b c%2");
        assert_eq!(decode_component("%zz%41"), "%zzA");
        assert_eq!(
            parse_query("?a=1&b&c=x%3Dy"),
            vec![("a".into(), "1".into()), ("b".into(), "".into()), ("c".into(), "x=y".into())]
        );
    }

    #[test]
    fn totals_read_as_exact_lower_bound_or_estimate() {
        assert_eq!(format_total(0, true), "0 tickets");
        assert_eq!(format_total(1, true), "1 ticket");
        assert_eq!(format_total(1000, true), "1,000 tickets");
        assert_eq!(format_total(1000, false), "1,000+ tickets");
        assert_eq!(format_total(250_000, false), "≈ 250,000 tickets");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(page_count(0, true, 25), Some(1));
        assert_eq!(page_count(51, true, 25), Some(3));
        assert_eq!(page_count(5000, false, 25), None);
    }

    #[test]
    fn ages_are_short() {
        let now = DateTime::parse_from_rfc3339("2026-05-10T12:00:00Z").unwrap().with_timezone(&Utc);
        let ago = |s: i64| format_age(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(-5), "just now");
        assert_eq!(ago(59), "just now");
        assert_eq!(ago(60), "1 min");
        assert_eq!(ago(7200), "2 h");
        assert_eq!(ago(3 * 86_400), "3 d");
        assert_eq!(ago(65 * 86_400), "2 mo");
        assert_eq!(ago(800 * 86_400), "2 y");
        assert_eq!(format_time(now), "2026-05-10 12:00 UTC");
    }

    #[test]
    fn badges_and_messages_have_classes() {
        assert_eq!(status_badge_class(Status::Pending), "badge status-pending");
        assert_eq!(priority_badge_class(Priority::Urgent), "badge priority-urgent");
        assert_eq!(message_class("assistant"), "msg msg-assistant");
        assert_eq!(message_class("whatever"), "msg msg-system");
        assert_eq!(
            source_label(&serde_json::json!({"source": "open_ticket_tool"})),
            "Bot (open_ticket tool)"
        );
        assert_eq!(source_label(&serde_json::json!({})), "unknown");
        assert!(session_valid(200_000.0, 100_000.0));
        assert!(!session_valid(130_000.0, 100_000.0));
    }

    #[test]
    fn tool_messages_are_summed_up() {
        let content = r#"{"tool":"open_ticket","tool_call_id":"toolu_1","input":{"subject":"Refund","priority":"high"},"result":{"reference":"ACME-9","message":"ok"}}"#;
        let s = tool_call_summary(content).unwrap();
        assert_eq!(s.headline, "open_ticket \u{2192} ACME-9");
        assert_eq!(s.subject.as_deref(), Some("Refund"));
        assert_eq!(s.priority.as_deref(), Some("high"));
        assert!(s.pretty.contains("\"tool_call_id\": \"toolu_1\""));
        let bare = tool_call_summary(r#"{"tool":"lookup"}"#).unwrap();
        assert_eq!((bare.headline.as_str(), bare.subject, bare.priority), ("lookup", None, None));
        assert_eq!(tool_call_summary("plain text"), None);
        assert_eq!(tool_call_summary(r#"{"no":"tool"}"#), None);
    }

    #[test]
    fn neighbours_in_the_last_list() {
        let list: Vec<String> = ["ACME-3", "ACME-9", "ACME-1"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(neighbour(&list, "ACME-9", 1).as_deref(), Some("ACME-1"));
        assert_eq!(neighbour(&list, "ACME-9", -1).as_deref(), Some("ACME-3"));
        assert_eq!(neighbour(&list, "ACME-3", -1), None);
        assert_eq!(neighbour(&list, "ACME-1", 1), None);
        assert_eq!(neighbour(&list, "ACME-7", 1), None);
        assert_eq!(neighbour(&[], "ACME-7", 1), None);
    }
}
