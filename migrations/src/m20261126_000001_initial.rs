//! The initial schema: workspaces, users, memberships, API tokens, agents, conversations,
//! messages, tickets, ticket events and idempotency keys, with the list and search indexes.

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

/// Timestamps are `timestamptz` (UTC); ids are `uuid`; priority is its rank (0 low … 3
/// urgent) so that `sort=-priority` walks an index.
const POSTGRES_UP: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    ticket_prefix text NOT NULL UNIQUE,
    ticket_counter bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE memberships (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'operator')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    scopes text NOT NULL,
    created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, created_at);

CREATE TABLE agents (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL,
    vertical text NOT NULL,
    vertical_overrides jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id, created_at);

CREATE TABLE conversations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    visitor_name text,
    visitor_email text,
    started_at timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL
);
CREATE INDEX conversations_live ON conversations (workspace_id, last_activity_at DESC, id);
CREATE INDEX conversations_expiry ON conversations (last_activity_at);

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('visitor', 'assistant', 'operator', 'tool', 'system')),
    content text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX messages_thread ON messages (conversation_id, created_at, id);

CREATE TABLE tickets (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number bigint NOT NULL,
    reference text NOT NULL,
    agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
    conversation_id uuid REFERENCES conversations (id) ON DELETE RESTRICT,
    subject text NOT NULL,
    body text NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 3),
    assigned_to_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    notes text,
    metadata jsonb NOT NULL DEFAULT '{}',
    resolved_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (workspace_id, number)
);
CREATE INDEX tickets_by_created ON tickets (workspace_id, created_at DESC, id DESC);
CREATE INDEX tickets_by_status_created ON tickets (workspace_id, status, created_at DESC, id DESC);
CREATE INDEX tickets_by_updated ON tickets (workspace_id, updated_at DESC, id DESC);
CREATE INDEX tickets_by_priority ON tickets (workspace_id, priority DESC, created_at DESC, id DESC);
CREATE INDEX tickets_by_assignee ON tickets (workspace_id, assigned_to_user_id, created_at DESC, id DESC);
CREATE INDEX tickets_by_conversation ON tickets (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX tickets_subject_trgm ON tickets USING gin (subject gin_trgm_ops);
CREATE INDEX tickets_body_trgm ON tickets USING gin (body gin_trgm_ops);
CREATE INDEX tickets_reference_trgm ON tickets USING gin (reference gin_trgm_ops);

CREATE TABLE ticket_events (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind text NOT NULL,
    from_value text,
    to_value text,
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_token_id uuid REFERENCES api_tokens (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, created_at, id);

CREATE TABLE idempotency_keys (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key text NOT NULL,
    request_hash text NOT NULL,
    ticket_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
"#;

/// SQLite keeps ids as 16-byte blobs and times as RFC 3339 text in UTC (which sorts
/// chronologically). `tickets.seq` is an explicit rowid so that the FTS5 index, which
/// refers to rows by rowid, survives `VACUUM`.
const SQLITE_UP: &str = r#"
CREATE TABLE workspaces (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    ticket_prefix TEXT NOT NULL UNIQUE,
    ticket_counter INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE memberships (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_by_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id, created_at);

CREATE TABLE agents (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    vertical TEXT NOT NULL,
    vertical_overrides TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id, created_at);

CREATE TABLE conversations (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id BLOB NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    visitor_name TEXT,
    visitor_email TEXT,
    started_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL
);
CREATE INDEX conversations_live ON conversations (workspace_id, last_activity_at DESC, id);
CREATE INDEX conversations_expiry ON conversations (last_activity_at);

CREATE TABLE messages (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id BLOB NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('visitor', 'assistant', 'operator', 'tool', 'system')),
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_thread ON messages (conversation_id, created_at, id);

CREATE TABLE tickets (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    reference TEXT NOT NULL,
    agent_id BLOB REFERENCES agents (id) ON DELETE SET NULL,
    conversation_id BLOB REFERENCES conversations (id) ON DELETE RESTRICT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    assigned_to_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    notes TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    resolved_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (workspace_id, number)
);
CREATE INDEX tickets_by_created ON tickets (workspace_id, created_at DESC, id DESC);
CREATE INDEX tickets_by_status_created ON tickets (workspace_id, status, created_at DESC, id DESC);
CREATE INDEX tickets_by_updated ON tickets (workspace_id, updated_at DESC, id DESC);
CREATE INDEX tickets_by_priority ON tickets (workspace_id, priority DESC, created_at DESC, id DESC);
CREATE INDEX tickets_by_assignee ON tickets (workspace_id, assigned_to_user_id, created_at DESC, id DESC);
CREATE INDEX tickets_by_conversation ON tickets (conversation_id) WHERE conversation_id IS NOT NULL;

CREATE VIRTUAL TABLE tickets_fts USING fts5(
    reference, subject, body,
    content = 'tickets', content_rowid = 'seq', tokenize = 'trigram'
);
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, reference, subject, body)
    VALUES (new.seq, new.reference, new.subject, new.body);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, reference, subject, body)
    VALUES ('delete', old.seq, old.reference, old.subject, old.body);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF reference, subject, body ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, reference, subject, body)
    VALUES ('delete', old.seq, old.reference, old.subject, old.body);
    INSERT INTO tickets_fts (rowid, reference, subject, body)
    VALUES (new.seq, new.reference, new.subject, new.body);
END;

CREATE TABLE ticket_events (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_value TEXT,
    to_value TEXT,
    actor_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    actor_token_id BLOB REFERENCES api_tokens (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, created_at, id);

CREATE TABLE idempotency_keys (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    ticket_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS idempotency_keys;
DROP TABLE IF EXISTS ticket_events;
DROP TABLE IF EXISTS tickets_fts;
DROP TABLE IF EXISTS tickets;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversations;
DROP TABLE IF EXISTS agents;
DROP TABLE IF EXISTS api_tokens;
DROP TABLE IF EXISTS memberships;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS workspaces;
"#;
