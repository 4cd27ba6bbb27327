//! SLA targets: the policy document and its validation, business-hours arithmetic in an
//! IANA time zone, and the state of a ticket's two clocks.
//!
//! The wire document ([`SlaPolicyDoc`]) and the state function compile everywhere (the admin
//! app uses them); the validated policy and the due-time arithmetic need the time-zone
//! database and are built for the server only.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::ticket::{Priority, Status};

/// The largest target: a year of minutes.
pub const MINUTES_MAX: u32 = 525_600;
/// `sla=due_soon`: a running clock due within this many minutes.
pub const DUE_SOON_MINUTES: i64 = 60;

string_enum!(
    /// Where one SLA clock stands (`null` when the ticket has no due time).
    SlaState {
        /// The clock runs and the due time has not passed.
        Running = "running",
        /// Answered (first reply) or resolved at or before the due time.
        Met = "met",
        /// The due time passed before it was met (it stays breached once met late).
        Breached = "breached",
        /// Resolved or closed before the target was met or breached.
        Paused = "paused",
    }
);

string_enum!(
    /// The two clocks of a ticket.
    SlaClock {
        FirstResponse = "first_response",
        Resolution = "resolution",
    }
);

/// The state of one clock at `now`.
///
/// - `met_at`: when the target was met (the first reply; the resolution);
/// - `stopped_at`: when the ticket was resolved or closed, if it is now.
///
/// A due time passes at its instant: at `now == due` the clock still runs.
pub fn clock_state(
    due: Option<DateTime<Utc>>,
    met_at: Option<DateTime<Utc>>,
    stopped_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<SlaState> {
    let due = due?;
    Some(match (met_at, stopped_at) {
        (Some(met), _) if met <= due => SlaState::Met,
        (Some(_), _) => SlaState::Breached,
        (None, Some(stopped)) if stopped <= due => SlaState::Paused,
        (None, Some(_)) => SlaState::Breached,
        (None, None) if now > due => SlaState::Breached,
        (None, None) => SlaState::Running,
    })
}

/// What the SLA states of a ticket are computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaFacts {
    pub status: Status,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the ticket was last resolved or closed (null while open or pending).
    pub stopped_at: Option<DateTime<Utc>>,
}

impl SlaFacts {
    fn stopped(&self) -> Option<DateTime<Utc>> {
        if self.running() {
            None
        } else {
            // A ticket resolved or closed before this bookkeeping existed has no stop time:
            // its resolution (if any) is the best one.
            self.stopped_at.or(self.resolved_at)
        }
    }

    /// Whether the ticket's clocks can run (open or pending: `pending` does not pause).
    pub fn running(&self) -> bool {
        matches!(self.status, Status::Open | Status::Pending)
    }

    pub fn first_response(&self, now: DateTime<Utc>) -> Option<SlaState> {
        clock_state(self.first_response_due_at, self.first_responded_at, self.stopped(), now)
    }

    pub fn resolution(&self, now: DateTime<Utc>) -> Option<SlaState> {
        let resolved = if self.running() { None } else { self.resolved_at };
        clock_state(self.resolution_due_at, resolved, self.stopped(), now)
    }

    /// The due times of the clocks that run now: first response while unanswered, and
    /// resolution, while the ticket is open or pending.
    pub fn running_clocks(&self) -> Vec<(SlaClock, DateTime<Utc>)> {
        if !self.running() {
            return Vec::new();
        }
        let mut clocks = Vec::new();
        if let (Some(due), None) = (self.first_response_due_at, self.first_responded_at) {
            clocks.push((SlaClock::FirstResponse, due));
        }
        if let Some(due) = self.resolution_due_at {
            clocks.push((SlaClock::Resolution, due));
        }
        clocks
    }

    /// The earliest running due time (what `sort=due` and the `sla` filters use), null when
    /// no clock runs.
    pub fn next_due_at(&self) -> Option<DateTime<Utc>> {
        self.running_clocks().into_iter().map(|(_, due)| due).min()
    }

    /// The later due time when both clocks run (`sla=due_soon` looks at every running
    /// clock), null otherwise.
    pub fn later_due_at(&self) -> Option<DateTime<Utc>> {
        let clocks = self.running_clocks();
        if clocks.len() < 2 { None } else { clocks.into_iter().map(|(_, due)| due).max() }
    }
}

