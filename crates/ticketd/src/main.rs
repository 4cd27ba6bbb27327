//! `ticketd`: the tickets service in one binary — the API, the docs and the admin app,
//! plus the commands that administer it. Configuration comes from flags or the environment
//! (and a `.env` file), every setting optional for the embedded SQLite default.

mod config;
mod mail_in;
mod seed;

use std::net::TcpListener;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use domain::auth::{Role, Scope};
use domain::workspace::{Email, NewPassword, TicketPrefix, parse_person_name, parse_workspace_name};
use store::Store;

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "ticketd",
    version,
    about = "Durable support tickets: REST API, docs and admin app in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    settings: config::Settings,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations and serve the API, docs and admin app.
    Serve {
        /// Seed the demo workspace first if the database has no workspace yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create the demo workspace "Acme Support" (prefix ACME) and print its credentials.
    SeedDemo,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document (YAML) of this build: `ticketd openapi > openapi.yaml`.
    Openapi,
    /// Delete the conversations that expired (24 h without a message) and that no ticket
    /// links, with their messages; one pass (the server also runs it periodically).
    PurgeExpired {
        /// Run as if it were this time (RFC 3339, e.g. 2026-11-27T12:00:00Z).
        #[arg(long, value_parser = parse_rfc3339)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Announce the SLA due times that passed (`ticket.sla_breached`: webhooks, live events,
    /// activity log), each once; one pass (the server also runs it periodically).
    SlaCheck {
        /// Run as if it were this time (RFC 3339, e.g. 2026-11-27T12:00:00Z).
        #[arg(long, value_parser = parse_rfc3339)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Load many realistic tickets fast, for benchmarks: mixed statuses, priorities,
    /// assignees (the workspace's members) and words, spread over the past year; some linked
    /// to a conversation with its transcript.
    SeedBulk(SeedBulk),
    /// Write every ticket of a list query as CSV to stdout (a progress bar on stderr):
    /// `ticketd export --workspace ACME --query 'status=open' > tickets.csv`.
    Export(ExportArgs),
    /// Take one inbound e-mail from standard input (for an MTA's pipe): a customer comment on
    /// the ticket it answers, or a new ticket. Exit codes per sysexits.h: 0 taken or ignored,
    /// 65 unparsable or over 10 MiB, 67 no such workspace, 75 database unavailable (retry).
    MailIn(MailIn),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The workspace's ticket prefix.
    #[arg(long)]
    workspace: String,
    /// A list query string, as for `GET /tickets` (default: every ticket but closed ones).
    #[arg(long, default_value = "")]
    query: String,
}

#[derive(Debug, Args)]
struct MailIn {
    /// The workspace's ticket prefix, e.g. ACME.
    #[arg(long)]
    workspace: String,
    /// The envelope recipient (Postfix: `${recipient}`, Exim: `$local_part@$domain`), read
    /// first for the reply address token.
    #[arg(long)]
    recipient: Option<String>,
}

#[derive(Debug, Args)]
struct SeedBulk {
    /// The workspace's ticket prefix.
    #[arg(long)]
    workspace: String,
    /// How many tickets to add.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    tickets: u64,
    /// How many of them get a conversation with a transcript (every tenth has 50 messages).
    #[arg(long, default_value_t = 0)]
    conversations: u64,
    /// Seed of the generator: the same seed gives the same words and choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn parse_rfc3339(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}); e.g. 2026-11-27T12:00:00Z"))
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace with its first admin.
    Create(WorkspaceCreate),
}

#[derive(Debug, Args)]
struct WorkspaceCreate {
    /// Display name, e.g. "Acme Support".
    #[arg(long)]
    name: String,
    /// Ticket reference prefix, e.g. ACME (2–10 letters or digits).
    #[arg(long)]
    prefix: String,
    /// The first admin's e-mail.
    #[arg(long)]
    admin_email: String,
    /// The first admin's password (at least 10 characters).
    #[arg(long)]
    admin_password: String,
    /// The first admin's display name (default: the part of the e-mail before @).
    #[arg(long)]
    admin_name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a member to a workspace (creating the user if needed).
    Create(UserCreate),
}

#[derive(Debug, Args)]
struct UserCreate {
    /// The workspace's ticket prefix.
    #[arg(long)]
    workspace: String,
    #[arg(long)]
    email: String,
    /// At least 10 characters (ignored for an existing user, who keeps theirs).
    #[arg(long)]
    password: String,
    #[arg(long, value_parser = ["admin", "operator"])]
    role: String,
    /// Display name (default: the part of the e-mail before @).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token and print its secret (alone, on stdout) once.
    Create(TokenCreate),
}

#[derive(Debug, Args)]
struct TokenCreate {
    /// The workspace's ticket prefix.
    #[arg(long)]
    workspace: String,
    /// What the token is for, e.g. "chat backend".
    #[arg(long)]
    name: String,
    /// Comma-separated: tickets:read, tickets:write, conversations:write, tools:invoke,
    /// inbound:write, admin.
    #[arg(long)]
    scopes: String,
}

fn main() -> ExitCode {
    // Before parsing: clap reads the settings' variables, `.env`'s included.
    let dotenv = config::load_dotenv();
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", api::openapi_yaml());
        return ExitCode::SUCCESS;
    }
    let config = match dotenv.and_then(|()| Config::from_settings(&cli.settings)) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            // An MTA defers on EX_CONFIG instead of bouncing the mail.
            return if matches!(cli.command, Command::MailIn(_)) {
                ExitCode::from(mail_in::EX_CONFIG)
            } else {
                ExitCode::FAILURE
            };
        }
    };
    config::init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::MailIn(args) = &cli.command {
        return mail_in::run(&config, &runtime, &args.workspace, args.recipient.as_deref());
    }
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with(config, config.store_options()).await
}

