//! The ticket thread: comments — internal notes, replies mailed to the requester, the
//! requester's own messages — with their effects, each comment in one transaction: the
//! activity log, the `ticket.comment_created` outbox event, the first reply's
//! `first_responded_at`, a resolved ticket reopened or a closed one followed up by a new
//! ticket, and a reply's delivery row (its mail is sent by the delivery worker).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::delivery::TargetKind;
use domain::notification::EventType;
use domain::thread::{
    AuthorType, CommentCursor, CommentKind, CommentListQuery, CustomerEffect, DeliveryStatus, Requester,
};
use domain::ticket::{Change, EventKind, NewTicket, Source, TicketKey};
use domain::validation::ValidationError;
use domain::{TicketId, TokenId, UserId, WorkspaceId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{api_token, delivery, ticket, ticket_comment, ticket_event, user};
use crate::notifications::{OutboxEvent, parse_state, pending_delivery};
use crate::tickets::NewTicketInput;
use crate::{Actor, Store, StoreError, Ticket};

/// Who writes a new comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentAuthor {
    /// A member (note, reply).
    User(UserId),
    /// An API token (an integration's note or reply).
    Token(TokenId),
    /// The ticket's requester, as the ticket has it (a customer comment logged by an
    /// operator or posted by a web form).
    Requester,
    /// Someone who wrote in, e.g. an inbound mail's sender (a customer comment).
    Sender(Requester),
}

/// A comment to add.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Chosen up front, so that a reply's Message-ID can name it.
    pub id: Uuid,
    pub kind: CommentKind,
    /// Already checked ([`domain::thread::parse_comment_body`]).
    pub body: String,
    pub author: CommentAuthor,
    /// The RFC 5322 Message-ID: required for a reply (see [`NewComment::reply`]); an inbound
    /// mail's own (unique per workspace: the same mail twice is a `Conflict`).
    pub message_id: Option<String>,
    /// Who recorded it: the activity log's actor.
    pub recorded_by: Actor,
}

impl NewComment {
    pub fn new(kind: CommentKind, body: String, author: CommentAuthor, recorded_by: Actor) -> Self {
        NewComment { id: Uuid::now_v7(), kind, body, author, message_id: None, recorded_by }
    }

    /// A reply, with the Message-ID `<{comment id}@{mail_domain}>` its mail will carry.
    pub fn reply(body: String, author: CommentAuthor, recorded_by: Actor, mail_domain: &str) -> Self {
        let mut comment = Self::new(CommentKind::Reply, body, author, recorded_by);
        comment.message_id = Some(domain::thread::reply_message_id(comment.id, mail_domain));
        comment
    }
}

/// A comment's author as stored: names are kept, so a removed member's comments keep theirs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Author {
    #[serde(rename = "type")]
    pub kind: AuthorType,
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The mail of a reply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommentDelivery {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A comment. Serialises exactly as the API's comment (event payloads use it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Comment {
    pub id: Uuid,
    pub ticket_id: TicketId,
    pub kind: CommentKind,
    pub author: Author,
    pub body: String,
    #[serde(skip)]
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Replies only.
    pub delivery: Option<CommentDelivery>,
}

/// What adding a comment did.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentOutcome {
    pub comment: Comment,
    /// The ticket the comment landed on, after its effects: the follow-up for a customer
    /// comment on a closed ticket.
    pub ticket: Ticket,
    /// Whether a follow-up ticket was created for it.
    pub created_ticket: bool,
}

/// One page of a thread, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentPage {
    pub comments: Vec<Comment>,
    /// The ticket's comments in all (exact: a thread is small and indexed).
    pub total: u64,
    pub next_cursor: Option<String>,
}

