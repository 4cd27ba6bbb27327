//! Bulk loading for benchmarks (`ticketd seed-bulk`): many realistic tickets — mixed
//! statuses, priorities and assignees, subjects and bodies with varied words, some linked
//! to a conversation with its transcript — written in large multi-row inserts, one
//! transaction per chunk, with ticket numbers reserved from the workspace counter so the
//! server may keep running meanwhile.

use chrono::{DateTime, Duration, Utc};
use domain::WorkspaceId;
use domain::agent::Vertical;
use domain::conversation::MessageRole;
use domain::ticket::{EventKind, Priority, Source, Status};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::{NoContext, Timestamp, Uuid};

use crate::entity::{agent, conversation, membership, message, ticket, ticket_event, workspace};
use crate::{Store, StoreError};

/// Rows per INSERT statement: under both databases' bound-parameter limits for the widest
/// table (25 columns: 25,000 parameters), and large enough that per-statement overhead vanishes.
const ROWS_PER_INSERT: usize = 1_000;
/// Tickets per transaction (and per progress report).
const TICKETS_PER_CHUNK: u64 = 10_000;
/// Every tenth linked conversation has a transcript this long; the first one always does.
pub const LONG_TRANSCRIPT: usize = 50;

/// What to load.
#[derive(Debug, Clone, Copy)]
pub struct BulkPlan {
    pub tickets: u64,
    /// Conversations, each linked to one of the tickets (spread evenly among them) and
    /// given a transcript; at most `tickets`.
    pub conversations: u64,
    /// Seeds the generator: the same plan and seed give the same words and choices.
    pub seed: u64,
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    pub tickets: u64,
    pub conversations: u64,
    pub messages: u64,
    pub events: u64,
    /// The first loaded ticket linked to a conversation: its transcript has
    /// [`LONG_TRANSCRIPT`] messages (benchmarks fetch it).
    pub long_transcript_ticket: Option<String>,
}