async fn open_store_with(config: &Config, options: store::StoreOptions) -> anyhow::Result<Store> {
    config.prepare_database_dir()?;
    let store = Store::connect(&config.database_url, options)
        .await
        .with_context(|| format!("cannot open the database at {}", config.redacted_database_url()))?;
    store.migrate().await.context("cannot apply migrations")?;
    Ok(store)
}

fn default_name(email: &Email) -> String {
    email.as_str().split('@').next().unwrap_or("admin").to_owned()
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Openapi => {
            print!("{}", api::openapi_yaml());
            Ok(())
        }
        Command::Serve { demo } => serve(config, demo).await,
        Command::PurgeExpired { as_of } => {
            let store = open_store(&config).await?;
            let as_of = as_of.unwrap_or_else(domain::time::now);
            let purged = store.purge_expired(as_of).await?;
            eprintln!("purged {purged} expired conversation(s) as of {}", as_of.to_rfc3339());
            Ok(())
        }
        Command::SlaCheck { as_of } => {
            let store = open_store(&config).await?;
            let as_of = as_of.unwrap_or_else(domain::time::now);
            let announced = store.sla_check(as_of).await?;
            eprintln!("announced {announced} SLA breach(es) as of {}", as_of.to_rfc3339());
            Ok(())
        }
        Command::SeedBulk(args) => seed_bulk(&config, args).await,
        Command::Export(args) => export(&config, args).await,
        Command::MailIn(_) => bail!("mail-in has exit codes of its own: main runs it"),
        Command::Migrate => {
            open_store(&config).await?;
            eprintln!("migrations applied to {}", config.redacted_database_url());
            Ok(())
        }
        Command::SeedDemo => {
            let store = open_store(&config).await?;
            let demo = seed::seed_demo(&store).await?;
            eprintln!("{}", demo.credentials());
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create(args)) => {
            let name = parse_workspace_name(&args.name).map_err(anyhow::Error::msg).context("--name")?;
            let prefix = TicketPrefix::parse(&args.prefix).map_err(anyhow::Error::msg).context("--prefix")?;
            let email =
                Email::parse(&args.admin_email).map_err(anyhow::Error::msg).context("--admin-email")?;
            let password = NewPassword::parse(&args.admin_password)
                .map_err(anyhow::Error::msg)
                .context("--admin-password")?;
            let admin_name = match &args.admin_name {
                Some(n) => parse_person_name(n).map_err(anyhow::Error::msg).context("--admin-name")?,
                None => default_name(&email),
            };
            let store = open_store(&config).await?;
            let (ws, admin) = store.create_workspace(&name, &prefix, &email, &admin_name, &password).await?;
            eprintln!(
                "created workspace {} ({}) with admin {} [{}]",
                ws.name, ws.ticket_prefix, admin.user.email, ws.id
            );
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => {
            let email = Email::parse(&args.email).map_err(anyhow::Error::msg).context("--email")?;
            let password =
                NewPassword::parse(&args.password).map_err(anyhow::Error::msg).context("--password")?;
            let role: Role = args.role.parse().map_err(anyhow::Error::msg).context("--role")?;
            let name = match &args.name {
                Some(n) => parse_person_name(n).map_err(anyhow::Error::msg).context("--name")?,
                None => default_name(&email),
            };
            let store = open_store(&config).await?;
            let member = match store.create_member(&args.workspace, &email, &name, &password, role).await {
                Err(store::StoreError::NotFound) => {
                    bail!("no workspace with prefix {}", args.workspace)
                }
                other => other?,
            };
            eprintln!(
                "added {} to {} as {}",
                member.user.email,
                args.workspace.to_ascii_uppercase(),
                member.role
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create(args)) => {
            let scopes = Scope::parse_list(&args.scopes).map_err(anyhow::Error::msg).context("--scopes")?;
            let name =
                domain::auth::parse_token_name(&args.name).map_err(anyhow::Error::msg).context("--name")?;
            let store = open_store(&config).await?;
            let ws = match store.workspace_by_prefix(&args.workspace).await {
                Err(store::StoreError::NotFound) => {
                    bail!("no workspace with prefix {}", args.workspace)
                }
                other => other?,
            };
            let (token, secret) = store.create_token(ws.id, &name, &scopes, None).await?;
            let scope_list: Vec<_> = token.scopes.iter().map(|s| s.as_str()).collect();
            eprintln!(
                "created token {} ({}) for {} with scopes {}; the secret below is shown once",
                token.name,
                token.id,
                ws.ticket_prefix,
                scope_list.join(",")
            );
            println!("{secret}");
            Ok(())
        }
    }
}

async fn seed_bulk(config: &Config, args: SeedBulk) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let bar = indicatif::ProgressBar::new(args.tickets).with_style(indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} tickets ({per_sec}, eta {eta})",
    )?);
    let started = std::time::Instant::now();
    let plan =
        store::bulk::BulkPlan { tickets: args.tickets, conversations: args.conversations, seed: args.seed };
    let report = match store.seed_bulk(&args.workspace, plan, &|done| bar.set_position(done)).await {
        Err(store::StoreError::NotFound) => bail!("no workspace with prefix {}", args.workspace),
        other => other?,
    };
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {} tickets ({} events), {} conversations ({} messages) into {} in {secs:.1} s ({:.0} tickets/s)",
        report.tickets,
        report.events,
        report.conversations,
        report.messages,
        args.workspace.to_ascii_uppercase(),
        report.tickets as f64 / secs
    );
    if let Some(reference) = report.long_transcript_ticket {
        eprintln!("{reference} has a {}-message transcript", store::bulk::LONG_TRANSCRIPT);
    }
    Ok(())
}

