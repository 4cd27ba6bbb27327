//! Storage: SeaORM entities and the repositories over them. This is the only crate that
//! speaks SQL; callers get domain types back and pass the `WorkspaceId` first, so a row of
//! another workspace is simply not found.

pub mod accounts;
pub mod agents;
pub mod bulk;
pub mod conversations;
pub mod cta;
mod entity;
mod error;
pub mod notifications;
mod password;
pub mod paths;
pub mod records;
pub mod tickets;
pub mod tokens;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub use error::StoreError;
pub use records::*;

use migration::MigratorTrait;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, with the repositories as methods.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// Committed events, for live subscribers in this process.
    live: tokio::sync::broadcast::Sender<notifications::OutboxEvent>,
    /// API tokens by secret hash, for [`tokens::TOKEN_CACHE_TTL`]: most API calls then need
    /// no query to authenticate. Revoking through this instance evicts at once.
    tokens: moka::sync::Cache<String, (ApiToken, Workspace)>,
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// How long a statement waits for a connection of the pool, including (re)connecting to
    /// the database, before it fails as unavailable (the API answers 503): bounds how long a
    /// request hangs while the database is away.
    pub acquire_timeout: Duration,
    /// SQLite: how long a write waits for another connection's write lock (retrying) before
    /// it fails as unavailable.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(15),
        }
    }
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). SQLite runs in WAL mode with a
    /// busy timeout, so readers never wait for the writer and writers queue instead of failing.
    pub async fn connect(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported DATABASE_URL `{url}`: use sqlite://… or postgres://…"
            )));
        };
        let mut opts = ConnectOptions::new(url);
        opts.max_connections(options.max_connections)
            .min_connections(1)
            .connect_timeout(options.acquire_timeout)
            .acquire_timeout(options.acquire_timeout)
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            let busy_timeout = options.sqlite_busy_timeout;
            opts.map_sqlx_sqlite_opts(move |o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(busy_timeout)
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        }
        let db = Database::connect(opts).await.map_err(StoreError::from_connect)?;
        let (live, _) = tokio::sync::broadcast::channel(1024);
        let tokens =
            moka::sync::Cache::builder().max_capacity(10_000).time_to_live(tokens::TOKEN_CACHE_TTL).build();
        Ok(Self { db, backend, live, tokens })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The raw connection, for tests and tools that inspect the database.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE),
    /// so concurrent writers wait their turn instead of failing on a lock upgrade.
    ///
    /// `BEGIN` runs in a task of its own, so that a caller dropped meanwhile (a request cut
    /// off by the request timeout) cannot interrupt it. sqlx 0.9 is not cancel-safe there on
    /// PostgreSQL: it counts the transaction only once `BEGIN`'s answer arrives, so a future
    /// dropped while waiting for it queues no `ROLLBACK`, and the connection goes back to the
    /// pool inside a transaction that the next statements would silently join
    /// (transact-rs/sqlx#4393). Run to the end, the transaction exists; if nobody awaits it
    /// any more it is dropped, and a dropped transaction queues its `ROLLBACK`, which is sent
    /// before the connection is pooled again.
    async fn write_tx(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let db = self.db.clone();
        match tokio::spawn(async move { db.begin_with_options(options).await }).await {
            Ok(begun) => Ok(begun?),
            Err(e) => Err(StoreError::Db(sea_orm::DbErr::Custom(format!("BEGIN did not finish: {e}")))),
        }
    }
}