impl Store {
    /// Loads `plan` into the workspace with ticket prefix `prefix`, calling `progress` with
    /// the number of tickets written so far after each chunk. Assignees are the
    /// workspace's members; conversations belong to its first agent (a "Bulk Bot" is
    /// created when it has none).
    pub async fn seed_bulk(
        &self,
        prefix: &str,
        plan: BulkPlan,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<BulkReport, StoreError> {
        let ws = self.workspace_by_prefix(prefix).await?;
        let members: Vec<Uuid> = membership::Entity::find()
            .filter(membership::Column::WorkspaceId.eq(ws.id.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        let agent_id = self.bulk_agent(ws.id).await?;
        let conversations = plan.conversations.min(plan.tickets);
        // Ticket i (0-based) is linked when i is a multiple of `link_every`.
        let link_every = plan.tickets.checked_div(conversations).unwrap_or(u64::MAX);

        let mut rng = StdRng::seed_from_u64(plan.seed);
        let now = domain::time::now();
        // Tickets span the past year, oldest first, up to an hour ago.
        let span = Duration::days(365);
        let start = now - span - Duration::hours(1);
        let step_ms = (span.num_milliseconds() as f64 / plan.tickets.max(1) as f64).max(1.0);

        let mut report = BulkReport::default();
        let mut linked_so_far = 0u64;
        let mut done = 0u64;
        while done < plan.tickets {
            let n = TICKETS_PER_CHUNK.min(plan.tickets - done);
            let tx = self.write_tx().await?;
            if self.backend == crate::Backend::Postgres {
                // Trigram (GIN) index entries queue in a larger pending list and are merged in
                // bulk; a seed can afford to lose its last chunk on a crash.
                tx.execute_unprepared(
                    "SET LOCAL gin_pending_list_limit = '64MB'; SET LOCAL synchronous_commit = off",
                )
                .await?;
            }
            let first_number = reserve_numbers(&tx, ws.id, n).await?;
            let mut tickets = Vec::with_capacity(n as usize);
            let mut events = Vec::with_capacity(n as usize * 2);
            let mut convs = Vec::new();
            let mut messages = Vec::new();
            for k in 0..n {
                let i = done + k;
                let created_at = start + Duration::milliseconds((i as f64 * step_ms) as i64);
                let number = first_number + k as i64;
                let conversation = if i.is_multiple_of(link_every) && linked_so_far < conversations {
                    let long = linked_so_far.is_multiple_of(10);
                    linked_so_far += 1;
                    let (c, ms) = gen_conversation(&mut rng, ws.id, agent_id, created_at, long);
                    report.messages += ms.len() as u64;
                    let id = c.id.clone().unwrap();
                    convs.push(c);
                    messages.extend(ms);
                    if report.long_transcript_ticket.is_none() {
                        report.long_transcript_ticket = Some(format!("{}-{number}", ws.ticket_prefix));
                    }
                    Some(id)
                } else {
                    None
                };
                let (t, evs) = gen_ticket(
                    &mut rng,
                    TicketSeed {
                        ws: ws.id,
                        prefix: &ws.ticket_prefix,
                        number,
                        created_at,
                        now,
                        members: &members,
                        agent_id: conversation.map(|_| agent_id),
                        conversation_id: conversation,
                    },
                );
                tickets.push(t);
                events.extend(evs);
            }
            // Conversations before the tickets that reference them.
            for rows in chunks(convs) {
                conversation::Entity::insert_many(rows).exec_without_returning(&tx).await?;
            }
            for rows in chunks(messages) {
                message::Entity::insert_many(rows).exec_without_returning(&tx).await?;
            }
            for rows in chunks(tickets) {
                ticket::Entity::insert_many(rows).exec_without_returning(&tx).await?;
            }
            report.events += events.len() as u64;
            for rows in chunks(events) {
                ticket_event::Entity::insert_many(rows).exec_without_returning(&tx).await?;
            }
            tx.commit().await?;
            done += n;
            progress(done);
        }
        report.tickets = done;
        report.conversations = linked_so_far;
        if self.backend == crate::Backend::Postgres {
            // Fresh statistics, so the planner sees the new distribution at once, and a
            // visibility map, so list pages can skip rows by index alone (index-only scans).
            self.db
                .execute_unprepared("VACUUM (ANALYZE) tickets, ticket_events, conversations, messages")
                .await?;
        } else {
            self.db.execute_unprepared("ANALYZE").await?;
        }
        Ok(report)
    }

    /// The workspace's first live agent, or a new "Bulk Bot".
    async fn bulk_agent(&self, ws: WorkspaceId) -> Result<Uuid, StoreError> {
        let existing = agent::Entity::find()
            .filter(agent::Column::WorkspaceId.eq(ws.0))
            .filter(agent::Column::DeletedAt.is_null())
            .order_by_asc(agent::Column::CreatedAt)
            .one(&self.db)
            .await?;
        if let Some(a) = existing {
            return Ok(a.id);
        }
        let now = domain::time::now();
        let model = agent::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            name: Set("Bulk Bot".into()),
            vertical: Set(Vertical::HelpCenter.as_str().into()),
            vertical_overrides: Set(serde_json::json!({})),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
        };
        Ok(agent::Entity::insert(model).exec_with_returning(&self.db).await?.id)
    }
}

/// Takes `n` numbers from the workspace counter; returns the first.
async fn reserve_numbers<C: ConnectionTrait>(db: &C, ws: WorkspaceId, n: u64) -> Result<i64, StoreError> {
    use sea_orm::sea_query::ExprTrait;
    let bump = Query::update()
        .table(workspace::Entity)
        .value(workspace::Column::TicketCounter, Expr::col(workspace::Column::TicketCounter).add(n as i64))
        .and_where(workspace::Column::Id.eq(ws.0))
        .returning(Query::returning().columns([workspace::Column::TicketCounter]))
        .to_owned();
    let row = db.query_one(&bump).await?.ok_or(StoreError::NotFound)?;
    let last: i64 = row.try_get("", "ticket_counter")?;
    Ok(last - n as i64 + 1)
}

fn chunks<T>(rows: Vec<T>) -> impl Iterator<Item = Vec<T>> {
    let mut rows = rows.into_iter().peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(rows.by_ref().take(ROWS_PER_INSERT).collect())
    })
}

