//! SLA targets: a policy per workspace, each ticket's due times, and what makes the SLA lists
//! and the breach pass index-served at a million tickets.
//!
//! - `sla_next_due_at`: the earliest due time of a running clock (first response while
//!   unanswered, resolution), null when no clock runs (resolved, closed, or no due times).
//!   `sla=breached|due_soon` and `sort=due` walk `tickets_sla_due`, which holds only tickets
//!   with a running clock; `sort=due` goes on with `tickets_sla_idle` (the rest, newest first).
//! - `sla_later_due_at`: the later due time while both clocks run (`sla=due_soon` counts
//!   every running clock, not only the earliest), served by `tickets_sla_later`.
//! - `sla_alarm_at`: the earliest running due time whose breach has not been announced; the
//!   breach pass walks `tickets_sla_alarm` up to now. `*_breach_due_at` record the due time
//!   whose breach was announced, so each due time is announced once.
//! - `sla_stopped_at`: when the ticket was resolved or closed (null while open or pending),
//!   for the `paused` state.
//!
//! Existing tickets keep null due times (no backfill). On PostgreSQL every statement may run
//! again; SQLite's `ADD COLUMN` has no IF NOT EXISTS (each is instant: no rows are rewritten).

use sea_orm_migration::prelude::*;

use crate::by_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        by_backend(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        by_backend(manager, DOWN, DOWN).await
    }
}

const POSTGRES_UP: &str = r#"
CREATE TABLE IF NOT EXISTS sla_policies (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    policy jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS first_response_due_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS resolution_due_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS sla_stopped_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS sla_next_due_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS sla_later_due_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS sla_alarm_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS first_response_breach_due_at timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS resolution_breach_due_at timestamptz;
CREATE INDEX IF NOT EXISTS tickets_sla_due ON tickets (workspace_id, sla_next_due_at, id)
    INCLUDE (status, priority, assigned_to_user_id) WHERE sla_next_due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_idle ON tickets (workspace_id, created_at DESC, id DESC)
    INCLUDE (status, priority, assigned_to_user_id) WHERE sla_next_due_at IS NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_later ON tickets (workspace_id, sla_later_due_at)
    WHERE sla_later_due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_alarm ON tickets (sla_alarm_at) WHERE sla_alarm_at IS NOT NULL;
"#;

/// SQLite has no INCLUDE: the columns trail the key.
const SQLITE_UP: &str = r#"
CREATE TABLE IF NOT EXISTS sla_policies (
    workspace_id BLOB PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
ALTER TABLE tickets ADD COLUMN first_response_due_at TEXT;
ALTER TABLE tickets ADD COLUMN resolution_due_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_stopped_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_next_due_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_later_due_at TEXT;
ALTER TABLE tickets ADD COLUMN sla_alarm_at TEXT;
ALTER TABLE tickets ADD COLUMN first_response_breach_due_at TEXT;
ALTER TABLE tickets ADD COLUMN resolution_breach_due_at TEXT;
CREATE INDEX IF NOT EXISTS tickets_sla_due ON tickets (workspace_id, sla_next_due_at, id, status, priority, assigned_to_user_id)
    WHERE sla_next_due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_idle ON tickets (workspace_id, created_at DESC, id DESC, status, priority, assigned_to_user_id)
    WHERE sla_next_due_at IS NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_later ON tickets (workspace_id, sla_later_due_at)
    WHERE sla_later_due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_sla_alarm ON tickets (sla_alarm_at) WHERE sla_alarm_at IS NOT NULL;
"#;

const DOWN: &str = r#"
DROP INDEX IF EXISTS tickets_sla_alarm;
DROP INDEX IF EXISTS tickets_sla_later;
DROP INDEX IF EXISTS tickets_sla_idle;
DROP INDEX IF EXISTS tickets_sla_due;
ALTER TABLE tickets DROP COLUMN resolution_breach_due_at;
ALTER TABLE tickets DROP COLUMN first_response_breach_due_at;
ALTER TABLE tickets DROP COLUMN sla_alarm_at;
ALTER TABLE tickets DROP COLUMN sla_later_due_at;
ALTER TABLE tickets DROP COLUMN sla_next_due_at;
ALTER TABLE tickets DROP COLUMN sla_stopped_at;
ALTER TABLE tickets DROP COLUMN resolution_due_at;
ALTER TABLE tickets DROP COLUMN first_response_due_at;
DROP TABLE IF EXISTS sla_policies;
"#;
