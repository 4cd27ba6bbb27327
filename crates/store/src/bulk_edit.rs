//! Bulk edits: many tickets changed at once, each exactly as a single `PATCH` would change it
//! (the same [`Store::patch_row`]: status rules, activity-log events, `ticket.updated` outbox
//! rows).
//!
//! - By ids: up to 500 tickets in one transaction, all or nothing.
//! - By query: a job row, worked in batches by whichever instance holds its lease. Each
//!   batch is one transaction that changes its tickets *and* moves the job's keyset position
//!   past them, so a crash loses no batch and repeats none; a job whose lease ran out (its
//!   worker died) is claimed again and goes on from its position. Claims take
//!   `FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time.

use chrono::{DateTime, Utc};
use domain::list::{AssigneeFilter, Cursor, Sort, TicketListQuery};
use domain::queue::{BulkSet, JOB_ERRORS_MAX, JobStatus, normalise_query, parse_view_query};
use domain::ticket::{Priority, Status, TicketKey};
use domain::validation::{FieldErrors, ValidationError};
use domain::{TicketId, TokenId, UserId, WorkspaceId};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::entity::{job, ticket};
use crate::tickets::{ensure_member, order};
use crate::{Actor, Backend, Store, StoreError};

/// What a bulk edit by ids did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub updated: u64,
    pub unchanged: u64,
    /// The changed tickets, in the order they were named.
    pub references: Vec<String>,
}

/// A ticket a job could not change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobError {
    pub reference: String,
    pub detail: String,
}

/// A bulk job and its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub status: JobStatus,
    /// Tickets walked so far (changed, unchanged or failed).
    pub processed: u64,
    /// Matching tickets when the job was created; the number processed once it is done.
    pub total: u64,
    /// Tickets changed so far.
    pub updated: u64,
    pub errors: Vec<JobError>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job held by one worker until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobClaim {
    pub job_id: Uuid,
    pub workspace_id: WorkspaceId,
    lease_id: Uuid,
}

/// What one batch left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStep {
    /// More tickets may match: run another batch.
    Continue(Job),
    /// Every matching ticket was walked.
    Finished(Job),
    /// Another worker holds the job now (this one's lease ran out): stop.
    Lost,
}

/// How the job worker of `ticketd serve` runs.
#[derive(Debug, Clone)]
pub struct JobWorkerConfig {
    /// How long a claim (renewed by every batch) keeps other workers off a job.
    pub lease: chrono::Duration,
    /// Tickets per batch (and per transaction).
    pub batch: u64,
    /// Pause between looks for work when there is none.
    pub idle: std::time::Duration,
}

impl Default for JobWorkerConfig {
    fn default() -> Self {
        Self { lease: chrono::Duration::seconds(60), batch: 200, idle: std::time::Duration::from_secs(1) }
    }
}

/// A stored list query (`status=open&q=refund`) parsed as a saved view's: like `GET
/// /tickets`, stricter, every error named `query.<param>`.
pub fn parse_stored_query(raw: &str) -> Result<TicketListQuery, ValidationError> {
    let raw = normalise_query(raw);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|_| ValidationError::field("query", "not a valid query string"))?;
    parse_view_query(raw, &pairs)
}

/// `assignee=me` of a stored query: the user who runs it.
pub fn resolve_me(
    mut query: TicketListQuery,
    me: Option<UserId>,
) -> Result<TicketListQuery, ValidationError> {
    if query.assignee == Some(AssigneeFilter::Me) {
        let me = me.ok_or_else(|| {
            ValidationError::field("query.assignee", "`me` needs a signed-in user; pass a user id")
        })?;
        query.assignee = Some(AssigneeFilter::User(me));
    }
    Ok(query)
}

fn set_json(set: &BulkSet) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if let Some(status) = set.status {
        map.insert("status".into(), status.as_str().into());
    }
    if let Some(priority) = set.priority {
        map.insert("priority".into(), priority.as_str().into());
    }
    if let Some(assignee) = set.assignee {
        map.insert("assigned_to_user_id".into(), assignee.map(|u| u.0.to_string()).into());
    }
    serde_json::Value::Object(map)
}