/// A v7 id whose time part is `at`, as if the row had been made then.
fn id_at(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let ts = Timestamp::from_unix(NoContext, at.timestamp() as u64, at.timestamp_subsec_nanos());
    let mut bytes = *Uuid::new_v7(ts).as_bytes();
    // `new_v7` draws its random part from the OS; take it from the seeded generator
    // instead (keeping the version and variant bits).
    let random: [u8; 10] = rng.r#gen();
    bytes[6] = (bytes[6] & 0xf0) | (random[0] & 0x0f);
    bytes[7] = random[1];
    bytes[8] = (bytes[8] & 0xc0) | (random[2] & 0x3f);
    bytes[9..16].copy_from_slice(&random[3..10]);
    Uuid::from_bytes(bytes)
}

struct TicketSeed<'a> {
    ws: WorkspaceId,
    prefix: &'a str,
    number: i64,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    members: &'a [Uuid],
    agent_id: Option<Uuid>,
    conversation_id: Option<Uuid>,
}

fn gen_ticket(rng: &mut StdRng, s: TicketSeed<'_>) -> (ticket::ActiveModel, Vec<ticket_event::ActiveModel>) {
    let status = *weighted(
        rng,
        &[(Status::Open, 25), (Status::Pending, 15), (Status::Resolved, 20), (Status::Closed, 40)],
    );
    let priority = *weighted(
        rng,
        &[(Priority::Low, 20), (Priority::Normal, 55), (Priority::High, 20), (Priority::Urgent, 5)],
    );
    // Pending means someone is on it; open tickets are mostly unassigned.
    let assignee = match (status, s.members.choose(rng)) {
        (Status::Pending, Some(m)) => Some(*m),
        (Status::Open, Some(m)) if rng.gen_bool(0.2) => Some(*m),
        (Status::Resolved | Status::Closed, Some(m)) if rng.gen_bool(0.8) => Some(*m),
        _ => None,
    };
    let source = match s.conversation_id {
        Some(_) => *[Source::OpenTicketTool, Source::Cta, Source::HumanEscalation]
            .choose(rng)
            .unwrap_or(&Source::Cta),
        None => Source::Api,
    };
    let updated_at = (s.created_at + Duration::minutes(rng.gen_range(0..72 * 60))).min(s.now);
    let resolved_at = matches!(status, Status::Resolved | Status::Closed).then_some(updated_at);
    let notes = rng.gen_bool(0.1).then(|| sentence(rng, NOTES));
    let id = id_at(rng, s.created_at);
    let model = ticket::ActiveModel {
        id: Set(id),
        workspace_id: Set(s.ws.0),
        number: Set(s.number),
        reference: Set(format!("{}-{}", s.prefix, s.number)),
        agent_id: Set(s.agent_id),
        conversation_id: Set(s.conversation_id),
        subject: Set(subject(rng)),
        body: Set(body(rng)),
        status: Set(status.as_str().to_owned()),
        priority: Set(priority.rank()),
        assigned_to_user_id: Set(assignee),
        notes: Set(notes),
        metadata: Set(serde_json::json!({ "source": source.as_str() })),
        resolved_at: Set(resolved_at),
        created_at: Set(s.created_at),
        updated_at: Set(updated_at),
        first_response_due_at: Set(None),
        resolution_due_at: Set(None),
        sla_stopped_at: Set(None),
        sla_next_due_at: Set(None),
        sla_later_due_at: Set(None),
        sla_alarm_at: Set(None),
        first_response_breach_due_at: Set(None),
        resolution_breach_due_at: Set(None),
        // Derived from the number, not drawn: the same seed gives the same tickets as before.
        requester_name: Set(None),
        requester_email: Set(Some(format!("customer{}@example.com", s.number))),
        first_responded_at: Set(None),
    };
    let model = with_sla(model, priority, status, s.created_at, updated_at, s.now);
    let event =
        |rng: &mut StdRng, kind: EventKind, from: Option<&str>, to: &str, at| ticket_event::ActiveModel {
            id: Set(id_at(rng, at)),
            workspace_id: Set(s.ws.0),
            ticket_id: Set(id),
            kind: Set(kind.as_str().to_owned()),
            from_value: Set(from.map(str::to_owned)),
            to_value: Set(Some(to.to_owned())),
            actor_user_id: Set(None),
            actor_token_id: Set(None),
            created_at: Set(at),
        };
    let mut events = vec![event(rng, EventKind::Created, None, Status::Open.as_str(), s.created_at)];
    if status != Status::Open {
        events.push(event(rng, EventKind::StatusChanged, Some("open"), status.as_str(), updated_at));
    }
    (model, events)
}