/// The wire form of a policy (`GET/PUT /sla-policy`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyDoc {
    pub targets: TargetsDoc,
    /// Null: calendar time (every minute counts).
    #[serde(default)]
    pub business_hours: Option<BusinessHoursDoc>,
}

/// Targets per priority.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetsDoc {
    pub urgent: TargetDoc,
    pub high: TargetDoc,
    pub normal: TargetDoc,
    pub low: TargetDoc,
}

/// Minutes to first response and to resolution, each 1–525,600.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525600, example = 60))]
    pub first_response_minutes: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 525600, example = 240))]
    pub resolution_minutes: u32,
}

/// A weekly schedule in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursDoc {
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Berlin"))]
    pub timezone: String,
    pub week: WeekDoc,
}

/// Business intervals per weekday, `[["09:00", "17:30"]]`; a missing day has none.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WeekDoc {
    #[serde(default)]
    pub mon: Vec<[String; 2]>,
    #[serde(default)]
    pub tue: Vec<[String; 2]>,
    #[serde(default)]
    pub wed: Vec<[String; 2]>,
    #[serde(default)]
    pub thu: Vec<[String; 2]>,
    #[serde(default)]
    pub fri: Vec<[String; 2]>,
    #[serde(default)]
    pub sat: Vec<[String; 2]>,
    #[serde(default)]
    pub sun: Vec<[String; 2]>,
}

pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WeekDoc {
    /// Monday first.
    pub fn days(&self) -> [&Vec<[String; 2]>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    pub fn days_mut(&mut self) -> [&mut Vec<[String; 2]>; 7] {
        [
            &mut self.mon,
            &mut self.tue,
            &mut self.wed,
            &mut self.thu,
            &mut self.fri,
            &mut self.sat,
            &mut self.sun,
        ]
    }
}

impl TargetsDoc {
    pub fn get(&self, priority: Priority) -> TargetDoc {
        match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => self.normal,
            Priority::Low => self.low,
        }
    }
}

impl Default for SlaPolicyDoc {
    /// The defaults, as first-response/resolution minutes: urgent 60/240, high 240/1,440,
    /// normal 480/2,880, low 1,440/7,200; calendar time (no business hours).
    fn default() -> Self {
        let t = |first_response_minutes, resolution_minutes| TargetDoc {
            first_response_minutes,
            resolution_minutes,
        };
        SlaPolicyDoc {
            targets: TargetsDoc {
                urgent: t(60, 240),
                high: t(240, 1_440),
                normal: t(480, 2_880),
                low: t(1_440, 7_200),
            },
            business_hours: None,
        }
    }
}

/// `"HH:MM"` → minutes since midnight; `"24:00"` only where `end_of_day` is allowed.
pub fn parse_hhmm(raw: &str, end_of_day: bool) -> Result<u16, String> {
    let bad =
        || format!("`{raw}` is not a time of day: expected \"HH:MM\" from 00:00 to 23:59 (24:00 as an end)");
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !h.chars().chain(m.chars()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && (m != 0 || !end_of_day)) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(not(target_arch = "wasm32"))]
pub use calendar::*;

#[cfg(not(target_arch = "wasm32"))]
mod calendar {
    use chrono::{
        DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    };
    use chrono_tz::Tz;

    use super::{DAY_NAMES, MINUTES_MAX, SlaPolicyDoc, TargetDoc, parse_hhmm};
    use crate::ticket::Priority;
    use crate::validation::{FieldErrors, ValidationError};

    /// How far [`add_business_minutes`] looks ahead before giving up (it never does for a
    /// validated calendar, whose targets are reachable within a year of business time).
    const SEARCH_DAYS: i64 = 2 * 366 + 14;

