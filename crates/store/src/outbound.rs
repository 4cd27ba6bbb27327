//! What the mail worker reads to send a reply: the comment, its ticket, and the Message-IDs
//! of the thread before it (for `In-Reply-To` and `References`).

use domain::WorkspaceId;
use domain::delivery::{DeliveryState, TargetKind};
use domain::thread::CommentKind;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{delivery, ticket, ticket_comment};
use crate::{Store, StoreError};

/// A reply and the thread it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyThread {
    pub ticket_id: Uuid,
    pub reference: String,
    pub subject: String,
    pub requester_name: Option<String>,
    pub body: String,
    pub author_name: Option<String>,
    /// The reply's own Message-ID.
    pub message_id: Option<String>,
    /// The Message-IDs of the ticket's mails before this reply, oldest first: the inbound
    /// mail that opened the ticket, customer mails received, replies sent or still being
    /// tried (not those given up: nobody received them).
    pub earlier_message_ids: Vec<String>,
}

impl Store {
    /// The reply `comment_id` of workspace `ws` with its thread.
    pub async fn reply_thread(&self, ws: WorkspaceId, comment_id: Uuid) -> Result<ReplyThread, StoreError> {
        let comment = ticket_comment::Entity::find_by_id(comment_id)
            .filter(ticket_comment::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let ticket = ticket::Entity::find_by_id(comment.ticket_id)
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = Condition::any().add(ticket_comment::Column::CreatedAt.lt(comment.created_at)).add(
            Condition::all()
                .add(ticket_comment::Column::CreatedAt.eq(comment.created_at))
                .add(ticket_comment::Column::Id.lt(comment.id)),
        );
        let earlier: Vec<(Uuid, String, Option<String>)> = ticket_comment::Entity::find()
            .select_only()
            .column(ticket_comment::Column::Id)
            .column(ticket_comment::Column::Kind)
            .column(ticket_comment::Column::MessageId)
            .filter(ticket_comment::Column::TicketId.eq(ticket.id))
            .filter(ticket_comment::Column::MessageId.is_not_null())
            .filter(before)
            .order_by_asc(ticket_comment::Column::CreatedAt)
            .order_by_asc(ticket_comment::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        let reply_ids: Vec<Uuid> = earlier
            .iter()
            .filter(|(_, kind, _)| kind == CommentKind::Reply.as_str())
            .map(|(id, ..)| *id)
            .collect();
        let given_up: Vec<Uuid> = if reply_ids.is_empty() {
            Vec::new()
        } else {
            delivery::Entity::find()
                .select_only()
                .column(delivery::Column::CommentId)
                .filter(delivery::Column::CommentId.is_in(reply_ids))
                .filter(delivery::Column::TargetKind.eq(TargetKind::Reply.as_str()))
                .filter(delivery::Column::Status.eq(DeliveryState::Failed.as_str()))
                .into_tuple::<Option<Uuid>>()
                .all(&self.db)
                .await?
                .into_iter()
                .flatten()
                .collect()
        };
        let mut ids: Vec<String> = Vec::new();
        if let Some(opening) = ticket.metadata.get("message_id").and_then(|v| v.as_str()) {
            ids.push(opening.to_owned());
        }
        for (id, _, message_id) in earlier {
            if let Some(message_id) = message_id
                && !given_up.contains(&id)
                && !ids.contains(&message_id)
            {
                ids.push(message_id);
            }
        }
        Ok(ReplyThread {
            ticket_id: ticket.id,
            reference: ticket.reference,
            subject: ticket.subject,
            requester_name: ticket.requester_name,
            body: comment.body,
            author_name: comment.author_name,
            message_id: comment.message_id,
            earlier_message_ids: ids,
        })
    }
}
