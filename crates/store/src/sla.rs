//! SLA targets: the workspace's policy, each ticket's due times and clock bookkeeping, and
//! the breach pass that announces every due time that passes, once.
//!
//! Every write that can change a ticket's clocks ends in [`sla_columns`] (creation, a
//! PATCH, and — through [`Store::sla_sync`] — any other path that changes the status or
//! stamps the first response), which keeps `sla_next_due_at` (the lists' key) and
//! `sla_alarm_at` (the breach pass's key) in step with the due times.

use chrono::{DateTime, Duration, Utc};
use domain::list::{Cursor, Paging, SlaFilter, Sort, TicketListQuery};
use domain::notification::EventType;
use domain::sla::{DUE_SOON_MINUTES, SlaClock, SlaFacts, SlaPolicy, SlaPolicyDoc, SlaStates};
use domain::ticket::{Change, EventKind, Priority, Status};
use domain::{TicketId, WorkspaceId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entity::{sla_policy, ticket, ticket_event};
use crate::{Actor, Backend, Store, StoreError, Ticket, TicketPage};

/// Tickets per transaction of the breach pass.
const BREACH_BATCH: u64 = 200;

/// The SLA columns of a ticket row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SlaColumns {
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub later_due_at: Option<DateTime<Utc>>,
    pub alarm_at: Option<DateTime<Utc>>,
}

impl SlaColumns {
    pub(crate) fn set(self, active: &mut ticket::ActiveModel) {
        active.first_response_due_at = Set(self.first_response_due_at);
        active.resolution_due_at = Set(self.resolution_due_at);
        active.sla_stopped_at = Set(self.stopped_at);
        active.sla_next_due_at = Set(self.next_due_at);
        active.sla_later_due_at = Set(self.later_due_at);
        active.sla_alarm_at = Set(self.alarm_at);
    }
}

/// When the first response was given (stamped by the first reply).
pub(crate) fn first_responded_at(m: &ticket::Model) -> Option<DateTime<Utc>> {
    m.first_responded_at
}

pub(crate) fn facts(m: &ticket::Model, status: Status) -> SlaFacts {
    SlaFacts {
        status,
        first_response_due_at: m.first_response_due_at,
        first_responded_at: first_responded_at(m),
        resolution_due_at: m.resolution_due_at,
        resolved_at: m.resolved_at,
        stopped_at: m.sla_stopped_at,
    }
}

/// The SLA states of a row at `now`.
pub(crate) fn states(m: &ticket::Model, status: Status, now: DateTime<Utc>) -> SlaStates {
    SlaStates::of(&facts(m, status), now)
}

/// The earliest due time of a running clock whose breach has not been announced.
fn alarm_at(m: &ticket::Model, facts: &SlaFacts) -> Option<DateTime<Utc>> {
    facts
        .running_clocks()
        .into_iter()
        .filter(|(clock, due)| breach_marker(m, *clock) != Some(*due))
        .map(|(_, due)| due)
        .min()
}

fn breach_marker(m: &ticket::Model, clock: SlaClock) -> Option<DateTime<Utc>> {
    match clock {
        SlaClock::FirstResponse => m.first_response_breach_due_at,
        SlaClock::Resolution => m.resolution_breach_due_at,
    }
}

/// What changed in a write, for [`sla_columns`].
#[derive(Debug, Clone, Copy)]
pub struct SlaBefore {
    pub status: Status,
    pub priority: Priority,
}

/// The SLA columns of `after` (the row as written, with its new status, priority, first
/// response and resolution), given what it was `before`:
/// - a priority change recomputes both due times from `created_at`;
/// - resolving or closing stops the clocks (`sla_stopped_at`); reopening (back to open or
///   pending) starts them again with a new resolution due time counted from `now`.
///
/// `policy` is needed only when [`needs_policy`] says so. Tickets without due times (created
/// before SLA targets existed) keep none.
pub(crate) fn sla_columns(
    before: SlaBefore,
    after: &ticket::Model,
    after_status: Status,
    after_priority: Priority,
    policy: Option<&SlaPolicy>,
    now: DateTime<Utc>,
) -> SlaColumns {
    let mut m = after.clone();
    let was_running = matches!(before.status, Status::Open | Status::Pending);
    let running = matches!(after_status, Status::Open | Status::Pending);
    if (m.first_response_due_at.is_some() || m.resolution_due_at.is_some())
        && let Some(policy) = policy
    {
        if before.priority != after_priority {
            m.first_response_due_at = Some(policy.first_response_due(after_priority, m.created_at));
            m.resolution_due_at = Some(policy.resolution_due(after_priority, m.created_at));
        }
        if running && !was_running {
            m.resolution_due_at = Some(policy.resolution_due(after_priority, now));
        }
    }
    if running {
        m.sla_stopped_at = None;
    } else if was_running || m.sla_stopped_at.is_none() {
        m.sla_stopped_at = Some(now);
    }
    let facts = facts(&m, after_status);
    SlaColumns {
        first_response_due_at: m.first_response_due_at,
        resolution_due_at: m.resolution_due_at,
        stopped_at: m.sla_stopped_at,
        next_due_at: facts.next_due_at(),
        later_due_at: facts.later_due_at(),
        alarm_at: alarm_at(&m, &facts),
    }
}