    /// A validated weekly schedule: per weekday (Monday first), sorted disjoint
    /// `[start, end)` minute intervals of local time.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct BusinessHours {
        pub timezone: Tz,
        pub week: [Vec<(u16, u16)>; 7],
    }

    impl BusinessHours {
        /// Business minutes in a week (ignoring DST shifts).
        pub fn weekly_minutes(&self) -> u32 {
            self.week.iter().flatten().map(|(s, e)| u32::from(e - s)).sum()
        }
    }

    /// A validated SLA policy. The default is `SlaPolicyDoc::default()`'s: first response /
    /// resolution within 1 h / 4 h for urgent, 4 h / 1 day for high, 8 h / 2 days for normal
    /// and 1 day / 5 days for low tickets, in calendar time.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct SlaPolicy {
        pub doc: SlaPolicyDoc,
        pub business_hours: Option<BusinessHours>,
    }

    impl SlaPolicy {
        /// Validates a document, naming every failing field
        /// (`targets.urgent.first_response_minutes`, `business_hours.timezone`,
        /// `business_hours.week.mon.0`, `business_hours.week`).
        pub fn parse(doc: SlaPolicyDoc) -> Result<Self, ValidationError> {
            let mut errors = FieldErrors::new();
            let business_hours = doc.business_hours.as_ref().and_then(|bh| {
                let timezone = errors.check(
                    "business_hours.timezone",
                    bh.timezone.trim().parse::<Tz>().map_err(|_| {
                        format!("`{}` is not an IANA time zone (e.g. \"Europe/Berlin\")", bh.timezone)
                    }),
                );
                let mut week: [Vec<(u16, u16)>; 7] = Default::default();
                let mut ok = true;
                for (day, intervals) in bh.week.days().into_iter().enumerate() {
                    for (i, [start, end]) in intervals.iter().enumerate() {
                        let field = format!("business_hours.week.{}.{i}", DAY_NAMES[day]);
                        let parsed = parse_hhmm(start, false).and_then(|s| {
                            let e = parse_hhmm(end, true)?;
                            if s < e {
                                Ok((s, e))
                            } else {
                                Err(format!("the start {start} must be before the end {end}"))
                            }
                        });
                        match errors.check(&field, parsed) {
                            Some(interval) => week[day].push(interval),
                            None => ok = false,
                        }
                    }
                    week[day].sort_unstable();
                    if let Some(pair) = week[day].windows(2).find(|w| w[1].0 < w[0].1) {
                        errors.add(
                            format!("business_hours.week.{}", DAY_NAMES[day]),
                            format!("intervals overlap ({} and {})", hhmm(pair[0]), hhmm(pair[1])),
                        );
                        ok = false;
                    }
                }
                let hours = BusinessHours { timezone: timezone?, week };
                if ok && hours.weekly_minutes() == 0 {
                    errors.add("business_hours.week", "the week has no business minutes");
                    return None;
                }
                ok.then_some(hours)
            });
            for priority in Priority::ALL.iter().rev() {
                let TargetDoc { first_response_minutes, resolution_minutes } = doc.targets.get(*priority);
                for (name, minutes) in [
                    ("first_response_minutes", first_response_minutes),
                    ("resolution_minutes", resolution_minutes),
                ] {
                    let field = format!("targets.{priority}.{name}");
                    if !(1..=MINUTES_MAX).contains(&minutes) {
                        errors
                            .add(field, format!("must be a whole number of minutes from 1 to {MINUTES_MAX}"));
                    } else if let Some(hours) = &business_hours {
                        // A year of business time: 365 days of the weekly schedule.
                        let year = u64::from(hours.weekly_minutes()) * 365 / 7;
                        if u64::from(minutes) > year {
                            errors.add(
                                field,
                                format!(
                                    "{minutes} business minutes cannot be reached within a year of these business hours ({year})"
                                ),
                            );
                        }
                    }
                }
            }
            errors.into_result(|| SlaPolicy { doc, business_hours })
        }

        /// The first-response and resolution due times of a ticket of `priority` whose
        /// clocks start at `start`.
        pub fn first_response_due(&self, priority: Priority, start: DateTime<Utc>) -> DateTime<Utc> {
            add_business_minutes(
                start,
                self.doc.targets.get(priority).first_response_minutes,
                self.business_hours.as_ref(),
            )
        }

        pub fn resolution_due(&self, priority: Priority, start: DateTime<Utc>) -> DateTime<Utc> {
            add_business_minutes(
                start,
                self.doc.targets.get(priority).resolution_minutes,
                self.business_hours.as_ref(),
            )
        }
    }

    fn hhmm((s, e): (u16, u16)) -> String {
        format!("{:02}:{:02}–{:02}:{:02}", s / 60, s % 60, e / 60, e % 60)
    }

    /// `start` plus `minutes` of business time: calendar time without a schedule; with one,
    /// only the instants inside the local intervals count. Local boundaries are mapped to
    /// instants of the zone: one that falls in a DST gap becomes the end of the gap, one that
    /// occurs twice is the first occurrence for a start and the second for an end (an
    /// interval spans the real time its wall-clock times enclose). Always ends: after two
    /// years of looking (never reached for a validated schedule) it answers calendar time.
    pub fn add_business_minutes(
        start: DateTime<Utc>,
        minutes: u32,
        hours: Option<&BusinessHours>,
    ) -> DateTime<Utc> {
        let mut remaining = Duration::minutes(i64::from(minutes));
        let Some(hours) = hours else {
            return start + remaining;
        };
        if minutes == 0 {
            return start;
        }
        let first_day = start.with_timezone(&hours.timezone).date_naive() - Duration::days(1);
        for offset in 0..SEARCH_DAYS {
            let day = first_day + Duration::days(offset);
            let weekday = day.weekday().num_days_from_monday() as usize;
            for &(s, e) in &hours.week[weekday] {
                let (from, to) = (
                    local_instant(hours.timezone, day, s, true),
                    local_instant(hours.timezone, day, e, false),
                );
                if to <= start || to <= from {
                    continue;
                }
                let from = from.max(start);
                let span = to - from;
                if span >= remaining {
                    return from + remaining;
                }
                remaining -= span;
            }
        }
        start + Duration::minutes(i64::from(minutes))
    }

    /// The instant of `minute` (0..=1440) of local `day` in `tz`.
    fn local_instant(tz: Tz, day: NaiveDate, minute: u16, earliest: bool) -> DateTime<Utc> {
        let base = NaiveDateTime::new(day, NaiveTime::MIN);
        let mut local = base + Duration::minutes(i64::from(minute));
        // A gap is at most a few hours; walk to its end, minute by minute.
        for _ in 0..(26 * 60) {
            match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, b) => {
                    let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                    return if earliest { a.min(b) } else { a.max(b) };
                }
                LocalResult::None => local += Duration::minutes(1),
            }
        }
        Utc.from_utc_datetime(&(base + Duration::minutes(i64::from(minute))))
    }
}

