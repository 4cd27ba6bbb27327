//! Inbound e-mail: the one code path behind `POST /api/v1/inbound/email` and
//! `ticketd mail-in` (SPEC section 8). Parses the message (`mail` crate), drops what must
//! not be answered, threads it onto a ticket of the workspace or opens one, and records the
//! customer's words as a `customer` comment through [`Store::add_comment`] (so a resolved
//! ticket reopens and a closed one gets a follow-up).

use domain::inbound::{IgnoredReason, parse_reply_address, subject_references};
use domain::ticket::TicketKey;
use domain::{TicketId, WorkspaceId};
use mail::{InboundMail, Parsed};

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
    Accepted { ticket: Ticket, comment_id: domain::CommentId, created_ticket: bool },
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

    /// The ticket a mail answers, by the SPEC's rules in order: a Message-ID of the
    /// workspace's threads in `In-Reply-To`/`References`; a valid reply address token in the
    /// envelope recipient, `Delivered-To` (and the like), `To` or `Cc`; `[PREFIX-123]` in the
    /// subject when the sender is that ticket's requester.
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
                .requester_email
                .as_deref()
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
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let select = Query::select()
            .column(Alias::new("ticket_id"))
            .from(Alias::new("ticket_comments"))
            .and_where(Expr::col(Alias::new("workspace_id")).eq(ws.0))
            .and_where(Expr::col(Alias::new("message_id")).eq(message_id))
            .limit(1)
            .to_owned();
        let Some(row) = self.db.query_one(&select).await? else { return Ok(None) };
        Ok(Some(TicketId(row.try_get("", "ticket_id")?)))
    }
}
