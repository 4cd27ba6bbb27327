//! Tickets: creation with per-workspace numbers and idempotency keys, lookups by id or
//! reference, updates with their activity log, and the list with filters, search,
//! keyset cursors and cheap totals.

use std::collections::HashMap;

use domain::conversation::MessageRole;
use domain::list::{
    AssigneeFilter, Cursor, EXACT_TOTAL_LIMIT, Paging, RefLookup, SlaFilter, Sort, TicketListQuery,
    reference_lookup,
};
use domain::notification::EventType;
use domain::thread::Requester;
use domain::ticket::{
    Change, EventKind, NewTicket, Priority, Source, Status, TicketKey, TicketPatch, TicketState,
};
use domain::validation::ValidationError;
use domain::{AgentId, ConversationId, TicketId, TokenId, UserId, WorkspaceId};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement, Value,
};
use uuid::Uuid;

use crate::conversations::{ensure_room, message_model};
use crate::entity::{
    api_token, conversation, idempotency_key, membership, message, ticket, ticket_comment, ticket_event,
    tool_call, user, workspace,
};
use crate::{
    Actor, ActorName, Backend, Conversation, Message, Store, StoreError, Ticket, TicketDetail, TicketEvent,
    TicketPage, User,
};

/// Everything a creation path decides about a new ticket.
#[derive(Debug, Clone)]
pub struct NewTicketInput {
    pub ticket: NewTicket,
    pub assignee: Option<UserId>,
    pub agent_id: Option<AgentId>,
    pub conversation_id: Option<ConversationId>,
    pub source: Source,
    /// Extra context; `source` is set from the field above.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub actor: Actor,
    /// A message appended to the linked conversation in the same transaction;
    /// `{reference}` in its text becomes the new ticket's reference.
    pub transcript: Option<(MessageRole, String)>,
    /// Who the ticket is for; on the chat paths, what the visitor lacks.
    pub requester: Option<Requester>,
}

impl NewTicketInput {
    /// A ticket from `source`, with no links, assignee, metadata or transcript entry.
    pub fn new(ticket: NewTicket, source: Source, actor: Actor) -> Self {
        NewTicketInput {
            ticket,
            assignee: None,
            agent_id: None,
            conversation_id: None,
            source,
            metadata: serde_json::Map::new(),
            actor,
            transcript: None,
            requester: None,
        }
    }
}

/// How a creation path recognises a retry of itself.
#[derive(Debug, Clone)]
pub enum Dedupe {
    /// Every request makes a ticket.
    None,
    /// `POST /tickets` with an `Idempotency-Key`.
    Key(Idempotency),
    /// A tool invocation: one ticket per `tool_call_id` (a unique key, not a lookup).
    ToolCall(String),
    /// A CTA click: the open (or pending) ticket this rule already opened on this
    /// conversation, if any.
    OpenCtaTicket(Uuid),
}

/// An `Idempotency-Key` and a fingerprint of the request that carried it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// A retry of an earlier creation, found by the key that its first try claimed.
#[derive(Debug, Clone, Copy)]
enum Retry<'d> {
    ToolCall { tool_call_id: &'d str, conversation_id: Option<ConversationId> },
    Key(&'d Idempotency),
}

/// The new ticket's requester: the chat visitor completed by the requester given (the
/// `open_ticket` tool's `email`), or the one given alone.
fn completed_visitor(visitor: Option<Requester>, given: Option<Requester>) -> Option<Requester> {
    match visitor {
        Some(visitor) => Some(visitor.or(given)),
        None => given,
    }
}

/// Whether a creation made a new row or replayed an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    Replayed,
}

impl TryFrom<ticket::Model> for Ticket {
    type Error = StoreError;
    fn try_from(m: ticket::Model) -> Result<Self, StoreError> {
        let status: Status =
            m.status.parse().map_err(|e: String| StoreError::CorruptRow(format!("status: {e}")))?;
        let sla = crate::sla::states(&m, status, domain::time::now());
        let ticket::Model {
            id,
            workspace_id,
            number,
            reference,
            agent_id,
            conversation_id,
            subject,
            body,
            status: _,
            priority,
            assigned_to_user_id,
            notes,
            metadata,
            resolved_at,
            created_at,
            updated_at,
            first_response_due_at,
            resolution_due_at,
            sla_stopped_at: _,
            sla_next_due_at: _,
            sla_later_due_at: _,
            sla_alarm_at: _,
            first_response_breach_due_at: _,
            resolution_breach_due_at: _,
            requester_name,
            requester_email,
            first_responded_at,
        } = m;
        Ok(Ticket {
            id: TicketId(id),
            workspace_id: WorkspaceId(workspace_id),
            number,
            reference,
            agent_id: agent_id.map(AgentId),
            conversation_id: conversation_id.map(ConversationId),
            subject,
            body,
            status,
            priority: Priority::from_rank(priority)
                .ok_or_else(|| StoreError::CorruptRow(format!("priority rank {priority}")))?,
            assigned_to_user_id: assigned_to_user_id.map(UserId),
            notes,
            metadata,
            resolved_at,
            created_at,
            updated_at,
            first_response_due_at,
            resolution_due_at,
            sla,
            requester: Requester::from_parts(requester_name, requester_email),
            first_responded_at,
        })
    }
}

fn actor_columns(actor: Actor) -> (Option<Uuid>, Option<Uuid>) {
    match actor {
        Actor::User(u) => (Some(u.0), None),
        Actor::Token(t) => (None, Some(t.0)),
        Actor::System => (None, None),
    }
}

pub(crate) fn event_model(
    ws: WorkspaceId,
    ticket: TicketId,
    change: &Change,
    actor: Actor,
    at: chrono::DateTime<chrono::Utc>,
) -> ticket_event::ActiveModel {
    let (actor_user_id, actor_token_id) = actor_columns(actor);
    ticket_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(ws.0),
        ticket_id: Set(ticket.0),
        kind: Set(change.kind.as_str().to_owned()),
        from_value: Set(change.from.clone()),
        to_value: Set(change.to.clone()),
        actor_user_id: Set(actor_user_id),
        actor_token_id: Set(actor_token_id),
        created_at: Set(at),
    }
}