impl fmt::Debug for SlaStates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{first_response: {:?}, resolution: {:?}}}", self.first_response, self.resolution)
    }
}

/// `sla` on a ticket: each clock's state, null without a due time.
#[derive(Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaStates {
    pub first_response: Option<SlaState>,
    pub resolution: Option<SlaState>,
}

impl SlaStates {
    pub fn of(facts: &SlaFacts, now: DateTime<Utc>) -> Self {
        SlaStates { first_response: facts.first_response(now), resolution: facts.resolution(now) }
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::Europe::Berlin;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Berlin.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap().with_timezone(&Utc)
    }

    fn iv(a: &str, b: &str) -> [String; 2] {
        [a.to_owned(), b.to_owned()]
    }

    fn weekdays(intervals: Vec<[String; 2]>) -> WeekDoc {
        WeekDoc {
            mon: intervals.clone(),
            tue: intervals.clone(),
            wed: intervals.clone(),
            thu: intervals.clone(),
            fri: intervals,
            sat: vec![],
            sun: vec![],
        }
    }

    fn hours(week: WeekDoc, tz: &str) -> BusinessHours {
        let doc = SlaPolicyDoc {
            business_hours: Some(BusinessHoursDoc { timezone: tz.into(), week }),
            ..SlaPolicyDoc::default()
        };
        SlaPolicy::parse(doc).unwrap().business_hours.unwrap()
    }

