//! Conversations and their messages; the expiry purge.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use domain::conversation::{MESSAGES_MAX, MessageRole, Visitor, expiry_cutoff};
use domain::{AgentId, ConversationId, TicketId, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{agent, conversation, message, ticket};
use crate::{Backend, ConversationDetail, ConversationSummary, Message, Store, StoreError};

fn summary(m: conversation::Model, agent_name: String) -> ConversationSummary {
    let conversation::Model {
        id,
        workspace_id: _,
        agent_id,
        visitor_name,
        visitor_email,
        started_at,
        last_activity_at,
        has_ticket,
    } = m;
    ConversationSummary {
        id: ConversationId(id),
        agent_id: AgentId(agent_id),
        agent_name,
        visitor_name,
        visitor_email,
        started_at,
        last_activity_at,
        has_ticket,
    }
}

fn message_record(m: message::Model) -> Message {
    Message { id: m.id, role: m.role, content: m.content, created_at: m.created_at }
}

pub(crate) fn message_model(
    ws: WorkspaceId,
    conversation: Uuid,
    role: MessageRole,
    content: String,
    at: DateTime<Utc>,
) -> message::ActiveModel {
    message::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(ws.0),
        conversation_id: Set(conversation),
        role: Set(role.as_str().to_owned()),
        content: Set(content),
        created_at: Set(at),
    }
}

/// 409 once a conversation holds [`MESSAGES_MAX`] messages. Called inside the transaction
/// that appends, after it has locked the conversation's row (PostgreSQL; SQLite writes one at
/// a time), so two appends cannot both see room for one.
pub(crate) async fn ensure_room<C: ConnectionTrait>(db: &C, conversation: Uuid) -> Result<(), StoreError> {
    let held =
        message::Entity::find().filter(message::Column::ConversationId.eq(conversation)).count(db).await?;
    if held >= MESSAGES_MAX {
        return Err(StoreError::Conflict(format!(
            "the conversation has reached its limit of {MESSAGES_MAX} messages: start a new conversation"
        )));
    }
    Ok(())
}

impl Store {
    /// Starts a conversation of a live agent, with its first messages.
    pub async fn create_conversation(
        &self,
        ws: WorkspaceId,
        agent_id: AgentId,
        visitor: Visitor,
        messages: Vec<(MessageRole, String)>,
    ) -> Result<ConversationDetail, StoreError> {
        let agent = match self.agent(ws, agent_id).await {
            Ok(agent) => agent,
            Err(StoreError::NotFound) => {
                return Err(
                    domain::ValidationError::field("agent_id", "no such agent in this workspace").into()
                );
            }
            Err(e) => return Err(e),
        };
        let now = domain::time::now();
        let id = ConversationId::new();
        let count = messages.len() as i64;
        // Each message a microsecond after the previous one, so the thread keeps its order.
        let last = now + Duration::microseconds(count.saturating_sub(1).max(0));
        let tx = self.write_tx().await?;
        let model = conversation::ActiveModel {
            id: Set(id.0),
            workspace_id: Set(ws.0),
            agent_id: Set(agent.id.0),
            visitor_name: Set(visitor.name),
            visitor_email: Set(visitor.email),
            started_at: Set(now),
            last_activity_at: Set(last),
            has_ticket: Set(false),
        };
        conversation::Entity::insert(model).exec_without_returning(&tx).await?;
        if !messages.is_empty() {
            let rows = messages.into_iter().enumerate().map(|(i, (role, content))| {
                message_model(ws, id.0, role, content, now + Duration::microseconds(i as i64))
            });
            message::Entity::insert_many(rows).exec_without_returning(&tx).await?;
        }
        tx.commit().await?;
        self.conversation(ws, id).await
    }

