//! SLA display logic, free of the DOM: which clock a ticket shows and how its due time reads
//! ("due in 2 h", "breached 35 min ago"), and the settings form's week editor text.

use api_types::{DAY_NAMES, SlaState, Status, Ticket, WeekDoc};
use chrono::{DateTime, Utc};

/// How a badge looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaTone {
    /// Due later than the next hour.
    Running,
    /// Due within the hour.
    DueSoon,
    Breached,
    Met,
    Paused,
}

impl SlaTone {
    pub fn class(self) -> &'static str {
        match self {
            SlaTone::Running => "sla sla-running",
            SlaTone::DueSoon => "sla sla-due-soon",
            SlaTone::Breached => "sla sla-breached",
            SlaTone::Met => "sla sla-met",
            SlaTone::Paused => "sla sla-paused",
        }
    }
}

/// What a badge says about one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaBadgeText {
    pub tone: SlaTone,
    pub text: String,
}

/// A span of time for people: "45 s", "35 min", "2 h", "3 d" (rounded down).
pub fn format_span(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => "under 1 min".into(),
        60..3600 => format!("{} min", secs / 60),
        3600..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// One clock's badge at `now`: a running clock reads "due in …" (due soon within the hour),
/// or "breached … ago" once its due time has passed; a stopped one reads its state.
pub fn clock_badge(
    state: Option<SlaState>,
    due: Option<DateTime<Utc>>,
    running: bool,
    now: DateTime<Utc>,
) -> Option<SlaBadgeText> {
    let state = state?;
    let due = due?;
    if running {
        let secs = (due - now).num_seconds();
        return Some(if due < now {
            SlaBadgeText { tone: SlaTone::Breached, text: format!("breached {} ago", format_span(-secs)) }
        } else if secs <= api_types::DUE_SOON_MINUTES * 60 {
            SlaBadgeText { tone: SlaTone::DueSoon, text: format!("due in {}", format_span(secs)) }
        } else {
            SlaBadgeText { tone: SlaTone::Running, text: format!("due in {}", format_span(secs)) }
        });
    }
    Some(match state {
        SlaState::Met => SlaBadgeText { tone: SlaTone::Met, text: "met".into() },
        SlaState::Breached => SlaBadgeText { tone: SlaTone::Breached, text: "breached".into() },
        SlaState::Paused => SlaBadgeText { tone: SlaTone::Paused, text: "paused".into() },
        SlaState::Running => SlaBadgeText { tone: SlaTone::Running, text: "running".into() },
    })
}

fn open(t: &Ticket) -> bool {
    matches!(t.status, Status::Open | Status::Pending)
}

/// Whether the first-response clock runs: open or pending and not answered yet.
pub fn first_response_running(t: &Ticket, first_responded_at: Option<DateTime<Utc>>) -> bool {
    open(t) && first_responded_at.is_none() && t.first_response_due_at.is_some()
}

/// The first-response and resolution badges of a ticket.
pub fn ticket_badges(
    t: &Ticket,
    first_responded_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Option<SlaBadgeText>, Option<SlaBadgeText>) {
    (
        clock_badge(
            t.sla.first_response,
            t.first_response_due_at,
            first_response_running(t, first_responded_at),
            now,
        ),
        clock_badge(t.sla.resolution, t.resolution_due_at, open(t), now),
    )
}

/// The one badge a list row shows: the earliest running clock ("first response due in 20
/// min"), or, with none running, the resolution's outcome.
pub fn row_badge(
    t: &Ticket,
    first_responded_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<(&'static str, SlaBadgeText)> {
    let mut running: Vec<(&'static str, DateTime<Utc>)> = Vec::new();
    if first_response_running(t, first_responded_at)
        && let Some(due) = t.first_response_due_at
    {
        running.push(("First response", due));
    }
    if open(t)
        && let Some(due) = t.resolution_due_at
    {
        running.push(("Resolution", due));
    }
    let (fr, res) = ticket_badges(t, first_responded_at, now);
    match running.into_iter().min_by_key(|(_, due)| *due) {
        Some(("First response", _)) => fr.map(|b| ("First response", b)),
        Some(_) => res.map(|b| ("Resolution", b)),
        None => res.map(|b| ("Resolution", b)),
    }
}

/// A day's intervals as the settings form edits them: `09:00-12:00, 13:00-17:30`.
pub fn day_text(intervals: &[[String; 2]]) -> String {
    intervals.iter().map(|[a, b]| format!("{a}-{b}")).collect::<Vec<_>>().join(", ")
}

/// The form's text back to intervals; the server checks the times themselves (and names
/// `business_hours.week.<day>.<n>`). A piece without a `-` is kept whole as a start, so the
/// server reports it.
pub fn parse_day_text(text: &str) -> Vec<[String; 2]> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|piece| match piece.split_once('-') {
            Some((a, b)) => [a.trim().to_owned(), b.trim().to_owned()],
            None => [piece.to_owned(), String::new()],
        })
        .collect()
}

/// The week as seven texts, Monday first.
pub fn week_texts(week: &WeekDoc) -> [String; 7] {
    week.days().map(|d| day_text(d))
}

pub fn week_from_texts(texts: &[String; 7]) -> WeekDoc {
    let mut week = WeekDoc::default();
    for (day, text) in week.days_mut().into_iter().zip(texts) {
        *day = parse_day_text(text);
    }
    week
}

pub fn day_label(i: usize) -> &'static str {
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        .get(i)
        .copied()
        .unwrap_or(DAY_NAMES[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::{Priority, SlaStates};
    use chrono::Duration;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ticket(
        status: Status,
        fr: Option<SlaState>,
        res: Option<SlaState>,
        fr_due: &str,
        res_due: &str,
    ) -> Ticket {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-000000000001",
            "number": 1,
            "reference": "ACME-1",
            "workspace_id": "0190a1b2-0000-7000-8000-000000000002",
            "agent_id": null,
            "conversation_id": null,
            "subject": "s",
            "body": "b",
            "status": status,
            "priority": Priority::Normal,
            "assigned_to_user_id": null,
            "notes": null,
            "metadata": {},
            "resolved_at": null,
            "created_at": "2026-05-01T08:00:00Z",
            "updated_at": "2026-05-01T08:00:00Z",
            "first_response_due_at": fr_due,
            "resolution_due_at": res_due,
            "sla": SlaStates { first_response: fr, resolution: res },
        }))
        .unwrap()
    }

    #[test]
    fn spans_read_like_people_say_them() {
        assert_eq!(format_span(30), "under 1 min");
        assert_eq!(format_span(35 * 60 + 59), "35 min");
        assert_eq!(format_span(2 * 3600 + 10), "2 h");
        assert_eq!(format_span(47 * 3600), "47 h");
        assert_eq!(format_span(3 * 86_400 + 5), "3 d");
    }

    #[test]
    fn running_clocks_count_down_then_up() {
        let now = at("2026-05-01T10:00:00Z");
        let due = |d: Duration| Some(now + d);
        let b = clock_badge(Some(SlaState::Running), due(Duration::hours(2)), true, now).unwrap();
        assert_eq!(b, SlaBadgeText { tone: SlaTone::Running, text: "due in 2 h".into() });
        let b = clock_badge(Some(SlaState::Running), due(Duration::minutes(60)), true, now).unwrap();
        assert_eq!(b, SlaBadgeText { tone: SlaTone::DueSoon, text: "due in 1 h".into() });
        let b = clock_badge(Some(SlaState::Breached), due(-Duration::minutes(35)), true, now).unwrap();
        assert_eq!(b, SlaBadgeText { tone: SlaTone::Breached, text: "breached 35 min ago".into() });
        // Read a moment ago as running, now past due: the clock decides, not the stale state.
        let b = clock_badge(Some(SlaState::Running), due(-Duration::minutes(1)), true, now).unwrap();
        assert_eq!(b.tone, SlaTone::Breached);
        // Stopped clocks say their outcome; no due time, no badge.
        assert_eq!(
            clock_badge(Some(SlaState::Met), due(Duration::hours(1)), false, now).unwrap().text,
            "met"
        );
        assert_eq!(
            clock_badge(Some(SlaState::Paused), due(Duration::hours(1)), false, now).unwrap().tone,
            SlaTone::Paused
        );
        assert_eq!(clock_badge(None, None, true, now), None);
    }

    #[test]
    fn a_row_shows_its_earliest_running_clock() {
        let now = at("2026-05-01T10:00:00Z");
        let t = ticket(
            Status::Open,
            Some(SlaState::Running),
            Some(SlaState::Running),
            "2026-05-01T10:20:00Z",
            "2026-05-03T08:00:00Z",
        );
        let (label, badge) = row_badge(&t, None, now).unwrap();
        assert_eq!(
            (label, badge.text.as_str(), badge.tone),
            ("First response", "due in 20 min", SlaTone::DueSoon)
        );
        // Answered: the resolution clock.
        let (label, badge) = row_badge(&t, Some(now), now).unwrap();
        assert_eq!((label, badge.text.as_str()), ("Resolution", "due in 46 h"));
        // Resolved: its outcome.
        let t = ticket(
            Status::Resolved,
            Some(SlaState::Paused),
            Some(SlaState::Met),
            "2026-05-01T10:20:00Z",
            "2026-05-03T08:00:00Z",
        );
        let (label, badge) = row_badge(&t, None, now).unwrap();
        assert_eq!((label, badge.text.as_str(), badge.tone), ("Resolution", "met", SlaTone::Met));
        let (fr, _) = ticket_badges(&t, None, now);
        assert_eq!(fr.unwrap().text, "paused");
    }

    #[test]
    fn week_texts_round_trip() {
        let week = WeekDoc {
            mon: vec![["09:00".into(), "12:00".into()], ["13:00".into(), "17:30".into()]],
            sat: vec![["10:00".into(), "14:00".into()]],
            ..WeekDoc::default()
        };
        let texts = week_texts(&week);
        assert_eq!(texts[0], "09:00-12:00, 13:00-17:30");
        assert_eq!(texts[1], "");
        assert_eq!(week_from_texts(&texts), week);
        assert_eq!(
            parse_day_text(" 9-5 , ,x "),
            vec![["9".to_owned(), "5".to_owned()], ["x".to_owned(), String::new()]]
        );
    }
}
