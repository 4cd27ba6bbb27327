//! SeaORM entities, one per table, mirroring `migrations/`. Behaviour lives in the
//! repository modules, not here.

pub mod agent;
pub mod api_token;
pub mod conversation;
pub mod cta_rule;
pub mod delivery;
pub mod idempotency_key;
pub mod job;
pub mod link_token;
pub mod membership;
pub mod message;
pub mod notification_channel;
pub mod outbox_event;
pub mod saved_view;
pub mod sla_policy;
pub mod ticket;
pub mod ticket_comment;
pub mod ticket_event;
pub mod tool_call;
pub mod user;
pub mod workspace;
