//! Configuration: flags of every command, each also read from an environment variable
//! (and `.env`) by clap, checked here. Every variable is optional for the embedded SQLite
//! default; with PostgreSQL, `TICKETD_JWT_SECRET` is required.

use std::path::PathBuf;

use anyhow::{Context, bail};
use rand::RngCore;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ticketd.sqlite?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: String,
    jwt_secret: Option<String>,
    pub session_ttl_seconds: u64,
    pub log_json: bool,
    /// How often `serve` purges expired conversations.
    pub purge_interval: std::time::Duration,
    /// How often the SLA breach pass runs (`TICKETD_SLA_CHECK_INTERVAL_SECONDS`, default 30).
    pub sla_check_interval: std::time::Duration,
    /// `TICKETD_WEBHOOK_ALLOW_PRIVATE`: accept webhook URLs on loopback/private addresses.
    pub webhooks_allow_private: bool,
    /// `TICKETD_STATIC_DIR`: serve the admin app from this directory instead of the files
    /// embedded in the binary.
    pub static_dir: Option<PathBuf>,
    /// Rate limits (`TICKETD_RATE_LIMIT_*`), `TICKETD_TRUST_PROXY`, `TICKETD_CORS_ORIGINS`.
    pub security: api::SecuritySettings,
    /// `TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS`: how long a request waits for a database
    /// connection (reconnecting included) before it answers 503.
    pub db_acquire_timeout: std::time::Duration,
    /// `TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS`: how long a SQLite write waits for another
    /// connection's lock before it answers 503.
    pub sqlite_busy_timeout: std::time::Duration,
    /// `TICKETD_DB_MAX_CONNECTIONS`: the pool's size (default 16 on PostgreSQL; on SQLite
    /// twice the cores, 4 to 16, plus one connection for writes).
    pub db_max_connections: Option<u32>,
    /// `TICKETD_SQLITE_CACHE_KIB`: SQLite's page cache per pooled connection.
    pub sqlite_cache_kib: u32,
    /// `TICKETD_REQUEST_TIMEOUT_SECONDS`: how long an API request may take to answer before
    /// it answers 503 (`None` with 0: no limit).
    pub request_timeout: Option<std::time::Duration>,
    /// `TICKETD_SMTP_URL` and `TICKETD_MAIL_FROM`: where and as whom replies and e-mail pings
    /// are sent, checked when read (the password is never logged); `None` without a URL.
    pub mail: Option<Mail>,
    /// `TICKETD_DELIVERY_LEASE_SECONDS`: how long a claimed delivery is reserved for the
    /// instance sending it (after a crash, it is sent again once this has passed).
    pub delivery_lease: std::time::Duration,
}

/// Outgoing mail: the worker's transport and the sender the API names in replies.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The notify worker's settings (its reply-address key is added when serving: it is the
    /// JWT secret).
    pub transport: notify::mail::MailConfig,
    pub from: domain::thread::MailFrom,
}

/// Checks `TICKETD_SMTP_URL` and `TICKETD_MAIL_FROM` at start: a URL needs a sender, and
/// both must be well formed. A sender alone is accepted (no transport: replies answer 409).
pub fn parse_mail(smtp_url: Option<&str>, mail_from: Option<&str>) -> anyhow::Result<Option<Mail>> {
    let from = match mail_from {
        Some(raw) => Some(
            domain::thread::MailFrom::parse(raw).map_err(|e| anyhow::anyhow!("TICKETD_MAIL_FROM: {e}"))?,
        ),
        None => None,
    };
    let Some(raw_url) = smtp_url.map(str::trim) else { return Ok(None) };
    notify::mail::check_smtp_url(raw_url).map_err(anyhow::Error::msg)?;
    let (Some(from), Some(raw_from)) = (from, mail_from) else {
        bail!(
            "TICKETD_SMTP_URL is set but TICKETD_MAIL_FROM is not: name the sender, e.g. `Acme Support <support@acme.test>`"
        );
    };
    notify::mail::parse_from(raw_from).map_err(anyhow::Error::msg)?;
    let transport = notify::mail::MailConfig {
        smtp_url: raw_url.to_owned(),
        from: raw_from.trim().to_owned(),
        reply_secret: Vec::new(),
    };
    Ok(Some(Mail { transport, from }))
}

