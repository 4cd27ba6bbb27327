//! Database migrations for SQLite (the embedded default) and PostgreSQL (production).
//!
//! Each migration is plain SQL per backend: the schema is the contract between the store
//! and the database, and the few backend-specific parts (SQLite FTS5 trigram search,
//! PostgreSQL `pg_trgm`) read best as the SQL they are.

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

mod m20261126_000001_initial;
mod m20261126_000002_chat;
mod m20261126_000003_notifications;
mod m20261126_000004_covering_list_indexes;
mod m20261203_000005_thread;
mod m20261203_000007_auth;
mod m20261203_000008_security;
mod m20261203_000009_sla;
mod m20261203_000010_queue;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_chat::Migration),
            Box::new(m20261126_000003_notifications::Migration),
            Box::new(m20261126_000004_covering_list_indexes::Migration),
            Box::new(m20261203_000005_thread::Migration),
            Box::new(m20261203_000007_auth::Migration),
            Box::new(m20261203_000008_security::Migration),
            Box::new(m20261203_000009_sla::Migration),
            Box::new(m20261203_000010_queue::Migration),
        ]
    }
}

/// Runs `postgres` or `sqlite` (each a script for [`run_script`]), whichever the database is.
pub(crate) async fn by_backend(
    manager: &SchemaManager<'_>,
    postgres: &str,
    sqlite: &str,
) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DbBackend::Postgres => run_script(manager, postgres).await,
        DbBackend::Sqlite => run_script(manager, sqlite).await,
        other => Err(DbErr::Migration(format!("unsupported database backend {other:?}"))),
    }
}

/// Runs each `;`-terminated statement of `sql` (statements hold no `;` of their own except
/// inside `BEGIN … END` trigger bodies, which are kept whole).
pub(crate) async fn run_script(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in split_statements(sql) {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut in_trigger = false;
    for line in sql.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("--") {
            continue;
        }
        if trimmed.to_ascii_uppercase().starts_with("CREATE TRIGGER") {
            in_trigger = true;
        }
        current.push_str(line);
        current.push('\n');
        let ends = if in_trigger { trimmed.eq_ignore_ascii_case("END;") } else { trimmed.ends_with(';') };
        if ends {
            statements.push(std::mem::take(&mut current));
            in_trigger = false;
        }
    }
    if !current.trim().is_empty() {
        statements.push(current);
    }
    statements
}

#[cfg(test)]
mod tests {
    #[test]
    fn triggers_stay_whole() {
        let sql = "CREATE TABLE a (x INT);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- comment\nCREATE INDEX i ON a (x);\n";
        let statements = super::split_statements(sql);
        assert_eq!(statements.len(), 3);
        assert!(statements[1].contains("SELECT 2;"));
    }
}