    #[test]
    fn business_minutes_table() {
        let nine_to_five = hours(weekdays(vec![iv("09:00", "17:00")]), "Europe/Berlin");
        let split = hours(weekdays(vec![iv("13:00", "17:30"), iv("08:00", "12:00")]), "Europe/Berlin");
        let nights =
            hours(WeekDoc { sun: vec![iv("01:00", "04:00")], ..WeekDoc::default() }, "Europe/Berlin");
        type Case<'a> = (&'a str, DateTime<Utc>, u32, Option<&'a BusinessHours>, DateTime<Utc>);
        let cases: Vec<Case<'_>> = vec![
            ("calendar time", utc("2026-03-27T16:00:00Z"), 4 * 60, None, utc("2026-03-27T20:00:00Z")),
            (
                "calendar time across the DST switch",
                utc("2026-03-28T23:30:00Z"),
                60,
                None,
                utc("2026-03-29T00:30:00Z"),
            ),
            ("inside the day", berlin(2026, 3, 2, 10, 0), 60, Some(&nine_to_five), berlin(2026, 3, 2, 11, 0)),
            ("before opening", berlin(2026, 3, 2, 7, 12), 30, Some(&nine_to_five), berlin(2026, 3, 2, 9, 30)),
            (
                "exactly to closing",
                berlin(2026, 3, 2, 16, 0),
                60,
                Some(&nine_to_five),
                berlin(2026, 3, 2, 17, 0),
            ),
            (
                "Friday evening rolls to Monday",
                berlin(2026, 3, 6, 16, 0),
                120,
                Some(&nine_to_five),
                berlin(2026, 3, 9, 10, 0),
            ),
            (
                "Saturday start waits for Monday",
                berlin(2026, 3, 7, 12, 0),
                60,
                Some(&nine_to_five),
                berlin(2026, 3, 9, 10, 0),
            ),
            // Friday 27 March 2026 16:00 CET; Monday 30 March is CEST (the switch is on Sunday 29th).
            (
                "across the March switch",
                berlin(2026, 3, 27, 16, 0),
                120,
                Some(&nine_to_five),
                berlin(2026, 3, 30, 10, 0),
            ),
            (
                "across the October switch",
                berlin(2026, 10, 23, 16, 30),
                8 * 60,
                Some(&nine_to_five),
                berlin(2026, 10, 26, 16, 30),
            ),
            (
                "a whole week of 9-to-5",
                berlin(2026, 3, 2, 9, 0),
                5 * 8 * 60,
                Some(&nine_to_five),
                berlin(2026, 3, 6, 17, 0),
            ),
            (
                "split day: the lunch break does not count",
                berlin(2026, 3, 2, 11, 30),
                60,
                Some(&split),
                berlin(2026, 3, 2, 13, 30),
            ),
            (
                "split day: intervals given out of order",
                berlin(2026, 3, 2, 7, 0),
                4 * 60 + 10,
                Some(&split),
                berlin(2026, 3, 2, 13, 10),
            ),
            // Sunday 29 March 2026: 02:00–03:00 does not exist, so 01:00–04:00 holds 2 hours.
            (
                "an interval over the spring gap",
                berlin(2026, 3, 28, 12, 0),
                150,
                Some(&nights),
                berlin(2026, 4, 5, 1, 30),
            ),
            // Sunday 25 October 2026: 02:00–03:00 happens twice, so 01:00–04:00 holds 4 hours.
            (
                "an interval over the repeated autumn hour",
                berlin(2026, 10, 24, 12, 0),
                210,
                Some(&nights),
                utc("2026-10-25T02:30:00Z"),
            ),
        ];
        for (name, start, minutes, hours, expected) in cases {
            assert_eq!(add_business_minutes(start, minutes, hours), expected, "{name}");
        }
    }

    #[test]
    fn the_longest_reachable_target_ends_within_a_year() {
        // 2,400 minutes a week: a year of them is 125,142 minutes.
        let nine_to_five = hours(weekdays(vec![iv("09:00", "17:00")]), "America/New_York");
        let mut doc = SlaPolicyDoc {
            business_hours: Some(BusinessHoursDoc {
                timezone: "America/New_York".into(),
                week: weekdays(vec![iv("09:00", "17:00")]),
            }),
            ..SlaPolicyDoc::default()
        };
        doc.targets.low.resolution_minutes = 125_142;
        assert!(SlaPolicy::parse(doc.clone()).is_ok());
        doc.targets.low.resolution_minutes = 125_143;
        assert!(SlaPolicy::parse(doc).is_err());
        let start = utc("2026-01-01T00:00:00Z");
        let due = add_business_minutes(start, 125_142, Some(&nine_to_five));
        assert!(
            due > start + chrono::Duration::days(360) && due < start + chrono::Duration::days(367),
            "{due}"
        );
        // Every minute of the week, around the clock, in a zone with DST: a year is a year.
        let always = hours(
            WeekDoc {
                mon: vec![iv("00:00", "24:00")],
                tue: vec![iv("00:00", "24:00")],
                wed: vec![iv("00:00", "24:00")],
                thu: vec![iv("00:00", "24:00")],
                fri: vec![iv("00:00", "24:00")],
                sat: vec![iv("00:00", "24:00")],
                sun: vec![iv("00:00", "24:00")],
            },
            "America/New_York",
        );
        assert_eq!(
            add_business_minutes(start, MINUTES_MAX, Some(&always)),
            start + chrono::Duration::days(365)
        );
    }

    #[test]
    fn policy_validation_names_fields() {
        let mut doc = SlaPolicyDoc::default();
        doc.targets.urgent.first_response_minutes = 0;
        doc.targets.low.resolution_minutes = MINUTES_MAX + 1;
        doc.business_hours = Some(BusinessHoursDoc {
            timezone: "Mars/Olympus".into(),
            week: WeekDoc {
                mon: vec![iv("09:00", "12:00"), iv("11:00", "13:00")],
                tue: vec![iv("17:00", "09:00")],
                wed: vec![iv("9:00", "10:00")],
                thu: vec![iv("24:00", "24:00")],
                ..WeekDoc::default()
            },
        });
        let err = SlaPolicy::parse(doc).unwrap_err();
        let fields: Vec<&str> = err.0.0.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "business_hours.timezone",
                "business_hours.week.mon",
                "business_hours.week.thu.0",
                "business_hours.week.tue.0",
                "business_hours.week.wed.0",
                "targets.low.resolution_minutes",
                "targets.urgent.first_response_minutes",
            ]
        );
    }

    #[test]
    fn empty_weeks_and_unreachable_targets_are_refused() {
        let doc = SlaPolicyDoc {
            business_hours: Some(BusinessHoursDoc {
                timezone: "Europe/Berlin".into(),
                week: WeekDoc::default(),
            }),
            ..SlaPolicyDoc::default()
        };
        let err = SlaPolicy::parse(doc).unwrap_err();
        assert_eq!(err.0.0.keys().collect::<Vec<_>>(), ["business_hours.week"]);

        // One hour a week: 3,128 minutes a year, less than low's 7,200.
        let mut doc = SlaPolicyDoc {
            business_hours: Some(BusinessHoursDoc {
                timezone: "Europe/Berlin".into(),
                week: WeekDoc { mon: vec![iv("09:00", "10:00")], ..WeekDoc::default() },
            }),
            ..SlaPolicyDoc::default()
        };
        let err = SlaPolicy::parse(doc.clone()).unwrap_err();
        assert!(err.0.0.contains_key("targets.low.resolution_minutes"), "{err}");
        assert!(!err.0.0.contains_key("targets.urgent.first_response_minutes"), "{err}");
        doc.targets.low.resolution_minutes = 52 * 60;
        doc.targets.low.first_response_minutes = 60;
        doc.targets.normal = TargetDoc { first_response_minutes: 60, resolution_minutes: 60 };
        doc.targets.high = TargetDoc { first_response_minutes: 60, resolution_minutes: 60 };
        assert!(SlaPolicy::parse(doc).is_ok());
    }

    #[test]
    fn defaults_are_the_spec_s() {
        let policy = SlaPolicy::parse(SlaPolicyDoc::default()).unwrap();
        let start = utc("2026-05-01T10:00:00Z");
        assert_eq!(policy.first_response_due(Priority::Urgent, start), utc("2026-05-01T11:00:00Z"));
        assert_eq!(policy.resolution_due(Priority::Urgent, start), utc("2026-05-01T14:00:00Z"));
        assert_eq!(policy.first_response_due(Priority::High, start), utc("2026-05-01T14:00:00Z"));
        assert_eq!(policy.resolution_due(Priority::High, start), utc("2026-05-02T10:00:00Z"));
        assert_eq!(policy.first_response_due(Priority::Normal, start), utc("2026-05-01T18:00:00Z"));
        assert_eq!(policy.resolution_due(Priority::Normal, start), utc("2026-05-03T10:00:00Z"));
        assert_eq!(policy.first_response_due(Priority::Low, start), utc("2026-05-02T10:00:00Z"));
        assert_eq!(policy.resolution_due(Priority::Low, start), utc("2026-05-06T10:00:00Z"));
    }

    #[test]
    fn hhmm_parsing() {
        assert_eq!(parse_hhmm("09:30", false), Ok(570));
        assert_eq!(parse_hhmm("24:00", true), Ok(1440));
        assert!(parse_hhmm("24:00", false).is_err());
        assert!(parse_hhmm("24:01", true).is_err());
        assert!(parse_hhmm("12:60", false).is_err());
        assert!(parse_hhmm("1200", false).is_err());
    }

    #[test]
    fn clock_states() {
        let due = utc("2026-05-01T12:00:00Z");
        let before = utc("2026-05-01T11:00:00Z");
        let after = utc("2026-05-01T13:00:00Z");
        assert_eq!(clock_state(None, None, None, after), None);
        assert_eq!(clock_state(Some(due), None, None, before), Some(SlaState::Running));
        assert_eq!(
            clock_state(Some(due), None, None, due),
            Some(SlaState::Running),
            "a due time passes after its instant"
        );
        assert_eq!(clock_state(Some(due), None, None, after), Some(SlaState::Breached));
        assert_eq!(
            clock_state(Some(due), Some(due), None, after),
            Some(SlaState::Met),
            "at the due time is in time"
        );
        assert_eq!(
            clock_state(Some(due), Some(after), None, after),
            Some(SlaState::Breached),
            "met late stays breached"
        );
        assert_eq!(clock_state(Some(due), None, Some(before), after), Some(SlaState::Paused));
        assert_eq!(clock_state(Some(due), None, Some(after), after), Some(SlaState::Breached));
    }

    #[test]
    fn ticket_states_and_running_clocks() {
        let fr = utc("2026-05-01T12:00:00Z");
        let res = utc("2026-05-02T12:00:00Z");
        let mut facts = SlaFacts {
            status: Status::Pending,
            first_response_due_at: Some(fr),
            first_responded_at: None,
            resolution_due_at: Some(res),
            resolved_at: None,
            stopped_at: None,
        };
        let now = utc("2026-05-01T13:00:00Z");
        assert_eq!(
            SlaStates::of(&facts, now),
            SlaStates { first_response: Some(SlaState::Breached), resolution: Some(SlaState::Running) },
            "pending does not pause"
        );
        assert_eq!(facts.next_due_at(), Some(fr));
        assert_eq!(facts.later_due_at(), Some(res));
        facts.first_responded_at = Some(utc("2026-05-01T11:00:00Z"));
        assert_eq!(facts.next_due_at(), Some(res));
        assert_eq!(facts.later_due_at(), None);
        // Resolved in time, then closed: met stays met.
        facts.status = Status::Closed;
        facts.resolved_at = Some(utc("2026-05-02T11:00:00Z"));
        facts.stopped_at = facts.resolved_at;
        let later = utc("2026-06-01T00:00:00Z");
        assert_eq!(
            SlaStates::of(&facts, later),
            SlaStates { first_response: Some(SlaState::Met), resolution: Some(SlaState::Met) }
        );
        assert_eq!(facts.next_due_at(), None);
        // Closed straight from open before anything was due: both paused.
        facts.first_responded_at = None;
        facts.resolved_at = None;
        facts.stopped_at = Some(utc("2026-05-01T10:00:00Z"));
        assert_eq!(
            SlaStates::of(&facts, later),
            SlaStates { first_response: Some(SlaState::Paused), resolution: Some(SlaState::Paused) }
        );
        // Resolved late without a reply: both breached.
        facts.status = Status::Resolved;
        facts.resolved_at = Some(utc("2026-05-03T00:00:00Z"));
        facts.stopped_at = facts.resolved_at;
        assert_eq!(
            SlaStates::of(&facts, later),
            SlaStates { first_response: Some(SlaState::Breached), resolution: Some(SlaState::Breached) }
        );
    }
}