fn set_from_json(value: &serde_json::Value) -> Result<BulkSet, StoreError> {
    let corrupt = |what: &str| StoreError::CorruptRow(format!("job params: {what}"));
    let status = match value.get("status").and_then(|v| v.as_str()) {
        Some(s) => Some(s.parse::<Status>().map_err(|_| corrupt("status"))?),
        None => None,
    };
    let priority = match value.get("priority").and_then(|v| v.as_str()) {
        Some(p) => Some(p.parse::<Priority>().map_err(|_| corrupt("priority"))?),
        None => None,
    };
    let assignee = match value.get("assigned_to_user_id") {
        None => None,
        Some(serde_json::Value::Null) => Some(None),
        Some(v) => {
            let id = v.as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| corrupt("assignee"))?;
            Some(Some(UserId(id)))
        }
    };
    Ok(BulkSet { status, priority, assignee })
}

impl TryFrom<job::Model> for Job {
    type Error = StoreError;
    fn try_from(m: job::Model) -> Result<Self, StoreError> {
        Ok(Job {
            id: m.id,
            workspace_id: WorkspaceId(m.workspace_id),
            status: m
                .status
                .parse()
                .map_err(|e: String| StoreError::CorruptRow(format!("job status: {e}")))?,
            processed: m.processed.max(0) as u64,
            total: m.total.max(0) as u64,
            updated: m.updated.max(0) as u64,
            errors: serde_json::from_value(m.errors).unwrap_or_default(),
            created_at: m.created_at,
            finished_at: m.finished_at,
        })
    }
}

fn job_actor(m: &job::Model) -> Actor {
    match (m.actor_user_id, m.actor_token_id) {
        (Some(u), _) => Actor::User(UserId(u)),
        (None, Some(t)) => Actor::Token(TokenId(t)),
        (None, None) => Actor::System,
    }
}