impl Store {
    /// Adds a comment to a ticket with all its effects, in one transaction:
    /// - the activity-log event `commented` (to = the kind; actor = `recorded_by`);
    /// - the outbox event `ticket.comment_created` `{ticket, comment}`;
    /// - a reply: `first_responded_at` stamped if unset, and its delivery row queued
    ///   (target = the requester's address; without one, 422 `requester`);
    /// - a customer comment: on a resolved ticket, reopens it (`pending` if assigned, else
    ///   `open`; `resolved_at` cleared; logged `reopened`; `ticket.updated`); on a closed one,
    ///   opens a follow-up ticket (`metadata.follow_up_of` = the old reference) whose body
    ///   and first comment are the message; the closed ticket stays closed.
    pub async fn add_comment(
        &self,
        ws: WorkspaceId,
        key: &TicketKey,
        new: NewComment,
    ) -> Result<CommentOutcome, StoreError> {
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let model = self.find_ticket(&tx, ws, key, true).await?;
        let current: Ticket = model.clone().try_into()?;
        check_author(new.kind, &new.author)?;
        let reply_to = match new.kind {
            CommentKind::Reply => {
                Some(current.requester.as_ref().and_then(|r| r.email.clone()).ok_or_else(|| {
                    ValidationError::field(
                        "requester",
                        "the ticket has no requester e-mail address to reply to: add one first",
                    )
                })?)
            }
            _ => None,
        };
        if new.kind == CommentKind::Reply && new.message_id.is_none() {
            return Err(StoreError::InvalidCall("a reply needs its Message-ID (NewComment::reply)".into()));
        }
        let author = self.author(&tx, &new.author, current.requester.as_ref()).await?;
        let mut events = Vec::new();

        // Where the comment lands, and what it does to that ticket.
        let effect = match new.kind {
            CommentKind::Customer => {
                CustomerEffect::of(current.status, current.assigned_to_user_id.is_some())
            }
            _ => CustomerEffect::Stays,
        };
        let (target, mut active, created_ticket) = match effect {
            CustomerEffect::FollowUp => {
                let follow_up = self.insert_follow_up(&tx, ws, &current, &new, now).await?;
                events.push(
                    self.emit(&tx, ws, EventType::TicketCreated, serde_json::json!({ "ticket": follow_up }))
                        .await?,
                );
                let active = ticket::ActiveModel { id: Set(follow_up.id.0), ..Default::default() };
                (follow_up, active, true)
            }
            _ => (current.clone(), ticket::ActiveModel::from(model), false),
        };
        let mut changes = Vec::new();
        if let CustomerEffect::Reopen(status) = effect {
            active.status = Set(status.as_str().to_owned());
            active.resolved_at = Set(None);
            changes.push(Change {
                kind: EventKind::Reopened,
                from: Some(current.status.as_str().into()),
                to: Some(status.as_str().into()),
            });
        }
        if new.kind == CommentKind::Reply && target.first_responded_at.is_none() {
            active.first_responded_at = Set(Some(now));
        }
        active.updated_at = Set(now);
        ticket::Entity::update(active).exec(&tx).await?;
        // The SLA clocks follow: a first reply meets the first response, a reopening counts
        // a new resolution due time from now (a follow-up already has a new ticket's).
        let before = crate::sla::SlaBefore { status: target.status, priority: target.priority };
        self.sla_sync(&tx, ws, target.id, before, now).await?;
        let ticket: Ticket = self.find_ticket(&tx, ws, &TicketKey::Id(target.id), false).await?.try_into()?;

        let comment = Comment {
            id: new.id,
            ticket_id: ticket.id,
            kind: new.kind,
            author,
            body: new.body,
            message_id: new.message_id,
            created_at: now,
            delivery: reply_to.as_ref().map(|_| CommentDelivery {
                status: DeliveryStatus::Queued,
                attempts: 0,
                last_error: None,
                sent_at: None,
            }),
        };
        ticket_comment::Entity::insert(comment_model(ws, &comment)).exec_without_returning(&tx).await?;
        changes.push(Change {
            kind: EventKind::Commented,
            from: None,
            to: Some(comment.kind.as_str().into()),
        });
        let log: Vec<_> = changes
            .iter()
            .map(|c| crate::tickets::event_model(ws, ticket.id, c, new.recorded_by, now))
            .collect();
        ticket_event::Entity::insert_many(log).exec_without_returning(&tx).await?;

        if let CustomerEffect::Reopen(_) = effect {
            let change_list: Vec<_> = changes
                .iter()
                .filter(|c| c.kind == EventKind::Reopened)
                .map(|c| serde_json::json!({ "kind": c.kind.as_str(), "from": c.from, "to": c.to }))
                .collect();
            let data = serde_json::json!({ "ticket": ticket, "changes": change_list });
            events.push(self.emit(&tx, ws, EventType::TicketUpdated, data).await?);
        }
        let data = serde_json::json!({ "ticket": ticket, "comment": comment });
        let created = self.emit(&tx, ws, EventType::TicketCommentCreated, data).await?;
        if let Some(address) = reply_to {
            let queued = pending_delivery(
                ws,
                created.id,
                now,
                TargetKind::Reply,
                address,
                None,
                Some(comment.id),
                comment.message_id.clone(),
            );
            delivery::Entity::insert(queued).exec_without_returning(&tx).await?;
        }
        events.push(created);
        tx.commit().await?;
        self.publish(events);
        Ok(CommentOutcome { comment, ticket, created_ticket })
    }

