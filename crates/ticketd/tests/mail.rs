//! Outbound mail through the real `ticketd serve` and a real SMTP server (aiosmtpd, started
//! by `test_support::SmtpCatcher`): a reply survives a crash between its commit and its
//! sending, and two instances on one PostgreSQL send each mail once.
//!
//! The harness is the binary's (`tests/common`): a temp dir with a clean environment, a
//! database of the test's own, servers on free ports killed on drop.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Backend, Sandbox, Server};
use serde_json::{Value, json};
use test_support::{SilentServer, SmtpCatcher};

const ADMIN: (&str, &str) = ("admin@acme.test", "correct horse battery");
const MAIL_FROM: &str = "Acme Support <support@acme.test>";
/// How long a mail may take to arrive.
const ARRIVAL: Duration = Duration::from_secs(30);

/// A sandbox with the ACME workspace.
fn acme(backend: Backend) -> Sandbox {
    let sandbox = Sandbox::new(backend);
    sandbox
        .run(&[
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
        .success();
    sandbox
}

/// `ticketd serve` sending mail through `smtp_url`, on a free port, ready.
async fn serve(sandbox: &Sandbox, smtp_url: &str, extra: &[(&str, &str)]) -> Server {
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("RUST_LOG", "info,sqlx=warn")
        .env("TICKETD_SMTP_URL", smtp_url)
        .env("TICKETD_MAIL_FROM", MAIL_FROM);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    sandbox.start_command(cmd, &["serve"]).await
}

/// The mail tests' calls to a server's API.
trait Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value);
    async fn login(&self) -> String;
    async fn ticket_for(&self, token: &str, email: &str) -> String;
    async fn reply(&self, token: &str, reference: &str, text: &str) -> Value;
    async fn wait_sent(&self, token: &str, reference: &str, comment_id: &str) -> Value;
}
impl Api for Server {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn login(&self) -> String {
        let r = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
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
        assert_eq!(status, 201, "{comment}\n{}", self.stderr());
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
            assert!(Instant::now() < deadline, "the reply was not marked sent:\n{}", self.stderr());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A reply committed while the mail server hangs (the worker has claimed it and waits in
/// the SMTP exchange), then the process is killed: after a restart, once the claim's lease
/// is over, the reply is sent — once, with its Message-ID.
async fn killed_between_commit_and_send(backend: Backend) {
    let sandbox = acme(backend);
    let hanging = SilentServer::start();
    let lease = [("TICKETD_DELIVERY_LEASE_SECONDS", "2")];
    let first = serve(&sandbox, &hanging.url(), &lease).await;
    let token = first.login().await;
    let reference = first.ticket_for(&token, "jane@example.com").await;
    let comment = first.reply(&token, &reference, "Your parcel left our warehouse today.").await;
    assert_eq!(comment["delivery"]["status"], "queued");
    let deadline = Instant::now() + ARRIVAL;
    while hanging.accepted() == 0 {
        assert!(Instant::now() < deadline, "the worker never connected:\n{}", first.stderr());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_hard();

    let catcher = SmtpCatcher::start();
    let second = serve(&sandbox, &catcher.url(), &lease).await;
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
    let sandbox = acme(Backend::Postgres);
    let catcher = SmtpCatcher::start();
    let a = serve(&sandbox, &catcher.url(), &[]).await;
    let b = serve(&sandbox, &catcher.url(), &[]).await;
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
    let (log_a, log_b) = (a.stderr(), b.stderr());
    assert!(log_a.contains("delivered") && log_b.contains("delivered"), "A:\n{log_a}\nB:\n{log_b}");
}
