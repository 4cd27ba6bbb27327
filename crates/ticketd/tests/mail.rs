//! Outbound mail through the real `ticketd serve` and a real SMTP server (aiosmtpd, started
//! by `test_support::SmtpCatcher`): a reply survives a crash between its commit and its
//! sending, and two instances on one PostgreSQL send each mail once.
//!
//! A small harness of its own: the binary runs in a temp dir with a clean environment (no
//! inherited `TICKETD_*`, `DATABASE_URL`), on a free port, killed on drop.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::{SilentServer, SmtpCatcher};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_ticketd");
const PG_BASE: &str = "postgres://postgres:postgres@127.0.0.1:5432";
const JWT_SECRET: &str = "mail-test-secret-mail-test-secret-0123456789";
const ADMIN: (&str, &str) = ("admin@acme.test", "correct horse battery");
const MAIL_FROM: &str = "Acme Support <support@acme.test>";
/// How long a mail may take to arrive.
const ARRIVAL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

fn psql(sql: &str) {
    let out = Command::new("psql")
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
        .expect("run psql");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A temp dir and, for PostgreSQL, a database of the test's own; both removed on drop.
struct Sandbox {
    dir: PathBuf,
    pg: Option<String>,
}

impl Sandbox {
    fn new(backend: Backend) -> Self {
        let dir = std::env::temp_dir().join(format!("ticketd-mail-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = (backend == Backend::Postgres).then(|| {
            let name = format!("t_{}", Uuid::new_v4().simple());
            psql(&format!("CREATE DATABASE {name}"));
            name
        });
        let sandbox = Sandbox { dir, pg };
        let out = sandbox
            .command(&[
                "workspace",
                "create",
                "--name",
                "Acme Support",
                "--prefix",
                "ACME",
                "--admin-email",
                ADMIN.0,
                "--admin-password",
                ADMIN.1,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "workspace create: {}", String::from_utf8_lossy(&out.stderr));
        sandbox
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.dir).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TICKETD_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env_remove("DATABASE_URL")
            .env("RUST_LOG", "info,sqlx=warn")
            .env("TICKETD_JWT_SECRET", JWT_SECRET);
        if let Some(db) = &self.pg {
            cmd.env("DATABASE_URL", format!("{PG_BASE}/{db}"));
        }
        cmd
    }

    /// `ticketd serve` sending mail through `smtp_url`, on a free port, ready.
    async fn serve(&self, smtp_url: &str, extra: &[(&str, &str)]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = self.dir.join(format!("serve-{}.log", Uuid::new_v4().simple()));
        let mut cmd = self.command(&["serve"]);
        cmd.env("TICKETD_BIND", format!("127.0.0.1:{port}"))
            .env("TICKETD_SMTP_URL", smtp_url)
            .env("TICKETD_MAIL_FROM", MAIL_FROM)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut server =
            Server { child: cmd.spawn().unwrap(), base: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("ticketd exited early ({status}):\n{}", server.log());
            }
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status() == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "ticketd did not start:\n{}", server.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(db) = self.pg.take() {
            let _ = std::panic::catch_unwind(|| psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running `ticketd serve`, killed (SIGKILL) on drop.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown, nothing flushed: a crash.
    fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req =
            reqwest::Client::new().request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self) -> String {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": ADMIN.0, "password": ADMIN.1}))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap_or_else(|| panic!("login: {body}")).to_owned()
    }

    /// A ticket whose requester is `email`; its reference.
    async fn ticket_for(&self, token: &str, email: &str) -> String {
        let body = json!({"subject": "Where is my order?", "body": "It has not arrived.",
                          "requester": {"name": "Jane Doe", "email": email}});
        let (status, ticket) = self.call(reqwest::Method::POST, "/api/v1/tickets", token, Some(body)).await;
        assert_eq!(status, 201, "{ticket}");
        ticket["reference"].as_str().unwrap().to_owned()
    }

    async fn reply(&self, token: &str, reference: &str, text: &str) -> Value {
        let path = format!("/api/v1/tickets/{reference}/comments");
        let (status, comment) = self
            .call(reqwest::Method::POST, &path, token, Some(json!({"kind": "reply", "body": text})))
            .await;
        assert_eq!(status, 201, "{comment}\n{}", self.log());
        comment
    }

    /// Waits until the reply's delivery is `sent`.
    async fn wait_sent(&self, token: &str, reference: &str, comment_id: &str) -> Value {
        let deadline = Instant::now() + ARRIVAL;
        loop {
            let path = format!("/api/v1/tickets/{reference}/comments");
            let (_, page) = self.call(reqwest::Method::GET, &path, token, None).await;
            let comment =
                page["data"].as_array().and_then(|d| d.iter().find(|c| c["id"] == comment_id)).cloned();
            if let Some(c) = comment.filter(|c| c["delivery"]["status"] == "sent") {
                return c;
            }
            assert!(Instant::now() < deadline, "the reply was not marked sent:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A reply committed while the mail server hangs (the worker has claimed it and waits in
/// the SMTP exchange), then the process is killed: after a restart, once the claim's lease
/// is over, the reply is sent — once, with its Message-ID.
async fn killed_between_commit_and_send(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    let hanging = SilentServer::start();
    let lease = [("TICKETD_DELIVERY_LEASE_SECONDS", "2")];
    let first = sandbox.serve(&hanging.url(), &lease).await;
    let token = first.login().await;
    let reference = first.ticket_for(&token, "jane@example.com").await;
    let comment = first.reply(&token, &reference, "Your parcel left our warehouse today.").await;
    assert_eq!(comment["delivery"]["status"], "queued");
    let deadline = Instant::now() + ARRIVAL;
    while hanging.accepted() == 0 {
        assert!(Instant::now() < deadline, "the worker never connected:\n{}", first.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.crash();

    let catcher = SmtpCatcher::start();
    let second = sandbox.serve(&catcher.url(), &lease).await;
    let mails = catcher.wait_for(1, ARRIVAL).await;
    assert_eq!(mails[0].rcpt_tos, ["jane@example.com"]);
    assert_eq!(mails[0].header("Subject"), Some(format!("[{reference}] Where is my order?").as_str()));
    let comment_id = comment["id"].as_str().unwrap();
    assert_eq!(mails[0].header("Message-ID"), Some(format!("<{comment_id}@acme.test>").as_str()));
    assert!(mails[0].text.as_deref().unwrap_or_default().contains("Your parcel left our warehouse today."));
    let sent = second.wait_sent(&token, &reference, comment_id).await;
    assert_eq!(
        sent["delivery"]["attempts"], 2,
        "one attempt cut short by the crash, one that went out: {sent}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(catcher.messages().len(), 1, "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_reply_killed_between_commit_and_send_is_sent_after_restart() {
    killed_between_commit_and_send(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_reply_killed_between_commit_and_send_is_sent_after_restart() {
    killed_between_commit_and_send(Backend::Postgres).await;
}

/// Two instances on one PostgreSQL, both sending mail: every reply is mailed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_send_each_reply_once() {
    const REPLIES: usize = 40;
    let sandbox = Sandbox::new(Backend::Postgres);
    let catcher = SmtpCatcher::start();
    let a = sandbox.serve(&catcher.url(), &[]).await;
    let b = sandbox.serve(&catcher.url(), &[]).await;
    let token = a.login().await;
    let mut references = Vec::new();
    for n in 0..4 {
        references.push(a.ticket_for(&token, &format!("customer{n}@example.com")).await);
    }
    let mut comments = Vec::new();
    for n in 0..REPLIES {
        let server = if n % 2 == 0 { &a } else { &b };
        let comment =
            server.reply(&token, &references[n % references.len()], &format!("Reply number {n}")).await;
        comments.push(comment["id"].as_str().unwrap().to_owned());
    }
    catcher.wait_for(REPLIES, ARRIVAL).await;
    // Long enough for a second sending of any of them (both workers poll every 0.5 s).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = catcher.messages();
    let ids: Vec<&str> = mails.iter().filter_map(|m| m.header("Message-ID")).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!((ids.len(), unique.len()), (REPLIES, REPLIES), "each reply once: {ids:#?}");
    let expected: BTreeSet<String> = comments.iter().map(|c| format!("<{c}@acme.test>")).collect();
    assert_eq!(unique.into_iter().map(str::to_owned).collect::<BTreeSet<_>>(), expected);
    for (n, reference) in references.iter().enumerate() {
        let to = format!("customer{n}@example.com");
        let threaded: Vec<_> = mails.iter().filter(|m| m.rcpt_tos == [to.clone()]).collect();
        assert_eq!(threaded.len(), REPLIES / references.len(), "{reference}");
    }
    // Both instances took part (each claims what is due when it polls).
    let (log_a, log_b) = (a.log(), b.log());
    assert!(log_a.contains("delivered") && log_b.contains("delivered"), "A:\n{log_a}\nB:\n{log_b}");
}