impl Store {
    /// Reads (and, on PostgreSQL, locks for the transaction) the workspace's tickets among
    /// `ids`, in id order, so that two bulk edits over the same tickets cannot deadlock.
    async fn lock_tickets(
        &self,
        tx: &sea_orm::DatabaseTransaction,
        ws: WorkspaceId,
        ids: Vec<Uuid>,
    ) -> Result<std::collections::HashMap<Uuid, ticket::Model>, StoreError> {
        let mut lock = ticket::Entity::find()
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .filter(ticket::Column::Id.is_in(ids))
            .order_by_asc(ticket::Column::Id);
        if self.backend == Backend::Postgres {
            lock = lock.lock_exclusive();
        }
        Ok(lock.all(tx).await?.into_iter().map(|m| (m.id, m)).collect())
    }
    /// Changes the named tickets (ids or references) in one transaction: all of them, or —
    /// when one is unknown here — none (422 naming each unknown one as `ids[i]`). A ticket
    /// named twice is changed once.
    pub async fn bulk_update(
        &self,
        ws: WorkspaceId,
        keys: &[String],
        set: &BulkSet,
        actor: Actor,
    ) -> Result<BulkOutcome, StoreError> {
        let tx = self.write_tx().await?;
        if let Some(Some(assignee)) = set.assignee {
            ensure_member(&tx, ws, assignee).await?;
        }
        let mut errors = FieldErrors::new();
        let mut named: Vec<Uuid> = Vec::with_capacity(keys.len());
        for (i, raw) in keys.iter().enumerate() {
            let found = match TicketKey::parse(raw.trim()) {
                Some(key) => match self.find_ticket(&tx, ws, &key, false).await {
                    Ok(model) => Some(model.id),
                    Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            match found {
                Some(id) => named.push(id),
                None => errors.add(format!("ids[{i}]"), format!("no ticket `{raw}` in this workspace")),
            }
        }
        if !errors.is_empty() {
            return Err(ValidationError(errors).into());
        }
        // Locked in id order, so that two bulk edits over the same tickets cannot deadlock.
        let mut ids = named.clone();
        ids.sort();
        ids.dedup();
        let mut rows = self.lock_tickets(&tx, ws, ids).await?;
        let patch = set.patch();
        let now = domain::time::now();
        let mut outcome = BulkOutcome { updated: 0, unchanged: 0, references: Vec::new() };
        let mut events = Vec::new();
        for id in named {
            let Some(model) = rows.remove(&id) else { continue };
            let (ticket, event) = self.patch_row(&tx, ws, model, &patch, actor, now).await?;
            match event {
                Some(event) => {
                    outcome.updated += 1;
                    outcome.references.push(ticket.reference);
                    events.push(event);
                }
                None => outcome.unchanged += 1,
            }
        }
        tx.commit().await?;
        self.publish(events);
        Ok(outcome)
    }

    /// Queues a job that applies `set` to every ticket `raw_query` matches now (tickets
    /// created later are left alone). `assignee=me` means the actor.
    pub async fn create_bulk_job(
        &self,
        ws: WorkspaceId,
        raw_query: &str,
        set: &BulkSet,
        actor: Actor,
    ) -> Result<Job, StoreError> {
        let me = match actor {
            Actor::User(u) => Some(u),
            _ => None,
        };
        let query = resolve_me(parse_stored_query(raw_query)?, me)?;
        if let Some(Some(assignee)) = set.assignee {
            ensure_member(&self.db, ws, assignee).await?;
        }
        let now = domain::time::now();
        let matching = self.walk_filter(ws, &query)?.add(ticket::Column::CreatedAt.lte(now));
        let total = ticket::Entity::find().filter(matching).count(&self.db).await?;
        let (actor_user_id, actor_token_id) = match actor {
            Actor::User(u) => (Some(u.0), None),
            Actor::Token(t) => (None, Some(t.0)),
            Actor::System => (None, None),
        };
        let model = job::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            kind: Set("bulk_update".into()),
            actor_user_id: Set(actor_user_id),
            actor_token_id: Set(actor_token_id),
            query: Set(normalise_query(raw_query).to_owned()),
            params: Set(set_json(set)),
            status: Set(JobStatus::Queued.as_str().into()),
            total: Set(total as i64),
            processed: Set(0),
            updated: Set(0),
            errors: Set(serde_json::json!([])),
            position: Set(None),
            lease_id: Set(None),
            lease_until: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
        };
        let tx = self.write_tx().await?;
        let model = job::Entity::insert(model).exec_with_returning(&tx).await?;
        tx.commit().await?;
        model.try_into()
    }

    /// One job of the workspace.
    pub async fn job(&self, ws: WorkspaceId, id: Uuid) -> Result<Job, StoreError> {
        job::Entity::find_by_id(id)
            .filter(job::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// Takes the oldest job that is queued, or running under a lease that ran out before
    /// `now` (its worker died), for `lease`. Several instances never take the same one.
    pub async fn claim_job(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
    ) -> Result<Option<JobClaim>, StoreError> {
        let tx = self.write_tx().await?;
        let claimable = Condition::any().add(job::Column::Status.eq(JobStatus::Queued.as_str())).add(
            Condition::all()
                .add(job::Column::Status.eq(JobStatus::Running.as_str()))
                .add(job::Column::LeaseUntil.lt(now)),
        );
        let mut select = job::Entity::find().filter(claimable).order_by_asc(job::Column::CreatedAt);
        if self.backend == Backend::Postgres {
            select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(model) = select.one(&tx).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let lease_id = Uuid::now_v7();
        let claim = JobClaim { job_id: model.id, workspace_id: WorkspaceId(model.workspace_id), lease_id };
        let mut active: job::ActiveModel = model.into();
        active.status = Set(JobStatus::Running.as_str().into());
        active.lease_id = Set(Some(lease_id));
        active.lease_until = Set(Some(now + lease));
        active.updated_at = Set(now);
        job::Entity::update(active).exec(&tx).await?;
        tx.commit().await?;
        Ok(Some(claim))
    }

    /// One batch of a claimed job, in one transaction: the next `batch` matching tickets
    /// after the job's position, each changed as a `PATCH` would, the position and counts
    /// moved past them, the lease renewed until `now + lease`.
    pub async fn run_job_batch(
        &self,
        claim: &JobClaim,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        batch: u64,
    ) -> Result<JobStep, StoreError> {
        let tx = self.write_tx().await?;
        let mut select = job::Entity::find_by_id(claim.job_id)
            .filter(job::Column::LeaseId.eq(claim.lease_id))
            .filter(job::Column::Status.eq(JobStatus::Running.as_str()));
        if self.backend == Backend::Postgres {
            select = select.lock_exclusive();
        }
        let Some(model) = select.one(&tx).await? else {
            tx.rollback().await?;
            return Ok(JobStep::Lost);
        };
        let ws = WorkspaceId(model.workspace_id);
        let actor = job_actor(&model);
        let set = set_from_json(&model.params)?;
        let mut job_errors: Vec<JobError> = serde_json::from_value(model.errors.clone()).unwrap_or_default();
        let mut failed = false;

        let query =
            parse_stored_query(&model.query).and_then(|q| resolve_me(q, model.actor_user_id.map(UserId)));
        let (walked, last) = match query {
            Err(e) => {
                // Cannot happen for a query checked at creation; ends the job rather than loop.
                job_errors.push(JobError { reference: String::new(), detail: e.to_string() });
                failed = true;
                (Vec::new(), None)
            }
            Ok(query) => {
                let mut walk =
                    self.walk_filter(ws, &query)?.add(ticket::Column::CreatedAt.lte(model.created_at));
                if let Some(position) = model.position.as_deref() {
                    let cursor = Cursor::decode(position)
                        .map_err(|e| StoreError::CorruptRow(format!("job position: {e}")))?;
                    walk = walk.add(self.after(Sort::CreatedDesc, &cursor));
                }
                let next: Vec<(Uuid, DateTime<Utc>)> = order(ticket::Entity::find(), Sort::CreatedDesc)
                    .select_only()
                    .column(ticket::Column::Id)
                    .column(ticket::Column::CreatedAt)
                    .filter(walk.clone())
                    .limit(batch)
                    .into_tuple()
                    .all(&tx)
                    .await?;
                let last = next.last().map(|(id, at)| Cursor {
                    sort: Sort::CreatedDesc.as_str().to_owned(),
                    at: *at,
                    priority_rank: None,
                    no_clock: false,
                    id: TicketId(*id),
                });
                (next, last)
            }
        };

        let mut updated = 0i64;
        let mut events = Vec::new();
        if !walked.is_empty() {
            let ids: Vec<Uuid> = walked.iter().map(|(id, _)| *id).collect();
            // Locked in id order, like a bulk edit by ids; a ticket changed meanwhile so
            // that it no longer matches is passed over.
            let mut rows = self.lock_tickets(&tx, ws, ids).await?;
            let member = match set.assignee {
                Some(Some(assignee)) => ensure_member(&tx, ws, assignee).await.map_err(|e| e.to_string()),
                _ => Ok(()),
            };
            let patch = set.patch();
            let at = domain::time::now();
            for (id, _) in &walked {
                let Some(row) = rows.remove(id) else { continue };
                if let Err(detail) = &member {
                    failed = true;
                    if job_errors.len() < JOB_ERRORS_MAX {
                        job_errors
                            .push(JobError { reference: row.reference.clone(), detail: detail.clone() });
                    }
                    continue;
                }
                let (_, event) = self.patch_row(&tx, ws, row, &patch, actor, at).await?;
                if let Some(event) = event {
                    updated += 1;
                    events.push(event);
                }
            }
        }

        let finished = (walked.len() as u64) < batch;
        let processed = model.processed + walked.len() as i64;
        let had_errors = failed || !job_errors.is_empty();
        let updated = model.updated + updated;
        let mut active: job::ActiveModel = model.into();
        active.processed = Set(processed);
        active.updated = Set(updated);
        active.errors = Set(serde_json::to_value(&job_errors).unwrap_or_else(|_| serde_json::json!([])));
        if let Some(last) = last {
            active.position = Set(Some(last.encode()));
        }
        active.updated_at = Set(now);
        if finished {
            let status = if had_errors { JobStatus::Failed } else { JobStatus::Succeeded };
            active.status = Set(status.as_str().into());
            active.total = Set(processed);
            active.lease_id = Set(None);
            active.lease_until = Set(None);
            active.finished_at = Set(Some(now));
        } else {
            active.lease_until = Set(Some(now + lease));
        }
        let model = job::Entity::update(active).exec(&tx).await?;
        tx.commit().await?;
        self.publish(events);
        let job: Job = model.try_into()?;
        Ok(if finished { JobStep::Finished(job) } else { JobStep::Continue(job) })
    }

    /// Claims the next job, if any, and works it to its end (or until another worker takes
    /// it over). Returns the job as it was left.
    pub async fn work_next_job(&self, config: &JobWorkerConfig) -> Result<Option<Job>, StoreError> {
        let Some(claim) = self.claim_job(domain::time::now(), config.lease).await? else {
            return Ok(None);
        };
        loop {
            match self.run_job_batch(&claim, domain::time::now(), config.lease, config.batch).await? {
                JobStep::Continue(_) => {}
                JobStep::Finished(job) => return Ok(Some(job)),
                JobStep::Lost => return self.job(claim.workspace_id, claim.job_id).await.map(Some),
            }
        }
    }
}

/// Runs bulk jobs until the task is aborted (the background worker of `ticketd serve`).
pub fn spawn_job_worker(store: Store, config: JobWorkerConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match store.work_next_job(&config).await {
                Ok(Some(job)) => {
                    tracing::info!(job = %job.id, status = %job.status, processed = job.processed, "bulk job done")
                }
                Ok(None) => tokio::time::sleep(config.idle).await,
                Err(e) => {
                    tracing::warn!(error = %e, "bulk job batch failed; its lease will run out and it is retried");
                    tokio::time::sleep(config.idle * 4).await;
                }
            }
        }
    })
}
