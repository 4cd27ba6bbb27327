//! What a caller that may change tickets but not read them gets back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Ticket;

/// The answer to a token with `tickets:write` but not `tickets:read`: which ticket it
/// created or changed, and when — none of its content, which that token may not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketReceipt {
    pub id: Uuid,
    /// `{ticket_prefix}-{number}`.
    #[cfg_attr(feature = "openapi", schema(example = "ACME-1234"))]
    pub reference: String,
    pub updated_at: DateTime<Utc>,
}

impl From<&Ticket> for TicketReceipt {
    fn from(ticket: &Ticket) -> Self {
        TicketReceipt { id: ticket.id, reference: ticket.reference.clone(), updated_at: ticket.updated_at }
    }
}

/// A created or changed ticket: the whole `Ticket` for callers that may read tickets, a
/// `TicketReceipt` for write-only tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[allow(clippy::large_enum_variant, reason = "built once per answer and serialised at once")]
pub enum TicketOrReceipt {
    Ticket(Ticket),
    Receipt(TicketReceipt),
}
