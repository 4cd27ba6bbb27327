//! The tickets domain: identifiers, statuses, priorities, roles and scopes, and the rules
//! that turn raw input into valid values ("parse, don't validate").
//!
//! This crate does no I/O and knows no framework: the store, the API and the admin app all
//! build on it. It compiles for `wasm32-unknown-unknown`.

#[macro_use]
mod macros;

pub mod address;
pub mod agent;
pub mod auth;
pub mod conversation;
pub mod cta;
pub mod delivery;
pub mod ids;
pub mod inbound;
pub mod list;
pub mod mail;
pub mod notification;
pub mod queue;
pub mod sla;
pub mod team;
pub mod thread;
pub mod ticket;
pub mod time;
pub mod tool;
pub mod validation;
pub mod workspace;

pub use ids::*;
pub use validation::{FieldErrors, ValidationError};
