//! Storage: SeaORM entities and the repositories over them. This is the only crate that
//! speaks SQL; callers get domain types back and pass the `WorkspaceId` first, so a row of
//! another workspace is simply not found.

pub mod accounts;
pub mod agents;
pub mod bulk;
pub mod bulk_edit;
pub mod conversations;
pub mod cta;
mod demo;
mod entity;
mod error;
pub mod export;
pub mod inbound;
pub mod notifications;
pub mod outbound;
mod password;
pub mod paths;
pub mod records;
pub mod security;
pub mod sla;
pub mod team;
pub mod thread;
pub mod tickets;
pub mod tokens;
pub mod views;

use std::time::Duration;

use sea_orm::sqlx;
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
    /// Inexact list totals by statement, for [`tickets::ESTIMATE_CACHE_TTL`]: PostgreSQL's
    /// planner estimates, and SQLite search counts past the exact limit. A list asked again
    /// soon costs its page query alone.
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
    /// PostgreSQL: the sessions' `idle_in_transaction_session_timeout`. A transaction left
    /// open that long belongs to a client that is gone (its request was answered 503, or
    /// the network between them broke): the server ends the session, which rolls it back and
    /// frees its row locks, instead of keeping them until TCP gives up (hours). `None` keeps
    /// the server's setting (the one-shot commands, whose batches may take long).
    pub idle_in_transaction_timeout: Option<Duration>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            sqlite_cache_kib: 2048,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(15),
            idle_in_transaction_timeout: None,
        }
    }
}

/// PostgreSQL's TCP keepalives for the server's end of each session (`tcp_keepalives_idle`,
/// `_interval`, `_count`): a session whose ticketd vanished without closing it (a dead NAT, a
/// failover) is noticed within about 90 s, instead of the system default of two hours, and
/// stops counting against the server's `max_connections`. The server's `tcp_user_timeout`
/// bounds the same way an answer it cannot deliver (90 s). sqlx 0.9 opens its sockets itself
/// and sets no client-side socket options; the client side is bounded by the request
/// timeout and the release check instead. No `statement_timeout`: `serve` applies the
/// migrations through the same pool, and an index built over a million tickets takes longer
/// than a request may.
const SERVER_KEEPALIVES: (u32, u32, u32) = (60, 10, 3);
const SERVER_TCP_USER_TIMEOUT_MS: u32 = 90_000;

/// A pooled PostgreSQL connection idle this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(10);

/// The session settings every PostgreSQL connection of the pool gets when it opens (a
/// statement, not startup `options`, so that connection poolers that refuse unknown startup
/// parameters still work). `$5` keeps the server's setting when null.
const PG_SESSION_SETTINGS: &str = "SELECT set_config('tcp_keepalives_idle', $1, false), \
     set_config('tcp_keepalives_interval', $2, false), set_config('tcp_keepalives_count', $3, false), \
     set_config('tcp_user_timeout', $4, false), \
     set_config('idle_in_transaction_session_timeout', \
       coalesce($5, current_setting('idle_in_transaction_session_timeout')), false)";

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
                // A connection to a local file does not go silent: no ping on acquire (each
                // one is a round trip to the connection's thread).
                opts.test_before_acquire(false);
                opts.map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .pragma("cache_size", cache_size.clone())
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(busy_timeout)
                        .foreign_keys(true)
                        .create_if_missing(true)
                });
            }
            if backend == Backend::Postgres {
                Self::harden_postgres_pool(&mut opts, &options);
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

    /// PostgreSQL pool hooks for a database that stops answering without closing anything
    /// (packets dropped: a failover, a dead NAT), where a socket waits for TCP to give up
    /// (about 15 minutes with unacknowledged data).
    ///
    /// - Opening a connection sets [`PG_SESSION_SETTINGS`]: server-side keepalives and
    ///   `tcp_user_timeout`, and for `serve` the request timeout as
    ///   `idle_in_transaction_session_timeout`, so the server ends a transaction abandoned
    ///   by a request already answered 503.
    /// - Handing one back: sqlx pings every connection returned to the pool (which also
    ///   sends the `ROLLBACK` queued by a transaction dropped unfinished, and drains the
    ///   answers of a statement whose future was dropped) and closes it if the ping fails —
    ///   but without a time limit. A request cut off by the request timeout would leave its
    ///   connection waiting in that ping, counted against `max_connections`, until TCP gives
    ///   up; enough of them and every request waits for the pool. So the release check first
    ///   finishes what such a request left behind (sqlx's `flush`: send what is queued, read
    ///   the answers still due), bounded by the acquire timeout: a connection that does not
    ///   answer in time is closed (its transaction, if any, ends with the session on the
    ///   server) and the pool opens a new one when needed. A connection with nothing
    ///   outstanding — every request that ran to its end — costs no round trip here, only
    ///   sqlx's own ping. One limit: over TLS, sqlx 0.9 cannot close a connection whose peer
    ///   is silent (its rustls socket, flushing before the close, waits for incoming data),
    ///   so there the close, and the pool slot, wait for the network to answer or TCP to give
    ///   up, as they would without this check.
    fn harden_postgres_pool(opts: &mut ConnectOptions, options: &StoreOptions) {
        // A connection in steady use is not pinged before each use (sqlx's default: a round
        // trip per request, a fifth of a one-statement read's cost); one idle for a while —
        // which a failover, proxy or firewall may have dropped — is.
        opts.test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
        let (idle, interval, count) = SERVER_KEEPALIVES;
        // Milliseconds; `None` sets the server's own value again.
        let idle_in_transaction =
            options.idle_in_transaction_timeout.map(|t| t.as_millis().max(1).to_string());
        let check = options.acquire_timeout;
        opts.map_sqlx_postgres_pool_opts(move |pool| {
            let idle_in_transaction = idle_in_transaction.clone();
            pool.after_connect(move |conn, _| {
                let idle_in_transaction = idle_in_transaction.clone();
                Box::pin(async move {
                    sqlx::query(PG_SESSION_SETTINGS)
                        .bind(idle.to_string())
                        .bind(interval.to_string())
                        .bind(count.to_string())
                        .bind(SERVER_TCP_USER_TIMEOUT_MS.to_string())
                        .bind(idle_in_transaction)
                        .execute(conn)
                        .await
                        .map(|_| ())
                })
            })
            .after_release(move |conn, _| {
                Box::pin(async move {
                    // Returns at once when nothing is outstanding (no round trip).
                    match tokio::time::timeout(check, sqlx::Connection::flush(conn)).await {
                        Ok(finished) => finished.map(|()| true),
                        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!(
                                "the answers a cut-off request left behind did not arrive within {check:?}; closing the connection"
                            ),
                        ))),
                    }
                })
            })
        });
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        // SQLite: on the one writing connection, so that every statement of a migration (run
        // outside a transaction there) sees the schema the previous one left, in order.
        migration::Migrator::up(self.writer.as_ref().unwrap_or(&self.db), None).await?;
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
        let db = self.writer.as_ref().unwrap_or(&self.db).clone();
        match tokio::spawn(async move { db.begin_with_options(options).await }).await {
            Ok(begun) => Ok(begun?),
            Err(e) => Err(StoreError::Db(sea_orm::DbErr::Custom(format!("BEGIN did not finish: {e}")))),
        }
    }
}