/// Whether [`sla_columns`] needs the policy for this change.
pub(crate) fn needs_policy(
    before: SlaBefore,
    after: &ticket::Model,
    status: Status,
    priority: Priority,
) -> bool {
    let has_due = after.first_response_due_at.is_some() || after.resolution_due_at.is_some();
    let reopened = !matches!(before.status, Status::Open | Status::Pending)
        && matches!(status, Status::Open | Status::Pending);
    has_due && (before.priority != priority || reopened)
}

/// The columns of a new ticket of `priority` created at `now` with `status` (open or pending).
pub(crate) fn new_ticket_columns(policy: &SlaPolicy, priority: Priority, now: DateTime<Utc>) -> SlaColumns {
    let first_response_due_at = policy.first_response_due(priority, now);
    let resolution_due_at = policy.resolution_due(priority, now);
    let next = first_response_due_at.min(resolution_due_at);
    SlaColumns {
        first_response_due_at: Some(first_response_due_at),
        resolution_due_at: Some(resolution_due_at),
        stopped_at: None,
        next_due_at: Some(next),
        later_due_at: Some(first_response_due_at.max(resolution_due_at)),
        alarm_at: Some(next),
    }
}

fn parse_status(m: &ticket::Model) -> Result<Status, StoreError> {
    m.status.parse().map_err(|e: String| StoreError::CorruptRow(format!("status: {e}")))
}

fn parse_priority(m: &ticket::Model) -> Result<Priority, StoreError> {
    Priority::from_rank(m.priority)
        .ok_or_else(|| StoreError::CorruptRow(format!("priority rank {}", m.priority)))
}

impl Store {
    /// The workspace's SLA policy (`SlaPolicy::default()` until an admin sets one).
    pub async fn sla_policy(&self, ws: WorkspaceId) -> Result<SlaPolicy, StoreError> {
        self.sla_policy_in(&self.db, ws).await
    }