/// Reads `.env` from the working directory into the environment, if there is one, so that
/// the settings' variables (read by clap when the command line is parsed) include it. A
/// missing `.env` is fine; a malformed one is an error worth seeing.
pub fn load_dotenv() -> anyhow::Result<()> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => bail!("cannot read .env: {e}"),
    }
}

/// The settings of every command: each one a flag and an environment variable (a flag wins),
/// all optional. They are checked by [`Config::from_settings`], not while parsing, so that a
/// bad value is reported with the variable's name and `mail-in` can exit with `EX_CONFIG`;
/// a blank value counts as unset.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Configuration (each flag also read from its environment variable, and .env)")]
pub struct Settings {
    /// The database: `sqlite://PATH?mode=rwc` or `postgres://USER:PASS@HOST:5432/DB`
    /// [default: sqlite://data/ticketd.sqlite?mode=rwc]
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address the server listens on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "TICKETD_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Secret that signs session tokens, at least 32 characters; required with PostgreSQL
    /// (shared by every instance). With SQLite one is generated into `<database>.jwt-secret`.
    /// Prefer the variable: a flag shows in the process list
    #[arg(long, global = true, env = "TICKETD_JWT_SECRET", value_name = "SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of a session token [default: 43200]
    #[arg(long, global = true, env = "TICKETD_SESSION_TTL_SECONDS", value_name = "SECONDS")]
    pub session_ttl_seconds: Option<String>,
    /// `json` for JSON log lines [default: human-readable]
    #[arg(long, global = true, env = "TICKETD_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// How often `serve` deletes expired conversations [default: 600]
    #[arg(long, global = true, env = "TICKETD_PURGE_INTERVAL_SECONDS", value_name = "SECONDS")]
    pub purge_interval_seconds: Option<String>,
    /// How often `serve` announces passed SLA due times [default: 30]
    #[arg(long, global = true, env = "TICKETD_SLA_CHECK_INTERVAL_SECONDS", value_name = "SECONDS")]
    pub sla_check_interval_seconds: Option<String>,
    /// Let webhook URLs point at loopback/private addresses (local testing only) [default: false]
    #[arg(long, global = true, env = "TICKETD_WEBHOOK_ALLOW_PRIVATE", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: Option<String>,
    /// Serve the admin app (`/app/`) from this directory [default: the app embedded in the binary]
    #[arg(long, global = true, env = "TICKETD_STATIC_DIR", value_name = "DIR")]
    pub static_dir: Option<String>,
    /// Sign-in attempts per client address; 0 disables [default: 20]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_LOGIN_IP_PER_MINUTE", value_name = "N")]
    pub rate_limit_login_ip_per_minute: Option<String>,
    /// Failed sign-ins per account from one address; 0 disables [default: 5]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_LOGIN_ACCOUNT_PER_MINUTE", value_name = "N")]
    pub rate_limit_login_account_per_minute: Option<String>,
    /// Failed sign-ins per account from all addresses before it is locked for them; 0 disables
    /// [default: 20]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_LOGIN_ACCOUNT_LOCK_PER_MINUTE", value_name = "N")]
    pub rate_limit_login_account_lock_per_minute: Option<String>,
    /// Sign-in attempts on the whole service; 0 disables [default: 600]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE", value_name = "N")]
    pub rate_limit_login_global_per_minute: Option<String>,
    /// Password hashes computed at once [default: one per core]
    #[arg(long, global = true, env = "TICKETD_HASH_CONCURRENCY", value_name = "N")]
    pub hash_concurrency: Option<String>,
    /// Sign-ins waiting for a hashing slot before 503 [default: 8]
    #[arg(long, global = true, env = "TICKETD_HASH_QUEUE", value_name = "N")]
    pub hash_queue: Option<String>,
    /// Open event streams per session or API token, per instance [default: 10]
    #[arg(long, global = true, env = "TICKETD_STREAMS_PER_CREDENTIAL", value_name = "N")]
    pub streams_per_credential: Option<String>,
    /// Open event streams per instance [default: 1000]
    #[arg(long, global = true, env = "TICKETD_STREAMS_TOTAL", value_name = "N")]
    pub streams_total: Option<String>,
    /// How often an open event stream re-checks its credential [default: 30]
    #[arg(long, global = true, env = "TICKETD_STREAM_CHECK_SECONDS", value_name = "SECONDS")]
    pub stream_check_seconds: Option<String>,
    /// Tool invocations per API token; 0 disables [default: 600]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_TOOLS_PER_MINUTE", value_name = "N")]
    pub rate_limit_tools_per_minute: Option<String>,
    /// CTA clicks per API token; 0 disables [default: 600]
    #[arg(long, global = true, env = "TICKETD_RATE_LIMIT_CTA_PER_MINUTE", value_name = "N")]
    pub rate_limit_cta_per_minute: Option<String>,
    /// Behind one reverse proxy: the client address is the last `X-Forwarded-For` entry
    /// [default: false]
    #[arg(long, global = true, env = "TICKETD_TRUST_PROXY", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub trust_proxy: Option<String>,
    /// How long a request waits for a database connection before it answers 503 [default: 5]
    #[arg(long, global = true, env = "TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub db_acquire_timeout_seconds: Option<String>,
    /// How long an API request may take to answer before 503; 0 disables [default: 30]
    #[arg(long, global = true, env = "TICKETD_REQUEST_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub request_timeout_seconds: Option<String>,
    /// How long a SQLite write waits for another connection's lock before 503 [default: 15]
    #[arg(long, global = true, env = "TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub sqlite_busy_timeout_seconds: Option<String>,
    /// The database pool's size [default: PostgreSQL 16; SQLite twice the cores, 4 to 16]
    #[arg(long, global = true, env = "TICKETD_DB_MAX_CONNECTIONS", value_name = "N")]
    pub db_max_connections: Option<String>,
    /// SQLite's page cache per connection [default: 2048]
    #[arg(long, global = true, env = "TICKETD_SQLITE_CACHE_KIB", value_name = "KIB")]
    pub sqlite_cache_kib: Option<String>,
    /// Comma-separated origins allowed to call `/api/v1` from a browser [default: none]
    #[arg(long, global = true, env = "TICKETD_CORS_ORIGINS", value_name = "ORIGINS")]
    pub cors_origins: Option<String>,
    /// Where replies and e-mail pings are sent: `smtp://HOST:PORT`, `smtps://USER:PASS@HOST:465`
    /// [default: no mail]
    #[arg(long, global = true, env = "TICKETD_SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender, e.g. `Acme Support <support@acme.test>`; required with an SMTP URL
    #[arg(long, global = true, env = "TICKETD_MAIL_FROM", value_name = "SENDER")]
    pub mail_from: Option<String>,
    /// How long a claimed delivery is reserved for the instance sending it [default: 60]
    #[arg(long, global = true, env = "TICKETD_DELIVERY_LEASE_SECONDS", value_name = "SECONDS")]
    pub delivery_lease_seconds: Option<String>,
}

