//! Chat features: soft-deleted agents, conversations kept by a ticket (`has_ticket`, set in
//! the ticket's own transaction so that an expiry purge can never race it), CTA rules, and
//! the `tool_calls` table that makes `open_ticket` idempotent by a unique key.

use sea_orm_migration::prelude::*;

use crate::{by_backend, run_script};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        by_backend(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, DOWN).await
    }
}

const POSTGRES_UP: &str = r#"
ALTER TABLE agents ADD COLUMN deleted_at timestamptz;
ALTER TABLE conversations ADD COLUMN has_ticket boolean NOT NULL DEFAULT false;
UPDATE conversations SET has_ticket = true WHERE id IN (SELECT conversation_id FROM tickets WHERE conversation_id IS NOT NULL);
DROP INDEX conversations_expiry;
CREATE INDEX conversations_purge ON conversations (last_activity_at) WHERE has_ticket = false;

CREATE TABLE cta_rules (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('open_ticket')),
    label text NOT NULL,
    agent_id uuid REFERENCES agents (id) ON DELETE CASCADE,
    subject_template text,
    priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 3),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX cta_rules_workspace ON cta_rules (workspace_id, created_at);

CREATE TABLE tool_calls (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tool_call_id text NOT NULL,
    ticket_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, tool_call_id)
);
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE agents ADD COLUMN deleted_at TEXT;
ALTER TABLE conversations ADD COLUMN has_ticket INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET has_ticket = 1 WHERE id IN (SELECT conversation_id FROM tickets WHERE conversation_id IS NOT NULL);
DROP INDEX conversations_expiry;
CREATE INDEX conversations_purge ON conversations (last_activity_at) WHERE has_ticket = 0;

CREATE TABLE cta_rules (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('open_ticket')),
    label TEXT NOT NULL,
    agent_id BLOB REFERENCES agents (id) ON DELETE CASCADE,
    subject_template TEXT,
    priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX cta_rules_workspace ON cta_rules (workspace_id, created_at);

CREATE TABLE tool_calls (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tool_call_id TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, tool_call_id)
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS tool_calls;
DROP TABLE IF EXISTS cta_rules;
DROP INDEX IF EXISTS conversations_purge;
CREATE INDEX conversations_expiry ON conversations (last_activity_at);
ALTER TABLE conversations DROP COLUMN has_ticket;
ALTER TABLE agents DROP COLUMN deleted_at;
"#;