pub(crate) async fn ensure_member<C: ConnectionTrait>(
    db: &C,
    ws: WorkspaceId,
    user: UserId,
) -> Result<(), StoreError> {
    let found = membership::Entity::find_by_id((ws.0, user.0)).one(db).await?;
    if found.is_none() {
        return Err(ValidationError::field("assigned_to_user_id", "is not a member of this workspace").into());
    }
    Ok(())
}

impl Store {
    /// Creates a ticket: the next number of the workspace, the `created` event and the
    /// idempotency record, all in one transaction. With an idempotency key already used
    /// for the same request, the earlier ticket comes back (`Created::Replayed`), even
    /// when the two requests race; so does a tool call's retry, and a CTA click on a
    /// conversation whose ticket from that rule is still open.
    ///
    /// The requester is the linked conversation's visitor, completed by `input.requester`
    /// (the `open_ticket` tool's `email`), or `input.requester` alone.
    pub async fn create_ticket(
        &self,
        ws: WorkspaceId,
        mut input: NewTicketInput,
        dedupe: Dedupe,
    ) -> Result<(Ticket, Created), StoreError> {
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let id = TicketId::new();
        if let Some(retry) = self.claim_retry_key(&tx, ws, &dedupe, input.conversation_id, id, now).await? {
            tx.rollback().await?;
            return self.replay_retry(ws, retry).await;
        }
        if let Some(assignee) = input.assignee {
            ensure_member(&tx, ws, assignee).await?;
        }
        let visitor = self.link_conversation(&tx, ws, input.conversation_id).await?;
        if let Some(open) = self.open_cta_ticket(&tx, ws, input.conversation_id, &dedupe).await? {
            tx.rollback().await?;
            return Ok((open, Created::Replayed));
        }
        input.requester = completed_visitor(visitor, input.requester);
        if let (Some(conversation_id), Some(_)) = (input.conversation_id, &input.transcript) {
            ensure_room(&tx, conversation_id.0).await?;
        }
        let ticket = self.insert_ticket(&tx, ws, id, input, now).await?;
        let event =
            self.emit(&tx, ws, EventType::TicketCreated, serde_json::json!({ "ticket": ticket })).await?;
        tx.commit().await?;
        self.publish(vec![event]);
        Ok((ticket, Created::New))
    }