/// `TICKETD_PURGE_INTERVAL_SECONDS (--purge-interval-seconds)`: a setting named in errors by
/// its variable and its flag.
fn label(var: &str) -> String {
    let flag = var.strip_prefix("TICKETD_").unwrap_or(var).to_ascii_lowercase().replace('_', "-");
    format!("{var} (--{flag})")
}

/// A setting's value; blank counts as unset.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

fn flag(name: &str, value: &Option<String>) -> anyhow::Result<bool> {
    match set(value).map(str::to_ascii_lowercase) {
        None => Ok(false),
        Some(v) if ["1", "true", "yes", "on"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "false", "no", "off"].contains(&v.as_str()) => Ok(false),
        Some(v) => bail!("{} must be true or false, not `{v}`", label(name)),
    }
}

fn per_minute(name: &str, value: &Option<String>, default: u32) -> anyhow::Result<u32> {
    match set(value) {
        Some(v) => v.trim().parse().with_context(|| {
            format!(
                "{} must be a number of requests per minute (0 disables the limit), not `{v}`",
                label(name)
            )
        }),
        None => Ok(default),
    }
}

fn seconds(name: &str, value: &Option<String>, default: u64) -> anyhow::Result<std::time::Duration> {
    match set(value) {
        Some(v) => Ok(std::time::Duration::from_secs(
            v.parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .with_context(|| format!("{} must be a positive number of seconds", label(name)))?,
        )),
        None => Ok(std::time::Duration::from_secs(default)),
    }
}