    /// The follow-up of a closed ticket: same subject, priority, agent and requester (an
    /// inbound sender's address first), the message as its body, `metadata.follow_up_of`.
    async fn insert_follow_up<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        closed: &Ticket,
        comment: &NewComment,
        now: DateTime<Utc>,
    ) -> Result<Ticket, StoreError> {
        let requester = match &comment.author {
            CommentAuthor::Sender(sender) => Some(sender.clone().or(closed.requester.clone())),
            _ => closed.requester.clone(),
        };
        let source = if comment.message_id.is_some() { Source::Email } else { Source::Api };
        let mut metadata = serde_json::Map::new();
        metadata.insert("follow_up_of".into(), serde_json::Value::String(closed.reference.clone()));
        let body =
            domain::ticket::parse_body(&comment.body).map_err(|e| ValidationError::field("body", e))?;
        let input = NewTicketInput {
            agent_id: closed.agent_id,
            metadata,
            requester,
            ..NewTicketInput::new(
                NewTicket { subject: closed.subject.clone(), body, priority: closed.priority },
                source,
                comment.recorded_by,
            )
        };
        self.insert_ticket(db, ws, TicketId::new(), input, now).await
    }

    /// A new comment's author as stored: a user's name and address, a token's name, the
    /// requester's (or the sender's) name and address.
    async fn author<C: ConnectionTrait>(
        &self,
        db: &C,
        author: &CommentAuthor,
        requester: Option<&Requester>,
    ) -> Result<Author, StoreError> {
        Ok(match author {
            CommentAuthor::User(id) => {
                let found = user::Entity::find_by_id(id.0).one(db).await?;
                Author {
                    kind: AuthorType::User,
                    id: Some(id.0),
                    name: found.as_ref().map(|u| u.name.clone()),
                    email: found.map(|u| u.email),
                }
            }
            CommentAuthor::Token(id) => {
                let found = api_token::Entity::find_by_id(id.0).one(db).await?;
                Author { kind: AuthorType::Token, id: Some(id.0), name: found.map(|t| t.name), email: None }
            }
            CommentAuthor::Requester => Author {
                kind: AuthorType::Requester,
                id: None,
                name: requester.and_then(|r| r.name.clone()),
                email: requester.and_then(|r| r.email.clone()),
            },
            CommentAuthor::Sender(sender) => Author {
                kind: AuthorType::Requester,
                id: None,
                name: sender.name.clone(),
                email: sender.email.clone(),
            },
        })
    }

    /// A ticket's comments, oldest first, `query.per_page` at a time after `query.cursor`.
    pub async fn comments(
        &self,
        ws: WorkspaceId,
        key: &TicketKey,
        query: &CommentListQuery,
    ) -> Result<CommentPage, StoreError> {
        let ticket = self.find_ticket(&self.db, ws, key, false).await?;
        let mut select = ticket_comment::Entity::find()
            .filter(ticket_comment::Column::TicketId.eq(ticket.id))
            .filter(ticket_comment::Column::WorkspaceId.eq(ws.0));
        if let Some(CommentCursor { at, id }) = query.cursor {
            select = select.filter(
                Condition::any().add(ticket_comment::Column::CreatedAt.gt(at)).add(
                    Condition::all()
                        .add(ticket_comment::Column::CreatedAt.eq(at))
                        .add(ticket_comment::Column::Id.gt(id)),
                ),
            );
        }
        let mut rows = select
            .order_by_asc(ticket_comment::Column::CreatedAt)
            .order_by_asc(ticket_comment::Column::Id)
            .limit(query.per_page + 1)
            .all(&self.db)
            .await?;
        let has_more = rows.len() as u64 > query.per_page;
        rows.truncate(query.per_page as usize);
        let comments = self.with_deliveries(rows).await?;
        let next_cursor = if has_more {
            comments.last().map(|c| CommentCursor { at: c.created_at, id: c.id }.encode())
        } else {
            None
        };
        let total = self.comments_count(ws, TicketId(ticket.id)).await?;
        Ok(CommentPage { comments, total, next_cursor })
    }

    /// One comment, with its delivery.
    pub async fn comment(&self, ws: WorkspaceId, id: Uuid) -> Result<Comment, StoreError> {
        let row = ticket_comment::Entity::find_by_id(id)
            .filter(ticket_comment::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.with_deliveries(vec![row]).await?.pop().ok_or(StoreError::NotFound)
    }

    /// The comment of this workspace with this Message-ID (a reply ticketd sent, or a mail
    /// taken in), if any: how an answer's `In-Reply-To` finds its ticket.
    pub async fn comment_by_message_id(
        &self,
        ws: WorkspaceId,
        message_id: &str,
    ) -> Result<Option<Comment>, StoreError> {
        let Some(row) = ticket_comment::Entity::find()
            .filter(ticket_comment::Column::WorkspaceId.eq(ws.0))
            .filter(ticket_comment::Column::MessageId.eq(message_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(self.with_deliveries(vec![row]).await?.pop())
    }

    /// How many comments a ticket has.
    pub async fn comments_count(&self, ws: WorkspaceId, ticket: TicketId) -> Result<u64, StoreError> {
        Ok(ticket_comment::Entity::find()
            .filter(ticket_comment::Column::TicketId.eq(ticket.0))
            .filter(ticket_comment::Column::WorkspaceId.eq(ws.0))
            .count(&self.db)
            .await?)
    }

    /// Comments with their replies' deliveries.
    async fn with_deliveries(&self, rows: Vec<ticket_comment::Model>) -> Result<Vec<Comment>, StoreError> {
        let reply_ids: Vec<Uuid> =
            rows.iter().filter(|r| r.kind == CommentKind::Reply.as_str()).map(|r| r.id).collect();
        let mut deliveries: HashMap<Uuid, delivery::Model> = HashMap::new();
        if !reply_ids.is_empty() {
            for d in delivery::Entity::find()
                .filter(delivery::Column::CommentId.is_in(reply_ids))
                .filter(delivery::Column::TargetKind.eq(TargetKind::Reply.as_str()))
                .all(&self.db)
                .await?
            {
                if let Some(comment_id) = d.comment_id {
                    deliveries.insert(comment_id, d);
                }
            }
        }
        rows.into_iter()
            .map(|r| {
                let delivery = match deliveries.remove(&r.id) {
                    Some(d) => Some(CommentDelivery {
                        status: parse_state(&d.status)?.into(),
                        attempts: d.attempts,
                        last_error: d.last_error,
                        sent_at: d.delivered_at,
                    }),
                    None => None,
                };
                comment_from(r, delivery)
            })
            .collect()
    }

    /// Announces a reply whose delivery changed: `ticket.comment_updated` `{ticket, comment}`
    /// with the comment's new `delivery` (for the mail worker, after recording an attempt).
    pub async fn emit_comment_updated(
        &self,
        ws: WorkspaceId,
        comment_id: Uuid,
    ) -> Result<OutboxEvent, StoreError> {
        let comment = self.comment(ws, comment_id).await?;
        let ticket = self.ticket(ws, &TicketKey::Id(comment.ticket_id)).await?;
        let data = serde_json::json!({ "ticket": ticket, "comment": comment });
        self.emit_event(ws, EventType::TicketCommentUpdated, data).await
    }
}

/// Notes and replies are written by a user or a token; customer comments by the requester.
fn check_author(kind: CommentKind, author: &CommentAuthor) -> Result<(), StoreError> {
    let requester = matches!(author, CommentAuthor::Requester | CommentAuthor::Sender(_));
    if (kind == CommentKind::Customer) != requester {
        return Err(StoreError::InvalidCall(format!("a {kind} comment cannot have the author {author:?}")));
    }
    Ok(())
}

pub(crate) fn comment_model(ws: WorkspaceId, c: &Comment) -> ticket_comment::ActiveModel {
    ticket_comment::ActiveModel {
        id: Set(c.id),
        workspace_id: Set(ws.0),
        ticket_id: Set(c.ticket_id.0),
        kind: Set(c.kind.as_str().to_owned()),
        author_type: Set(c.author.kind.as_str().to_owned()),
        author_id: Set(c.author.id),
        author_name: Set(c.author.name.clone()),
        author_email: Set(c.author.email.clone()),
        body: Set(c.body.clone()),
        message_id: Set(c.message_id.clone()),
        created_at: Set(c.created_at),
    }
}

fn comment_from(r: ticket_comment::Model, delivery: Option<CommentDelivery>) -> Result<Comment, StoreError> {
    let corrupt = |e: String| StoreError::CorruptRow(format!("comment: {e}"));
    Ok(Comment {
        id: r.id,
        ticket_id: TicketId(r.ticket_id),
        kind: r.kind.parse().map_err(corrupt)?,
        author: Author {
            kind: r.author_type.parse().map_err(corrupt)?,
            id: r.author_id,
            name: r.author_name,
            email: r.author_email,
        },
        body: r.body,
        message_id: r.message_id,
        created_at: r.created_at,
        delivery,
    })
}
