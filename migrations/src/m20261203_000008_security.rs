//! Security review fixes in the schema: a `tool_call_id` is unique per conversation, not per
//! workspace. Chat backends number their calls per chat (`call_0`, `call_1` …), so the same
//! id in two conversations is two calls, each opening its own ticket; a retry within one
//! conversation still finds the ticket its first attempt opened.

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
        by_backend(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}

// The calls move to a new table, keyed by conversation (every recorded call opened a ticket
// linked to its conversation: that is where the new column comes from). A new name rather
// than a rebuilt `tool_calls`: SQLite cannot change a primary key in place, and a table
// renamed onto a dropped one's name is not seen by the pool's other connections at once.
const POSTGRES_UP: &str = r#"
CREATE TABLE conversation_tool_calls (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL,
    tool_call_id text NOT NULL,
    ticket_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, tool_call_id)
);
INSERT INTO conversation_tool_calls (workspace_id, conversation_id, tool_call_id, ticket_id, created_at)
    SELECT c.workspace_id, t.conversation_id, c.tool_call_id, c.ticket_id, c.created_at
    FROM tool_calls c JOIN tickets t ON t.id = c.ticket_id
    WHERE t.conversation_id IS NOT NULL;
DROP TABLE tool_calls;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE conversation_tool_calls (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id BLOB NOT NULL,
    tool_call_id TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, tool_call_id)
);
INSERT INTO conversation_tool_calls (workspace_id, conversation_id, tool_call_id, ticket_id, created_at)
    SELECT c.workspace_id, t.conversation_id, c.tool_call_id, c.ticket_id, c.created_at
    FROM tool_calls c JOIN tickets t ON t.id = c.ticket_id
    WHERE t.conversation_id IS NOT NULL;
DROP TABLE tool_calls;
"#;

// Back to one key per workspace: of several calls with the same id, the first is kept.
const POSTGRES_DOWN: &str = r#"
CREATE TABLE tool_calls (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tool_call_id text NOT NULL,
    ticket_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, tool_call_id)
);
INSERT INTO tool_calls (workspace_id, tool_call_id, ticket_id, created_at)
    SELECT DISTINCT ON (workspace_id, tool_call_id) workspace_id, tool_call_id, ticket_id, created_at
    FROM conversation_tool_calls ORDER BY workspace_id, tool_call_id, created_at;
DROP TABLE conversation_tool_calls;
"#;

const SQLITE_DOWN: &str = r#"
CREATE TABLE tool_calls (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    tool_call_id TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, tool_call_id)
);
INSERT OR IGNORE INTO tool_calls (workspace_id, tool_call_id, ticket_id, created_at)
    SELECT workspace_id, tool_call_id, ticket_id, created_at FROM conversation_tool_calls ORDER BY created_at;
DROP TABLE conversation_tool_calls;
"#;