fn count(name: &str, value: &Option<String>) -> anyhow::Result<Option<u32>> {
    set(value)
        .map(|v| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| format!("{} must be a positive number, not `{v}`", label(name)))
        })
        .transpose()
}

impl Config {
    /// Checks the settings (flags and environment variables, see [`Settings`]).
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let session_ttl_seconds = match set(&s.session_ttl_seconds) {
            Some(v) => v.parse().with_context(|| {
                format!("{} must be a number of seconds", label("TICKETD_SESSION_TTL_SECONDS"))
            })?,
            None => 12 * 3600,
        };
        let purge_interval = seconds("TICKETD_PURGE_INTERVAL_SECONDS", &s.purge_interval_seconds, 600)?;
        let sla_check_interval =
            seconds("TICKETD_SLA_CHECK_INTERVAL_SECONDS", &s.sla_check_interval_seconds, 30)?;
        let webhooks_allow_private = flag("TICKETD_WEBHOOK_ALLOW_PRIVATE", &s.webhook_allow_private)?;
        let defaults = api::SecuritySettings::default();
        let security = api::SecuritySettings {
            login_per_ip: per_minute(
                "TICKETD_RATE_LIMIT_LOGIN_IP_PER_MINUTE",
                &s.rate_limit_login_ip_per_minute,
                defaults.login_per_ip,
            )?,
            login_per_account: per_minute(
                "TICKETD_RATE_LIMIT_LOGIN_ACCOUNT_PER_MINUTE",
                &s.rate_limit_login_account_per_minute,
                defaults.login_per_account,
            )?,
            login_account_lock: per_minute(
                "TICKETD_RATE_LIMIT_LOGIN_ACCOUNT_LOCK_PER_MINUTE",
                &s.rate_limit_login_account_lock_per_minute,
                defaults.login_account_lock,
            )?,
            login_global: per_minute(
                "TICKETD_RATE_LIMIT_LOGIN_GLOBAL_PER_MINUTE",
                &s.rate_limit_login_global_per_minute,
                defaults.login_global,
            )?,
            tool_invocations_per_token: per_minute(
                "TICKETD_RATE_LIMIT_TOOLS_PER_MINUTE",
                &s.rate_limit_tools_per_minute,
                defaults.tool_invocations_per_token,
            )?,
            cta_clicks_per_token: per_minute(
                "TICKETD_RATE_LIMIT_CTA_PER_MINUTE",
                &s.rate_limit_cta_per_minute,
                defaults.cta_clicks_per_token,
            )?,
            trust_proxy: flag("TICKETD_TRUST_PROXY", &s.trust_proxy)?,
            cors_origins: parse_origins(set(&s.cors_origins).unwrap_or(""))?,
            // Sign-in hardening and event-stream caps (see `api::SecuritySettings`).
            hash_concurrency: count("TICKETD_HASH_CONCURRENCY", &s.hash_concurrency)?
                .map_or(defaults.hash_concurrency, |n| n as usize),
            hash_queue: match set(&s.hash_queue) {
                Some(v) => v.trim().parse().with_context(|| {
                    format!("{} must be a number, not `{v}`", label("TICKETD_HASH_QUEUE"))
                })?,
                None => defaults.hash_queue,
            },
            streams_per_credential: count("TICKETD_STREAMS_PER_CREDENTIAL", &s.streams_per_credential)?
                .map_or(defaults.streams_per_credential, |n| n as usize),
            streams_total: count("TICKETD_STREAMS_TOTAL", &s.streams_total)?
                .map_or(defaults.streams_total, |n| n as usize),
            stream_check_interval: seconds(
                "TICKETD_STREAM_CHECK_SECONDS",
                &s.stream_check_seconds,
                defaults.stream_check_interval.as_secs(),
            )?,
            ..defaults
        };
        let db_acquire_timeout =
            seconds("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", &s.db_acquire_timeout_seconds, 5)?;
        let sqlite_busy_timeout =
            seconds("TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS", &s.sqlite_busy_timeout_seconds, 15)?;
        let delivery_lease = seconds("TICKETD_DELIVERY_LEASE_SECONDS", &s.delivery_lease_seconds, 60)?;
        let db_max_connections = count("TICKETD_DB_MAX_CONNECTIONS", &s.db_max_connections)?;
        let sqlite_cache_kib = count("TICKETD_SQLITE_CACHE_KIB", &s.sqlite_cache_kib)?
            .unwrap_or(store::StoreOptions::default().sqlite_cache_kib);
        let request_timeout = parse_request_timeout(set(&s.request_timeout_seconds))?;
        let static_dir = set(&s.static_dir).map(PathBuf::from);
        if let Some(dir) = &static_dir
            && !dir.is_dir()
        {
            bail!("TICKETD_STATIC_DIR={} is not a directory", dir.display());
        }
        let mail = parse_mail(set(&s.smtp_url), set(&s.mail_from))?;
        Ok(Self {
            mail,
            delivery_lease,
            security,
            db_acquire_timeout,
            sqlite_busy_timeout,
            db_max_connections,
            sqlite_cache_kib,
            request_timeout,
            static_dir,
            webhooks_allow_private,
            purge_interval,
            sla_check_interval,
            database_url: set(&s.database_url).unwrap_or(DEFAULT_DATABASE_URL).to_owned(),
            bind: set(&s.bind).unwrap_or(DEFAULT_BIND).to_owned(),
            jwt_secret: set(&s.jwt_secret).map(str::to_owned),
            session_ttl_seconds,
            log_json: set(&s.log_format).is_some_and(|v| v == "json"),
        })
    }

    fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }

    /// Creates the SQLite file's directory (e.g. `data/`) if needed.
    pub fn prepare_database_dir(&self) -> anyhow::Result<()> {
        if let Some(parent) = self.sqlite_path().as_deref().and_then(|p| p.parent())
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        Ok(())
    }

    /// The database pool's settings for the one-shot commands.
    pub fn store_options(&self) -> store::StoreOptions {
        store::StoreOptions {
            acquire_timeout: self.db_acquire_timeout,
            sqlite_busy_timeout: self.sqlite_busy_timeout,
            max_connections: self.db_max_connections,
            sqlite_cache_kib: self.sqlite_cache_kib,
            ..store::StoreOptions::default()
        }
    }

    /// The database pool's settings for `serve`: on PostgreSQL, a transaction idle for as
    /// long as the request timeout belongs to a request already answered 503 (or cut off
    /// from ticketd), so the server ends it and frees its locks.
    pub fn serve_store_options(&self) -> store::StoreOptions {
        store::StoreOptions { idle_in_transaction_timeout: self.request_timeout, ..self.store_options() }
    }

    /// The delivery worker's lease and per-exchange timeout (half the lease, at most 10 s,
    /// so that an attempt ends before another instance may take the delivery over).
    pub fn delivery_config(&self) -> notify::DeliveryConfig {
        let lease = self.delivery_lease;
        notify::DeliveryConfig {
            allow_private: self.webhooks_allow_private,
            lease: chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60)),
            timeout: (lease / 2).min(std::time::Duration::from_secs(10)),
            ..notify::DeliveryConfig::default()
        }
    }

    /// The HTTP server's settings.
    pub fn server_options(&self) -> api::ServerOptions {
        api::ServerOptions { request_timeout: self.request_timeout, ..api::ServerOptions::default() }
    }

    /// The URL without its password, for logs.
    pub fn redacted_database_url(&self) -> String {
        let url = &self.database_url;
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let credentials = &url[scheme + 3..at];
                match credentials.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                    None => url.clone(),
                }
            }
            _ => url.clone(),
        }
    }

    /// The JWT secret: `TICKETD_JWT_SECRET`, or with SQLite one generated once and kept
    /// beside the database file (mode 0600). PostgreSQL deployments run several instances,
    /// which must share the secret, so there it is required.
    pub fn jwt_secret(&self) -> anyhow::Result<String> {
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                bail!("TICKETD_JWT_SECRET must be at least 32 characters");
            }
            return Ok(secret.clone());
        }
        let Some(db_path) = self.sqlite_path() else {
            bail!("TICKETD_JWT_SECRET is required with PostgreSQL (all instances must share it)");
        };
        let path = db_path.with_extension("jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim().to_owned();
            if existing.len() >= 32 {
                return Ok(existing);
            }
        }
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a JWT secret");
        Ok(secret)
    }
}

