//! The list indexes carry the columns that list filters test (status, priority, assignee),
//! so a numbered page skips its offset and a capped count runs on the index alone (index-only
//! scans; see bench/EXPLAIN.md) whatever filters are combined.

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

// New names: on SQLite a pooled connection may still see the old index in its snapshot, so
// dropping and re-creating one name in a migration can fail as "already exists". Every
// statement may run again: SQLite applies them one by one, so an interrupted migration
// (say, killed while indexing a million rows) is simply re-run.
const POSTGRES_UP: &str = r#"
CREATE INDEX IF NOT EXISTS tickets_list_created ON tickets (workspace_id, created_at DESC, id DESC)
    INCLUDE (status, priority, assigned_to_user_id);
DROP INDEX IF EXISTS tickets_by_created;
CREATE INDEX IF NOT EXISTS tickets_list_priority ON tickets (workspace_id, priority DESC, created_at DESC, id DESC)
    INCLUDE (status, assigned_to_user_id);
DROP INDEX IF EXISTS tickets_by_priority;
CREATE INDEX IF NOT EXISTS tickets_list_assignee ON tickets (workspace_id, assigned_to_user_id, created_at DESC, id DESC)
    INCLUDE (status, priority);
DROP INDEX IF EXISTS tickets_by_assignee;
"#;

/// SQLite has no INCLUDE: the columns trail the key, which covers the same queries.
const SQLITE_UP: &str = r#"
CREATE INDEX IF NOT EXISTS tickets_list_created ON tickets (workspace_id, created_at DESC, id DESC, status, priority, assigned_to_user_id);
DROP INDEX IF EXISTS tickets_by_created;
CREATE INDEX IF NOT EXISTS tickets_list_priority ON tickets (workspace_id, priority DESC, created_at DESC, id DESC, status, assigned_to_user_id);
DROP INDEX IF EXISTS tickets_by_priority;
CREATE INDEX IF NOT EXISTS tickets_list_assignee ON tickets (workspace_id, assigned_to_user_id, created_at DESC, id DESC, status, priority);
DROP INDEX IF EXISTS tickets_by_assignee;
"#;

const DOWN: &str = r#"
CREATE INDEX IF NOT EXISTS tickets_by_created ON tickets (workspace_id, created_at DESC, id DESC);
DROP INDEX IF EXISTS tickets_list_created;
CREATE INDEX IF NOT EXISTS tickets_by_priority ON tickets (workspace_id, priority DESC, created_at DESC, id DESC);
DROP INDEX IF EXISTS tickets_list_priority;
CREATE INDEX IF NOT EXISTS tickets_by_assignee ON tickets (workspace_id, assigned_to_user_id, created_at DESC, id DESC);
DROP INDEX IF EXISTS tickets_list_assignee;
"#;
