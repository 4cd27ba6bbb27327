//! API integration tests: each test starts the real app on port 0 against a fresh
//! database, once on SQLite and once on PostgreSQL (`db_test!`).

mod helpers;

mod inbound;

mod access;
mod agents;
mod auth;
mod bulk;
mod channels;
mod comments;
mod conversations;
mod cta;
mod export;
mod fuzz_regressions;
mod hardening;
mod list;
mod lookup;
mod mail;
mod migrations;
mod notifications;
mod openapi;
mod security;
mod sla;
mod team;
mod tickets;
mod timeouts;
mod tool_calls;
mod transcripts;
mod views;
mod write_only;
