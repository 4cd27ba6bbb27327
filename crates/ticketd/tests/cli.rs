//! Integration tests of the real `ticketd` binary (SPEC section 7): every test runs it as a
//! child process in a temp dir of its own (the working directory, so the default
//! `data/ticketd.sqlite` lands there) and, for PostgreSQL, against a database of its own.
//! Inherited configuration (`DATABASE_URL`, `TICKETD_*`, `RUST_LOG`) is removed; spawned
//! servers are killed and databases dropped by guards, also when a test fails.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_ticketd");
const PG_BASE: &str = "postgres://postgres:postgres@127.0.0.1:5432";
const JWT_SECRET: &str = "cli-test-secret-cli-test-secret-0123456789";
/// How long a one-shot command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to answer `/healthz`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

const ADMIN_PASSWORD: &str = "correct horse battery";
const OPERATOR_PASSWORD: &str = "operator pass 123";
const CHAT_SCOPES: &str = "conversations:write,tools:invoke,tickets:read";

const DEMO_ADMIN: (&str, &str) = ("admin@acme.test", "acme-admin-pass");
const DEMO_OPERATOR: (&str, &str) = ("operator@acme.test", "acme-operator-pass");

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn psql(sql: &str) -> std::process::Output {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", "postgres")
        .stdin(Stdio::null())
        .output()
        .expect("run psql")
}

/// A PostgreSQL database of the test's own, dropped with the guard.
struct PgDb {
    name: String,
}

impl PgDb {
    fn create() -> Self {
        let name = format!("t_{}", Uuid::new_v4().simple());
        let out = psql(&format!("CREATE DATABASE {name}"));
        assert!(out.status.success(), "CREATE DATABASE {name}: {}", String::from_utf8_lossy(&out.stderr));
        PgDb { name }
    }

