//! API integration tests: each test starts the real app on port 0 against a fresh
//! database, once on SQLite and once on PostgreSQL (`db_test!`).

mod helpers;

mod inbound;

mod access;
mod agents;
mod auth;
mod conversations;
mod cta;
mod fuzz_regressions;
mod list;
mod notifications;
mod openapi;
mod security;
mod tickets;
mod timeouts;