/// The SLA columns under the default policy, as the server would have kept them: clocks
/// stopped at the resolution, and every breach before `now` already announced (so a breach
/// pass over fresh benchmark data has nothing to catch up on).
fn with_sla(
    mut model: ticket::ActiveModel,
    priority: Priority,
    status: Status,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ticket::ActiveModel {
    let policy = domain::sla::SlaPolicy::default();
    let first_response = policy.first_response_due(priority, created_at);
    let resolution = policy.resolution_due(priority, created_at);
    model.first_response_due_at = Set(Some(first_response));
    model.resolution_due_at = Set(Some(resolution));
    if matches!(status, Status::Open | Status::Pending) {
        model.sla_next_due_at = Set(Some(first_response.min(resolution)));
        model.sla_later_due_at = Set(Some(first_response.max(resolution)));
        model.first_response_breach_due_at = Set((first_response < now).then_some(first_response));
        model.resolution_breach_due_at = Set((resolution < now).then_some(resolution));
        model.sla_alarm_at = Set([first_response, resolution].into_iter().filter(|due| *due >= now).min());
    } else {
        model.sla_stopped_at = Set(Some(updated_at));
    }
    model
}

fn gen_conversation(
    rng: &mut StdRng,
    ws: WorkspaceId,
    agent_id: Uuid,
    ticket_at: DateTime<Utc>,
    long: bool,
) -> (conversation::ActiveModel, Vec<message::ActiveModel>) {
    let count = if long { LONG_TRANSCRIPT } else { rng.gen_range(4..=14) };
    let started_at = ticket_at - Duration::seconds(20 * count as i64 + 30);
    let id = id_at(rng, started_at);
    let first = *FIRST_NAMES.choose(rng).unwrap_or(&"Alex");
    let last = *LAST_NAMES.choose(rng).unwrap_or(&"Smith");
    let mut at = started_at;
    let messages = (0..count)
        .map(|i| {
            at += Duration::seconds(rng.gen_range(5..35));
            let (role, content) = if i % 2 == 0 {
                (MessageRole::Visitor, format!("{} {}", sentence(rng, VISITOR_LINES), sentence(rng, DETAILS)))
            } else {
                (MessageRole::Assistant, sentence(rng, BOT_LINES))
            };
            message::ActiveModel {
                id: Set(id_at(rng, at)),
                workspace_id: Set(ws.0),
                conversation_id: Set(id),
                role: Set(role.as_str().to_owned()),
                content: Set(content),
                created_at: Set(at),
            }
        })
        .collect();
    let model = conversation::ActiveModel {
        id: Set(id),
        workspace_id: Set(ws.0),
        agent_id: Set(agent_id),
        visitor_name: Set(Some(format!("{first} {last}"))),
        visitor_email: Set(Some(format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            rng.gen_range(1..999)
        ))),
        started_at: Set(started_at),
        last_activity_at: Set(at.max(ticket_at)),
        has_ticket: Set(true),
    };
    (model, messages)
}