    fn url(&self) -> String {
        format!("{PG_BASE}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// The test's working directory (removed with the guard) and, for PostgreSQL, its database.
struct Sandbox {
    dir: PathBuf,
    pg: Option<PgDb>,
    runs: AtomicU32,
}

impl Sandbox {
    fn new(backend: Backend) -> Self {
        let dir = std::env::temp_dir().join(format!("ticketd-cli-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        let pg = (backend == Backend::Postgres).then(PgDb::create);
        Sandbox { dir, pg, runs: AtomicU32::new(0) }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// `ticketd <args>` in the sandbox with a clean environment: nothing inherited that
    /// configures ticketd; for PostgreSQL, the database URL and a JWT secret.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.dir).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TICKETD_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env_remove("DATABASE_URL").env_remove("RUST_LOG").env("RUST_BACKTRACE", "1");
        if let Some(pg) = &self.pg {
            cmd.env("DATABASE_URL", pg.url()).env("TICKETD_JWT_SECRET", JWT_SECRET);
        }
        cmd
    }

    /// Files for a child's stdout and stderr (files, not pipes: nothing can block).
    fn output_files(&self) -> (PathBuf, PathBuf) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        (self.dir.join(format!("run-{n}.stdout")), self.dir.join(format!("run-{n}.stderr")))
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_command(self.command(args), args)
    }

    fn run_command(&self, mut cmd: Command, args: &[&str]) -> Run {
        let (out_path, err_path) = self.output_files();
        cmd.stdout(File::create(&out_path).expect("stdout file"));
        cmd.stderr(File::create(&err_path).expect("stderr file"));
        let mut child = ChildGuard(cmd.spawn().expect("spawn ticketd"));
        let status = child.wait_for(COMMAND_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "`ticketd {}` still running after {COMMAND_TIMEOUT:?}:\n{}",
                args.join(" "),
                read(&err_path)
            )
        });
        Run { args: args.join(" "), status, stdout: read(&out_path), stderr: read(&err_path) }
    }

    /// Starts `ticketd <args>` on a free port and waits until `/healthz` answers.
    async fn start(&self, args: &[&str]) -> Server {
        self.start_command(self.command(args), args).await
    }

    async fn start_command(&self, mut cmd: Command, args: &[&str]) -> Server {
        let port = free_port();
        let (out_path, err_path) = self.output_files();
        cmd.env("TICKETD_BIND", format!("127.0.0.1:{port}"));
        cmd.stdout(File::create(&out_path).expect("stdout file"));
        cmd.stderr(File::create(&err_path).expect("stderr file"));
        let child = ChildGuard(cmd.spawn().expect("spawn ticketd"));
        let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), stderr: err_path };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = server.child.0.try_wait().expect("try_wait") {
                panic!("`ticketd {}` exited early ({status}):\n{}", args.join(" "), server.stderr());
            }
            if let Ok(resp) = client.get(format!("{}/healthz", server.base)).send().await
                && resp.status() == StatusCode::OK
            {
                let body: Value = resp.json().await.expect("healthz JSON");
                assert_eq!(body["status"], "ok");
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "`ticketd {}` did not answer /healthz within {STARTUP_TIMEOUT:?}:\n{}",
                args.join(" "),
                server.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// A child process killed (and reaped) on drop, unless it has exited already.
struct ChildGuard(Child);

impl ChildGuard {
    fn wait_for(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A finished one-shot command.
#[derive(Debug)]
struct Run {
    args: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn success(self) -> Self {
        assert!(
            self.status.success(),
            "`ticketd {}` failed ({}):\nstdout: {}\nstderr: {}",
            self.args,
            self.status,
            self.stdout,
            self.stderr
        );
        self.assert_no_panic();
        self
    }

    /// A failure with a readable message on stderr (no panic, no backtrace, nothing on
    /// stdout) that contains every one of `needles`.
    #[track_caller]
    fn failure(self, needles: &[&str]) -> Self {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "`ticketd {}` should fail with an exit code, got {}:\nstdout: {}\nstderr: {}",
            self.args,
            self.status,
            self.stdout,
            self.stderr
        );
        self.assert_no_panic();
        assert!(
            self.stderr.contains("error"),
            "`ticketd {}`: no error message on stderr: {}",
            self.args,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "`ticketd {}`: stderr should mention {needle:?}: {}",
                self.args,
                self.stderr
            );
        }
        assert_eq!(self.stdout, "", "`ticketd {}` printed on stdout", self.args);
        self
    }

    #[track_caller]
    fn assert_no_panic(&self) {
        let lower = self.stderr.to_lowercase();
        assert!(
            !lower.contains("panicked") && !lower.contains("backtrace"),
            "`ticketd {}` panicked or printed a backtrace: {}",
            self.args,
            self.stderr
        );
    }
}

/// A running server, killed on drop unless stopped with SIGTERM.
struct Server {
    child: ChildGuard,
    base: String,
    stderr: PathBuf,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn stderr(&self) -> String {
        read(&self.stderr)
    }

    /// SIGTERM; asserts a clean exit (status 0) within `SHUTDOWN_TIMEOUT`. Returns stderr.
    fn terminate(mut self) -> String {
        let pid = self.child.0.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        let status = self.child.wait_for(SHUTDOWN_TIMEOUT).unwrap_or_else(|| {
            panic!("ticketd did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM:\n{}", self.stderr())
        });
        assert!(status.success(), "ticketd exited with {status} after SIGTERM:\n{}", self.stderr());
        assert!(started.elapsed() < SHUTDOWN_TIMEOUT);
        self.stderr()
    }
}

async fn login(client: &reqwest::Client, server: &Server, email: &str, password: &str) -> Value {
    let resp = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("login JSON");
    assert_eq!(status, StatusCode::OK, "login as {email}: {body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body
}

async fn get(client: &reqwest::Client, server: &Server, path: &str, bearer: &str) -> (StatusCode, Value) {
    let resp = client.get(server.url(path)).bearer_auth(bearer).send().await.expect("GET request");
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Every ticket, in all four statuses (the list hides closed ones by default).
async fn all_tickets(client: &reqwest::Client, server: &Server, bearer: &str) -> Vec<Value> {
    let (status, body) =
        get(client, server, "/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", bearer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().expect("data array").clone();
    assert_eq!(body["meta"]["total"], data.len(), "{body}");
    data
}

fn statuses(tickets: &[Value]) -> BTreeSet<String> {
    tickets.iter().map(|t| t["status"].as_str().expect("status").to_owned()).collect()
}

/// `workspace create` for the SMK workspace used by several tests.
fn create_smoke_workspace(sandbox: &Sandbox) -> Run {
    sandbox.run(&[
        "workspace",
        "create",
        "--name",
        "Smoke",
        "--prefix",
        "smk",
        "--admin-email",
        "a@smk.test",
        "--admin-password",
        ADMIN_PASSWORD,
    ])
}

/// `user create` of an operator of the SMK workspace; asserts success.
fn create_operator(sandbox: &Sandbox, email: &str) -> Run {
    sandbox
        .run(&[
            "user",
            "create",
            "--workspace",
            "SMK",
            "--email",
            email,
            "--password",
            OPERATOR_PASSWORD,
            "--role",
            "operator",
        ])
        .success()
}

/// `token create`; asserts that stdout is the secret alone, on one line, and returns it.
fn create_token(sandbox: &Sandbox, workspace: &str, name: &str, scopes: &str) -> String {
    let run = sandbox
        .run(&["token", "create", "--workspace", workspace, "--name", name, "--scopes", scopes])
        .success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout must be the secret alone: {:?}", run.stdout);
    let secret = lines[0];
    assert_eq!(run.stdout, format!("{secret}\n"), "nothing but the secret and a newline on stdout");
    assert!(secret.starts_with("tkd_") && secret.len() > 20, "secret {secret:?}");
    assert!(!secret.contains(char::is_whitespace), "secret {secret:?}");
    assert!(run.stderr.contains(&format!("created token {name}")), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains(secret), "the secret must appear on stdout only: {}", run.stderr);
    secret.to_owned()
}

// ---------------------------------------------------------------------------------------
// 1. --help
// ---------------------------------------------------------------------------------------

#[test]
fn help_for_every_command_mentions_its_flags() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "serve",
                "migrate",
                "seed-demo",
                "workspace",
                "user",
                "token",
                "purge-expired",
                "sla-check",
                "--help",
                "--version",
                "--database-url",
                "[env: DATABASE_URL",
                "[env: TICKETD_SMTP_URL",
            ],
        ),
        (&["serve"], &["--demo", "--bind", "[env: TICKETD_BIND", "[env: TICKETD_JWT_SECRET"]),
        (&["migrate"], &["Apply pending migrations"]),
        (&["seed-demo"], &["Acme Support"]),
        (&["workspace"], &["create"]),
        (
            &["workspace", "create"],
            &["--name", "--prefix", "--admin-email", "--admin-password", "--admin-name"],
        ),
        (&["user"], &["create"]),
        (
            &["user", "create"],
            &["--workspace", "--email", "--password", "--role", "admin", "operator", "--name"],
        ),
        (&["purge-expired"], &["--as-of", "RFC 3339", "expired"]),
        (&["export"], &["--workspace", "--query", "CSV"]),
        (&["sla-check"], &["--as-of", "RFC 3339", "SLA"]),
        (&["token"], &["create"]),
        (
            &["token", "create"],
            &[
                "--workspace",
                "--name",
                "--scopes",
                "tickets:read",
                "tickets:write",
                "conversations:write",
                "tools:invoke",
            ],
        ),
    ];
    for (command, needles) in cases {
        let mut args = command.to_vec();
        args.push("--help");
        let run = sandbox.run(&args).success();
        assert!(run.stdout.contains("Usage: ticketd"), "`ticketd {}`: {}", run.args, run.stdout);
        for needle in *needles {
            assert!(
                run.stdout.contains(needle),
                "`ticketd {}` should mention {needle:?}:\n{}",
                run.args,
                run.stdout
            );
        }
    }
    // `--help` neither opens nor creates the database.
    assert!(!sandbox.path("data").exists(), "--help created data/");

    // No subcommand: usage on stderr, non-zero.
    let run = sandbox.run(&[]);
    assert!(!run.status.success());
    assert!(run.stderr.contains("Usage: ticketd"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------
// 2 and 6. migrate / workspace create / user create / token create
// ---------------------------------------------------------------------------------------

fn cli_flow(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    let sqlite = sandbox.path("data/ticketd.sqlite");

    let run = sandbox.run(&["migrate"]).success();
    assert!(run.stderr.contains("migrations applied"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    match backend {
        Backend::Sqlite => {
            assert!(sqlite.is_file(), "migrate should create {}", sqlite.display());
            assert!(std::fs::metadata(&sqlite).unwrap().len() > 0);
            assert!(run.stderr.contains("sqlite://data/ticketd.sqlite"), "{}", run.stderr);
        }
        Backend::Postgres => {
            assert!(!sandbox.path("data").exists(), "PostgreSQL must not create data/");
            // The password is redacted in the message.
            assert!(run.stderr.contains("postgres:***@"), "{}", run.stderr);
            assert!(!run.stderr.contains("postgres:postgres@"), "{}", run.stderr);
        }
    }
    // Migrating again is a no-op.
    sandbox.run(&["migrate"]).success();

    // workspace create
    let run = create_smoke_workspace(&sandbox).success();
    assert!(run.stderr.contains("created workspace Smoke (SMK) with admin a@smk.test"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    create_smoke_workspace(&sandbox).failure(&["SMK", "taken"]);

    let workspace = |prefix: &str, email: &str, password: &str| {
        sandbox.run(&[
            "workspace",
            "create",
            "--name",
            "Other",
            "--prefix",
            prefix,
            "--admin-email",
            email,
            "--admin-password",
            password,
        ])
    };
    workspace("x", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("9lives", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("with-dash", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("OTH", "not-an-email", ADMIN_PASSWORD).failure(&["--admin-email"]);
    workspace("OTH", "b@other.test", "short").failure(&["--admin-password", "at least 10"]);
    let run = sandbox.run(&[
        "workspace",
        "create",
        "--name",
        "  ",
        "--prefix",
        "OTH",
        "--admin-email",
        "b@other.test",
        "--admin-password",
        ADMIN_PASSWORD,
    ]);
    run.failure(&["--name"]);
    // A missing required flag is a usage error naming it.
    sandbox.run(&["workspace", "create", "--name", "Other", "--prefix", "OTH"]).failure(&["--admin-email"]);

    // user create
    let user = |workspace: &str, email: &str, password: &str, role: &str| {
        sandbox.run(&[
            "user",
            "create",
            "--workspace",
            workspace,
            "--email",
            email,
            "--password",
            password,
            "--role",
            role,
        ])
    };
    let run = user("SMK", "op@smk.test", OPERATOR_PASSWORD, "operator").success();
    assert!(run.stderr.contains("added op@smk.test to SMK as operator"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // The prefix is case-insensitive.
    let run = user("smk", "admin2@smk.test", OPERATOR_PASSWORD, "admin").success();
    assert!(run.stderr.contains("added admin2@smk.test to SMK as admin"), "{}", run.stderr);
    user("SMK", "op@smk.test", OPERATOR_PASSWORD, "operator").failure(&["op@smk.test", "already a member"]);
    user("NOPE", "op2@smk.test", OPERATOR_PASSWORD, "operator").failure(&["no workspace with prefix NOPE"]);
    user("SMK", "op2@smk.test", OPERATOR_PASSWORD, "owner").failure(&["--role", "owner"]);
    user("SMK", "op2@", OPERATOR_PASSWORD, "operator").failure(&["--email"]);
    user("SMK", "op2@smk.test", "short", "operator").failure(&["--password", "at least 10"]);

    // token create
    create_token(&sandbox, "SMK", "chat", CHAT_SCOPES);
    let second = create_token(&sandbox, "smk", "admin tool", "admin");
    assert!(second.starts_with("tkd_"));
    let token = |workspace: &str, scopes: &str| {
        sandbox.run(&["token", "create", "--workspace", workspace, "--name", "bad", "--scopes", scopes])
    };
    token("SMK", "tickets:read,tickets:delete").failure(&["--scopes", "tickets:delete"]);
    token("SMK", ",").failure(&["--scopes"]);
    token("NOPE", "tickets:read").failure(&["no workspace with prefix NOPE"]);
    sandbox
        .run(&["token", "create", "--workspace", "SMK", "--name", " ", "--scopes", "admin"])
        .failure(&["--name"]);

    if backend == Backend::Sqlite {
        // The one-shot commands never need (so never write) the JWT secret.
        assert!(!sandbox.path("data/ticketd.jwt-secret").exists());
    }
}

#[test]
fn sqlite_migrate_workspace_user_token() {
    cli_flow(Backend::Sqlite);
}

#[test]
fn postgres_migrate_workspace_user_token() {
    cli_flow(Backend::Postgres);
}

// ---------------------------------------------------------------------------------------
// 3. serve on SQLite: JWT secret file, sign-in, API tokens, SIGTERM, restart
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_serve_keeps_its_jwt_secret_and_stops_on_sigterm() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    create_operator(&sandbox, "op@smk.test");
    let token = create_token(&sandbox, "SMK", "chat", CHAT_SCOPES);
    let secret_path = sandbox.path("data/ticketd.jwt-secret");
    assert!(!secret_path.exists());

    let server = sandbox.start(&["serve"]).await;
    let secret = std::fs::read_to_string(&secret_path).expect("serve writes data/ticketd.jwt-secret");
    assert!(secret.trim().len() >= 32, "secret {secret:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the secret file must be private, mode {mode:o}");
    }

    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["workspace"]["ticket_prefix"], "SMK");
    assert_eq!(admin["workspace"]["name"], "Smoke");
    let session = admin["access_token"].as_str().unwrap().to_owned();
    let operator = login(&client, &server, "op@smk.test", OPERATOR_PASSWORD).await;
    assert_eq!(operator["role"], "operator");

    let (status, me) = get(&client, &server, "/api/v1/me", &session).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], "a@smk.test");
    assert_eq!(me["role"], "admin");

    // The token printed by `token create` authenticates.
    let (status, me) = get(&client, &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["token"]["name"], "chat");
    assert_eq!(me["user"], Value::Null);
    assert_eq!(me["workspace"]["ticket_prefix"], "SMK");
    let scopes: BTreeSet<&str> =
        me["token"]["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(scopes, BTreeSet::from(["conversations:write", "tools:invoke", "tickets:read"]));
    let (status, body) = get(&client, &server, "/api/v1/tickets", &token).await;
    assert_eq!(status, StatusCode::OK, "tickets:read lets the token list tickets: {body}");
    let (status, _) = get(&client, &server, "/api/v1/me", "tkd_not-a-real-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // SIGTERM, with the client's keep-alive connection still open.
    let log = server.terminate();
    assert!(log.contains("ticketd is listening on http://127.0.0.1:"), "{log}");
    drop(client);

    // Second start: the same secret, so sessions issued before the restart still work.
    let server = sandbox.start(&["serve"]).await;
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), secret, "the secret must be reused");
    let client = reqwest::Client::new();
    let (status, me) = get(&client, &server, "/api/v1/me", &session).await;
    assert_eq!(status, StatusCode::OK, "a session from before the restart: {me}");
    assert_eq!(me["user"]["email"], "a@smk.test");
    let (status, _) = get(&client, &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    server.terminate();
}

// ---------------------------------------------------------------------------------------
// 4. serve --demo, on SQLite and PostgreSQL: users, tickets, agents, chats, expiry
// ---------------------------------------------------------------------------------------

/// The demo's chats as the API showed them before a purge.
#[derive(Debug)]
struct DemoChats {
    help_center: String,
    sales: String,
    /// Tickets opened from a chat: (reference, conversation id, messages in its transcript).
    linked: Vec<(String, String, usize)>,
    /// Live conversations that no ticket links.
    unlinked: Vec<String>,
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("no string `{field}` in {value}"))
}

fn names(list: &Value) -> Vec<&str> {
    list["data"].as_array().expect("data array").iter().map(|t| str_of(t, "name")).collect()
}

/// The chat part of the demo (SPEC section 7, issue 4 item 8), through the API: two agents
/// that may open tickets (one by its preset, one by its override), the `open_ticket` tool,
/// the "Talk to a human" button, one ticket per creation path with its transcript, and live
/// conversations in the Inbox. `chat` is a chat backend token (`CHAT_SCOPES`), if there is one.
async fn check_demo_chats(
    client: &reqwest::Client,
    server: &Server,
    admin: &Value,
    operator: &Value,
    chat: Option<&str>,
) -> DemoChats {
    let admin_bearer = str_of(admin, "access_token");
    let operator_bearer = str_of(operator, "access_token");
    let chat_bearer = chat.unwrap_or(admin_bearer);

    // Agents: help_center ships `ticketing`; the sales bot has it through its override.
    let (status, agents) = get(client, server, "/api/v1/agents", admin_bearer).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    let agents = agents["data"].as_array().expect("data array").clone();
    assert_eq!(agents.len(), 2, "{agents:?}");
    let find = |vertical: &str| {
        agents.iter().find(|a| a["vertical"] == vertical).unwrap_or_else(|| panic!("no {vertical} agent"))
    };
    let (help, sales) = (find("help_center"), find("sales"));
    assert_eq!(help["name"], "Helpdesk Bot");
    assert_eq!(sales["name"], "Sales Bot");
    for agent in [help, sales] {
        let capabilities = agent["capabilities"].as_array().expect("capabilities");
        assert!(capabilities.contains(&json!("ticketing")), "{agent}");
    }
    assert_eq!(sales["vertical_overrides"]["capabilities"], json!(["ticketing"]), "{sales}");
    let (help_id, sales_id) = (str_of(help, "id"), str_of(sales, "id"));

    // The tool list a chat backend hands to its LLM: open_ticket, for both bots.
    for id in [sales_id, help_id] {
        let (status, tools) = get(client, server, &format!("/api/v1/agents/{id}/tools"), chat_bearer).await;
        assert_eq!(status, StatusCode::OK, "{tools}");
        assert_eq!(names(&tools), ["open_ticket"], "{tools}");
        let tool = &tools["data"][0];
        assert!(str_of(tool, "description").len() > 50, "{tool}");
        assert_eq!(tool["input_schema"]["required"], json!(["subject", "body"]), "{tool}");
        assert_eq!(tool["input_schema"]["properties"]["subject"]["maxLength"], 120, "{tool}");
    }

    // The "Talk to a human" button of the help center bot.
    let (status, rules) = get(client, server, "/api/v1/cta-rules", admin_bearer).await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(rules["data"].as_array().expect("data array").len(), 1, "{rules}");
    let rule = &rules["data"][0];
    assert_eq!(rule["kind"], "open_ticket", "{rule}");
    assert_eq!(rule["label"], "Talk to a human", "{rule}");
    assert_eq!(rule["agent_id"], help_id, "{rule}");
    assert_eq!(rule["priority"], "high", "{rule}");
    assert_eq!(rule["enabled"], true, "{rule}");
    assert!(rule["subject_template"].as_str().is_some_and(|t| t.contains('{')), "{rule}");
    let rule_id = str_of(rule, "id");
    let buttons = |agent: &str| format!("/api/v1/agents/{agent}/cta-rules");
    let (status, shown) = get(client, server, &buttons(help_id), chat_bearer).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"][0]["id"], rule_id, "{shown}");
    let (status, shown) = get(client, server, &buttons(sales_id), chat_bearer).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"], json!([]), "the button is the help center bot's only: {shown}");

    // One ticket per creation path, each with its conversation and the path's metadata.
    let tickets = all_tickets(client, server, admin_bearer).await;
    let operator_id = str_of(&operator["user"], "id");
    let expected = [
        ("open_ticket_tool", "tool_call_id", None, "tool"),
        ("cta", "rule_id", Some(rule_id), "system"),
        ("human_escalation", "operator_id", Some(operator_id), "system"),
    ];
    let mut linked = Vec::new();
    for (source, key, value, role) in expected {
        let of_source: Vec<&Value> = tickets.iter().filter(|t| t["metadata"]["source"] == source).collect();
        assert_eq!(of_source.len(), 1, "one demo ticket with source {source}: {of_source:?}");
        let ticket = of_source[0];
        let metadata = &ticket["metadata"];
        assert!(metadata[key].as_str().is_some_and(|v| !v.is_empty()), "{source}: {metadata}");
        if let Some(value) = value {
            assert_eq!(metadata[key], value, "{source}: {metadata}");
        }
        assert!(ticket["agent_id"] == help_id || ticket["agent_id"] == sales_id, "{ticket}");
        let reference = str_of(ticket, "reference");
        let conversation_id = str_of(ticket, "conversation_id");
        // The chat backend's token reads the ticket with its transcript (tickets:read).
        let (status, detail) =
            get(client, server, &format!("/api/v1/tickets/{reference}"), chat_bearer).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let thread = &detail["conversation"];
        assert_eq!(thread["id"], conversation_id, "{detail}");
        let messages = thread["messages"].as_array().expect("a thread");
        let roles: BTreeSet<&str> = messages.iter().map(|m| str_of(m, "role")).collect();
        assert!(roles.is_superset(&BTreeSet::from(["visitor", "assistant", role])), "{source}: {roles:?}");
        // The path's own entry in the transcript names the ticket.
        let entry = messages.iter().find(|m| m["role"] == role).unwrap();
        assert!(str_of(entry, "content").contains(&format!("#{reference}")), "{source}: {entry}");
        if source == "open_ticket_tool" {
            let call: Value = serde_json::from_str(str_of(entry, "content")).expect("a JSON tool message");
            assert_eq!(call["tool"], "open_ticket", "{call}");
            assert_eq!(call["tool_call_id"], metadata["tool_call_id"], "{call}");
            assert_eq!(call["result"]["reference"], reference, "{call}");
            // ... and the bot then said the tool's confirmation.
            let last = messages.last().unwrap();
            assert_eq!(last["role"], "assistant", "{last}");
            assert!(
                str_of(last, "content").starts_with(&format!("I've opened ticket #{reference}")),
                "{last}"
            );
        }
        linked.push((reference.to_owned(), conversation_id.to_owned(), messages.len()));
    }

    // The Inbox: the live chats, and the linked ones (not expired yet either).
    let (status, inbox) = get(client, server, "/api/v1/conversations", operator_bearer).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let rows = inbox["data"].as_array().expect("data array");
    assert_eq!(inbox["meta"]["total"], rows.len(), "{inbox}");
    let unlinked: Vec<String> =
        rows.iter().filter(|c| c["has_ticket"] == false).map(|c| str_of(c, "id").to_owned()).collect();
    let linked_ids: BTreeSet<&str> =
        rows.iter().filter(|c| c["has_ticket"] == true).map(|c| str_of(c, "id")).collect();
    assert!(!unlinked.is_empty(), "no live, unlinked conversation in the Inbox: {inbox}");
    assert_eq!(linked_ids, linked.iter().map(|(_, c, _)| c.as_str()).collect(), "{inbox}");
    for id in &unlinked {
        let (status, conversation) =
            get(client, server, &format!("/api/v1/conversations/{id}"), operator_bearer).await;
        assert_eq!(status, StatusCode::OK, "{conversation}");
        assert!(conversation["messages"].as_array().is_some_and(|m| m.len() >= 2), "{conversation}");
        assert_eq!(conversation["tickets"], json!([]), "{conversation}");
    }
    DemoChats { help_center: help_id.to_owned(), sales: sales_id.to_owned(), linked, unlinked }
}

/// The summary `seed-demo` and `serve --demo` print names what the API shows.
fn check_demo_summary(log: &str, demo: &DemoChats) {
    assert!(log.contains("demo workspace: Acme Support (prefix ACME), 11 tickets"), "{log}");
    assert!(log.contains("admin@acme.test / acme-admin-pass"), "{log}");
    assert!(log.contains("operator@acme.test / acme-operator-pass"), "{log}");
    assert!(log.contains(&format!("agent Helpdesk Bot (help_center): {}", demo.help_center)), "{log}");
    assert!(log.contains(&format!("agent Sales Bot (sales): {}", demo.sales)), "{log}");
    assert!(log.contains("CTA rule \"Talk to a human\""), "{log}");
    for id in &demo.unlinked {
        assert!(log.contains(id.as_str()), "live conversation {id} is not in the summary: {log}");
    }
    for (reference, conversation, _) in &demo.linked {
        assert!(log.contains(&format!("ticket {reference} (")), "{log}");
        assert!(log.contains(conversation.as_str()), "{log}");
    }
    for source in ["(open_ticket_tool)", "(cta)", "(human_escalation)"] {
        assert!(log.contains(source), "{log}");
    }
    assert!(log.contains("ticketd token create --workspace ACME --name chat --scopes"), "{log}");
}

/// `ticketd purge-expired --as-of <now + 25 h>`: purges exactly the unlinked chats.
fn purge_a_day_later(sandbox: &Sandbox, demo: &DemoChats) {
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    let as_of = later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = sandbox.run(&["purge-expired", "--as-of", &as_of]).success();
    assert_eq!(run.stdout, "", "the report goes to stderr");
    assert!(
        run.stderr.contains(&format!("purged {} expired conversation(s)", demo.unlinked.len())),
        "{}",
        run.stderr
    );
}

/// After the purge: the unlinked chats are gone; the linked ones keep their transcripts.
async fn check_purged(client: &reqwest::Client, server: &Server, operator: &Value, demo: &DemoChats) {
    let bearer = str_of(operator, "access_token");
    for id in &demo.unlinked {
        let (status, body) = get(client, server, &format!("/api/v1/conversations/{id}"), bearer).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "purged conversation {id}: {body}");
    }
    let (status, inbox) = get(client, server, "/api/v1/conversations", bearer).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let ids: BTreeSet<&str> = inbox["data"].as_array().unwrap().iter().map(|c| str_of(c, "id")).collect();
    assert!(demo.unlinked.iter().all(|id| !ids.contains(id.as_str())), "{inbox}");
    for (reference, conversation, count) in &demo.linked {
        let (status, body) =
            get(client, server, &format!("/api/v1/conversations/{conversation}"), bearer).await;
        assert_eq!(status, StatusCode::OK, "linked conversation {conversation} of {reference}: {body}");
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(*count), "{body}");
        assert_eq!(body["tickets"][0]["reference"], reference.as_str(), "{body}");
        let (status, ticket) = get(client, server, &format!("/api/v1/tickets/{reference}"), bearer).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["conversation"]["id"], conversation.as_str(), "{ticket}");
        assert_eq!(ticket["conversation"]["messages"].as_array().map(Vec::len), Some(*count), "{ticket}");
    }
}

async fn serve_demo(sandbox: &Sandbox) {
    let server = sandbox.start(&["serve", "--demo"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["workspace"]["ticket_prefix"], "ACME");
    assert_eq!(admin["workspace"]["name"], "Acme Support");
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    assert_eq!(operator["role"], "operator");

    let admin_token = admin["access_token"].as_str().unwrap();
    let tickets = all_tickets(&client, &server, admin_token).await;
    assert_eq!(
        statuses(&tickets),
        BTreeSet::from(["open", "pending", "resolved", "closed"].map(String::from)),
        "the demo has tickets in every status"
    );
    assert!(tickets.iter().all(|t| { t["reference"].as_str().is_some_and(|r| r.starts_with("ACME-")) }));
    // The operator sees them too.
    let operator_token = operator["access_token"].as_str().unwrap();
    assert_eq!(all_tickets(&client, &server, operator_token).await.len(), tickets.len());
    let demo = check_demo_chats(&client, &server, &admin, &operator, None).await;
    drop(client);
    let log = server.terminate();
    check_demo_summary(&log, &demo);

    // A day later, the live chats are purged; the tickets' transcripts are kept.
    purge_a_day_later(sandbox, &demo);

    // Again on the same database: no second seeding, no failure.
    let server = sandbox.start(&["serve", "--demo"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    let again = all_tickets(&client, &server, admin["access_token"].as_str().unwrap()).await;
    assert_eq!(again.len(), tickets.len(), "serve --demo must not seed twice");
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    check_purged(&client, &server, &operator, &demo).await;
    drop(client);
    let log = server.terminate();
    assert!(log.contains("already has a workspace"), "{log}");
    assert!(!log.contains("demo workspace: Acme Support (prefix ACME)"), "{log}");
}

#[tokio::test]
async fn sqlite_serve_demo_seeds_once() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    serve_demo(&sandbox).await;
    assert!(sandbox.path("data/ticketd.sqlite").is_file());
    assert!(sandbox.path("data/ticketd.jwt-secret").is_file());
}

#[tokio::test]
async fn postgres_serve_demo_seeds_once() {
    let sandbox = Sandbox::new(Backend::Postgres);
    // Without the required secret, `serve --demo` fails before seeding anything...
    let mut cmd = sandbox.command(&["serve", "--demo"]);
    cmd.env_remove("TICKETD_JWT_SECRET").env("TICKETD_BIND", format!("127.0.0.1:{}", free_port()));
    sandbox.run_command(cmd, &["serve", "--demo"]).failure(&["TICKETD_JWT_SECRET"]);
    // ... so that the first real start seeds (and prints the credentials).
    serve_demo(&sandbox).await;
    assert!(!sandbox.path("data").exists(), "PostgreSQL must not create data/");
}

// ---------------------------------------------------------------------------------------
// 5. seed-demo and purge-expired; serve on PostgreSQL without TICKETD_JWT_SECRET
// ---------------------------------------------------------------------------------------

/// `seed-demo`, then a chat backend token, `serve`, and `purge-expired` while it runs.
async fn seed_demo_then_purge(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    let seeded = sandbox.run(&["seed-demo"]).success();
    assert_eq!(seeded.stdout, "", "credentials go to stderr");
    if backend == Backend::Sqlite {
        assert!(sandbox.path("data/ticketd.sqlite").is_file());
    }
    // A second run cannot create ACME again and says so, without a panic.
    sandbox.run(&["seed-demo"]).failure(&["ACME"]);
    let chat = create_token(&sandbox, "ACME", "chat", CHAT_SCOPES);

    // A bad --as-of is a usage error naming the flag; a pass now purges nothing (fresh chats).
    sandbox.run(&["purge-expired", "--as-of", "garbage"]).failure(&["--as-of", "RFC 3339"]);
    sandbox.run(&["purge-expired", "--as-of", "2026-13-01T00:00:00Z"]).failure(&["--as-of"]);
    let run = sandbox.run(&["purge-expired"]).success();
    assert!(run.stderr.contains("purged 0 expired conversation(s) as of "), "{}", run.stderr);

    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    let demo = check_demo_chats(&client, &server, &admin, &operator, Some(&chat)).await;
    check_demo_summary(&seeded.stderr, &demo);

    // The purge runs beside the server, as a cron job would.
    purge_a_day_later(&sandbox, &demo);
    check_purged(&client, &server, &operator, &demo).await;
    // A second pass finds nothing more: linked transcripts are kept however late it is.
    let much_later = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let run = sandbox.run(&["purge-expired", "--as-of", &much_later]).success();
    assert!(run.stderr.contains("purged 0 expired conversation(s)"), "{}", run.stderr);
    check_purged(&client, &server, &operator, &demo).await;

    // The SLA breach pass beside the server: nothing is due yet; a year on, every running
    // clock of the open and pending demo tickets has breached, announced once.
    sandbox.run(&["sla-check", "--as-of", "garbage"]).failure(&["--as-of", "RFC 3339"]);
    let run = sandbox.run(&["sla-check"]).success();
    assert!(run.stderr.contains("announced 0 SLA breach(es) as of "), "{}", run.stderr);
    let tickets = all_tickets(&client, &server, str_of(&operator, "access_token")).await;
    let running: usize = tickets
        .iter()
        .map(|t| ["first_response", "resolution"].iter().filter(|c| t["sla"][**c] == "running").count())
        .sum();
    assert!(running > 0, "the demo has running SLA clocks");
    let year_later = (chrono::Utc::now() + chrono::Duration::days(365)).to_rfc3339();
    let run = sandbox.run(&["sla-check", "--as-of", &year_later]).success();
    assert_eq!(run.stdout, "", "the report goes to stderr");
    assert!(run.stderr.contains(&format!("announced {running} SLA breach(es)")), "{}", run.stderr);
    let run = sandbox.run(&["sla-check", "--as-of", &year_later]).success();
    assert!(run.stderr.contains("announced 0 SLA breach(es)"), "{}", run.stderr);
    drop(client);
    server.terminate();
}

#[tokio::test]
async fn sqlite_seed_demo_then_purge_expired() {
    seed_demo_then_purge(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_seed_demo_then_purge_expired() {
    seed_demo_then_purge(Backend::Postgres).await;
}

#[test]
fn postgres_serve_requires_a_jwt_secret() {
    let sandbox = Sandbox::new(Backend::Postgres);
    let serve = |secret: Option<&str>| {
        let mut cmd = sandbox.command(&["serve"]);
        cmd.env_remove("TICKETD_JWT_SECRET").env("TICKETD_BIND", format!("127.0.0.1:{}", free_port()));
        if let Some(secret) = secret {
            cmd.env("TICKETD_JWT_SECRET", secret);
        }
        sandbox.run_command(cmd, &["serve"])
    };
    serve(None).failure(&["TICKETD_JWT_SECRET", "PostgreSQL"]);
    serve(Some("   ")).failure(&["TICKETD_JWT_SECRET"]);
    serve(Some("too-short")).failure(&["TICKETD_JWT_SECRET", "32"]);
    assert!(!sandbox.path("data").exists(), "no secret file is written for PostgreSQL");
    // The configuration error came before the database was touched: nothing migrated.
    let pg = sandbox.pg.as_ref().unwrap();
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &pg.name, "-tA", "-c"])
        .arg("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        .env("PGPASSWORD", "postgres")
        .output()
        .expect("run psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "serve without a secret must not migrate");
}

// ---------------------------------------------------------------------------------------
// 7. SIGTERM under load: every accepted request is kept, nothing half-written
// ---------------------------------------------------------------------------------------

/// Concurrent client loops, each with a client (so a connection pool) of its own.
const LOAD_CLIENTS: usize = 8;
/// How long the loops run before SIGTERM.
const LOAD_BEFORE_SIGTERM: Duration = Duration::from_secs(1);
/// Safety net: the loops give up this long after they started, whatever happens.
const LOAD_DEADLINE: Duration = Duration::from_secs(12);
/// Per-request timeout: a request still unanswered then is a hang, not a refusal.
const LOAD_REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// What one `POST /api/v1/tickets` of the load came to.
#[derive(Debug)]
enum Outcome {
    /// An HTTP response, with the ticket's id for a 201.
    Response { status: StatusCode, id: Option<String>, body: String },
    /// No response: refused, reset or closed before a response (so never accepted).
    Connection(String),
    /// Anything else, e.g. a timeout or a response whose body could not be read.
    Other(String),
}

#[derive(Debug)]
struct Attempt {
    subject: String,
    sent: Instant,
    done: Instant,
    outcome: Outcome,
}

impl Attempt {
    /// One line for failure messages, with times relative to `sigterm`.
    fn describe(&self, sigterm: Instant) -> String {
        let at = |t: Instant| match t.checked_duration_since(sigterm) {
            Some(d) => format!("+{d:?}"),
            None => format!("-{:?}", sigterm - t),
        };
        let outcome = match &self.outcome {
            Outcome::Response { status, body, .. } => format!("{status} {body}"),
            Outcome::Connection(e) => format!("connection error: {e}"),
            Outcome::Other(e) => format!("failure: {e}"),
        };
        format!(
            "{:?}: sent {} answered {} (relative to SIGTERM): {outcome}",
            self.subject,
            at(self.sent),
            at(self.done)
        )
    }

    fn created_id(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Response { status, id, .. } if *status == StatusCode::CREATED => id.as_deref(),
            _ => None,
        }
    }
}

/// The error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn post_ticket(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    subject: &str,
    body: &str,
) -> Outcome {
    let sent =
        client.post(url).bearer_auth(bearer).json(&json!({ "subject": subject, "body": body })).send().await;
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => return Outcome::Other(format!("timeout: {}", error_chain(&e))),
        Err(e) if e.is_connect() || e.is_request() => {
            return Outcome::Connection(error_chain(&e));
        }
        Err(e) => return Outcome::Other(error_chain(&e)),
    };
    let status = resp.status();
    match resp.text().await {
        Ok(body) => {
            let id =
                serde_json::from_str::<Value>(&body).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
            if status == StatusCode::CREATED && id.is_none() {
                return Outcome::Other(format!("201 without a ticket id: {body}"));
            }
            Outcome::Response { status, id, body }
        }
        Err(e) => Outcome::Other(format!("{status}, but the body could not be read: {}", error_chain(&e))),
    }
}

/// Creates tickets `load {task}-{n}` until a request fails (or the safety deadline).
async fn load_loop(
    task: usize,
    url: String,
    bearer: String,
    body: String,
    deadline: Instant,
) -> Vec<Attempt> {
    let client = reqwest::Client::builder().timeout(LOAD_REQUEST_TIMEOUT).build().expect("build a client");
    let mut attempts = Vec::new();
    for n in 0.. {
        if Instant::now() >= deadline {
            break;
        }
        let subject = format!("load {task}-{n}");
        let sent = Instant::now();
        let outcome = post_ticket(&client, &url, &bearer, &subject, &body).await;
        let failed = !matches!(outcome, Outcome::Response { .. });
        attempts.push(Attempt { subject, sent, done: Instant::now(), outcome });
        if failed {
            break;
        }
    }
    attempts
}

/// Every ticket of the workspace (all statuses), walking `meta.next_cursor`.
async fn walk_all_tickets(client: &reqwest::Client, server: &Server, bearer: &str) -> Vec<Value> {
    let mut tickets = Vec::new();
    let mut cursor = String::new();
    for _ in 0..1000 {
        let (status, body) = get(
            client,
            server,
            &format!("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100&cursor={cursor}"),
            bearer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        tickets.extend(body["data"].as_array().expect("data array").iter().cloned());
        match body["meta"]["next_cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = next.to_owned(),
            _ => return tickets,
        }
    }
    panic!("more than 1000 pages of tickets");
}

async fn sigterm_under_load(backend: Backend) {
    let test_started = Instant::now();
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    let mut server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();
    drop(client);

    let url = server.url("/api/v1/tickets");
    let body = "Load test body. ".repeat(16);
    let load_started = Instant::now();
    let deadline = load_started + LOAD_DEADLINE;
    let loops: Vec<_> = (0..LOAD_CLIENTS)
        .map(|task| tokio::spawn(load_loop(task, url.clone(), bearer.clone(), body.clone(), deadline)))
        .collect();
    tokio::time::sleep(LOAD_BEFORE_SIGTERM).await;

    // SIGTERM while the loops keep going; wait for the exit without blocking them.
    let pid = server.child.0.id().to_string();
    let sigterm = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(kill.success(), "kill -TERM {pid} failed");
    let status = loop {
        if let Some(status) = server.child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            sigterm.elapsed() < SHUTDOWN_TIMEOUT,
            "ticketd did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM under load:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let exit_after = sigterm.elapsed();
    let log = server.stderr();
    assert!(status.success(), "ticketd exited with {status} after SIGTERM under load:\n{log}");
    let lower = log.to_lowercase();
    assert!(!lower.contains("panicked") && !lower.contains("backtrace"), "{log}");

    let mut attempts = Vec::new();
    for handle in loops {
        attempts.extend(handle.await.expect("a load loop panicked"));
    }

    let describe =
        |attempts: &[&Attempt]| attempts.iter().map(|a| a.describe(sigterm)).collect::<Vec<_>>().join("\n");

    // Every loop stopped because the server went away, and only after SIGTERM: a
    // connection dropped under normal load would be a bug of its own.
    let mut last_per_task = std::collections::BTreeMap::new();
    for attempt in &attempts {
        let task = attempt.subject.split(['-', ' ']).nth(1).unwrap().to_owned();
        last_per_task.insert(task, attempt);
    }
    assert_eq!(last_per_task.len(), LOAD_CLIENTS);
    for (task, last) in &last_per_task {
        assert!(
            matches!(last.outcome, Outcome::Connection(_)),
            "loop {task} did not end with a connection error: {}",
            last.describe(sigterm)
        );
    }
    let others: Vec<&Attempt> = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Other(_))).collect();
    assert!(others.is_empty(), "requests neither answered nor refused:\n{}", describe(&others));
    let early_errors: Vec<&Attempt> =
        attempts.iter().filter(|a| matches!(a.outcome, Outcome::Connection(_)) && a.done < sigterm).collect();
    assert!(early_errors.is_empty(), "connection errors before SIGTERM:\n{}", describe(&early_errors));
    let server_errors: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| matches!(&a.outcome, Outcome::Response { status, .. } if status.is_server_error()))
        .collect();
    assert!(server_errors.is_empty(), "5xx responses:\n{}", describe(&server_errors));
    let unexpected: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| matches!(&a.outcome, Outcome::Response { status, .. } if *status != StatusCode::CREATED))
        .collect();
    assert!(unexpected.is_empty(), "responses other than 201:\n{}", describe(&unexpected));

    let created: std::collections::BTreeMap<&str, &str> =
        attempts.iter().filter_map(|a| a.created_id().map(|id| (id, a.subject.as_str()))).collect();
    let refused = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Connection(_))).count();
    let in_flight_at_sigterm =
        attempts.iter().filter(|a| a.created_id().is_some() && a.sent < sigterm && a.done > sigterm).count();
    let answered_after_sigterm =
        attempts.iter().filter(|a| a.created_id().is_some() && a.done > sigterm).count();
    let sent_after_sigterm_and_created =
        attempts.iter().filter(|a| a.created_id().is_some() && a.sent > sigterm).count();
    let last_answer = attempts
        .iter()
        .filter(|a| a.created_id().is_some())
        .map(|a| a.done.saturating_duration_since(sigterm))
        .max()
        .unwrap_or_default();
    let loops_done_after =
        attempts.iter().map(|a| a.done.saturating_duration_since(sigterm)).max().unwrap_or_default();
    let connection_errors: Vec<String> = attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Connection(_)))
        .map(|a| a.describe(sigterm).replace(&url, "URL"))
        .collect();
    eprintln!(
        "{backend:?}: {} attempts, {} created (201), {refused} connection errors; \
         {in_flight_at_sigterm} in flight at SIGTERM, {answered_after_sigterm} answered after it \
         ({sent_after_sigterm_and_created} sent after it), last 201 {last_answer:?} after it; \
         exit {exit_after:?} after SIGTERM, last loop stopped {loops_done_after:?} after it; \
         connection errors:\n{}",
        attempts.len(),
        created.len(),
        connection_errors.join("\n"),
    );
    assert_eq!(
        created.len(),
        attempts.iter().filter(|a| a.created_id().is_some()).count(),
        "two 201 responses with the same ticket id"
    );
    assert!(!created.is_empty(), "no ticket was created under load");
    assert!(
        answered_after_sigterm > 0,
        "no request was answered after SIGTERM: the test did not exercise draining"
    );

    // Restart on the same database: exactly the accepted tickets are there.
    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let tickets = walk_all_tickets(&client, &server, admin["access_token"].as_str().unwrap()).await;
    let stored: std::collections::BTreeMap<&str, &str> =
        tickets.iter().map(|t| (t["id"].as_str().unwrap(), t["subject"].as_str().unwrap())).collect();
    assert_eq!(stored.len(), tickets.len(), "a ticket listed twice");
    let lost: Vec<_> = created.iter().filter(|(id, subject)| stored.get(*id) != Some(*subject)).collect();
    assert!(lost.is_empty(), "201 answered but not stored: {lost:?}");
    let unanswered: Vec<_> = stored
        .iter()
        .filter(|(id, _)| !created.contains_key(*id))
        .map(|(id, subject)| match attempts.iter().find(|a| a.subject == *subject) {
            Some(attempt) => format!("{id}: {}", attempt.describe(sigterm)),
            None => format!("{id}: {subject:?}, never sent"),
        })
        .collect();
    assert!(
        unanswered.is_empty(),
        "stored without a 201 (accepted, answer lost):\n{}",
        unanswered.join("\n")
    );
    assert_eq!(stored.len(), created.len());
    drop(client);
    server.terminate();
    eprintln!("{backend:?}: the whole test took {:?}", test_started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sigterm_under_load_loses_no_accepted_request() {
    sigterm_under_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigterm_under_load_loses_no_accepted_request() {
    sigterm_under_load(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// 8. JSON logs on stderr; x-request-id in the response and in the request's log lines
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn json_logs_carry_the_response_request_id() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("RUST_LOG", "info").env("TICKETD_LOG_FORMAT", "json");
    let server = sandbox.start_command(cmd, &["serve"]).await;

    let client = reqwest::Client::new();
    let request_id = |resp: &reqwest::Response| {
        let value = resp
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id header: {:?}", resp.headers()));
        let value = value.to_str().expect("an ASCII x-request-id").to_owned();
        assert!(!value.trim().is_empty(), "empty x-request-id");
        value
    };
    let resp = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "a@smk.test", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("login request");
    assert_eq!(resp.status(), StatusCode::OK);
    let login_id = request_id(&resp);
    let session: Value = resp.json().await.unwrap();
    let bearer = session["access_token"].as_str().unwrap();
    let resp = client
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(bearer)
        .json(&json!({ "subject": "Logged", "body": "A request to find in the logs." }))
        .send()
        .await
        .expect("create request");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let create_id = request_id(&resp);
    let resp = client.get(server.url("/api/v1/me")).send().await.expect("unauthenticated request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let denied_id = request_id(&resp);
    let ids = BTreeSet::from([&login_id, &create_id, &denied_id]);
    assert_eq!(ids.len(), 3, "request ids must differ: {ids:?}");
    drop(client);
    // After the exit, every line the server will ever write is in the file.
    let log = server.terminate();

    // The tracing output is JSON, one object per line (the startup banner is plain text).
    let events: Vec<(&str, Value)> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
            assert!(value.is_object(), "{line}");
            (line, value)
        })
        .collect();
    assert!(
        events.iter().any(|(_, e)| e["level"] == "INFO"
            && e["fields"]["message"] == "ticketd listening"
            && e["timestamp"].is_string()),
        "no JSON `ticketd listening` event at INFO:\n{log}"
    );
    for line in log.lines().filter(|l| !l.starts_with('{')) {
        assert!(
            !line.contains(" INFO ") && !line.contains(" WARN ") && !line.contains(" ERROR "),
            "a plain-text log line with TICKETD_LOG_FORMAT=json: {line}"
        );
    }
    for (what, id) in [("login", &login_id), ("ticket creation", &create_id), ("401", &denied_id)] {
        assert!(
            log.contains(id.as_str()),
            "the {what} request's x-request-id {id} is in no log line:\n{log}"
        );
        assert!(
            events.iter().any(|(line, _)| line.contains(id.as_str())),
            "the {what} request's x-request-id {id} is only in non-JSON lines:\n{log}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 9. Webhook notifications and live events across processes (issue 5): the outbox survives
//    SIGKILL, and two instances on one PostgreSQL deliver each event once and share live
//    events through LISTEN/NOTIFY.
// ---------------------------------------------------------------------------------------

mod notifications_e2e {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// How long a delivery or a live event may take.
    const ARRIVAL: Duration = Duration::from_secs(30);

    /// One request a receiver got.
    #[derive(Debug, Clone)]
    pub(super) struct Received {
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    }

    impl Received {
        fn header(&self, name: &str) -> &str {
            self.headers.get(name).map_or("", String::as_str)
        }

        pub(super) fn json(&self) -> Value {
            serde_json::from_slice(&self.body).expect("a JSON delivery")
        }
    }

    /// A local webhook receiver: records every request, answers 200, closes the connection.
    pub(super) struct Receiver {
        pub(super) port: u16,
        requests: Arc<Mutex<Vec<Received>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Receiver {
        pub(super) async fn start(port: u16) -> Self {
            let listener =
                tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the receiver");
            let port = listener.local_addr().expect("the receiver's address").port();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let shared = requests.clone();
            let task = tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve_one(socket, shared.clone()));
                }
            });
            Receiver { port, requests, task }
        }

        pub(super) fn requests(&self) -> Vec<Received> {
            self.requests.lock().unwrap().clone()
        }

        pub(super) async fn wait_for(&self, n: usize) -> Vec<Received> {
            let deadline = Instant::now() + ARRIVAL;
            loop {
                let requests = self.requests();
                if requests.len() >= n {
                    return requests;
                }
                assert!(Instant::now() < deadline, "{} of {n} deliveries after {ARRIVAL:?}", requests.len());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    impl Drop for Receiver {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    async fn serve_one(mut socket: tokio::net::TcpStream, requests: Arc<Mutex<Vec<Received>>>) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let headers: BTreeMap<String, String> = head
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = buf[head_end + 4..].to_vec();
        while body.len() < length {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => body.extend_from_slice(&chunk[..n]),
            }
        }
        requests.lock().unwrap().push(Received { headers, body });
        let _ =
            socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        let _ = socket.shutdown().await;
    }

    /// `ticketd serve` with webhooks to loopback allowed (the receivers run on 127.0.0.1).
    async fn serve(sandbox: &Sandbox) -> Server {
        let mut cmd = sandbox.command(&["serve"]);
        cmd.env("TICKETD_WEBHOOK_ALLOW_PRIVATE", "true");
        sandbox.start_command(cmd, &["serve"]).await
    }

    pub(super) async fn sign_in(client: &reqwest::Client, server: &Server) -> String {
        let session = login(client, server, "a@smk.test", ADMIN_PASSWORD).await;
        session["access_token"].as_str().unwrap().to_owned()
    }

    pub(super) async fn post(
        client: &reqwest::Client,
        server: &Server,
        path: &str,
        bearer: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let resp =
            client.post(server.url(path)).bearer_auth(bearer).json(&body).send().await.expect("POST request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates a webhook channel to `url`; returns (channel id, secret).
    pub(super) async fn channel(
        client: &reqwest::Client,
        server: &Server,
        bearer: &str,
        url: &str,
    ) -> (String, String) {
        let (status, body) = post(
            client,
            server,
            "/api/v1/notification-channels",
            bearer,
            json!({"kind": "webhook", "url": url}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["id"].as_str().unwrap().to_owned(), body["secret"].as_str().unwrap().to_owned())
    }

    async fn deliveries(
        client: &reqwest::Client,
        server: &Server,
        bearer: &str,
        channel: &str,
    ) -> Vec<Value> {
        let (status, body) =
            get(client, server, &format!("/api/v1/notification-channels/{channel}/deliveries"), bearer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].as_array().unwrap().clone()
    }

    /// Asserts a signed `ticket.created` delivery; returns its event id.
    fn assert_delivery(r: &Received, secret: &str) -> String {
        let body = r.json();
        let now = chrono::Utc::now().timestamp();
        assert!(
            domain::notification::verify_signature(secret, r.header("ticketd-signature"), &r.body, now, 300),
            "the signature verifies: {:?}",
            r.headers
        );
        assert!(!domain::notification::verify_signature(
            "whsec_wrong",
            r.header("ticketd-signature"),
            &r.body,
            now,
            300
        ));
        assert_eq!(body["type"], "ticket.created", "{body}");
        assert_eq!(r.header("ticketd-event-id"), body["id"].as_str().unwrap());
        body["id"].as_str().unwrap().to_owned()
    }

    /// SIGKILL: no shutdown, no draining, no last delivery round.
    fn kill_hard(mut server: Server) {
        use std::os::unix::process::ExitStatusExt;
        let pid = server.child.0.id().to_string();
        let kill = Command::new("kill").args(["-KILL", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -KILL {pid} failed");
        let status = server.child.wait_for(SHUTDOWN_TIMEOUT).expect("ticketd exits on SIGKILL");
        assert_eq!(status.signal(), Some(9), "{status}");
    }

    async fn delivered_after_a_crash(backend: Backend) {
        let started = Instant::now();
        let sandbox = Sandbox::new(backend);
        create_smoke_workspace(&sandbox).success();
        let server = serve(&sandbox).await;
        let client = reqwest::Client::new();
        let bearer = sign_in(&client, &server).await;
        // The receiver is down: nothing listens on its port yet.
        let port = free_port();
        let (channel, secret) =
            channel(&client, &server, &bearer, &format!("http://127.0.0.1:{port}/hook")).await;
        let (status, ticket) = post(
            &client,
            &server,
            "/api/v1/tickets",
            &bearer,
            json!({"subject": "Survives a crash", "body": "Committed, not yet delivered"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        // Its first attempt fails (connection refused) and is scheduled again…
        let deadline = Instant::now() + ARRIVAL;
        let failed = loop {
            let rows = deliveries(&client, &server, &bearer, &channel).await;
            if rows[0]["last_error"].is_string() {
                break rows[0].clone();
            }
            assert!(Instant::now() < deadline, "no failed attempt recorded: {rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(failed["status"], "pending", "{failed}");
        assert_eq!(failed["delivered_at"], Value::Null);
        // …and a second ticket is killed right after its commit, before any attempt.
        let (status, second) = post(
            &client,
            &server,
            "/api/v1/tickets",
            &bearer,
            json!({"subject": "Killed right after the commit", "body": "Not even tried"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        let pending = deliveries(&client, &server, &bearer, &channel).await;
        kill_hard(server);
        assert_eq!(pending.len(), 2, "{pending:?}");
        assert!(pending.iter().all(|d| d["status"] == "pending"), "{pending:?}");
        let event_ids: BTreeSet<String> =
            pending.iter().map(|d| d["event_id"].as_str().unwrap().to_owned()).collect();

        let receiver = Receiver::start(port).await;
        assert_eq!(receiver.port, port);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(receiver.requests().is_empty(), "nothing is delivered while ticketd is down");
        let restarted_at = Instant::now();
        let server = serve(&sandbox).await;
        let got = receiver.wait_for(2).await;
        let after_restart = restarted_at.elapsed();
        let received: BTreeSet<String> = got.iter().map(|r| assert_delivery(r, &secret)).collect();
        assert_eq!(received, event_ids, "the events of the outbox, same ids");
        let tickets: BTreeSet<String> =
            got.iter().map(|r| r.json()["data"]["ticket"]["id"].to_string()).collect();
        assert_eq!(tickets, BTreeSet::from([ticket["id"].to_string(), second["id"].to_string()]));

        let bearer = sign_in(&client, &server).await;
        let deadline = Instant::now() + ARRIVAL;
        let rows = loop {
            let rows = deliveries(&client, &server, &bearer, &channel).await;
            if rows.iter().all(|d| d["status"] == "delivered") {
                break rows;
            }
            assert!(Instant::now() < deadline, "not marked delivered: {rows:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        for row in &rows {
            assert_eq!(row["last_status_code"], 200, "{row}");
            assert_eq!(row["last_error"], Value::Null, "{row}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(receiver.requests().len(), 2, "each delivered once");
        drop(client);
        server.terminate();
        eprintln!(
            "{backend:?}: delivered {after_restart:?} after the restart (attempts {:?}); the test took {:?}",
            rows.iter().map(|d| d["attempts"].clone()).collect::<Vec<_>>(),
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_a_pending_delivery_survives_sigkill() {
        delivered_after_a_crash(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_pending_delivery_survives_sigkill() {
        delivered_after_a_crash(Backend::Postgres).await;
    }

    /// How many backends of this database sit in `LISTEN` (one per running instance).
    pub(super) fn listeners(pg: &PgDb) -> usize {
        let out = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tA", "-c"])
            .arg(format!(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query ILIKE 'LISTEN%'",
                pg.name
            ))
            .env("PGPASSWORD", "postgres")
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count")
    }

    /// Reads `ticket.created` frames from an event stream until every id of `want` was seen.
    pub(super) async fn stream_until(
        response: &mut reqwest::Response,
        want: &BTreeSet<String>,
    ) -> Vec<String> {
        let deadline = Instant::now() + ARRIVAL;
        let mut buf = String::new();
        let mut seen = Vec::new();
        while !want.iter().all(|id| seen.contains(id)) {
            while let Some(end) = buf.find("\n\n") {
                let frame: String = buf.drain(..end + 2).collect();
                let event = frame.lines().find_map(|l| l.strip_prefix("event: "));
                let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some("ticket.created"), Some(data)) = (event, data) {
                    let data: Value = serde_json::from_str(data).expect("JSON data");
                    seen.push(data["data"]["ticket"]["id"].as_str().unwrap().to_owned());
                }
            }
            if want.iter().all(|id| seen.contains(id)) {
                break;
            }
            let chunk =
                tokio::time::timeout_at(deadline.into(), response.chunk()).await.unwrap_or_else(|_| {
                    let missing: Vec<&String> = want.iter().filter(|id| !seen.contains(id)).collect();
                    panic!(
                        "{} of {} tickets on the stream after {ARRIVAL:?}; missing {missing:?}",
                        seen.len(),
                        want.len()
                    )
                });
            let bytes = chunk.expect("read the stream").expect("the stream ended");
            buf.push_str(std::str::from_utf8(&bytes).expect("UTF-8"));
        }
        seen
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_two_instances_deliver_each_event_once_and_share_live_events() {
        const TICKETS: usize = 30;
        let started = Instant::now();
        let sandbox = Sandbox::new(Backend::Postgres);
        create_smoke_workspace(&sandbox).success();
        let a = serve(&sandbox).await;
        let b = serve(&sandbox).await;
        let pg = sandbox.pg.as_ref().unwrap();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while listeners(pg) < 2 {
            assert!(Instant::now() < deadline, "both instances LISTEN");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let client = reqwest::Client::new();
        let bearer = sign_in(&client, &a).await;
        let (status, me) = get(&client, &b, "/api/v1/me", &bearer).await;
        assert_eq!(status, StatusCode::OK, "a session of A works on B: {me}");

        let receiver = Receiver::start(0).await;
        let (channel, secret) =
            channel(&client, &a, &bearer, &format!("http://127.0.0.1:{}/hook", receiver.port)).await;

        let mut stream = client
            .get(a.url("/api/v1/events"))
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("open the event stream on A");
        assert_eq!(stream.status(), StatusCode::OK);

        // 30 tickets at once, alternating between the instances.
        let creations: Vec<_> = (0..TICKETS)
            .map(|n| {
                let url = if n % 2 == 0 { a.url("/api/v1/tickets") } else { b.url("/api/v1/tickets") };
                let (client, bearer) = (client.clone(), bearer.clone());
                tokio::spawn(async move {
                    let resp = client
                        .post(url)
                        .bearer_auth(bearer)
                        .json(&json!({"subject": format!("Two instances {n}"), "body": "b"}))
                        .send()
                        .await
                        .expect("create a ticket");
                    assert_eq!(resp.status(), StatusCode::CREATED);
                    let ticket: Value = resp.json().await.unwrap();
                    ticket["id"].as_str().unwrap().to_owned()
                })
            })
            .collect();
        let mut ticket_ids = BTreeSet::new();
        let mut via_b = BTreeSet::new();
        for (n, handle) in creations.into_iter().enumerate() {
            let id = handle.await.expect("a creation task panicked");
            if n % 2 == 1 {
                via_b.insert(id.clone());
            }
            ticket_ids.insert(id);
        }
        assert_eq!(ticket_ids.len(), TICKETS);

        // Live: A's stream shows the tickets created through B too, each once.
        let seen = stream_until(&mut stream, &ticket_ids).await;
        assert_eq!(seen.len(), TICKETS, "a ticket twice on the stream: {seen:?}");
        assert!(via_b.iter().all(|id| seen.contains(id)));

        // Webhooks: each event once, although both instances deliver.
        let got = receiver.wait_for(TICKETS).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let got_all = receiver.requests();
        let mut event_ids = BTreeMap::new();
        for r in &got_all {
            let event_id = assert_delivery(r, &secret);
            *event_ids.entry(event_id).or_insert(0) += 1;
        }
        let twice: Vec<_> = event_ids.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "events delivered more than once: {twice:?}");
        assert_eq!(got_all.len(), TICKETS, "{} deliveries for {TICKETS} events", got_all.len());
        let delivered: BTreeSet<String> =
            got.iter().map(|r| r.json()["data"]["ticket"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(delivered, ticket_ids);
        let rows = deliveries(&client, &b, &bearer, &channel).await;
        assert_eq!(rows.len(), TICKETS);
        for row in &rows {
            assert_eq!(row["status"], "delivered", "{row}");
            assert_eq!(row["attempts"], 1, "each delivery attempted once: {row}");
        }
        drop(client);
        // SIGTERM with the stream still open: it ends, and A exits promptly (`terminate`
        // asserts a clean exit within SHUTDOWN_TIMEOUT) instead of draining it for 30 s.
        let count = |log: &str| log.lines().filter(|l| l.contains(" delivered")).count();
        let log_a = a.terminate();
        let end = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(_bytes) = stream.chunk().await.transpose() {}
        })
        .await;
        assert!(end.is_ok(), "the event stream did not end with the server");
        let log_b = b.terminate();
        eprintln!(
            "two instances: A delivered {}, B delivered {}; the test took {:?}",
            count(&log_a),
            count(&log_b),
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------------------------------
// 10. seed-bulk
// ---------------------------------------------------------------------------------------

/// Every ticket of a list, walked by cursor.
async fn walk(client: &reqwest::Client, server: &Server, bearer: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?{query}&cursor={c}"),
            None => format!("/api/v1/tickets?{query}"),
        };
        let (status, body) = get(client, server, &path, bearer).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        rows.extend(body["data"].as_array().expect("data").iter().cloned());
        match body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return rows,
        }
    }
}

fn references(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|t| t["reference"].as_str().expect("reference")).collect()
}

/// `seed-bulk` loads realistic tickets that the API lists, pages and searches like any
/// other, reserving numbers from the workspace counter so later tickets follow on.
async fn seed_bulk(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    create_operator(&sandbox, "o@smk.test");
    sandbox.run(&["seed-bulk", "--workspace", "NOPE", "--tickets", "10"]).failure(&["no workspace", "NOPE"]);
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "0"]).failure(&["--tickets"]);
    let run = sandbox
        .run(&["seed-bulk", "--workspace", "smk", "--tickets", "2500", "--conversations", "100"])
        .success();
    assert!(run.stderr.contains("loaded 2500 tickets"), "{}", run.stderr);
    assert!(run.stderr.contains("100 conversations"), "{}", run.stderr);
    assert!(run.stderr.contains("SMK-1 has a 50-message transcript"), "{}", run.stderr);

    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();

    // Past 1,000 matches the total is a lower bound or an estimate, and says so.
    let (status, all) =
        get(&client, &server, "/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", &bearer)
            .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["meta"]["total_exact"], false, "{all}");
    assert!(all["meta"]["total"].as_u64().unwrap() > 1_000, "{all}");
    let page = all["data"].as_array().unwrap();
    assert_eq!(statuses(page), ["closed", "open", "pending", "resolved"].map(String::from).into());
    let subjects: BTreeSet<&str> = page.iter().map(|t| t["subject"].as_str().unwrap()).collect();
    assert!(subjects.len() > 50, "subjects should vary: {subjects:?}");
    assert!(page.iter().any(|t| t["assigned_to_user_id"].is_string()), "some tickets are assigned");
    assert!(page.iter().any(|t| t["assigned_to_user_id"].is_null()), "some are not");

    // Open tickets: an exact total (under 1,000), which a cursor walk and numbered pages
    // (deferred join) both reach, in the same order.
    let walked = walk(&client, &server, &bearer, "status=open&per_page=100").await;
    let (_, first) = get(&client, &server, "/api/v1/tickets?status=open&per_page=100", &bearer).await;
    assert_eq!(first["meta"]["total_exact"], true, "{first}");
    assert_eq!(first["meta"]["total"].as_u64().unwrap() as usize, walked.len());
    assert!(walked.len() > 400, "about a quarter of 2,500 is open: {}", walked.len());
    let unique: BTreeSet<&str> = references(&walked).into_iter().collect();
    assert_eq!(unique.len(), walked.len(), "a cursor walk visits each ticket once");
    for page_no in [2, 4] {
        let (status, numbered) = get(
            &client,
            &server,
            &format!("/api/v1/tickets?status=open&per_page=100&page={page_no}"),
            &bearer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{numbered}");
        let start = (page_no - 1) * 100;
        let end = (start + 100).min(walked.len());
        assert_eq!(references(numbered["data"].as_array().unwrap()), references(&walked[start..end]));
    }

    // The first linked ticket has its 50-message transcript.
    let (status, detail) = get(&client, &server, "/api/v1/tickets/SMK-1", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["conversation"]["messages"].as_array().map(Vec::len), Some(50), "{detail}");
    let (status, events) = get(&client, &server, "/api/v1/tickets/SMK-2/events", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(events["data"][0]["kind"], "created", "{events}");

    // Search finds seeded words.
    let (status, found) =
        get(&client, &server, "/api/v1/tickets?q=refund&status=open,pending,resolved,closed", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(!found["data"].as_array().unwrap().is_empty(), "{found}");

    // Numbers continue after the bulk load, and a second load continues after that.
    let resp = client
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(&bearer)
        .json(&json!({ "subject": "After the bulk load", "body": "Numbered next." }))
        .send()
        .await
        .unwrap();
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["reference"], "SMK-2501", "{created}");
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "10"]).success();
    let (status, last) = get(&client, &server, "/api/v1/tickets/SMK-2511", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    drop(client);
    server.terminate();
}

#[tokio::test]
async fn sqlite_seed_bulk_loads_tickets_the_api_pages_through() {
    seed_bulk(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_seed_bulk_loads_tickets_the_api_pages_through() {
    seed_bulk(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// 10b. export: every ticket of a list query as CSV on stdout, progress on stderr
// ---------------------------------------------------------------------------------------

/// The records of a CSV written by `export` (CRLF line ends; seeded subjects hold no line
/// breaks), header first.
fn csv_lines(stdout: &str) -> Vec<&str> {
    assert!(stdout.ends_with("\r\n"), "CRLF line ends: {:?}", &stdout[stdout.len().saturating_sub(40)..]);
    stdout.trim_end_matches("\r\n").split("\r\n").collect()
}

fn export_cli(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "1500"]).success();
    sandbox.run(&["export", "--workspace", "NOPE"]).failure(&["no workspace", "NOPE"]);
    sandbox.run(&["export", "--workspace", "SMK", "--query", "page=2"]).failure(&["--query", "query.page"]);
    sandbox.run(&["export", "--workspace", "SMK", "--query", "status=gone"]).failure(&["query.status"]);

    let all = sandbox
        .run(&["export", "--workspace", "smk", "--query", "status=open,pending,resolved,closed"])
        .success();
    let lines = csv_lines(&all.stdout);
    assert_eq!(
        lines[0],
        "reference,subject,status,priority,assignee_email,requester_email,source,created_at,updated_at,\
         first_responded_at,resolved_at,first_response_due_at,resolution_due_at"
    );
    assert_eq!(lines.len(), 1_501, "every ticket once");
    assert!(all.stderr.contains("exported 1500 tickets of SMK"), "{}", all.stderr);
    let unique: BTreeSet<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(unique.len(), 1_500);

    // The list's default leaves closed tickets out; with them it is the whole.
    let open = sandbox.run(&["export", "--workspace", "SMK"]).success();
    let closed = sandbox.run(&["export", "--workspace", "SMK", "--query", "?status=closed"]).success();
    let (open, closed) = (csv_lines(&open.stdout), csv_lines(&closed.stdout));
    assert!(closed.len() > 1 && open.len() > 1);
    assert_eq!(open.len() - 1 + closed.len() - 1, 1_500);
    assert!(open[1..].iter().all(|l| !l.contains(",closed,")));
    assert!(closed[1..].iter().all(|l| l.contains(",closed,")));
}

#[test]
fn sqlite_export_writes_every_matching_ticket_as_csv() {
    export_cli(Backend::Sqlite);
}

#[test]
fn postgres_export_writes_every_matching_ticket_as_csv() {
    export_cli(Backend::Postgres);
}

// ---------------------------------------------------------------------------------------
// 11. Faults: the database goes away while the server runs (a proxy cuts it, or silently
//     stops forwarding), and SQLite stays locked by another connection. 503 problem+json,
//     never 500; recovery without a restart. (SIGTERM under load is section 7.)
// ---------------------------------------------------------------------------------------

mod faults {
    use super::*;
    use notifications_e2e::{Receiver, channel, listeners, sign_in, stream_until};
    use sea_orm::{
        ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement, TransactionOptions,
        TransactionTrait,
    };
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicBool, AtomicU16};
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::sync::watch;

    /// `TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS` of the server behind the proxy.
    const ACQUIRE_TIMEOUT_SECS: u64 = 2;
    /// The longest a request may take to be refused while the database is away.
    const REFUSAL_BOUND: Duration = Duration::from_secs(ACQUIRE_TIMEOUT_SECS + 3);
    /// How soon after the database is back readiness and the event listener must be back.
    const RECOVERY_BOUND: Duration = Duration::from_secs(10);
    /// `TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS` of the SQLite test.
    const BUSY_TIMEOUT_SECS: u64 = 2;
    /// `TICKETD_REQUEST_TIMEOUT_SECONDS` of the silent-partition test.
    const REQUEST_TIMEOUT_SECS: u64 = 2;
    /// Its `TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS`: longer than the request timeout, so that
    /// every 503 while frozen is the request timeout's. (It is also how long a connection
    /// handed back to the pool may take to answer its ping.)
    const PARTITION_ACQUIRE_TIMEOUT_SECS: u64 = 4;
    /// The longest a request may take to be refused while the network is silent.
    const PARTITION_REFUSAL_BOUND: Duration = Duration::from_secs(REQUEST_TIMEOUT_SECS + 3);
    /// How long `/readyz` may take to say 503 while the network is silent (it waits 2 s).
    const READINESS_BOUND: Duration = Duration::from_secs(3);

    /// A TCP proxy between ticketd and PostgreSQL. `cut` closes its port (new connections
    /// are refused, as when the server is down) and every open connection; `heal` opens the
    /// same port again. `freeze` is a silent partition (a failover, a dead NAT): connections
    /// stay open and new ones are accepted, but nothing is forwarded in either direction —
    /// what arrives is held, as a network would have it retransmitted — until `thaw`. The
    /// machine's PostgreSQL, shared with other tests, is never touched.
    struct Proxy {
        port: u16,
        upstream: SocketAddr,
        accept: Option<tokio::task::JoinHandle<()>>,
        connections: Arc<Mutex<Vec<Link>>>,
        frozen: watch::Sender<bool>,
    }

    /// A proxied connection: its task, and what the proxy saw of it.
    struct Link {
        task: tokio::task::AbortHandle,
        seen: Arc<Seen>,
    }

    #[derive(Default)]
    struct Seen {
        /// The local port of its connection to PostgreSQL (`pg_stat_activity.client_port`).
        upstream_port: AtomicU16,
        /// ticketd closed its end (seen also while frozen).
        client_closed: AtomicBool,
    }

    /// Copies `from` to `to`, holding what arrives while `frozen` until thawed; after `from`
    /// ends (`ended` is set then, frozen or not), forwards the end too.
    async fn pump(
        mut from: OwnedReadHalf,
        mut to: OwnedWriteHalf,
        mut frozen: watch::Receiver<bool>,
        ended: &AtomicBool,
    ) {
        let mut held = Vec::new();
        let mut buf = vec![0; 16 * 1024];
        let mut eof = false;
        loop {
            if !*frozen.borrow_and_update() {
                if !held.is_empty() {
                    if to.write_all(&held).await.is_err() {
                        return;
                    }
                    held.clear();
                }
                if eof {
                    let _ = to.shutdown().await;
                    return;
                }
            }
            tokio::select! {
                read = from.read(&mut buf), if !eof => match read {
                    Ok(0) | Err(_) => {
                        eof = true;
                        ended.store(true, Ordering::SeqCst);
                    }
                    Ok(n) => held.extend_from_slice(&buf[..n]),
                },
                changed = frozen.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    impl Proxy {
        async fn start(upstream: SocketAddr) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
            let port = listener.local_addr().expect("the proxy's address").port();
            let mut proxy = Proxy {
                port,
                upstream,
                accept: None,
                connections: Arc::default(),
                frozen: watch::Sender::new(false),
            };
            proxy.serve(listener);
            proxy
        }

        fn serve(&mut self, listener: tokio::net::TcpListener) {
            let (upstream, connections, frozen) =
                (self.upstream, self.connections.clone(), self.frozen.clone());
            self.accept = Some(tokio::spawn(async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    let seen = Arc::new(Seen::default());
                    let (shared, frozen) = (seen.clone(), frozen.subscribe());
                    let task = tokio::spawn(async move {
                        let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await else {
                            return;
                        };
                        if let Ok(local) = outbound.local_addr() {
                            shared.upstream_port.store(local.port(), Ordering::SeqCst);
                        }
                        let ((client_in, client_out), (server_in, server_out)) =
                            (inbound.into_split(), outbound.into_split());
                        let server_closed = AtomicBool::new(false);
                        tokio::join!(
                            pump(client_in, server_out, frozen.clone(), &shared.client_closed),
                            pump(server_in, client_out, frozen, &server_closed),
                        );
                    });
                    connections.lock().unwrap().push(Link { task: task.abort_handle(), seen });
                }
            }));
        }

        /// Closes the port, then every connection; returns how many were open.
        async fn cut(&mut self) -> usize {
            if let Some(accept) = self.accept.take() {
                accept.abort();
                // Once it has ended, the listener is closed and no connection is added.
                let _ = accept.await;
            }
            let open = std::mem::take(&mut *self.connections.lock().unwrap());
            let count = open.iter().filter(|c| !c.task.is_finished()).count();
            for connection in open {
                connection.task.abort();
            }
            count
        }

        async fn heal(&mut self) {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
                .await
                .expect("bind the proxy's port again");
            self.serve(listener);
        }

        /// From now on nothing is forwarded, and nothing is closed.
        fn freeze(&self) {
            self.frozen.send_replace(true);
        }

        /// Forwards what was held, then everything again.
        fn thaw(&self) {
            self.frozen.send_replace(false);
        }

        /// Whether ticketd closed the connection whose PostgreSQL end has this port.
        fn closed_by_ticketd(&self, upstream_port: u16) -> bool {
            self.connections.lock().unwrap().iter().any(|c| {
                c.seen.upstream_port.load(Ordering::SeqCst) == upstream_port
                    && c.seen.client_closed.load(Ordering::SeqCst)
            })
        }
    }

    impl Drop for Proxy {
        fn drop(&mut self) {
            if let Some(accept) = self.accept.take() {
                accept.abort();
            }
            for connection in self.connections.lock().unwrap().drain(..) {
                connection.task.abort();
            }
        }
    }

    /// A response, read whole, with how long it took.
    struct Answer {
        status: StatusCode,
        headers: reqwest::header::HeaderMap,
        body: Value,
        took: Duration,
    }

    async fn send(request: reqwest::RequestBuilder) -> Answer {
        let started = Instant::now();
        let resp = request.send().await.expect("an answer, not a connection error or a timeout");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = resp.json().await.unwrap_or(Value::Null);
        Answer { status, headers, body, took: started.elapsed() }
    }

    /// 503 `application/problem+json` with `Retry-After`, within `REFUSAL_BOUND`.
    #[track_caller]
    fn assert_unavailable(what: &str, answer: &Answer) {
        assert_unavailable_within(what, answer, REFUSAL_BOUND);
    }

    /// 503 `application/problem+json` with `Retry-After`, within `bound`.
    #[track_caller]
    fn assert_unavailable_within(what: &str, answer: &Answer, bound: Duration) {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {}", answer.body);
        assert_eq!(
            answer.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{what}"
        );
        let retry_after = answer.headers.get("retry-after").and_then(|v| v.to_str().ok());
        assert!(
            retry_after.is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s > 0)),
            "{what}: {retry_after:?}"
        );
        assert_eq!(answer.body["status"], 503, "{what}: {}", answer.body);
        assert!(
            answer.body["type"].as_str().is_some_and(|t| t.ends_with("/unavailable")),
            "{what}: {}",
            answer.body
        );
        assert!(answer.took < bound, "{what} took {:?}", answer.took);
    }

    /// Four clients creating and listing tickets as fast as they can, each until its first
    /// 503; each answers its requests' subjects and answers.
    fn spawn_load(
        client: &reqwest::Client,
        tickets: &str,
        bearer: &str,
    ) -> Vec<tokio::task::JoinHandle<Vec<(String, Answer)>>> {
        (0..4)
            .map(|task| {
                let (client, tickets, bearer) = (client.clone(), tickets.to_owned(), bearer.to_owned());
                tokio::spawn(async move {
                    let mut answers = Vec::new();
                    for n in 0.. {
                        let subject = format!("load {task}-{n}");
                        let answer = if n % 2 == 0 {
                            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&subject))).await
                        } else {
                            send(client.get(&tickets).bearer_auth(&bearer)).await
                        };
                        let refused = answer.status == StatusCode::SERVICE_UNAVAILABLE;
                        answers.push((subject, answer));
                        if refused {
                            return answers;
                        }
                    }
                    unreachable!()
                })
            })
            .collect()
    }

    fn ticket(subject: &str) -> Value {
        json!({ "subject": subject, "body": "Fault test" })
    }

    /// Polls `check` every 100 ms until it holds; panics after `bound`.
    async fn wait_until<F, Fut>(what: &str, bound: Duration, mut check: F) -> Duration
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        started.elapsed()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_outage_answers_503_and_recovers_without_restart() {
        let started = Instant::now();
        let sandbox = Sandbox::new(Backend::Postgres);
        create_smoke_workspace(&sandbox).success();
        let pg = sandbox.pg.as_ref().unwrap();
        let mut proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
        let mut cmd = sandbox.command(&["serve"]);
        cmd.env("DATABASE_URL", format!("postgres://postgres:postgres@127.0.0.1:{}/{}", proxy.port, pg.name))
            .env("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", ACQUIRE_TIMEOUT_SECS.to_string())
            .env("TICKETD_WEBHOOK_ALLOW_PRIVATE", "true");
        let server = sandbox.start_command(cmd, &["serve"]).await;
        wait_until("the server LISTENs", STARTUP_TIMEOUT, || async { listeners(pg) == 1 }).await;

        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let bearer = sign_in(&client, &server).await;
        let receiver = Receiver::start(0).await;
        channel(&client, &server, &bearer, &format!("http://127.0.0.1:{}/hook", receiver.port)).await;
        // The event stream stays open across the outage (a client of its own: no timeout).
        let mut stream = reqwest::Client::new()
            .get(server.url("/api/v1/events"))
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("open the event stream");
        assert_eq!(stream.status(), StatusCode::OK);
        let tickets = server.url("/api/v1/tickets");
        let mut before = BTreeSet::new();
        for n in 0..3 {
            let answer =
                send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("before {n}")))).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
            before.insert(answer.body["id"].as_str().unwrap().to_owned());
        }
        stream_until(&mut stream, &before).await;
        receiver.wait_for(3).await;

        // The database goes away, with requests in flight.
        let load = spawn_load(&client, &tickets, &bearer);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let cut = proxy.cut().await;
        let mut load_created = BTreeSet::new();
        for task in load {
            for (subject, answer) in task.await.unwrap() {
                match answer.status {
                    StatusCode::OK => {}
                    StatusCode::CREATED => {
                        load_created.insert(subject);
                    }
                    _ => assert_unavailable(&format!("{subject}, in flight at the cut"), &answer),
                }
            }
        }
        assert!(!load_created.is_empty(), "the load created nothing before the cut");
        assert!(cut >= 2, "the pool and the listener had connections open: {cut}");
        let mut during = Vec::new();
        for round in 0..2 {
            let (ready, list, create, health) = tokio::join!(
                send(client.get(server.url("/readyz"))),
                send(client.get(&tickets).bearer_auth(&bearer)),
                send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("during {round}")))),
                send(client.get(server.url("/healthz"))),
            );
            assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "round {round}: {}", ready.body);
            assert_eq!(ready.body["database"], "unavailable", "{}", ready.body);
            assert!(ready.took < REFUSAL_BOUND, "readiness took {:?}", ready.took);
            assert_unavailable(&format!("round {round}: GET /api/v1/tickets"), &list);
            assert_unavailable(&format!("round {round}: POST /api/v1/tickets"), &create);
            assert_eq!(health.status, StatusCode::OK, "liveness does not depend on the database");
            assert!(health.took < Duration::from_secs(1), "liveness took {:?}", health.took);
            during.push([ready.took, list.took, create.took]);
        }
        // The listener's connection is gone too, not merely idle.
        let pg_gone =
            wait_until("the LISTEN connection ends", RECOVERY_BOUND, || async { listeners(pg) == 0 }).await;

        // It comes back: no restart, readiness first, then everything else.
        proxy.heal().await;
        let ready_after = wait_until("readiness returns", RECOVERY_BOUND, || async {
            matches!(client.get(server.url("/readyz")).send().await, Ok(r) if r.status() == StatusCode::OK)
        })
        .await;
        let mut after = BTreeSet::new();
        let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after 0"))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        after.insert(answer.body["id"].as_str().unwrap().to_owned());
        let listening_after =
            wait_until("the server LISTENs again", RECOVERY_BOUND, || async { listeners(pg) == 1 }).await;
        let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after 1"))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        after.insert(answer.body["id"].as_str().unwrap().to_owned());

        // The stream opened before the outage gets the new tickets (the relay reconnected and
        // replayed what it missed), and the webhook worker delivers them.
        stream_until(&mut stream, &after).await;
        let want: BTreeSet<String> = before.union(&after).cloned().collect();
        wait_until("the webhooks of the tickets before and after", Duration::from_secs(30), || async {
            let delivered: BTreeSet<String> = receiver
                .requests()
                .iter()
                .map(|r| r.json()["data"]["ticket"]["id"].as_str().unwrap().to_owned())
                .collect();
            delivered.is_superset(&want)
        })
        .await;

        // Every ticket from before is there, the refused ones are not.
        let stored: BTreeSet<String> = all_tickets(&client, &server, &bearer)
            .await
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_owned())
            .collect();
        let expected: BTreeSet<String> =
            ["before 0", "before 1", "before 2", "after 0", "after 1"].map(String::from).into();
        assert!(stored.is_superset(&expected), "{stored:?}");
        assert!(stored.is_superset(&load_created), "a 201 of the load lost: {stored:?}");
        // A write cut mid-commit may have committed although it answered 503 (a retry with
        // an Idempotency-Key would find it); nothing else is there.
        let extra: Vec<_> = stored.difference(&expected).filter(|s| !s.starts_with("load ")).collect();
        assert!(extra.is_empty(), "tickets created while the database was away: {extra:?}");

        let log = server.terminate();
        assert!(!log.contains("internal error"), "a 500 during the outage:\n{log}");
        assert!(log.contains("event listener reconnected"), "{log}");
        eprintln!(
            "outage: {} created by the load before the cut; refused in {during:?}; LISTEN gone after {pg_gone:?}; ready {ready_after:?} \
             after healing, LISTEN again {listening_after:?} later; the test took {:?}",
            load_created.len(),
            started.elapsed()
        );
    }

    /// The first column of the first row of `sql`, an integer.
    async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("a row");
        row.try_get_by_index(0).expect("an integer")
    }

    /// The connection to PostgreSQL in the silent-partition tests.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Tls {
        /// `sslmode=prefer`, the default: TLS, as this machine's PostgreSQL offers it.
        Default,
        /// `sslmode=disable`.
        Disabled,
    }

    /// The default configuration (TLS): everything but the release check's closing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_silent_partition_answers_503_within_the_request_timeout_and_recovers() {
        silent_partition(Tls::Default).await;
    }

    /// Without TLS, also the release check: ticketd closes the connections it gave up on
    /// while the network is still silent. (With TLS, sqlx 0.9 cannot close one then: its
    /// rustls socket, flushing before the close, waits for incoming data, so the close ends
    /// when the network answers or TCP gives up. See `store::Store::harden_postgres_pool`.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_silent_partition_without_tls_closes_the_connections_it_gave_up_on() {
        silent_partition(Tls::Disabled).await;
    }

    /// A silent partition (the proxy frozen) with requests in flight, one of them inside its
    /// transaction; then the network answers again.
    async fn silent_partition(tls: Tls) {
        let started = Instant::now();
        let sandbox = Sandbox::new(Backend::Postgres);
        create_smoke_workspace(&sandbox).success();
        // A second workspace for the load, whose creates do not queue behind SMK's counter.
        sandbox
            .run(&[
                "workspace",
                "create",
                "--name",
                "Load",
                "--prefix",
                "load",
                "--admin-email",
                "a@load.test",
                "--admin-password",
                ADMIN_PASSWORD,
            ])
            .success();
        let pg = sandbox.pg.as_ref().unwrap();
        let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
        let mut cmd = sandbox.command(&["serve"]);
        let sslmode = match tls {
            Tls::Default => "prefer",
            Tls::Disabled => "disable",
        };
        let url =
            format!("postgres://postgres:postgres@127.0.0.1:{}/{}?sslmode={sslmode}", proxy.port, pg.name);
        cmd.env("DATABASE_URL", url)
            .env("TICKETD_REQUEST_TIMEOUT_SECONDS", REQUEST_TIMEOUT_SECS.to_string())
            .env("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", PARTITION_ACQUIRE_TIMEOUT_SECS.to_string());
        let server = sandbox.start_command(cmd, &["serve"]).await;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let bearer = sign_in(&client, &server).await;
        let load_bearer = login(&client, &server, "a@load.test", ADMIN_PASSWORD).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let tickets = server.url("/api/v1/tickets");
        for n in 0..3 {
            let answer =
                send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("before {n}")))).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        }

        // A create that is inside its transaction when the network goes silent: a session of
        // the test's own (not through the proxy) holds SMK's ticket counter, so the create
        // waits on it, holding a pooled connection.
        let direct = sea_orm::Database::connect(pg.url()).await.expect("connect to PostgreSQL directly");
        let holder = direct.begin().await.expect("begin");
        holder
            .execute_unprepared("SELECT id FROM workspaces WHERE ticket_prefix = 'SMK' FOR UPDATE")
            .await
            .expect("lock SMK's ticket counter");
        let held = tokio::spawn(send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("held"))));
        let lock_wait = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'",
            pg.name
        );
        wait_until("the create waits for the counter", Duration::from_secs(10), || async {
            scalar(&direct, &lock_wait).await == 1
        })
        .await;
        // Its connection, by the port the proxy connected from.
        let held_port =
            u16::try_from(scalar(&direct, &lock_wait.replace("count(*)", "client_port::bigint")).await)
                .expect("a port");

        // And requests in flight: four clients creating (in LOAD) and listing as fast as they can.
        let load = spawn_load(&client, &tickets, &load_bearer);
        tokio::time::sleep(Duration::from_millis(300)).await;

        // Silence. Then the counter is released: the held create's statement runs, and its
        // answer is stuck in the network with everything else.
        proxy.freeze();
        let frozen_at = Instant::now();
        holder.rollback().await.expect("release the counter");
        let held = held.await.unwrap();
        assert_unavailable_within("the create inside its transaction", &held, PARTITION_REFUSAL_BOUND);
        let mut load_created = BTreeSet::new();
        for task in load {
            for (subject, answer) in task.await.unwrap() {
                match answer.status {
                    StatusCode::OK => {}
                    StatusCode::CREATED => {
                        load_created.insert(subject);
                    }
                    _ => assert_unavailable_within(
                        &format!("{subject}, in flight at the freeze"),
                        &answer,
                        PARTITION_REFUSAL_BOUND,
                    ),
                }
            }
        }
        assert!(!load_created.is_empty(), "the load created nothing before the freeze");

        // New requests: 503 from the request timeout (the acquire timeout is longer),
        // readiness 503 within its own bound, liveness up.
        let mut during = Vec::new();
        for round in 0..2 {
            let (ready, list, create, health) = tokio::join!(
                send(client.get(server.url("/readyz"))),
                send(client.get(&tickets).bearer_auth(&bearer)),
                send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("during {round}")))),
                send(client.get(server.url("/healthz"))),
            );
            assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "round {round}: {}", ready.body);
            assert_eq!(ready.body["database"], "unavailable", "{}", ready.body);
            assert!(ready.took < READINESS_BOUND, "readiness took {:?}", ready.took);
            for (what, answer) in [("GET", &list), ("POST", &create)] {
                let what = format!("round {round}: {what} /api/v1/tickets");
                assert_unavailable_within(&what, answer, PARTITION_REFUSAL_BOUND);
                let timeout = Duration::from_secs(REQUEST_TIMEOUT_SECS) - Duration::from_millis(100);
                assert!(answer.took >= timeout, "{what}: refused by something else after {:?}", answer.took);
            }
            assert_eq!(health.status, StatusCode::OK, "liveness does not depend on the database");
            assert!(health.took < Duration::from_secs(1), "liveness took {:?}", health.took);
            during.push([ready.took, list.took, create.took]);
        }

        // Nothing waits for the network to come back. PostgreSQL ends the sessions left in a
        // transaction (idle_in_transaction_session_timeout = the request timeout), so the
        // counter is free for everyone else...
        let stuck = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state LIKE 'idle in transaction%'",
            pg.name
        );
        let freed =
            wait_until("PostgreSQL ends the abandoned transactions", Duration::from_secs(10), || async {
                scalar(&direct, &stuck).await == 0
            })
            .await;
        let probe = direct.begin().await.expect("begin");
        probe
            .execute_unprepared("SELECT id FROM workspaces WHERE ticket_prefix = 'SMK' FOR UPDATE NOWAIT")
            .await
            .expect("the counter is not locked by an abandoned transaction");
        probe.rollback().await.expect("rollback");
        // ...and (without TLS, see above) ticketd closes the connection of the create it gave
        // up on, whose statement was answered after the network went silent, once it does not
        // answer a ping in the acquire timeout: it is not pooled again when the network
        // answers, nor kept until TCP gives up.
        let given_up = if tls == Tls::Disabled {
            let bound = Duration::from_secs(REQUEST_TIMEOUT_SECS + PARTITION_ACQUIRE_TIMEOUT_SECS + 3);
            Some(
                wait_until("ticketd closes the held create's connection", bound, || async {
                    proxy.closed_by_ticketd(held_port)
                })
                .await,
            )
        } else {
            None
        };
        let frozen_for = frozen_at.elapsed();

        // The network answers again: no restart, readiness first, then creation.
        proxy.thaw();
        let ready_after = wait_until("readiness returns", RECOVERY_BOUND, || async {
            matches!(client.get(server.url("/readyz")).send().await, Ok(r) if r.status() == StatusCode::OK)
        })
        .await;
        for n in 0..2 {
            let answer =
                send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("after {n}")))).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        }

        // Every 201 is stored; the held create and those refused while frozen are not. A load
        // create refused in flight may have committed (a commit whose answer was lost; a retry
        // with an Idempotency-Key would find it), but whatever is stored is whole: no ticket
        // without its `created` event and its outbox event.
        let subjects = |tickets: Vec<Value>| -> BTreeSet<String> {
            tickets.iter().map(|t| t["subject"].as_str().unwrap().to_owned()).collect()
        };
        let stored = subjects(all_tickets(&client, &server, &bearer).await);
        let expected: BTreeSet<String> =
            ["before 0", "before 1", "before 2", "after 0", "after 1"].map(String::from).into();
        assert_eq!(stored, expected, "only the 201s, not `held` nor `during`");
        let load_stored = subjects(all_tickets(&client, &server, &load_bearer).await);
        assert!(load_stored.is_superset(&load_created), "a 201 of the load lost: {load_stored:?}");
        let half_written = scalar(
            &direct,
            "SELECT count(*) FROM tickets t \
             WHERE NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created') \
                OR NOT EXISTS (SELECT 1 FROM outbox_events o \
                               WHERE o.type = 'ticket.created' AND o.data->'ticket'->>'id' = t.id::text)",
        )
        .await;
        assert_eq!(half_written, 0, "tickets without their events");
        let count = scalar(&direct, "SELECT count(*) FROM tickets").await;
        assert_eq!(count as usize, stored.len() + load_stored.len(), "the API lists every stored ticket");
        direct.close().await.expect("close");

        let log = server.terminate();
        assert!(!log.contains("internal error"), "a 500 during the partition:\n{log}");
        assert!(!log.contains("panicked"), "a panic (a transaction dropped while locked?):\n{log}");
        eprintln!(
            "silent partition ({tls:?} TLS): held create refused after {:?}; {} created by the load before \
             the freeze; refused in {during:?} (readiness, list, create); abandoned transactions ended \
             {freed:?} and the held create's connection closed {given_up:?} after that; frozen \
             {frozen_for:?}; ready {ready_after:?} after thawing; the test took {:?}",
            held.took,
            load_created.len(),
            started.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_locked_database_waits_then_answers_503() {
        let started = Instant::now();
        let sandbox = Sandbox::new(Backend::Sqlite);
        create_smoke_workspace(&sandbox).success();
        let mut cmd = sandbox.command(&["serve"]);
        cmd.env("TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS", BUSY_TIMEOUT_SECS.to_string());
        let server = sandbox.start_command(cmd, &["serve"]).await;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        let bearer = sign_in(&client, &server).await;
        let tickets = server.url("/api/v1/tickets");

        // Another program on the same file: a connection of the test's own takes the write
        // lock (BEGIN IMMEDIATE) and keeps it.
        let url = format!("sqlite://{}?mode=rw", sandbox.path("data/ticketd.sqlite").display());
        let holder =
            store::Store::connect(&url, store::StoreOptions::default()).await.expect("open the file");
        let immediate = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };

        // 1. A lock shorter than the busy timeout: the write waits for it, then succeeds.
        let lock = holder.connection().begin_with_options(immediate).await.expect("take the lock");
        let locked_at = Instant::now();
        let write = tokio::spawn(send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("waited"))));
        // Readers are not blocked (WAL).
        let (ready, list) = tokio::join!(
            send(client.get(server.url("/readyz"))),
            send(client.get(&tickets).bearer_auth(&bearer))
        );
        assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.took < Duration::from_secs(1), "a read waited for the write lock: {:?}", list.took);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(!write.is_finished(), "the write did not wait for the lock");
        lock.rollback().await.expect("release the lock");
        let held = locked_at.elapsed();
        let waited = write.await.unwrap();
        assert_eq!(waited.status, StatusCode::CREATED, "{}", waited.body);
        assert!(waited.took >= Duration::from_millis(800), "{:?}", waited.took);

        // 2. A lock that outlasts the busy timeout: 503 problem+json, not 500.
        let lock = holder.connection().begin_with_options(immediate).await.expect("take the lock");
        let refused = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("refused"))).await;
        assert_unavailable("POST while locked beyond the busy timeout", &refused);
        assert!(refused.took >= Duration::from_secs(BUSY_TIMEOUT_SECS) - Duration::from_millis(100));
        lock.rollback().await.expect("release the lock");

        // 3. Released: writes work again; the refused ticket was not stored.
        let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after"))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        let stored: BTreeSet<String> = all_tickets(&client, &server, &bearer)
            .await
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(stored, ["waited", "after"].map(String::from).into());
        holder.close().await.expect("close the holder");
        let log = server.terminate();
        assert!(!log.contains("internal error"), "a 500 while locked:\n{log}");
        eprintln!(
            "sqlite lock: a write waited {:?} for a {held:?} lock; refused after {:?}; the test took {:?}",
            waited.took,
            refused.took,
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Credentials never reach the logs (issue 14): the request log, at debug level too, shows
// paths with credential parameters redacted, and the app's stream uses link tokens.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_urls_never_reach_the_request_log() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    let api_token = create_token(&sandbox, "SMK", "reader", "tickets:read");
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("RUST_LOG", "debug");
    let server = sandbox.start_command(cmd, &["serve"]).await;
    let client = reqwest::Client::new();
    let session = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let jwt = str_of(&session, "access_token").to_owned();

    // Refused credentials in URLs: a JWT, an API token, garbage under other names.
    for (name, value) in
        [("access_token", jwt.as_str()), ("access_token", api_token.as_str()), ("token", api_token.as_str())]
    {
        let resp = client
            .get(server.url("/api/v1/events"))
            .query(&[(name, value), ("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let resp = client.get(server.url("/api/v1/tickets")).query(&[(name, value)]).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // A link token opens the stream once; a second use is refused (and logged, redacted).
    let resp = client.post(server.url("/api/v1/auth/link-tokens")).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let link: Value = resp.json().await.unwrap();
    let link = str_of(&link, "link_token").to_owned();
    let mut stream =
        client.get(server.url("/api/v1/events")).query(&[("link_token", &link)]).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.chunk().await.unwrap().is_some());
    drop(stream);
    let again =
        client.get(server.url("/api/v1/events")).query(&[("link_token", &link)]).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    drop(client);
    let log = server.terminate();

    for (what, secret) in
        [("session token", jwt.as_str()), ("API token", api_token.as_str()), ("link token", link.as_str())]
    {
        // Also no long piece of it (a log might cut or encode it).
        let piece = &secret[secret.len() - 24..];
        assert!(!log.contains(piece), "the {what} is in the log:\n{log}");
    }
    assert!(
        log.contains("/api/v1/events?access_token=REDACTED&x=1"),
        "the request log still names the path:\n{log}"
    );
    assert!(log.contains("link_token=REDACTED"), "{log}");
    assert!(log.contains("token=REDACTED"), "{log}");
}

// ---------------------------------------------------------------------------------------
// 12. mail-in: inbound e-mail from an MTA pipe (tests/cli/mail_in.rs)
// ---------------------------------------------------------------------------------------

#[path = "cli/mail_in.rs"]
mod mail_in;