/// `TICKETD_REQUEST_TIMEOUT_SECONDS`: seconds, 0 for no limit; unset, the default.
fn parse_request_timeout(raw: Option<&str>) -> anyhow::Result<Option<std::time::Duration>> {
    let Some(raw) = raw else { return Ok(Some(api::DEFAULT_REQUEST_TIMEOUT)) };
    match raw.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(seconds) => Ok(Some(std::time::Duration::from_secs(seconds))),
        Err(_) => {
            bail!("TICKETD_REQUEST_TIMEOUT_SECONDS must be a number of seconds (0: no limit), not `{raw}`")
        }
    }
}

/// `TICKETD_CORS_ORIGINS`: comma-separated origins, each `scheme://host[:port]` exactly as a
/// browser sends it in `Origin` (no path, no trailing slash, no wildcard).
fn parse_origins(raw: &str) -> anyhow::Result<Vec<String>> {
    raw.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let parsed = url::Url::parse(origin).ok();
            let valid = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.origin().ascii_serialization() == origin
            });
            if !valid {
                bail!(
                    "TICKETD_CORS_ORIGINS: `{origin}` is not an origin like https://admin.example.com \
                     (scheme and host, optional port, no path or trailing slash)"
                );
            }
            Ok(origin.to_owned())
        })
        .collect()
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// Logs to stderr: human-readable, or JSON lines with `TICKETD_LOG_FORMAT=json`;
/// the level from `RUST_LOG` (default `info`).
///
/// Every request is logged once, when its span closes (method, route, status, duration and
/// the `request_id` that the response carries as `x-request-id`): without that line, a
/// request that succeeds would leave no trace of its id in the logs.
pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config {
            database_url: url.into(),
            bind: DEFAULT_BIND.into(),
            jwt_secret: None,
            session_ttl_seconds: 60,
            log_json: false,
            purge_interval: std::time::Duration::from_secs(600),
            sla_check_interval: std::time::Duration::from_secs(30),
            webhooks_allow_private: false,
            static_dir: None,
            security: api::SecuritySettings::default(),
            db_acquire_timeout: std::time::Duration::from_secs(5),
            sqlite_busy_timeout: std::time::Duration::from_secs(15),
            db_max_connections: None,
            sqlite_cache_kib: 2048,
            request_timeout: Some(api::DEFAULT_REQUEST_TIMEOUT),
            mail: None,
            delivery_lease: std::time::Duration::from_secs(60),
        }
    }

    #[derive(clap::Parser)]
    struct Probe {
        #[command(flatten)]
        settings: Settings,
    }

    fn from_flags(args: &[&str]) -> anyhow::Result<Config> {
        use clap::Parser;
        let probe = Probe::try_parse_from(std::iter::once("ticketd").chain(args.iter().copied()))?;
        Config::from_settings(&probe.settings)
    }

    #[test]
    fn flags_are_checked_and_errors_name_the_variable_and_the_flag() {
        let cfg = from_flags(&["--bind", "0.0.0.0:9000", "--purge-interval-seconds", "5", "--trust-proxy"])
            .unwrap();
        assert_eq!(cfg.bind, "0.0.0.0:9000");
        assert_eq!(cfg.purge_interval, std::time::Duration::from_secs(5));
        assert!(cfg.security.trust_proxy);
        assert!(!from_flags(&["--trust-proxy", "off"]).unwrap().security.trust_proxy);
        assert_eq!(from_flags(&["--bind", "  "]).unwrap().bind, DEFAULT_BIND, "blank is unset");
        for (args, needle) in [
            (["--sqlite-cache-kib", "0"], "TICKETD_SQLITE_CACHE_KIB (--sqlite-cache-kib)"),
            (["--trust-proxy", "maybe"], "TICKETD_TRUST_PROXY (--trust-proxy) must be true or false"),
            (["--rate-limit-cta-per-minute", "lots"], "TICKETD_RATE_LIMIT_CTA_PER_MINUTE"),
            (["--session-ttl-seconds", "soon"], "TICKETD_SESSION_TTL_SECONDS"),
        ] {
            let error = from_flags(&args).unwrap_err().to_string();
            assert!(error.contains(needle), "{args:?}: {error}");
        }
        let mail = from_flags(&["--smtp-url", "smtp://127.0.0.1:2525"]).unwrap_err().to_string();
        assert!(mail.contains("TICKETD_MAIL_FROM"), "{mail}");
    }

    #[test]
    fn mail_settings_are_checked_at_start() {
        assert!(parse_mail(None, None).unwrap().is_none());
        assert!(
            parse_mail(None, Some("Acme <support@acme.test>")).unwrap().is_none(),
            "a sender alone: no transport"
        );
        let mail = parse_mail(Some("smtp://127.0.0.1:2525"), Some("Acme Support <support@acme.test>"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (mail.transport.smtp_url.as_str(), mail.from.domain()),
            ("smtp://127.0.0.1:2525", "acme.test")
        );
        assert!(
            parse_mail(Some("smtps://user:pw@mail.example:465"), Some("support@acme.test"))
                .unwrap()
                .is_some()
        );
        let missing = parse_mail(Some("smtp://127.0.0.1:2525"), None).unwrap_err().to_string();
        assert!(missing.contains("TICKETD_MAIL_FROM"), "{missing}");
        assert!(parse_mail(Some("http://mail.example"), Some("support@acme.test")).is_err());
        assert!(parse_mail(Some("not a url"), Some("support@acme.test")).is_err());
        assert!(parse_mail(Some("smtp://127.0.0.1:2525"), Some("Acme <nope>")).is_err());
    }

    #[test]
    fn smtp_settings_never_show_the_password() {
        let mail =
            parse_mail(Some("smtp://u:hunter2@mail.test:587?tls=required"), Some("Acme <support@acme.test>"))
                .unwrap()
                .unwrap();
        assert!(!format!("{mail:?}").contains("hunter2"));
        assert!(parse_mail(Some("smtp://mail.test?tls=sometimes"), Some("a@b.test")).is_err());
        assert!(
            parse_mail(Some("smtp://mail.test"), Some("a+b@b.test")).is_err(),
            "+ is for reply addresses"
        );
    }

    #[test]
    fn the_delivery_timeout_ends_within_the_lease() {
        let mut cfg = config(DEFAULT_DATABASE_URL);
        let delivery = cfg.delivery_config();
        assert_eq!(
            (delivery.lease, delivery.timeout),
            (chrono::Duration::seconds(60), std::time::Duration::from_secs(10))
        );
        cfg.delivery_lease = std::time::Duration::from_secs(2);
        let delivery = cfg.delivery_config();
        assert_eq!(
            (delivery.lease, delivery.timeout),
            (chrono::Duration::seconds(2), std::time::Duration::from_secs(1))
        );
    }

    #[test]
    fn cors_origins_are_exact_origins() {
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        assert_eq!(
            parse_origins("https://a.example, http://b.example:8080").unwrap(),
            ["https://a.example", "http://b.example:8080"]
        );
        for bad in ["*", "https://a.example/", "https://a.example/app", "a.example", "ftp://a.example"] {
            assert!(parse_origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_timeout_is_seconds_and_0_disables_it() {
        use std::time::Duration;
        assert_eq!(parse_request_timeout(None).unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(parse_request_timeout(Some("2")).unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(parse_request_timeout(Some(" 45 ")).unwrap(), Some(Duration::from_secs(45)));
        assert_eq!(parse_request_timeout(Some("0")).unwrap(), None);
        for bad in ["-1", "1.5", "30s", "soon"] {
            assert!(parse_request_timeout(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(config(DEFAULT_DATABASE_URL).sqlite_path(), Some(PathBuf::from("data/ticketd.sqlite")));
        assert_eq!(config("sqlite:///tmp/x.db").sqlite_path(), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(config("postgres://u:p@h/db").sqlite_path(), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            config("postgres://u:secret@h:5432/db").redacted_database_url(),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(config(DEFAULT_DATABASE_URL).redacted_database_url(), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn jwt_secret_is_generated_once_beside_the_sqlite_file() {
        let dir = std::env::temp_dir().join(format!("ticketd-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = config(&format!("sqlite://{}/t.sqlite?mode=rwc", dir.display()));
        let first = cfg.jwt_secret().unwrap();
        assert_eq!(first, cfg.jwt_secret().unwrap());
        assert!(first.len() >= 32);
        assert!(config("postgres://u:p@h/db").jwt_secret().is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
