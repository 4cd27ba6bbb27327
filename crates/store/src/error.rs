use domain::ValidationError;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this workspace.
    #[error("not found")]
    NotFound,
    /// The row would break a uniqueness rule (e.g. an e-mail already in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that only the database can judge (e.g. an assignee who is not a member).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// An `Idempotency-Key` reused with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyMismatch,
    /// The database cannot be reached, or is too busy to answer in time: worth retrying
    /// (the API answers 503 with `Retry-After`).
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    /// Bad configuration (e.g. an unsupported database URL).
    #[error("{0}")]
    Config(String),
    /// A row holds a value the code does not know (a status, a role, a kind…): the database
    /// was written by something else, or by a newer version.
    #[error("corrupt row: {0}")]
    CorruptRow(String),
    /// Hashing a password failed, or its task did not finish.
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// A value could not be written out: a CSV record of an export, a JSON document.
    #[error("cannot encode {0}")]
    Encoding(String),
    /// The caller broke a rule of a store method (e.g. a reply without its Message-ID): a
    /// bug in the calling code, not bad input.
    #[error("invalid call: {0}")]
    InvalidCall(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl StoreError {
    pub(crate) fn from_connect(err: DbErr) -> Self {
        StoreError::Unavailable(err)
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            return StoreError::Conflict(detail);
        }
        if is_unavailable(&err) { StoreError::Unavailable(err) } else { StoreError::Db(err) }
    }
}

/// Whether `err` says the database is out of reach or busy (so retrying later can work),
/// as opposed to a failure of the statement itself.
fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_unavailable(e),
        _ => false,
    }
}

fn sqlx_unavailable(err: &sqlx::Error) -> bool {
    match err {
        // The connection broke (reset, closed, refused) or could not be had in time.
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                pg_code_unavailable(pg.code())
            } else if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                db.code().and_then(|c| c.parse().ok()).is_some_and(sqlite_code_unavailable)
            } else {
                false
            }
        }
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs of a server that is going away, not accepting connections or out
/// of them: class 08 (connection exception), 57P01 `admin_shutdown`, 57P02
/// `crash_shutdown`, 57P03 `cannot_connect_now`, 53300 `too_many_connections`.
fn pg_code_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// SQLite result codes (sqlx reports the extended code, whose low byte is the primary one):
/// `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), what is left when another connection held
/// the lock for longer than the busy timeout.
fn sqlite_code_unavailable(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

impl From<sea_orm::TransactionError<StoreError>> for StoreError {
    fn from(err: sea_orm::TransactionError<StoreError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::ConnAcquireErr;

    use super::*;

    fn exec(err: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
    }

    fn query(err: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
    }

    fn unavailable(err: DbErr) -> bool {
        matches!(StoreError::from(err), StoreError::Unavailable(_))
    }

    #[test]
    fn broken_or_missing_connections_are_unavailable() {
        use std::io::{Error, ErrorKind};
        assert!(unavailable(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)));
        assert!(unavailable(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)));
        assert!(unavailable(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(sqlx::Error::Io(Error::from(
            ErrorKind::ConnectionRefused
        )))))));
        // A connection that breaks mid-statement: the statement's error, not the pool's.
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::UnexpectedEof,
            ErrorKind::BrokenPipe,
        ] {
            assert!(unavailable(exec(sqlx::Error::Io(Error::from(kind)))), "{kind:?}");
            assert!(unavailable(query(sqlx::Error::Io(Error::from(kind)))), "{kind:?}");
        }
        assert!(unavailable(query(sqlx::Error::PoolTimedOut)));
        assert!(unavailable(exec(sqlx::Error::PoolClosed)));
        assert!(unavailable(exec(sqlx::Error::WorkerCrashed)));
    }

    #[test]
    fn statement_failures_are_not_unavailable() {
        assert!(!unavailable(query(sqlx::Error::RowNotFound)));
        assert!(!unavailable(exec(sqlx::Error::Protocol("unexpected message".into()))));
        assert!(!unavailable(DbErr::Custom("bad".into())));
        assert!(!unavailable(DbErr::RecordNotFound("x".into())));
        assert!(!unavailable(DbErr::Exec(RuntimeErr::Internal("x".into()))));
    }

    #[test]
    fn postgres_codes() {
        for code in ["08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03", "53300"] {
            assert!(pg_code_unavailable(code), "{code}");
        }
        // Unique and foreign-key violations, syntax errors, serialization failures.
        for code in ["23505", "23503", "42601", "40001", "57014"] {
            assert!(!pg_code_unavailable(code), "{code}");
        }
    }

    #[test]
    fn sqlite_codes() {
        // SQLITE_BUSY, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_TIMEOUT,
        // SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE.
        for code in [5, 261, 517, 773, 6, 262] {
            assert!(sqlite_code_unavailable(code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_ERROR, SQLITE_READONLY.
        for code in [2067, 787, 1, 8] {
            assert!(!sqlite_code_unavailable(code), "{code}");
        }
    }

    #[tokio::test]
    async fn sqlite_busy_from_a_real_database_is_unavailable() {
        {
            use sea_orm::{ConnectionTrait, Database};
            let dir = std::env::temp_dir().join(format!("store-busy-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let url = format!("sqlite://{}/busy.sqlite?mode=rwc", dir.display());
            let holder = Database::connect(&url).await.expect("connect");
            holder.execute_unprepared("CREATE TABLE t (x INTEGER)").await.expect("create");
            let mut opts = sea_orm::ConnectOptions::new(&url);
            opts.max_connections(1).map_sqlx_sqlite_opts(|o| o.busy_timeout(std::time::Duration::ZERO));
            let other = Database::connect(opts).await.expect("connect");
            let tx = sea_orm::TransactionTrait::begin(&holder).await.expect("begin");
            tx.execute_unprepared("INSERT INTO t VALUES (1)").await.expect("insert");
            let err = other.execute_unprepared("INSERT INTO t VALUES (2)").await.expect_err("locked");
            assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
            tx.rollback().await.expect("rollback");
            std::fs::remove_dir_all(dir).expect("remove the temp dir");
        }
    }

    #[test]
    fn a_row_with_an_unknown_value_is_a_corrupt_row_not_a_configuration_error() {
        let now = chrono::Utc::now();
        let row = crate::entity::ticket::Model {
            id: uuid::Uuid::nil(),
            workspace_id: uuid::Uuid::nil(),
            number: 1,
            reference: "ACME-1".into(),
            agent_id: None,
            conversation_id: None,
            subject: "s".into(),
            body: "b".into(),
            status: "archived".into(),
            priority: 1,
            assigned_to_user_id: None,
            notes: None,
            metadata: serde_json::json!({}),
            resolved_at: None,
            created_at: now,
            updated_at: now,
            requester_name: None,
            requester_email: None,
            first_responded_at: None,
            first_response_due_at: None,
            resolution_due_at: None,
            sla_stopped_at: None,
            sla_next_due_at: None,
            sla_later_due_at: None,
            sla_alarm_at: None,
            first_response_breach_due_at: None,
            resolution_breach_due_at: None,
        };
        let err = crate::Ticket::try_from(row).expect_err("an unknown status");
        assert!(matches!(&err, StoreError::CorruptRow(m) if m.contains("archived")), "{err:?}");
        assert!(err.to_string().starts_with("corrupt row: status"), "{err}");
    }
}
