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
    /// SQLite: the connection write transactions take, one at a time (see [`Store::connect`]).
    writer: Option<DatabaseConnection>,
    backend: Backend,
    /// Committed events, for live subscribers in this process.
    live: tokio::sync::broadcast::Sender<notifications::OutboxEvent>,
    /// API tokens by secret hash, for [`tokens::TOKEN_CACHE_TTL`]: most API calls then need
    /// no query to authenticate. Revoking through this instance evicts at once.
    tokens: moka::sync::Cache<String, (ApiToken, Workspace)>,
    /// PostgreSQL's planner estimates for list filters, by statement, for
    /// [`tickets::ESTIMATE_CACHE_TTL`]: a list asked again soon costs its page query alone.
    estimates: moka::sync::Cache<String, Option<u64>>,
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pooled connections; `None` takes the backend's default ([`Store::DEFAULT_POOL_POSTGRES`],
    /// [`Store::default_pool_sqlite`]).
    pub max_connections: Option<u32>,
    /// SQLite: each connection's page cache, in KiB (SQLite's `cache_size`). The database
    /// lives in the process, so pool size × cache is part of ticketd's memory.
    pub sqlite_cache_kib: u32,
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
            max_connections: None,
            sqlite_cache_kib: 2048,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(15),
        }
    }
}

impl Store {
    /// PostgreSQL connections per instance: the server does the work, so more connections
    /// than cores keep it busy while others wait on the network.
    pub const DEFAULT_POOL_POSTGRES: u32 = 16;

    /// SQLite reading connections: twice the cores, at least 4 and at most 16. Queries run
    /// on the process's own cores (a thread per connection) and writes have a connection of
    /// their own, while each connection's page cache is ticketd's memory.
    pub fn default_pool_sqlite() -> u32 {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        (cores * 2).clamp(4, 16)
    }

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
        let pool = options.max_connections.unwrap_or(match backend {
            Backend::Postgres => Self::DEFAULT_POOL_POSTGRES,
            Backend::Sqlite => Self::default_pool_sqlite(),
        });
        let connect = |size: u32, acquire_timeout: Duration| {
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(size.max(1))
                .min_connections(1)
                .connect_timeout(options.acquire_timeout)
                .acquire_timeout(acquire_timeout)
                .sqlx_logging(false);
            if backend == Backend::Sqlite {
                let busy_timeout = options.sqlite_busy_timeout;
                let cache_size = format!("-{}", options.sqlite_cache_kib.max(64));
                opts.map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .pragma("cache_size", cache_size.clone())
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(busy_timeout)
                        .foreign_keys(true)
                        .create_if_missing(true)
                });
            }
            async move { Database::connect(opts).await.map_err(StoreError::from_connect) }
        };
        let db = connect(pool, options.acquire_timeout).await?;
        // SQLite takes one writer at a time. Write transactions queue for a connection of
        // their own, in order, instead of each holding a pooled connection while polling
        // the lock (which starves readers of connections and makes the wait a lottery).
        // An in-memory database exists per pool, so it keeps the one pool.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let writer = if backend == Backend::Sqlite && !in_memory {
            Some(connect(1, options.sqlite_busy_timeout).await?)
        } else {
            None
        };
        let (live, _) = tokio::sync::broadcast::channel(1024);
        let tokens =
            moka::sync::Cache::builder().max_capacity(10_000).time_to_live(tokens::TOKEN_CACHE_TTL).build();
        let estimates = moka::sync::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(tickets::ESTIMATE_CACHE_TTL)
            .build();
        Ok(Self { db, writer, backend, live, tokens, estimates })
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
        if let Some(writer) = self.writer {
            writer.close().await?;
        }
        self.db.close().await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE),
    /// so concurrent writers wait their turn instead of failing on a lock upgrade.
    async fn write_tx(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.writer.as_ref().unwrap_or(&self.db).begin_with_options(options).await?)
    }
}