fn weighted<'a, T>(rng: &mut StdRng, choices: &'a [(T, u32)]) -> &'a T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (value, weight) in choices {
        if pick < *weight {
            return value;
        }
        pick -= weight;
    }
    &choices[choices.len() - 1].0
}

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words.choose(rng).copied().unwrap_or("")
}

/// A template with `{topic}`, `{product}`, `{platform}`, `{when}`, `{n}` filled in.
fn sentence(rng: &mut StdRng, templates: &[&str]) -> String {
    let mut out = pick(rng, templates).to_owned();
    for (slot, words) in
        [("{topic}", TOPICS), ("{product}", PRODUCTS), ("{platform}", PLATFORMS), ("{when}", WHEN)]
    {
        while let Some(at) = out.find(slot) {
            out.replace_range(at..at + slot.len(), pick(rng, words));
        }
    }
    while let Some(at) = out.find("{n}") {
        out.replace_range(at..at + 3, &rng.gen_range(10_000..999_999).to_string());
    }
    out
}

fn subject(rng: &mut StdRng) -> String {
    sentence(rng, SUBJECTS)
}

fn body(rng: &mut StdRng) -> String {
    let mut out = format!("{} ", pick(rng, GREETINGS));
    for _ in 0..rng.gen_range(2..=4) {
        out.push_str(&sentence(rng, DETAILS));
        out.push(' ');
    }
    out.push_str(pick(rng, SIGN_OFFS));
    out
}

const SUBJECTS: &[&str] = &[
    "Refund for order #{n}",
    "Cannot log in after {topic}",
    "Question about {topic}",
    "Problem with {topic} on {platform}",
    "{product}: {topic} not working",
    "Wrong amount on invoice {n}",
    "Delivery of order {n} is late",
    "How do I change my {topic}?",
    "{product} crashes on {platform}",
    "Duplicate charge for {product}",
    "Request to cancel {product} subscription",
    "Missing items in order #{n}",
    "Error {n} when using {topic}",
    "Feature request: {topic} in {product}",
    "Slow {product} since {when}",
    "Need help with {topic}",
    "Account locked after {topic}",
    "{topic} email never arrived",
    "Upgrade {product} plan",
    "Data export from {product}",
];

const TOPICS: &[&str] = &[
    "password reset",
    "two-factor code",
    "billing address",
    "credit card",
    "discount code",
    "shipping address",
    "tracking number",
    "API key",
    "webhook",
    "calendar sync",
    "single sign-on",
    "team invite",
    "trial extension",
    "receipt",
    "data import",
    "notifications",
    "mobile login",
    "invoice download",
    "account deletion",
    "language settings",
    "time zone",
    "CSV export",
    "gift card",
    "loyalty points",
    "return label",
];

const PRODUCTS: &[&str] = &[
    "Acme Cloud",
    "Acme Mobile",
    "Acme Desk",
    "Acme Pay",
    "Acme Analytics",
    "Acme Store",
    "Acme Sync",
    "Acme Mail",
];

const PLATFORMS: &[&str] = &["iOS", "Android", "Windows", "macOS", "Chrome", "Firefox", "Safari", "Linux"];

const WHEN: &[&str] =
    &["yesterday", "last week", "this morning", "the last update", "Monday", "two days ago", "March"];

const GREETINGS: &[&str] = &["Hello,", "Hi there,", "Good morning,", "Dear support,", "Hey team,", "Hi,"];

const SIGN_OFFS: &[&str] =
    &["Thanks!", "Best regards.", "Thank you in advance.", "Cheers.", "Please advise.", "Kind regards."];

