//! Inbound e-mail: the one code path behind `POST /api/v1/inbound/email` and
//! `ticketd mail-in`. Parses the message (`mail` crate), drops what must not be answered,
//! threads it onto a ticket of the workspace or opens one, and records the customer's words
//! as a `customer` comment through [`Store::add_comment`] (so a resolved ticket reopens and a
//! closed one gets a follow-up).

use domain::inbound::{IgnoredReason, parse_reply_address, subject_references};
use domain::notification::EventType;
use domain::thread::{AuthorType, CommentKind, Requester};
use domain::ticket::{Change, EventKind, NewTicket, Source, TicketKey};
use domain::{TicketId, WorkspaceId};
use mail::{InboundMail, Parsed};
use sea_orm::EntityTrait;

use crate::entity::{ticket_comment, ticket_event};
use crate::thread::{Author, Comment, CommentAuthor, NewComment, comment_model};
use crate::tickets::NewTicketInput;
use crate::{Actor, Store, StoreError, Ticket};

/// One raw message and what the caller knows beside it.
#[derive(Debug, Clone, Copy)]
pub struct InboundMessage<'a> {
    /// The whole RFC 5322 message.
    pub raw: &'a [u8],
    /// The envelope recipient (`--recipient`, `?recipient=`), tried first for a reply token.
    pub recipient: Option<&'a str>,
    /// The server secret that signs reply addresses (`domain::mail::reply_token`).
    pub secret: &'a [u8],
    /// Who handed the mail in (the API token, or the system for `mail-in`): the activity log's actor.
    pub recorded_by: Actor,
}

/// What became of a message.
#[derive(Debug, Clone)]
pub enum Received {
    /// A `customer` comment on `ticket` (new when `created_ticket`: a new request, or the
    /// follow-up of a closed ticket).
    Accepted { ticket: Box<Ticket>, comment_id: uuid::Uuid, created_ticket: bool },
    /// Not taken; nothing changed.
    Ignored(IgnoredReason),
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// Not a mail (422, exit code 65).
    #[error(transparent)]
    Unparsable(#[from] mail::ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a mail found its ticket (logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThreadedBy {
    MessageId,
    ReplyToken,
    SubjectReference,
}

impl Store {
    /// Takes one inbound mail for workspace `ws`. A Message-ID already taken in this
    /// workspace is a duplicate, also when two deliveries of it race (the unique index on
    /// comments decides).
    pub async fn receive_mail(
        &self,
        ws: WorkspaceId,
        message: InboundMessage<'_>,
    ) -> Result<Received, InboundError> {
        let mail = match mail::parse(message.raw)? {
            Parsed::Ignored(reason) => {
                tracing::info!(%reason, "inbound mail ignored");
                return Ok(Received::Ignored(reason));
            }
            Parsed::Mail(mail) => *mail,
        };
        if let Some(id) = &mail.message_id
            && self.ticket_of_message_id(ws, id).await?.is_some()
        {
            tracing::info!(message_id = %id, "inbound mail ignored: duplicate");
            return Ok(Received::Ignored(IgnoredReason::Duplicate));
        }
        let target = self.thread_of(ws, &mail, &message).await?;
        let result = match target {
            Some((ticket, how)) => {
                tracing::info!(ticket = %ticket, threaded_by = ?how, "inbound mail threads onto a ticket");
                self.add_mail_comment(ws, ticket, &mail, message.recorded_by).await
            }
            None => self.open_mail_ticket(ws, &mail, message.recorded_by).await,
        };
        match result {
            // The same Message-ID committed by a concurrent delivery since the check above.
            Err(StoreError::Conflict(_)) if mail.message_id.is_some() => {
                let id = mail.message_id.as_deref().unwrap_or_default();
                if self.ticket_of_message_id(ws, id).await?.is_some() {
                    return Ok(Received::Ignored(IgnoredReason::Duplicate));
                }
                Err(StoreError::Conflict(format!("cannot record the mail {id}")).into())
            }
            other => Ok(other?),
        }
    }

