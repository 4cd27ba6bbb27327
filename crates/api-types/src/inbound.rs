//! `POST /inbound/email`: what the service did with a raw inbound mail.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::inbound::IgnoredReason;

use crate::Ticket;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A mail taken: a customer comment on a ticket it threads onto, or a new ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InboundAccepted {
    /// The ticket the mail landed on (a follow-up ticket when it answered a closed one).
    pub ticket: Ticket,
    #[cfg_attr(feature = "openapi", schema(example = "ACME-1234"))]
    pub reference: String,
    /// The `customer` comment holding the mail's text.
    pub comment_id: Uuid,
    /// Whether the mail opened a ticket (a new request, or a follow-up of a closed one)
    /// rather than threading onto an existing one.
    pub created_ticket: bool,
}

/// A mail taken no further: an auto-reply, bulk mail, a bounce, or a Message-ID already
/// taken. Nothing changed; the sender must not retry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InboundIgnored {
    #[cfg_attr(feature = "openapi", schema(example = "auto_submitted"))]
    pub ignored: IgnoredReason,
}