const DETAILS: &[&str] = &[
    "I tried the {topic} again {when} and it still fails on {platform}.",
    "My order number is {n}.",
    "The {product} app shows error {n} every time.",
    "I was charged twice for {product} {when}.",
    "Support told me {when} that it would be fixed.",
    "Could you check my {topic}, please?",
    "It worked fine until {when}.",
    "I already reinstalled {product} on {platform}.",
    "Our whole team is blocked by the {topic} problem.",
    "The confirmation email for {topic} never arrived.",
    "I would like a refund if this cannot be solved.",
    "Screenshots are attached to my previous message.",
    "The tracking page says the parcel left the warehouse {when}.",
    "My colleague sees the same with {product} on {platform}.",
];

const NOTES: &[&str] = &[
    "Customer called again {when}; escalated to billing.",
    "Waiting for engineering on error {n}.",
    "Refund approved, ref {n}.",
    "Known issue with {product} on {platform}; linked to incident {n}.",
    "Asked for screenshots of the {topic} screen.",
];

const VISITOR_LINES: &[&str] = &[
    "Hi, I have a problem with my {topic}.",
    "It says error {n}.",
    "I am on {platform}.",
    "Yes, I tried that already.",
    "Can I talk to a person?",
    "It started {when}.",
    "My order is {n}.",
    "Still not working.",
];

const BOT_LINES: &[&str] = &[
    "I'm sorry to hear that. Could you tell me which device you are using?",
    "Thanks! Have you tried signing out and in again?",
    "Let me look that up for you.",
    "I can open a ticket so a colleague follows up by email.",
    "Our help article on {topic} may help: it covers the usual causes.",
    "Understood. Which version of {product} do you have?",
];

const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aiko", "Lukas", "Fatima", "Noah", "Sofia", "Mateo", "Chloe", "Ivan", "Priya", "Omar",
];

const LAST_NAMES: &[&str] = &[
    "Garcia", "Smith", "Tanaka", "Müller", "Haddad", "Johnson", "Rossi", "Silva", "Dubois", "Petrov",
    "Patel", "Nguyen",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_fill_every_slot() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let s = format!("{} {} {}", subject(&mut rng), body(&mut rng), sentence(&mut rng, NOTES));
            assert!(!s.contains('{') && !s.contains('}'), "unfilled slot in {s}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_words() {
        let a: Vec<String> = (0..5)
            .map({
                let mut rng = StdRng::seed_from_u64(42);
                move |_| subject(&mut rng)
            })
            .collect();
        let b: Vec<String> = (0..5)
            .map({
                let mut rng = StdRng::seed_from_u64(42);
                move |_| subject(&mut rng)
            })
            .collect();
        assert_eq!(a, b);
        assert!(a.iter().collect::<std::collections::HashSet<_>>().len() > 1, "subjects vary: {a:?}");
    }

    #[test]
    fn ids_carry_their_time_and_are_valid_v7() {
        let mut rng = StdRng::seed_from_u64(1);
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        let id = id_at(&mut rng, at);
        assert_eq!(id.get_version_num(), 7);
        let (secs, _) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(secs, at.timestamp() as u64);
        assert_ne!(id, id_at(&mut rng, at));
    }

    #[test]
    fn weights_are_respected() {
        let mut rng = StdRng::seed_from_u64(3);
        let choices = [(0, 25), (1, 75)];
        let ones = (0..10_000).filter(|_| *weighted(&mut rng, &choices) == 1).count();
        assert!((7_000..8_000).contains(&ones), "{ones}");
    }

    #[test]
    fn chunks_split_without_losing_rows() {
        let sizes: Vec<usize> = chunks((0..2_500).collect::<Vec<_>>()).map(|c| c.len()).collect();
        assert_eq!(sizes, vec![1_000, 1_000, 500]);
        assert_eq!(chunks(Vec::<u8>::new()).count(), 0);
    }
}