    /// The ticket a mail answers, by these rules, in order: a Message-ID of the workspace's
    /// threads in `In-Reply-To`/`References`; a valid reply address token in the envelope
    /// recipient, `Delivered-To` (and the like), `To` or `Cc`; `[PREFIX-123]` in the subject
    /// when the sender is that ticket's requester.
    async fn thread_of(
        &self,
        ws: WorkspaceId,
        mail: &InboundMail,
        message: &InboundMessage<'_>,
    ) -> Result<Option<(TicketId, ThreadedBy)>, StoreError> {
        for id in &mail.thread_ids {
            if let Some(ticket) = self.ticket_of_message_id(ws, id).await? {
                return Ok(Some((ticket, ThreadedBy::MessageId)));
            }
        }
        let recipients = message.recipient.into_iter().chain(mail.recipients.iter().map(String::as_str));
        for address in recipients {
            let Some((reference, token)) = parse_reply_address(address) else { continue };
            let key = TicketKey::Reference { prefix: reference.prefix, number: reference.number };
            let ticket = match self.ticket(ws, &key).await {
                Ok(ticket) => ticket,
                // Another workspace's reference, or no such ticket: not this one.
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            if domain::mail::reply_token_matches(message.secret, ticket.id.0, &token) {
                return Ok(Some((ticket.id, ThreadedBy::ReplyToken)));
            }
        }
        for reference in subject_references(&mail.subject) {
            let key = TicketKey::Reference { prefix: reference.prefix, number: reference.number };
            let ticket = match self.ticket(ws, &key).await {
                Ok(ticket) => ticket,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(e),
            };
            let from_requester = ticket
                .requester
                .as_ref()
                .and_then(|r| r.email.as_deref())
                .is_some_and(|email| email.eq_ignore_ascii_case(&mail.from.address));
            if from_requester {
                return Ok(Some((ticket.id, ThreadedBy::SubjectReference)));
            }
        }
        Ok(None)
    }
}

impl Store {
    /// The ticket whose thread holds a comment with this Message-ID (a reply ticketd sent, or
    /// a mail it received), in `ws` only.
    async fn ticket_of_message_id(
        &self,
        ws: WorkspaceId,
        message_id: &str,
    ) -> Result<Option<TicketId>, StoreError> {
        Ok(self.comment_by_message_id(ws, message_id).await?.map(|c| c.ticket_id))
    }

    /// The mail as a `customer` comment by its sender, with [`Store::add_comment`]'s effects
    /// (a resolved ticket reopens; a closed one gets a follow-up ticket).
    async fn add_mail_comment(
        &self,
        ws: WorkspaceId,
        ticket: TicketId,
        mail: &InboundMail,
        recorded_by: Actor,
    ) -> Result<Received, StoreError> {
        let mut new = NewComment::new(
            CommentKind::Customer,
            mail.body.clone(),
            CommentAuthor::Sender(sender(mail)),
            recorded_by,
        );
        new.message_id = mail.message_id.clone();
        let outcome = self.add_comment(ws, &TicketKey::Id(ticket), new).await?;
        Ok(Received::Accepted {
            ticket: Box::new(outcome.ticket),
            comment_id: outcome.comment.id,
            created_ticket: outcome.created_ticket,
        })
    }

    /// A new ticket from the mail (`source: email`, its `message_id`, the sender as requester)
    /// and its first `customer` comment, in one transaction: the comment's unique Message-ID
    /// makes a concurrent second delivery fail whole (no ticket without its mail).
    async fn open_mail_ticket(
        &self,
        ws: WorkspaceId,
        mail: &InboundMail,
        recorded_by: Actor,
    ) -> Result<Received, StoreError> {
        let subject = mail.ticket_subject();
        let ticket = NewTicket::parse(&subject, &mail.body, None)?;
        let mut metadata = serde_json::Map::new();
        if let Some(id) = &mail.message_id {
            metadata.insert("message_id".into(), serde_json::Value::String(id.clone()));
        }
        let input = NewTicketInput {
            metadata,
            requester: Some(sender(mail)),
            ..NewTicketInput::new(ticket, Source::Email, recorded_by)
        };
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let ticket = self.insert_ticket(&tx, ws, TicketId::new(), input, now).await?;
        let comment = Comment {
            id: uuid::Uuid::now_v7(),
            ticket_id: ticket.id,
            kind: CommentKind::Customer,
            author: Author {
                kind: AuthorType::Requester,
                id: None,
                name: mail.from.name.clone(),
                email: Some(mail.from.address.clone()),
            },
            body: mail.body.clone(),
            message_id: mail.message_id.clone(),
            created_at: now,
            delivery: None,
        };
        ticket_comment::Entity::insert(comment_model(ws, &comment)).exec_without_returning(&tx).await?;
        let commented = Change {
            kind: EventKind::Commented,
            from: None,
            to: Some(CommentKind::Customer.as_str().into()),
        };
        ticket_event::Entity::insert(crate::tickets::event_model(
            ws,
            ticket.id,
            &commented,
            recorded_by,
            now,
        ))
        .exec_without_returning(&tx)
        .await?;
        let created =
            self.emit(&tx, ws, EventType::TicketCreated, serde_json::json!({ "ticket": ticket })).await?;
        let data = serde_json::json!({ "ticket": ticket, "comment": comment });
        let commented = self.emit(&tx, ws, EventType::TicketCommentCreated, data).await?;
        tx.commit().await?;
        self.publish(vec![created, commented]);
        Ok(Received::Accepted { ticket: Box::new(ticket), comment_id: comment.id, created_ticket: true })
    }
}

/// The mail's sender as a requester.
fn sender(mail: &InboundMail) -> Requester {
    Requester { name: mail.from.name.clone(), email: Some(mail.from.address.clone()) }
}