    pub(crate) async fn sla_policy_in<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
    ) -> Result<SlaPolicy, StoreError> {
        let Some(row) = sla_policy::Entity::find_by_id(ws.0).one(db).await? else {
            return Ok(SlaPolicy::default());
        };
        let doc: SlaPolicyDoc = serde_json::from_value(row.policy)
            .map_err(|e| StoreError::CorruptRow(format!("SLA policy: {e}")))?;
        SlaPolicy::parse(doc).map_err(|e| StoreError::CorruptRow(format!("SLA policy: {e}")))
    }

    /// Replaces the workspace's SLA policy. It applies to tickets created or recomputed
    /// (priority change, reopening) from now on.
    pub async fn put_sla_policy(&self, ws: WorkspaceId, policy: &SlaPolicy) -> Result<SlaPolicy, StoreError> {
        let doc = serde_json::to_value(&policy.doc)
            .map_err(|e| StoreError::Encoding(format!("the SLA policy: {e}")))?;
        let tx = self.write_tx().await?;
        let model = sla_policy::ActiveModel {
            workspace_id: Set(ws.0),
            policy: Set(doc),
            updated_at: Set(domain::time::now()),
        };
        sla_policy::Entity::insert(model)
            .on_conflict(
                OnConflict::column(sla_policy::Column::WorkspaceId)
                    .update_columns([sla_policy::Column::Policy, sla_policy::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(&tx)
            .await?;
        tx.commit().await?;
        Ok(policy.clone())
    }

    /// Brings a ticket's SLA columns up to date after a write made outside
    /// [`Store::update_ticket`] (a reply stamping `first_responded_at`, a customer's comment
    /// reopening the ticket), in the caller's transaction. `before` is the status and
    /// priority the ticket had before that write; `now` is the write's time (a reopening
    /// counts the new resolution due time from it).
    pub async fn sla_sync<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        ticket_id: TicketId,
        before: SlaBefore,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let m = ticket::Entity::find_by_id(ticket_id.0)
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (status, priority) = (parse_status(&m)?, parse_priority(&m)?);
        let policy = if needs_policy(before, &m, status, priority) {
            Some(self.sla_policy_in(db, ws).await?)
        } else {
            None
        };
        let columns = sla_columns(before, &m, status, priority, policy.as_ref(), now);
        let current = SlaColumns {
            first_response_due_at: m.first_response_due_at,
            resolution_due_at: m.resolution_due_at,
            stopped_at: m.sla_stopped_at,
            next_due_at: m.sla_next_due_at,
            later_due_at: m.sla_later_due_at,
            alarm_at: m.sla_alarm_at,
        };
        if columns != current {
            let mut active: ticket::ActiveModel = m.into();
            columns.set(&mut active);
            ticket::Entity::update(active).exec(db).await?;
        }
        Ok(())
    }

    /// One breach pass as of `as_of`: every running clock whose due time is before `as_of`
    /// and not yet announced gets its `ticket.sla_breached` event (webhooks, live stream)
    /// and an `sla_breached` activity entry, once per due time. Safe with several
    /// instances: batches are claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite
    /// has one writer), and each announcement is recorded in the same transaction.
    /// Returns the number of breaches announced.
    pub async fn sla_check(&self, as_of: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut announced = 0;
        loop {
            let tx = self.write_tx().await?;
            let mut select = ticket::Entity::find()
                .filter(ticket::Column::SlaAlarmAt.is_not_null())
                .filter(ticket::Column::SlaAlarmAt.lt(as_of))
                .order_by_asc(ticket::Column::SlaAlarmAt)
                .limit(BREACH_BATCH);
            if self.backend == Backend::Postgres {
                select = select.lock_with_behavior(
                    sea_orm::sea_query::LockType::Update,
                    sea_orm::sea_query::LockBehavior::SkipLocked,
                );
            }
            let rows = select.all(&tx).await?;
            let claimed = rows.len() as u64;
            let mut events = Vec::new();
            for m in rows {
                let status = parse_status(&m)?;
                let facts = facts(&m, status);
                let ws = WorkspaceId(m.workspace_id);
                let mut row = m.clone();
                let mut breached = Vec::new();
                for (clock, due) in facts.running_clocks() {
                    if due < as_of && breach_marker(&m, clock) != Some(due) {
                        match clock {
                            SlaClock::FirstResponse => row.first_response_breach_due_at = Some(due),
                            SlaClock::Resolution => row.resolution_breach_due_at = Some(due),
                        }
                        breached.push((clock, due));
                    }
                }
                let alarm = alarm_at(&row, &facts);
                // Conditional on the alarm read: a concurrent change to the ticket (which
                // recomputes it) wins, and the next pass sees the new state.
                let mut update = ticket::Entity::update_many()
                    .col_expr(ticket::Column::SlaAlarmAt, alarm.into())
                    .col_expr(
                        ticket::Column::FirstResponseBreachDueAt,
                        row.first_response_breach_due_at.into(),
                    )
                    .col_expr(ticket::Column::ResolutionBreachDueAt, row.resolution_breach_due_at.into())
                    .filter(ticket::Column::Id.eq(m.id));
                update = match m.sla_alarm_at {
                    Some(at) => update.filter(ticket::Column::SlaAlarmAt.eq(at)),
                    None => update.filter(ticket::Column::SlaAlarmAt.is_null()),
                };
                if update.exec(&tx).await?.rows_affected == 0 {
                    continue;
                }
                let mut ticket: Ticket = m.clone().try_into()?;
                ticket.sla = states(&m, status, as_of);
                for (clock, due) in breached {
                    let change =
                        Change { kind: EventKind::SlaBreached, from: None, to: Some(clock.as_str().into()) };
                    ticket_event::Entity::insert(crate::tickets::event_model(
                        ws,
                        ticket.id,
                        &change,
                        Actor::System,
                        due,
                    ))
                    .exec_without_returning(&tx)
                    .await?;
                    let data =
                        serde_json::json!({ "ticket": ticket, "clock": clock.as_str(), "due_at": due });
                    events.push(self.emit(&tx, ws, EventType::TicketSlaBreached, data).await?);
                    announced += 1;
                }
            }
            tx.commit().await?;
            self.publish(events);
            if claimed < BREACH_BATCH {
                return Ok(announced);
            }
        }
    }
}

/// `sla=breached`: a running clock past its due time (the earliest running due time is);
/// `sla=due_soon`: a running clock due in (now, now + 60 min] (the earliest or, when both
/// clocks run, the later). Only open and pending tickets have running clocks.
///
/// `walk` (SQLite): the due-time comparison is written `+sla_next_due_at < ?`, which SQLite
/// cannot serve from an index, so that it walks the list's sort index instead.
pub(crate) fn list_condition(filter: SlaFilter, now: DateTime<Utc>, walk: bool) -> Condition {
    use ticket::Column as C;
    match filter {
        SlaFilter::Breached if walk => Condition::all()
            .add(C::SlaNextDueAt.is_not_null())
            .add(Expr::cust_with_values("+sla_next_due_at < ?", [now])),
        SlaFilter::Breached => {
            Condition::all().add(C::SlaNextDueAt.is_not_null()).add(C::SlaNextDueAt.lt(now))
        }
        SlaFilter::DueSoon => {
            let soon = now + Duration::minutes(DUE_SOON_MINUTES);
            Condition::any()
                .add(Condition::all().add(C::SlaNextDueAt.gt(now)).add(C::SlaNextDueAt.lte(soon)))
                .add(Condition::all().add(C::SlaLaterDueAt.gt(now)).add(C::SlaLaterDueAt.lte(soon)))
        }
    }
}

impl Store {
    /// `sort=due`: tickets with a running clock by their earliest due time (then id), then —
    /// unless an `sla` filter keeps them out anyway — the others, newest first. Each part
    /// walks its own partial index (`tickets_sla_due`, `tickets_sla_idle`); a cursor says
    /// which part it stopped in. A numbered page past the running part counts that part.
    pub(crate) async fn list_by_due(
        &self,
        query: &TicketListQuery,
        filter: Condition,
    ) -> Result<TicketPage, StoreError> {
        use ticket::Column as C;
        let per_page = query.per_page();
        let want = per_page + 1;
        let running = filter.clone().add(C::SlaNextDueAt.is_not_null());
        let idle = filter.clone().add(C::SlaNextDueAt.is_null());
        let idle_listed = query.sla.is_none();
        let running_select =
            |c: Condition| ticket::Entity::find().filter(c).order_by_asc(C::SlaNextDueAt).order_by_asc(C::Id);
        let idle_select =
            |c: Condition| ticket::Entity::find().filter(c).order_by_desc(C::CreatedAt).order_by_desc(C::Id);
        let mut rows: Vec<(ticket::Model, bool)> = Vec::new();
        match &query.paging {
            Paging::Page { page, .. } => {
                let offset = (page - 1) * per_page;
                let found =
                    ticket::find_all(&self.db, running_select(running.clone()).offset(offset).limit(want))
                        .await?;
                let got = found.len() as u64;
                rows.extend(found.into_iter().map(|m| (m, false)));
                if got < want && idle_listed {
                    let idle_offset = if got > 0 || offset == 0 {
                        0
                    } else {
                        offset.saturating_sub(self.count_exact(running).await?)
                    };
                    let found =
                        ticket::find_all(&self.db, idle_select(idle).offset(idle_offset).limit(want - got))
                            .await?;
                    rows.extend(found.into_iter().map(|m| (m, true)));
                }
            }
            Paging::After { cursor, .. } => {
                let in_idle = cursor.as_ref().is_some_and(|c| c.no_clock);
                let mut got = 0;
                if !in_idle {
                    let mut select = running_select(running);
                    if let Some(c) = cursor {
                        select = select.filter(self.after(Sort::Due, c));
                    }
                    let found = ticket::find_page(&self.db, select, want).await?;
                    got = found.len() as u64;
                    rows.extend(found.into_iter().map(|m| (m, false)));
                }
                if got < want && idle_listed {
                    let mut select = idle_select(idle);
                    if let Some(c) = cursor.as_ref().filter(|c| c.no_clock) {
                        select = select.filter(self.after(Sort::Due, c));
                    }
                    let found = ticket::find_page(&self.db, select, want - got).await?;
                    rows.extend(found.into_iter().map(|m| (m, true)));
                }
            }
        }
        let has_more = rows.len() as u64 > per_page;
        rows.truncate(per_page as usize);
        let next_cursor = match rows.last() {
            Some((m, no_clock)) if has_more => Some(
                Cursor {
                    sort: Sort::Due.as_str().to_owned(),
                    at: if *no_clock { m.created_at } else { m.sla_next_due_at.unwrap_or(m.created_at) },
                    priority_rank: None,
                    no_clock: *no_clock,
                    id: TicketId(m.id),
                }
                .encode(),
            ),
            _ => None,
        };
        let tickets = rows.into_iter().map(|(m, _)| Ticket::try_from(m)).collect::<Result<Vec<_>, _>>()?;
        let (total, total_exact) = self.count(filter).await?;
        Ok(TicketPage { tickets, total, total_exact, next_cursor })
    }

    /// The exact number of matching tickets.
    async fn count_exact(&self, filter: Condition) -> Result<u64, StoreError> {
        Ok(ticket::Entity::find().filter(filter).count(&self.db).await?)
    }
}
