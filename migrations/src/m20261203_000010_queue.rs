//! Working the queue: saved views of the ticket list, and the jobs that bulk-edit every
//! ticket of a query in batches (with a lease, so that several instances share them and a
//! crashed one's job is picked up again).

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

/// `owner_id` is the creator; a personal view is seen by its owner alone, a shared one by
/// the whole workspace. `jobs.position` is the keyset cursor of the last processed ticket,
/// written in the same transaction as that batch's changes.
const POSTGRES_UP: &str = r#"
CREATE TABLE IF NOT EXISTS saved_views (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    owner_id uuid REFERENCES users (id) ON DELETE SET NULL,
    name text NOT NULL,
    query text NOT NULL,
    shared boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS saved_views_workspace ON saved_views (workspace_id, shared, owner_id, created_at);

CREATE TABLE IF NOT EXISTS jobs (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('bulk_update')),
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_token_id uuid REFERENCES api_tokens (id) ON DELETE SET NULL,
    query text NOT NULL,
    params jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    total bigint NOT NULL,
    processed bigint NOT NULL DEFAULT 0,
    updated bigint NOT NULL DEFAULT 0,
    errors jsonb NOT NULL DEFAULT '[]',
    position text,
    lease_id uuid,
    lease_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (created_at) WHERE status IN ('queued', 'running');
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE IF NOT EXISTS saved_views (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    owner_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    shared INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS saved_views_workspace ON saved_views (workspace_id, shared, owner_id, created_at);

CREATE TABLE IF NOT EXISTS jobs (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('bulk_update')),
    actor_user_id BLOB REFERENCES users (id) ON DELETE SET NULL,
    actor_token_id BLOB REFERENCES api_tokens (id) ON DELETE SET NULL,
    query TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    total INTEGER NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]',
    position TEXT,
    lease_id BLOB,
    lease_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (created_at) WHERE status IN ('queued', 'running');
"#;

const DOWN: &str = r#"
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS saved_views;
"#;
