//! Sign-in hardening and team management: a per-user session version (a password change
//! ends every session issued before it), single-use link tokens for URLs that cannot carry a
//! header (`EventSource`, download links), and rate-limit counters shared by every instance.

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
ALTER TABLE users ADD COLUMN session_version bigint NOT NULL DEFAULT 0;

CREATE TABLE link_tokens (
    token_hash text PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    session_version bigint,
    session_expires_at timestamptz,
    api_token_id uuid REFERENCES api_tokens (id) ON DELETE CASCADE,
    credential_key text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX link_tokens_expiry ON link_tokens (expires_at);

CREATE TABLE rate_counters (
    key text PRIMARY KEY,
    window_start bigint NOT NULL,
    count bigint NOT NULL
);
"#;

/// SQLite keeps ids as 16-byte blobs and times as RFC 3339 text, like the initial schema.
const SQLITE_UP: &str = r#"
ALTER TABLE users ADD COLUMN session_version integer NOT NULL DEFAULT 0;

CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BLOB REFERENCES users (id) ON DELETE CASCADE,
    session_version integer,
    session_expires_at TEXT,
    api_token_id BLOB REFERENCES api_tokens (id) ON DELETE CASCADE,
    credential_key text NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX link_tokens_expiry ON link_tokens (expires_at);

CREATE TABLE rate_counters (
    key TEXT PRIMARY KEY NOT NULL,
    window_start integer NOT NULL,
    count integer NOT NULL
);
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS rate_counters;
DROP TABLE IF EXISTS link_tokens;
ALTER TABLE users DROP COLUMN session_version;
"#;