    /// Appends a message; a conversation past its expiry takes no more messages.
    pub async fn add_message(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        role: MessageRole,
        content: String,
    ) -> Result<Message, StoreError> {
        let tx = self.write_tx().await?;
        // Locked (PostgreSQL; SQLite writes one at a time) so that a purge cannot delete the
        // conversation between this check and the insert: it waits, then sees the new activity.
        let mut select =
            conversation::Entity::find_by_id(id.0).filter(conversation::Column::WorkspaceId.eq(ws.0));
        if self.backend == Backend::Postgres {
            select = select.lock_exclusive();
        }
        let conv = select.one(&tx).await?.ok_or(StoreError::NotFound)?;
        let now = domain::time::now().max(conv.last_activity_at + Duration::microseconds(1));
        if conv.last_activity_at < expiry_cutoff(now) {
            return Err(StoreError::Conflict(
                "the conversation has expired (24 hours without a message): start a new one".into(),
            ));
        }
        ensure_room(&tx, id.0).await?;
        let model = message_model(ws, id.0, role, content, now);
        let saved = message::Entity::insert(model).exec_with_returning(&tx).await?;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::LastActivityAt, Expr::value(now))
            .filter(conversation::Column::Id.eq(id.0))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(message_record(saved))
    }

    async fn agent_names(&self, ws: WorkspaceId) -> Result<HashMap<Uuid, String>, StoreError> {
        Ok(agent::Entity::find()
            .filter(agent::Column::WorkspaceId.eq(ws.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect())
    }

    /// The live conversations (not expired at `now`), newest activity first, with the total.
    pub async fn live_conversations(
        &self,
        ws: WorkspaceId,
        now: DateTime<Utc>,
        page: u64,
        per_page: u64,
    ) -> Result<(Vec<ConversationSummary>, u64), StoreError> {
        let select = conversation::Entity::find()
            .filter(conversation::Column::WorkspaceId.eq(ws.0))
            .filter(conversation::Column::LastActivityAt.gte(expiry_cutoff(now)));
        let total = select.clone().count(&self.db).await?;
        let rows = select
            .order_by_desc(conversation::Column::LastActivityAt)
            .order_by_desc(conversation::Column::Id)
            .offset((page.max(1) - 1) * per_page)
            .limit(per_page)
            .all(&self.db)
            .await?;
        let names = self.agent_names(ws).await?;
        let data = rows
            .into_iter()
            .map(|m| {
                let name = names.get(&m.agent_id).cloned().unwrap_or_default();
                summary(m, name)
            })
            .collect();
        Ok((data, total))
    }

    /// A conversation (live, or kept by a ticket) with its whole thread and its tickets.
    /// The agent a conversation belongs to: one indexed lookup, for callers that need no
    /// transcript (tool invocations, lead events).
    pub async fn conversation_agent(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> Result<AgentId, StoreError> {
        conversation::Entity::find_by_id(id.0)
            .filter(conversation::Column::WorkspaceId.eq(ws.0))
            .select_only()
            .column(conversation::Column::AgentId)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?
            .map(AgentId)
            .ok_or(StoreError::NotFound)
    }

    pub async fn conversation(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> Result<ConversationDetail, StoreError> {
        Ok(self.conversation_page(ws, id, None, None).await?.0)
    }

    /// A conversation with one page of its thread: up to `limit` messages (all without one)
    /// after the message `after` (from the start without one), and the id to pass as `after`
    /// for the next page, if any. A message of another conversation as `after` is a 422.
    pub async fn conversation_page(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        after: Option<Uuid>,
        limit: Option<u64>,
    ) -> Result<(ConversationDetail, Option<Uuid>), StoreError> {
        let conv = conversation::Entity::find_by_id(id.0)
            .filter(conversation::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let agent_name =
            agent::Entity::find_by_id(conv.agent_id).one(&self.db).await?.map(|a| a.name).unwrap_or_default();
        let mut select = message::Entity::find().filter(message::Column::ConversationId.eq(id.0));
        if let Some(after) = after {
            let at = message::Entity::find_by_id(after)
                .filter(message::Column::ConversationId.eq(id.0))
                .select_only()
                .column(message::Column::CreatedAt)
                .into_tuple::<DateTime<Utc>>()
                .one(&self.db)
                .await?
                .ok_or_else(|| {
                    domain::ValidationError::field("cursor", "not a cursor of this conversation's thread")
                })?;
            select = select.filter(Condition::any().add(message::Column::CreatedAt.gt(at)).add(
                Condition::all().add(message::Column::CreatedAt.eq(at)).add(message::Column::Id.gt(after)),
            ));
        }
        select = select.order_by_asc(message::Column::CreatedAt).order_by_asc(message::Column::Id);
        if let Some(limit) = limit {
            select = select.limit(limit + 1);
        }
        let mut messages: Vec<Message> =
            select.all(&self.db).await?.into_iter().map(message_record).collect();
        let next = match limit {
            Some(limit) if messages.len() as u64 > limit => {
                messages.truncate(limit as usize);
                messages.last().map(|m| m.id)
            }
            _ => None,
        };
        let tickets = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .column(ticket::Column::Reference)
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .filter(ticket::Column::ConversationId.eq(id.0))
            .order_by_asc(ticket::Column::Number)
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|(id, reference)| (TicketId(id), reference))
            .collect();
        Ok((ConversationDetail { summary: summary(conv, agent_name), messages, tickets }, next))
    }

    /// Deletes the conversations (and their messages) that expired at `as_of` and that no
    /// ticket links. `has_ticket` is set in the linking ticket's own transaction, and the
    /// delete re-checks it under the row lock, so a conversation that gains a ticket at the
    /// same moment is never deleted.
    pub async fn purge_expired(&self, as_of: DateTime<Utc>) -> Result<u64, StoreError> {
        let tx = self.write_tx().await?;
        let deleted = conversation::Entity::delete_many()
            .filter(conversation::Column::HasTicket.eq(false))
            .filter(conversation::Column::LastActivityAt.lt(expiry_cutoff(as_of)))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected)
    }
}