async fn export(config: &Config, args: ExportArgs) -> anyhow::Result<()> {
    use std::io::Write;
    let store = open_store(config).await?;
    let ws = match store.workspace_by_prefix(&args.workspace).await {
        Err(store::StoreError::NotFound) => bail!("no workspace with prefix {}", args.workspace),
        other => other?,
    };
    let query = store::bulk_edit::parse_stored_query(&args.query)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("--query")?;
    if query.assignee == Some(domain::list::AssigneeFilter::Me) {
        bail!("--query: `assignee=me` needs a signed-in user; pass a user id");
    }
    let (total, exact) = store.count_tickets(ws.id, &query).await?;
    let bar = indicatif::ProgressBar::new(total).with_style(indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {human_pos}/{human_len} tickets ({per_sec}, eta {eta})",
    )?);
    let started = std::time::Instant::now();
    let mut walk = store.export_walk(ws.id, &query)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(chunk) = walk.next_chunk().await? {
        out.write_all(&chunk).context("cannot write to stdout")?;
        if !exact && walk.rows() > bar.length().unwrap_or(0) {
            bar.set_length(walk.rows());
        }
        bar.set_position(walk.rows());
    }
    out.flush().context("cannot write to stdout")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "exported {} tickets of {} in {secs:.1} s ({:.0} rows/s)",
        walk.rows(),
        ws.ticket_prefix,
        walk.rows() as f64 / secs.max(1e-9)
    );
    Ok(())
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    // A configuration error (e.g. no TICKETD_JWT_SECRET with PostgreSQL) must stop us
    // before the database is touched: migrated or seeded for a server that never starts.
    config.prepare_database_dir()?;
    let secret = config.jwt_secret()?;
    let store = open_store_with(&config, config.serve_store_options()).await?;
    let mut seeded = None;
    if demo && store.count_workspaces().await? == 0 {
        seeded = Some(seed::seed_demo(&store).await?);
    }
    let listener =
        TcpListener::bind(&config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
    let address = listener.local_addr()?;
    let state = api::AppState {
        store,
        jwt: api::JwtKeys::new(secret.as_bytes(), config.session_ttl_seconds),
        webhooks_allow_private: config.webhooks_allow_private,
        security: api::Security::new(config.security.clone()),
        mail: config.mail.as_ref().map(|m| api::MailSettings { from: m.from.clone() }),
    };
    let purger = spawn_purger(state.store.clone(), config.purge_interval);
    let sla_checker = spawn_sla_checker(state.store.clone(), config.sla_check_interval);
    let delivery = config.delivery_config();
    let mailer = match &config.mail {
        Some(mail) => {
            let smtp = notify::mail::MailConfig {
                reply_secret: secret.as_bytes().to_vec(),
                ..mail.transport.clone()
            };
            let mailer = notify::mail::Mailer::new(&smtp, delivery.timeout).map_err(anyhow::Error::msg)?;
            tracing::info!(smtp = %notify::mail::redact_smtp_url(&smtp.smtp_url), from = %smtp.from, "sending mail");
            Some(mailer)
        }
        None => None,
    };
    let delivery = notify::DeliveryConfig { mail: mailer, ..delivery };
    let deliverer = notify::spawn_worker(state.store.clone(), delivery).map_err(anyhow::Error::msg)?;
    let jobs = store::bulk_edit::spawn_job_worker(state.store.clone(), Default::default());
    let listener_task = state.store.start_listener();
    let spa = api::Spa::from_dir(config.static_dir.clone());
    let spa_built = spa.is_built();
    let server = api::serve_with_app(listener, state, &config.server_options(), spa)?;
    tracing::info!(%address, database = %config.redacted_database_url(), "ticketd listening");
    eprintln!("ticketd is listening on http://{address}");
    eprintln!("  API:       http://{address}/api/v1  (OpenAPI: http://{address}/api-docs/openapi.json)");
    eprintln!("  API docs:  http://{address}/docs/");
    if spa_built {
        eprintln!("  Admin app: http://{address}/app/");
    } else {
        eprintln!("  Admin app: not built (run ./scripts/build-frontend.sh, then restart)");
    }
    if let Some(demo) = seeded {
        eprintln!("{}", demo.credentials());
    } else if demo {
        eprintln!(
            "  demo data: the database already has a workspace; sign in with the demo credentials from its first run"
        );
        eprintln!("             ({} / {})", seed::DEMO_ADMIN_EMAIL, seed::DEMO_ADMIN_PASSWORD);
    }
    let result = server.await.context("the server failed");
    purger.abort();
    sla_checker.abort();
    deliverer.abort();
    jobs.abort();
    if let Some(task) = listener_task {
        task.abort();
    }
    result?;
    tracing::info!("ticketd stopped");
    Ok(())
}

/// Purges expired conversations every `interval`. Safe with several instances: each pass
/// is one idempotent delete that re-checks `has_ticket` under the row lock.
fn spawn_purger(store: Store, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match store.purge_expired(domain::time::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "purged expired conversations"),
                Err(e) => tracing::warn!(error = %e, "expiry purge failed; will retry"),
            }
        }
    })
}

/// Runs the SLA breach pass every `interval`. Safe with several instances: each ticket's
/// announcement is claimed under its row lock and recorded with it (see `Store::sla_check`).
fn spawn_sla_checker(store: Store, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match store.sla_check(domain::time::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(announced = n, "announced SLA breaches"),
                Err(e) => tracing::warn!(error = %e, "SLA breach pass failed; will retry"),
            }
        }
    })
}