    /// Claims the request's retry key for ticket `id`: its tool call id or its
    /// `Idempotency-Key`. `Some` when an earlier try of the request claimed it first: this
    /// request is a retry of that one.
    async fn claim_retry_key<'d, C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        dedupe: &'d Dedupe,
        conversation_id: Option<ConversationId>,
        id: TicketId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Retry<'d>>, StoreError> {
        let (claimed, retry) = match dedupe {
            Dedupe::ToolCall(call) => (
                self.claim_tool_call(db, ws, call, conversation_id, id, now).await?,
                Retry::ToolCall { tool_call_id: call, conversation_id },
            ),
            Dedupe::Key(idem) => (self.claim_idempotency_key(db, ws, idem, id, now).await?, Retry::Key(idem)),
            Dedupe::None | Dedupe::OpenCtaTicket(_) => return Ok(None),
        };
        Ok((!claimed).then_some(retry))
    }

    /// The ticket that the first try of a retried request made.
    async fn replay_retry(&self, ws: WorkspaceId, retry: Retry<'_>) -> Result<(Ticket, Created), StoreError> {
        match retry {
            Retry::ToolCall { tool_call_id, conversation_id } => {
                self.replay_tool_call(ws, tool_call_id, conversation_id).await
            }
            Retry::Key(idem) => self.replay_idempotency_key(ws, idem).await,
        }
    }

    /// Records a tool call as making ticket `id`; `false` when that call already made one
    /// (unique key: of many concurrent retries exactly one inserts).
    async fn claim_tool_call<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        tool_call_id: &str,
        conversation_id: Option<ConversationId>,
        id: TicketId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        // One ticket per call id within a conversation (backends number calls per chat).
        let conversation_id = conversation_id.ok_or_else(|| {
            ValidationError::field("conversation_id", "a tool call belongs to a conversation")
        })?;
        let record = tool_call::ActiveModel {
            workspace_id: Set(ws.0),
            conversation_id: Set(conversation_id.0),
            tool_call_id: Set(tool_call_id.to_owned()),
            ticket_id: Set(id.0),
            created_at: Set(now),
        };
        // The first call inserts; a concurrent retry waits on the key, then inserts nothing.
        let inserted =
            tool_call::Entity::insert(record).on_conflict_do_nothing().exec_without_returning(db).await?;
        Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0))
    }

    /// The ticket an earlier invocation of this tool call, in this conversation, made.
    async fn replay_tool_call(
        &self,
        ws: WorkspaceId,
        tool_call_id: &str,
        conversation_id: Option<ConversationId>,
    ) -> Result<(Ticket, Created), StoreError> {
        let conversation_id = conversation_id.ok_or(StoreError::NotFound)?;
        let record = tool_call::Entity::find_by_id((ws.0, conversation_id.0, tool_call_id.to_owned()))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let ticket = self.ticket(ws, &TicketKey::Id(TicketId(record.ticket_id))).await?;
        Ok((ticket, Created::Replayed))
    }

    /// Records an `Idempotency-Key` as making ticket `id`; `false` when it was used before.
    /// The first request inserts; a concurrent one waits on the key, then inserts nothing.
    async fn claim_idempotency_key<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        idem: &Idempotency,
        id: TicketId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let record = idempotency_key::ActiveModel {
            workspace_id: Set(ws.0),
            key: Set(idem.key.clone()),
            request_hash: Set(idem.request_hash.clone()),
            ticket_id: Set(id.0),
            created_at: Set(now),
        };
        let inserted = idempotency_key::Entity::insert(record)
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await?;
        Ok(matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0))
    }

    /// Marks the new ticket's conversation, if any, as kept by a ticket, under its row lock:
    /// an expiry purge running now either waits and then skips it, or has already deleted
    /// it. Returns its visitor, the new ticket's requester.
    async fn link_conversation<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        conversation_id: Option<ConversationId>,
    ) -> Result<Option<Requester>, StoreError> {
        let Some(conversation_id) = conversation_id else {
            return Ok(None);
        };
        let linked = conversation::Entity::update_many()
            .col_expr(conversation::Column::HasTicket, Expr::value(true))
            .filter(conversation::Column::Id.eq(conversation_id.0))
            .filter(conversation::Column::WorkspaceId.eq(ws.0))
            .exec_with_returning(db)
            .await?;
        let Some(conversation) = linked.into_iter().next() else {
            return Err(ValidationError::field(
                "conversation_id",
                "no such conversation in this workspace (it may have expired)",
            )
            .into());
        };
        Ok(Requester::from_parts(conversation.visitor_name, conversation.visitor_email))
    }

    /// Inserts a ticket with the workspace's next number, its transcript message and its
    /// `created` event, in the caller's transaction (the caller emits `ticket.created`).
    pub(crate) async fn insert_ticket<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        id: TicketId,
        input: NewTicketInput,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Ticket, StoreError> {
        let bump = Query::update()
            .table(workspace::Entity)
            .value(workspace::Column::TicketCounter, Expr::col(workspace::Column::TicketCounter).add(1))
            .and_where(workspace::Column::Id.eq(ws.0))
            .returning(
                Query::returning()
                    .columns([workspace::Column::TicketCounter, workspace::Column::TicketPrefix]),
            )
            .to_owned();
        let row = db.query_one(&bump).await?.ok_or(StoreError::NotFound)?;
        let number: i64 = row.try_get("", "ticket_counter")?;
        let prefix: String = row.try_get("", "ticket_prefix")?;

        let status = if input.assignee.is_some() { Status::Pending } else { Status::Open };
        let sla_policy = self.sla_policy_in(db, ws).await?;
        let sla = crate::sla::new_ticket_columns(&sla_policy, input.ticket.priority, now);
        let mut metadata = input.metadata;
        metadata.insert("source".into(), serde_json::Value::String(input.source.as_str().into()));
        let (requester_name, requester_email) = match input.requester {
            Some(Requester { name, email }) => (name, email),
            None => (None, None),
        };
        let model = ticket::ActiveModel {
            id: Set(id.0),
            workspace_id: Set(ws.0),
            number: Set(number),
            reference: Set(format!("{prefix}-{number}")),
            agent_id: Set(input.agent_id.map(|a| a.0)),
            conversation_id: Set(input.conversation_id.map(|c| c.0)),
            subject: Set(input.ticket.subject),
            body: Set(input.ticket.body),
            status: Set(status.as_str().to_owned()),
            priority: Set(input.ticket.priority.rank()),
            assigned_to_user_id: Set(input.assignee.map(|u| u.0)),
            notes: Set(None),
            metadata: Set(serde_json::Value::Object(metadata)),
            resolved_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            first_response_due_at: Set(sla.first_response_due_at),
            resolution_due_at: Set(sla.resolution_due_at),
            sla_stopped_at: Set(None),
            sla_next_due_at: Set(sla.next_due_at),
            sla_later_due_at: Set(sla.later_due_at),
            sla_alarm_at: Set(sla.alarm_at),
            first_response_breach_due_at: Set(None),
            resolution_breach_due_at: Set(None),
            requester_name: Set(requester_name),
            requester_email: Set(requester_email),
            first_responded_at: Set(None),
        };
        let model = ticket::Entity::insert(model).exec_with_returning(db).await?;
        if let (Some(conversation_id), Some((role, text))) = (input.conversation_id, input.transcript) {
            let text = text.replace("{reference}", &model.reference);
            message::Entity::insert(message_model(ws, conversation_id.0, role, text, now))
                .exec_without_returning(db)
                .await?;
            conversation::Entity::update_many()
                .col_expr(conversation::Column::LastActivityAt, Expr::value(now))
                .filter(conversation::Column::Id.eq(conversation_id.0))
                .filter(conversation::Column::LastActivityAt.lt(now))
                .exec(db)
                .await?;
        }
        let created = Change { kind: EventKind::Created, from: None, to: Some(status.as_str().into()) };
        ticket_event::Entity::insert(event_model(ws, id, &created, input.actor, now))
            .exec_without_returning(db)
            .await?;
        model.try_into()
    }

    /// For a CTA click, the open or pending ticket that its rule already opened on this
    /// conversation (read under the conversation's row lock, which `link_conversation` took).
    async fn open_cta_ticket<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        conversation_id: Option<ConversationId>,
        dedupe: &Dedupe,
    ) -> Result<Option<Ticket>, StoreError> {
        let (Some(conversation_id), Dedupe::OpenCtaTicket(rule_id)) = (conversation_id, dedupe) else {
            return Ok(None);
        };
        let rule_matches = match self.backend {
            Backend::Postgres => Expr::cust_with_values("metadata->>'rule_id' = $1", [rule_id.to_string()]),
            Backend::Sqlite => {
                Expr::cust_with_values("json_extract(metadata, '$.rule_id') = ?", [rule_id.to_string()])
            }
        };
        ticket::Entity::find()
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .filter(ticket::Column::ConversationId.eq(conversation_id.0))
            .filter(ticket::Column::Status.is_in([Status::Open.as_str(), Status::Pending.as_str()]))
            .filter(rule_matches)
            .order_by_desc(ticket::Column::Number)
            .one(db)
            .await?
            .map(Ticket::try_from)
            .transpose()
    }

    /// The ticket an earlier request with this `Idempotency-Key` made; refused when that
    /// request was a different one.
    async fn replay_idempotency_key(
        &self,
        ws: WorkspaceId,
        idem: &Idempotency,
    ) -> Result<(Ticket, Created), StoreError> {
        let record = idempotency_key::Entity::find_by_id((ws.0, idem.key.clone()))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        if record.request_hash != idem.request_hash {
            return Err(StoreError::IdempotencyMismatch);
        }
        let ticket = self.ticket(ws, &TicketKey::Id(TicketId(record.ticket_id))).await?;
        Ok((ticket, Created::Replayed))
    }

    pub(crate) async fn find_ticket<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        key: &TicketKey,
        for_update: bool,
    ) -> Result<ticket::Model, StoreError> {
        let mut select = by_key(ws, key);
        if for_update && self.backend == Backend::Postgres {
            select = select.lock_exclusive();
        }
        let model = ticket::find_one(db, select).await?.ok_or(StoreError::NotFound)?;
        named_by(model, key)
    }

    /// One ticket by id or reference.
    pub async fn ticket(&self, ws: WorkspaceId, key: &TicketKey) -> Result<Ticket, StoreError> {
        self.find_ticket(&self.db, ws, key, false).await?.try_into()
    }

    /// A ticket with its full conversation thread, its assignee and its comment count: two
    /// statements, one for the ticket with its conversation's header, assignee and count, one
    /// for the messages (none when the ticket has no conversation).
    pub async fn ticket_detail(&self, ws: WorkspaceId, key: &TicketKey) -> Result<TicketDetail, StoreError> {
        let statement = detail_statement(self.db.get_database_backend(), ws, key);
        let row = self.db.query_one_raw(statement).await?.ok_or(StoreError::NotFound)?;
        let model = named_by(ticket::decode(&row)?, key)?;
        // `detail_select`'s own columns follow the ticket's, read by position.
        let ticket_columns = <ticket::Column as sea_orm::Iterable>::iter().count();
        let at = |k: usize| ticket_columns + k;
        let conversation = match row.try_get_by_index::<Option<Uuid>>(at(0))? {
            Some(id) => Some(Conversation {
                id: ConversationId(id),
                agent_id: AgentId(row.try_get_by_index(at(1))?),
                started_at: row.try_get_by_index(at(2))?,
                last_activity_at: row.try_get_by_index(at(3))?,
                messages: self.messages(id).await?,
            }),
            None => None,
        };
        let assignee = match (model.assigned_to_user_id, row.try_get_by_index::<Option<String>>(at(4))?) {
            (Some(id), Some(name)) => {
                Some(User { id: UserId(id), name, email: row.try_get_by_index(at(5))? })
            }
            _ => None,
        };
        let comments_count: i64 = row.try_get_by_index(at(6))?;
        Ok(TicketDetail {
            ticket: model.try_into()?,
            conversation,
            assignee,
            comments_count: comments_count as u64,
        })
    }

    /// A conversation's messages, oldest first.
    async fn messages(&self, conversation: Uuid) -> Result<Vec<Message>, StoreError> {
        use message::Column as C;
        Ok(message::Entity::find()
            .select_only()
            .columns([C::Id, C::Role, C::Content, C::CreatedAt])
            .filter(C::ConversationId.eq(conversation))
            .order_by_asc(C::CreatedAt)
            .order_by_asc(C::Id)
            .into_tuple()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|(id, role, content, created_at)| Message { id, role, content, created_at })
            .collect())
    }

    /// Applies an operator's change with the status rules, logging one event per changed
    /// field, in one transaction (the row is locked on PostgreSQL; SQLite writes one at a time).
    pub async fn update_ticket(
        &self,
        ws: WorkspaceId,
        key: &TicketKey,
        patch: &TicketPatch,
        actor: Actor,
    ) -> Result<Ticket, StoreError> {
        let tx = self.write_tx().await?;
        let (updated, event) = self.update_ticket_in(&tx, ws, key, patch, actor).await?;
        tx.commit().await?;
        self.publish(event.into_iter().collect());
        Ok(updated)
    }

    /// [`Store::update_ticket`] inside the caller's transaction: the ticket, and the
    /// `ticket.updated` event to publish once it commits (none when nothing changed).
    pub(crate) async fn update_ticket_in(
        &self,
        tx: &sea_orm::DatabaseTransaction,
        ws: WorkspaceId,
        key: &TicketKey,
        patch: &TicketPatch,
        actor: Actor,
    ) -> Result<(Ticket, Option<crate::notifications::OutboxEvent>), StoreError> {
        let model = self.find_ticket(tx, ws, key, true).await?;
        if let Some(Some(assignee)) = patch.assignee {
            ensure_member(tx, ws, assignee).await?;
        }
        self.patch_row(tx, ws, model, patch, actor, domain::time::now()).await
    }

    /// One ticket's change inside `tx`, on its locked row (an assignee already checked to
    /// be a member): the status rules, one activity-log event per changed field and the
    /// `ticket.updated` outbox event. Nothing is written when nothing changes (no event).
    /// A `PATCH` and every ticket of a bulk edit go through here.
    pub(crate) async fn patch_row<C: ConnectionTrait>(
        &self,
        tx: &C,
        ws: WorkspaceId,
        model: ticket::Model,
        patch: &TicketPatch,
        actor: Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Ticket, Option<crate::notifications::OutboxEvent>), StoreError> {
        let current: Ticket = model.clone().try_into()?;
        let state = TicketState {
            status: current.status,
            priority: current.priority,
            assignee: current.assigned_to_user_id,
            notes: current.notes.clone(),
            resolved_at: current.resolved_at,
            requester: current.requester.clone(),
        };
        let (next, changes) = state.apply(patch, now);
        if changes.is_empty() {
            return Ok((current, None));
        }
        let before = crate::sla::SlaBefore { status: current.status, priority: current.priority };
        let mut after = model.clone();
        after.resolved_at = next.resolved_at;
        let sla_policy = if crate::sla::needs_policy(before, &after, next.status, next.priority) {
            Some(self.sla_policy_in(tx, ws).await?)
        } else {
            None
        };
        let sla =
            crate::sla::sla_columns(before, &after, next.status, next.priority, sla_policy.as_ref(), now);
        let mut active: ticket::ActiveModel = model.into();
        active.status = Set(next.status.as_str().to_owned());
        active.priority = Set(next.priority.rank());
        active.assigned_to_user_id = Set(next.assignee.map(|u| u.0));
        active.notes = Set(next.notes.clone());
        active.resolved_at = Set(next.resolved_at);
        let (requester_name, requester_email) = match next.requester {
            Some(Requester { name, email }) => (name, email),
            None => (None, None),
        };
        active.requester_name = Set(requester_name);
        active.requester_email = Set(requester_email);
        active.updated_at = Set(now);
        sla.set(&mut active);
        let updated: Ticket = ticket::Entity::update(active).exec(tx).await?.try_into()?;
        let events: Vec<_> = changes.iter().map(|c| event_model(ws, current.id, c, actor, now)).collect();
        ticket_event::Entity::insert_many(events).exec_without_returning(tx).await?;
        let change_list: Vec<_> = changes
            .iter()
            .map(|c| serde_json::json!({ "kind": c.kind.as_str(), "from": c.from, "to": c.to }))
            .collect();
        let data = serde_json::json!({ "ticket": updated, "changes": change_list });
        let event = self.emit(tx, ws, EventType::TicketUpdated, data).await?;
        Ok((updated, Some(event)))
    }

    /// The activity log of a ticket, oldest first, with the actors' names.
    pub async fn ticket_events(
        &self,
        ws: WorkspaceId,
        key: &TicketKey,
    ) -> Result<Vec<TicketEvent>, StoreError> {
        let ticket = self.find_ticket(&self.db, ws, key, false).await?;
        let rows = ticket_event::Entity::find()
            .filter(ticket_event::Column::TicketId.eq(ticket.id))
            .filter(ticket_event::Column::WorkspaceId.eq(ws.0))
            .order_by_asc(ticket_event::Column::CreatedAt)
            .order_by_asc(ticket_event::Column::Id)
            .all(&self.db)
            .await?;
        let user_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_user_id).collect();
        let token_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.actor_token_id).collect();
        let user_names: HashMap<Uuid, String> = if user_ids.is_empty() {
            HashMap::new()
        } else {
            user::Entity::find()
                .filter(user::Column::Id.is_in(user_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect()
        };
        let token_names: HashMap<Uuid, String> = if token_ids.is_empty() {
            HashMap::new()
        } else {
            api_token::Entity::find()
                .filter(api_token::Column::Id.is_in(token_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect()
        };
        rows.into_iter()
            .map(|r| {
                let (actor, name) = match (r.actor_user_id, r.actor_token_id) {
                    (Some(u), _) => (Actor::User(UserId(u)), user_names.get(&u).cloned()),
                    (None, Some(t)) => (Actor::Token(TokenId(t)), token_names.get(&t).cloned()),
                    (None, None) => (Actor::System, None),
                };
                Ok(TicketEvent {
                    id: r.id,
                    ticket_id: TicketId(r.ticket_id),
                    kind: r
                        .kind
                        .parse()
                        .map_err(|e: String| StoreError::CorruptRow(format!("event kind: {e}")))?,
                    from: r.from_value,
                    to: r.to_value,
                    actor: ActorName { actor, name },
                    at: r.created_at,
                })
            })
            .collect()
    }

    /// One page of the workspace's tickets. `AssigneeFilter::Me` must have been resolved
    /// to the caller's id by then.
    ///
    /// A `q` that names a ticket (`ACME-12`, `#12`) lists that ticket first (when the other
    /// filters let it through), found by its number, then the text's other matches.
    pub async fn list_tickets(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
    ) -> Result<TicketPage, StoreError> {
        self.list_tickets_at(ws, query, domain::time::now()).await
    }

    /// [`Self::list_tickets`] as of `now` (the instant the `sla` filters compare with).
    pub async fn list_tickets_at(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<TicketPage, StoreError> {
        let Some(pinned) = self.pinned(ws, query, now).await? else {
            return self.list_page(ws, query, None, now).await;
        };
        let first_page =
            matches!(query.paging, Paging::Page { page: 1, .. } | Paging::After { cursor: None, .. });
        let hit = pinned.hit.map(Ticket::try_from).transpose()?;
        let mut page = if pinned.search {
            self.list_page(ws, query, hit.as_ref().map(|t| t.id), now).await?
        } else {
            TicketPage { tickets: Vec::new(), total: 0, total_exact: true, next_cursor: None }
        };
        if let Some(hit) = hit {
            page.total += 1;
            if first_page {
                page.tickets.insert(0, hit);
            }
        }
        Ok(page)
    }

    /// How many tickets `query` lists (its `meta.total`, `total_exact`), without the page.
    pub async fn count_tickets(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
    ) -> Result<(u64, bool), StoreError> {
        let pinned = self.pinned(ws, query, domain::time::now()).await?;
        let (search, hit) = match &pinned {
            Some(p) => (p.search, p.hit.as_ref().map(|h| TicketId(h.id))),
            None => (true, None),
        };
        let (mut total, exact) = if search {
            let mut filter = self.list_filter(ws, query, Matches::Drive)?;
            if let Some(hit) = hit {
                filter = filter.add(ticket::Column::Id.ne(hit.0));
            }
            match (self.backend, &query.q) {
                (Backend::Sqlite, Some(_)) => self.count_search_sqlite(filter).await?,
                _ => self.count(filter).await?,
            }
        } else {
            (0, true)
        };
        if hit.is_some() {
            total += 1;
        }
        Ok((total, exact))
    }

    /// The ticket a `q` names (see [`domain::list::reference_lookup`]), looked up by its
    /// number under the query's other filters; `None` when `q` names no ticket.
    async fn pinned(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Pinned>, StoreError> {
        let Some(q) = &query.q else { return Ok(None) };
        let Some(lookup) = reference_lookup(q) else { return Ok(None) };
        let hit = ticket::Entity::find()
            .filter(self.reference_filter(ws, query, &lookup, now)?)
            .one(&self.db)
            .await?;
        Ok(Some(Pinned { hit, search: RefLookup::searches_too(q) }))
    }

    /// The query's filters but `q`, and the ticket `lookup` names (by the unique
    /// `(workspace_id, number)` index; a reference must carry this workspace's prefix).
    fn reference_filter(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        lookup: &RefLookup,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Condition, StoreError> {
        let others = TicketListQuery { q: None, ..query.clone() };
        let mut cond = self
            .list_filter_at(ws, &others, Matches::Drive, now)?
            .add(ticket::Column::Number.eq(lookup.number()));
        if let RefLookup::Reference { prefix, number } = lookup {
            cond = cond.add(ticket::Column::Reference.eq(format!("{prefix}-{number}")));
        }
        Ok(cond)
    }

    /// Every ticket `query` matches, as one condition for a walk over the whole list (an
    /// export, a bulk job): its filters, and for a `q` the text's matches or the ticket it
    /// names. SQLite search matches are checked per row of the walked index.
    pub(crate) fn walk_filter(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
    ) -> Result<Condition, StoreError> {
        let Some(q) = &query.q else { return self.list_filter(ws, query, Matches::Check) };
        let others = TicketListQuery { q: None, ..query.clone() };
        let lookup = reference_lookup(q);
        let mut any = Condition::any();
        if lookup.is_none() || RefLookup::searches_too(q) {
            any = any.add(self.search(q, Matches::Check));
        }
        if let Some(lookup) = &lookup {
            let mut named = Condition::all().add(ticket::Column::Number.eq(lookup.number()));
            if let RefLookup::Reference { prefix, number } = lookup {
                named = named.add(ticket::Column::Reference.eq(format!("{prefix}-{number}")));
            }
            any = any.add(named);
        }
        Ok(self.list_filter(ws, &others, Matches::Check)?.add(any))
    }

    /// One page of the list without a pinned ticket; `lead`, when given, is listed before
    /// it (the ticket a `q` names): left out here, and the first page is one row shorter.
    async fn list_page(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        lead: Option<TicketId>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<TicketPage, StoreError> {
        let not_lead = |cond: Condition| match lead {
            Some(id) => cond.add(ticket::Column::Id.ne(id.0)),
            None => cond,
        };
        let filter = not_lead(self.list_filter_at(ws, query, Matches::Drive, now)?);
        if query.sort == Sort::Due {
            return self.list_by_due(query, filter).await;
        }
        // SQLite search: the FTS table yields the matching rows in no useful order. Few
        // matches (the capped count is exact) are fetched and sorted; many are better found
        // by walking the sort's index and checking each row against them, which stops at
        // the page's end instead of fetching and sorting tens of thousands of rows. The same
        // holds for `sla=breached`, whose due-time range SQLite would otherwise read whole
        // and sort (2.3 s for 440,000 breached tickets at a million; walking: 10–20 ms).
        let counted = match (self.backend, &query.q, query.sla) {
            (Backend::Sqlite, Some(_), _) => Some(self.count_search_sqlite(filter.clone()).await?),
            (Backend::Sqlite, None, Some(SlaFilter::Breached)) => Some(self.count(filter.clone()).await?),
            _ => None,
        };
        let page_filter = match counted {
            Some((_, false)) => not_lead(self.list_filter_at(ws, query, Matches::Check, now)?),
            _ => filter.clone(),
        };
        let shift = u64::from(lead.is_some());
        let first_page =
            matches!(query.paging, Paging::Page { page: 1, .. } | Paging::After { cursor: None, .. });
        let per_page = if first_page { query.per_page().saturating_sub(shift) } else { query.per_page() };
        let mut select = ticket::Entity::find().filter(page_filter.clone());
        select = match &query.paging {
            Paging::Page { page, per_page: size } if *page > 1 => {
                // A deferred join: the skipped rows are counted off the index alone (the
                // list indexes end in `id`), and only the page's own rows are read whole.
                let ids = order(ticket::Entity::find().select_only().column(ticket::Column::Id), query.sort)
                    .filter(page_filter)
                    .offset((page - 1) * size - shift)
                    .limit(per_page + 1)
                    .into_query();
                ticket::Entity::find()
                    .filter(ticket::Column::WorkspaceId.eq(ws.0))
                    .filter(ticket::Column::Id.in_subquery(ids))
            }
            Paging::Page { .. } => select,
            Paging::After { cursor: Some(cursor), .. } => select.filter(self.after(query.sort, cursor)),
            Paging::After { cursor: None, .. } => select,
        };
        select = order(select, query.sort);
        let mut rows = ticket::find_page(&self.db, select, per_page + 1).await?;
        let has_more = rows.len() as u64 > per_page;
        rows.truncate(per_page as usize);
        let tickets = rows.into_iter().map(Ticket::try_from).collect::<Result<Vec<_>, _>>()?;
        let next_cursor =
            if has_more { tickets.last().map(|t| cursor_after(query.sort, t).encode()) } else { None };
        let (total, total_exact) = match counted {
            Some(counted) => counted,
            None => self.count(filter).await?,
        };
        Ok(TicketPage { tickets, total, total_exact, next_cursor })
    }

    #[allow(dead_code)]
    fn list_filter(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        matches: Matches,
    ) -> Result<Condition, StoreError> {
        self.list_filter_at(ws, query, matches, domain::time::now())
    }

    fn list_filter_at(
        &self,
        ws: WorkspaceId,
        query: &TicketListQuery,
        matches: Matches,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Condition, StoreError> {
        let mut cond = Condition::all()
            .add(ticket::Column::WorkspaceId.eq(ws.0))
            .add(ticket::Column::Status.is_in(query.statuses.iter().map(|s| s.as_str())));
        if !query.priorities.is_empty() {
            cond = cond.add(ticket::Column::Priority.is_in(query.priorities.iter().map(|p| p.rank())));
        }
        match query.assignee {
            None => {}
            Some(AssigneeFilter::Nobody) => cond = cond.add(ticket::Column::AssignedToUserId.is_null()),
            Some(AssigneeFilter::User(u)) => cond = cond.add(ticket::Column::AssignedToUserId.eq(u.0)),
            Some(AssigneeFilter::Me) => {
                return Err(ValidationError::field("assignee", "`me` needs a signed-in user").into());
            }
        }
        if let Some(q) = &query.q {
            cond = cond.add(self.search(q, matches));
        }
        if let Some(sla) = query.sla {
            // A unary `+` keeps SQLite from driving the query by the due-time range, when
            // walking the sort's index and checking each row is shorter (see `list_page`).
            let walk = self.backend == Backend::Sqlite && matches == Matches::Check;
            cond = cond.add(crate::sla::list_condition(sla, now, walk));
        }
        Ok(cond)
    }

    /// Case-insensitive substring search over subject, body and reference, served by a
    /// trigram index: `pg_trgm` GIN indexes, or the FTS5 trigram table on SQLite.
    fn search(&self, q: &str, matches: Matches) -> SimpleExpr {
        match self.backend {
            Backend::Postgres => {
                let pattern = format!("%{}%", escape_like(q));
                Expr::cust_with_values(
                    r"(subject ILIKE $1 ESCAPE '\' OR body ILIKE $1 ESCAPE '\' OR reference ILIKE $1 ESCAPE '\')",
                    [pattern],
                )
            }
            Backend::Sqlite => {
                // A quoted FTS5 string is matched as a substring by the trigram tokenizer.
                let phrase = format!("\"{}\"", q.replace('"', "\"\""));
                // A unary `+` keeps SQLite from looking rows up by the matches' rowids.
                let column = match matches {
                    Matches::Drive => "seq",
                    Matches::Check => "+seq",
                };
                Expr::cust_with_values(
                    format!("{column} IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)"),
                    [phrase],
                )
            }
        }
    }

    /// Rows strictly after the cursor in the sort order (a row-value comparison, which
    /// walks the index from the cursor on, whatever the depth).
    pub(crate) fn after(&self, sort: Sort, cursor: &Cursor) -> SimpleExpr {
        let (columns, op, mut values): (&str, &str, Vec<Value>) = match sort {
            Sort::CreatedDesc => ("created_at, id", "<", vec![cursor.at.into()]),
            Sort::CreatedAsc => ("created_at, id", ">", vec![cursor.at.into()]),
            Sort::UpdatedDesc => ("updated_at, id", "<", vec![cursor.at.into()]),
            Sort::PriorityDesc => (
                "priority, created_at, id",
                "<",
                vec![cursor.priority_rank.unwrap_or_default().into(), cursor.at.into()],
            ),
            Sort::Due if cursor.no_clock => ("created_at, id", "<", vec![cursor.at.into()]),
            Sort::Due => ("sla_next_due_at, id", ">", vec![cursor.at.into()]),
        };
        values.push(cursor.id.0.into());
        let placeholders: Vec<String> = (1..=values.len())
            .map(|i| match self.backend {
                Backend::Postgres => format!("${i}"),
                Backend::Sqlite => "?".to_owned(),
            })
            .collect();
        Expr::cust_with_values(format!("({columns}) {op} ({})", placeholders.join(", ")), values)
    }

    /// The number of matching rows: exact up to 1,000; past that PostgreSQL's planner
    /// estimate (at least 1,001), or 1,001 as a lower bound on SQLite.
    ///
    /// On PostgreSQL the estimate comes first, and when it is far past the limit (ten times)
    /// the capped count is skipped: a big list costs the page query and a plan, nothing more.
    /// (The planner's statistics cover status, priority and assignee; for substring search
    /// `pg_trgm` estimates, within a factor of 1.5 on the benchmark data, see bench/.)
    pub(crate) async fn count(&self, filter: Condition) -> Result<(u64, bool), StoreError> {
        let mut estimate = None;
        if self.backend == Backend::Postgres {
            estimate = self.estimate(filter.clone()).await?;
            if let Some(rows) = estimate
                && rows >= 10 * EXACT_TOTAL_LIMIT
            {
                return Ok((rows, false));
            }
        }
        let limited = ticket::Entity::find()
            .select_only()
            .expr(Expr::val(1))
            .filter(filter.clone())
            .limit(EXACT_TOTAL_LIMIT + 1)
            .into_query();
        let count = Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(limited, Alias::new("matching"))
            .to_owned();
        let row = self.db.query_one(&count).await?.ok_or(StoreError::NotFound)?;
        let exact: i64 = row.try_get_by_index(0)?;
        let exact = exact as u64;
        if exact <= EXACT_TOTAL_LIMIT {
            return Ok((exact, true));
        }
        if self.backend == Backend::Postgres {
            if estimate.is_none() {
                estimate = self.estimate(filter).await?;
            }
            if let Some(rows) = estimate {
                return Ok((std::cmp::max(rows, exact), false));
            }
        }
        Ok((exact, false))
    }

    /// [`Self::count`] for a SQLite search, whose count evaluates the FTS match in full: a
    /// count found past the limit is kept like an estimate, so a search with many matches is
    /// not counted again for [`ESTIMATE_CACHE_TTL`]. (Other filters are counted off an index,
    /// cheaply, every time; exact counts are never kept.)
    async fn count_search_sqlite(&self, filter: Condition) -> Result<(u64, bool), StoreError> {
        let key = cache_key(&matching(filter.clone(), DbBackend::Sqlite));
        if let Some(Some(rows)) = self.estimates.get(&key) {
            return Ok((rows, false));
        }
        let (total, exact) = self.count(filter).await?;
        if !exact {
            self.estimates.insert(key, Some(total));
        }
        Ok((total, exact))
    }

    /// PostgreSQL's planner estimate of the matching rows (a plan, no execution), kept for
    /// [`ESTIMATE_CACHE_TTL`] per statement: an estimate is no fresher for being re-planned
    /// at once, and the lists a desk keeps open are asked for again and again.
    async fn estimate(&self, filter: Condition) -> Result<Option<u64>, StoreError> {
        let all = matching(filter, DbBackend::Postgres);
        let key = cache_key(&all);
        if let Some(rows) = self.estimates.get(&key) {
            return Ok(rows);
        }
        let values = all.values.map(|v| v.0).unwrap_or_default();
        let explain = Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN (FORMAT JSON) {}", all.sql),
            values,
        );
        let rows = match self.db.query_one_raw(explain).await? {
            Some(row) => {
                let plan: serde_json::Value = row.try_get_by_index(0)?;
                plan[0]["Plan"]["Plan Rows"].as_f64().map(|rows| rows as u64)
            }
            None => None,
        };
        self.estimates.insert(key, rows);
        Ok(rows)
    }
}

/// The statement of [`Store::ticket_detail`]: the ticket `key` names, with its conversation's
/// header, its assignee's name and address and its comment count.
fn detail_select(ws: WorkspaceId, key: &TicketKey) -> sea_orm::sea_query::SelectStatement {
    let comments = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(ticket_comment::Entity)
        .and_where(
            Expr::col((ticket_comment::Entity, ticket_comment::Column::TicketId))
                .equals((ticket::Entity, ticket::Column::Id)),
        )
        .and_where(
            Expr::col((ticket_comment::Entity, ticket_comment::Column::WorkspaceId))
                .equals((ticket::Entity, ticket::Column::WorkspaceId)),
        )
        .to_owned();
    let mut select = by_key(ws, key).into_query();
    select
        .join(
            JoinType::LeftJoin,
            conversation::Entity,
            Expr::col((conversation::Entity, conversation::Column::Id))
                .equals((ticket::Entity, ticket::Column::ConversationId))
                .and(
                    Expr::col((conversation::Entity, conversation::Column::WorkspaceId))
                        .equals((ticket::Entity, ticket::Column::WorkspaceId)),
                ),
        )
        .join(
            JoinType::LeftJoin,
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((ticket::Entity, ticket::Column::AssignedToUserId)),
        )
        .expr_as(Expr::col((conversation::Entity, conversation::Column::Id)), Alias::new("d_conversation_id"))
        .expr_as(Expr::col((conversation::Entity, conversation::Column::AgentId)), Alias::new("d_agent_id"))
        .expr_as(
            Expr::col((conversation::Entity, conversation::Column::StartedAt)),
            Alias::new("d_started_at"),
        )
        .expr_as(
            Expr::col((conversation::Entity, conversation::Column::LastActivityAt)),
            Alias::new("d_last_activity_at"),
        )
        .expr_as(Expr::col((user::Entity, user::Column::Name)), Alias::new("d_assignee_name"))
        .expr_as(Expr::col((user::Entity, user::Column::Email)), Alias::new("d_assignee_email"))
        .expr_as(Expr::from(comments.into_sub_query_statement()), Alias::new("d_comments_count"))
        .to_owned()
}

/// [`detail_select`] for `backend`, its SQL text built once per backend and kind of key:
/// building it on every request was a tenth of a get's CPU. Its values are the workspace
/// and the key, in that order (a test holds the built statement to it).
fn detail_statement(backend: DbBackend, ws: WorkspaceId, key: &TicketKey) -> Statement {
    static SQL: [[std::sync::OnceLock<String>; 2]; 2] =
        [const { [const { std::sync::OnceLock::new() }; 2] }; 2];
    let by_backend = usize::from(backend == DbBackend::Postgres);
    let by_key = usize::from(matches!(key, TicketKey::Reference { .. }));
    let sql = SQL[by_backend][by_key].get_or_init(|| backend.build(&detail_select(ws, key)).sql);
    Statement::from_sql_and_values(backend, sql.clone(), detail_values(ws, key))
}

fn detail_values(ws: WorkspaceId, key: &TicketKey) -> Vec<Value> {
    let key = match key {
        TicketKey::Id(id) => Value::from(id.0),
        TicketKey::Reference { number, .. } => Value::from(*number),
    };
    vec![Value::from(ws.0), key]
}

/// The ticket `key` names in `ws` (by the `(workspace_id, number)` index for a reference).
fn by_key(ws: WorkspaceId, key: &TicketKey) -> sea_orm::Select<ticket::Entity> {
    let select = ticket::Entity::find().filter(ticket::Column::WorkspaceId.eq(ws.0));
    match key {
        TicketKey::Id(id) => select.filter(ticket::Column::Id.eq(id.0)),
        TicketKey::Reference { number, .. } => select.filter(ticket::Column::Number.eq(*number)),
    }
}

/// `model`, if `key` names it: a reference must carry the ticket's own prefix (`XYZ-12`
/// does not name `ACME-12`).
fn named_by(model: ticket::Model, key: &TicketKey) -> Result<ticket::Model, StoreError> {
    match key {
        TicketKey::Reference { prefix, number } if model.reference != format!("{prefix}-{number}") => {
            Err(StoreError::NotFound)
        }
        _ => Ok(model),
    }
}

/// `SELECT 1` from the tickets that match `filter`.
fn matching(filter: Condition, backend: DbBackend) -> Statement {
    ticket::Entity::find().select_only().expr(Expr::val(1)).filter(filter).build(backend)
}

/// A statement with its values, as a key of the estimates cache.
fn cache_key(statement: &Statement) -> String {
    format!("{}\u{0}{:?}", statement.sql, statement.values)
}

/// A `q` that names a ticket: that ticket, if the other filters let it through, and whether
/// the text is searched as well.
struct Pinned {
    hit: Option<ticket::Model>,
    search: bool,
}

/// How a SQLite search's FTS matches enter the list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matches {
    /// The matches (of `q`, or of `sla=breached` on SQLite) drive the query: their rows are
    /// looked up, then filtered and sorted.
    Drive,
    /// The query walks an index in the list's order and checks each row against them.
    Check,
}

/// How long a list's row estimate is reused (PostgreSQL). Exact totals (up to 1,000) are
/// counted on every request; only the planner's estimate, which decides whether to count
/// and answers `total` past 10,000 matches, is kept.
pub const ESTIMATE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) fn order(select: sea_orm::Select<ticket::Entity>, sort: Sort) -> sea_orm::Select<ticket::Entity> {
    use ticket::Column as C;
    match sort {
        Sort::CreatedDesc => select.order_by_desc(C::CreatedAt).order_by_desc(C::Id),
        Sort::CreatedAsc => select.order_by_asc(C::CreatedAt).order_by_asc(C::Id),
        Sort::UpdatedDesc => select.order_by_desc(C::UpdatedAt).order_by_desc(C::Id),
        Sort::PriorityDesc => {
            select.order_by_desc(C::Priority).order_by_desc(C::CreatedAt).order_by_desc(C::Id)
        }
        // The running part of `sort=due` (see `list_by_due` for the whole order).
        Sort::Due => select.order_by_asc(C::SlaNextDueAt).order_by_asc(C::Id),
    }
}

fn cursor_after(sort: Sort, last: &Ticket) -> Cursor {
    let (at, priority_rank) = match sort {
        Sort::CreatedDesc | Sort::CreatedAsc => (last.created_at, None),
        Sort::UpdatedDesc => (last.updated_at, None),
        Sort::PriorityDesc => (last.created_at, Some(last.priority.rank())),
        // `list_by_due` makes its own cursors (from the row's next due time).
        Sort::Due => (last.created_at, None),
    };
    Cursor { sort: sort.as_str().to_owned(), at, priority_rank, no_clock: false, id: last.id }
}

fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// `detail_statement` reuses the SQL text with its own list of values: the text must
    /// take them in that order, on both databases and for both kinds of key.
    #[test]
    fn the_detail_statement_takes_the_workspace_then_the_key() {
        let ws = WorkspaceId(Uuid::now_v7());
        let keys = [
            TicketKey::Id(TicketId(Uuid::now_v7())),
            TicketKey::Reference { prefix: "ACME".into(), number: 12 },
        ];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for key in &keys {
                let built = backend.build(&detail_select(ws, key));
                assert_eq!(built.values.expect("values").0, detail_values(ws, key), "{backend:?} {key:?}");
                let cached = detail_statement(backend, ws, key);
                assert_eq!(cached.sql, built.sql, "{backend:?} {key:?}");
            }
        }
    }
}
