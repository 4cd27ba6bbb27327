//! Notification channels, webhook deliveries (signed, retried, at least once) through the
//! transactional outbox, lead events, and the live event stream (SSE). A local HTTP receiver
//! records what the delivery worker of the test app sends (`test_support::Receiver`).

// Helpers outside `db_test!` bodies unwrap too; `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use domain::auth::Scope;
use domain::notification::verify_signature;
use reqwest::Method;
use serde_json::{Value, json};
use test_support::{Received, Receiver};
use uuid::Uuid;

use crate::agents::{conversation, help_center};
use crate::db_test;
use crate::helpers::*;

/// How long a delivery or a live event may take to arrive.
pub(crate) const ARRIVAL: Duration = Duration::from_secs(10);
/// How long to keep listening when asserting that nothing (more) arrives.
const QUIET: Duration = Duration::from_millis(700);

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Polls `check` every 50 ms until it returns `Some`, for at most `timeout`.
async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `POST /notification-channels` as `token`; asserts 201 and returns the channel with its secret.
async fn create_channel(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/notification-channels", token, body).await;
    assert_eq!(r.status, 201, "create channel: {}", r.text);
    r.body
}

/// A webhook channel of ACME to `url` with the default subscription.
async fn webhook(app: &TestApp, url: &str) -> Value {
    create_channel(app, &app.admin, json!({"kind": "webhook", "url": url})).await
}

fn channel_path(channel: &Value) -> String {
    format!("/api/v1/notification-channels/{}", s(&channel["id"]))
}

/// The channel's deliveries (newest first), as `token` (an admin of its workspace).
async fn deliveries_as(app: &TestApp, token: &str, channel: &Value) -> Vec<Value> {
    let r = app.get(&format!("{}/deliveries", channel_path(channel)), token).await;
    assert_eq!(r.status, 200, "deliveries: {}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

async fn deliveries(app: &TestApp, channel: &Value) -> Vec<Value> {
    deliveries_as(app, &app.admin, channel).await
}

/// Asserts a signed webhook delivery: method, content type, `Ticketd-Event-Id` equal to the
/// body's id, and a signature that verifies with `secret` (and not with another secret or
/// another body). Returns the JSON body.
fn assert_signed(r: &Received, secret: &str) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert!(r.header("content-type").starts_with("application/json"), "{:?}", r.headers);
    let body = r.json();
    for field in ["id", "type", "created_at", "workspace_id", "data"] {
        assert!(body.get(field).is_some(), "no {field} in {body}");
    }
    assert_eq!(body.as_object().unwrap().len(), 5, "exactly the documented fields: {body}");
    assert_eq!(r.event_id(), s(&body["id"]), "Ticketd-Event-Id is the event id");
    assert!(Uuid::parse_str(r.event_id()).is_ok());
    chrono::DateTime::parse_from_rfc3339(s(&body["created_at"])).expect("created_at is RFC 3339");
    let signature = r.header("ticketd-signature");
    assert!(signature.starts_with("t=") && signature.contains(",v1="), "signature header {signature:?}");
    let t: i64 = signature[2..signature.find(',').unwrap()].parse().expect("t= is unix seconds");
    let now = chrono::Utc::now().timestamp();
    assert!((now - t).abs() < 60, "the signature's timestamp {t} is now ({now})");
    assert!(verify_signature(secret, signature, &r.body, now, 300), "the signature verifies with the secret");
    assert!(!verify_signature("whsec_wrong", signature, &r.body, now, 300), "a wrong secret fails");
    let mut tampered = r.body.clone();
    tampered.push(b' ');
    assert!(!verify_signature(secret, signature, &tampered, now, 300), "a changed body fails");
    assert!(!verify_signature(secret, signature, &r.body, now + 3600, 300), "an old signature fails");
    body
}

/// On PostgreSQL, waits until the app's LISTEN connection is up: a notification sent before
/// would be missed by the live stream (a startup window only).
async fn listener_ready(app: &TestApp) {
    if app.db != Db::Postgres {
        return;
    }
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = app.store.connection();
    eventually("the LISTEN connection", ARRIVAL, || async {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
            ))
            .await
            .unwrap()
            .unwrap();
        (row.try_get::<i64>("", "n").unwrap() > 0).then_some(())
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// A Server-Sent Events client
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Frame {
    id: Option<String>,
    event: Option<String>,
    data: String,
    /// Comment lines (`: keep-alive`).
    comments: Vec<String>,
}

impl Frame {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("data is not JSON ({e}): {}", self.data))
    }
}

struct Sse {
    response: reqwest::Response,
    buf: String,
}

enum SseAuth<'a> {
    Header(&'a str),
    /// A link token made with this credential, in the query (what the app's `EventSource` does).
    Link(&'a str),
}

/// A new link token made with `token`.
pub async fn link_token(app: &TestApp, token: &str) -> String {
    let r = app.post("/api/v1/auth/link-tokens", token, json!({})).await;
    assert_eq!(r.status, 201, "link token: {}", r.text);
    assert_eq!(r.body["expires_in"], 60);
    r.body["link_token"].as_str().unwrap().to_owned()
}

impl Sse {
    /// Opens `GET /api/v1/events`; asserts a 200 `text/event-stream` and the first comment.
    async fn open(app: &TestApp, auth: SseAuth<'_>, last_event_id: Option<&str>) -> Sse {
        let mut req = match auth {
            SseAuth::Header(token) => {
                app.client.get(format!("{}/api/v1/events", app.address)).bearer_auth(token)
            }
            SseAuth::Link(token) => {
                let link = link_token(app, token).await;
                app.client.get(format!("{}/api/v1/events", app.address)).query(&[("link_token", link)])
            }
        };
        req = req.header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let response = req.send().await.expect("open the event stream");
        assert_eq!(response.status(), 200, "event stream");
        let content_type = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        let mut sse = Sse { response, buf: String::new() };
        let hello = sse.next_frame(Instant::now() + ARRIVAL).await.expect("the stream says hello");
        assert!(hello.id.is_none() && !hello.comments.is_empty(), "{hello:?}");
        sse
    }

    /// The next frame (events and comments), or `None` at the deadline.
    async fn next_frame(&mut self, deadline: Instant) -> Option<Frame> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut frame = Frame::default();
                for line in raw.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        frame.comments.push(comment.trim().to_owned());
                    } else if let Some((field, value)) = line.split_once(':') {
                        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
                        match field {
                            "id" => frame.id = Some(value),
                            "event" => frame.event = Some(value),
                            "data" => {
                                if !frame.data.is_empty() {
                                    frame.data.push('\n');
                                }
                                frame.data.push_str(&value);
                            }
                            _ => {}
                        }
                    }
                }
                return Some(frame);
            }
            let chunk = tokio::time::timeout_at(deadline.into(), self.response.chunk()).await.ok()?;
            match chunk.expect("read the event stream") {
                Some(bytes) => self.buf.push_str(std::str::from_utf8(&bytes).expect("UTF-8 stream")),
                None => panic!("the event stream ended"),
            }
        }
    }

    /// The next event (comments skipped), or `None` at the deadline.
    async fn next_event_by(&mut self, deadline: Instant) -> Option<Frame> {
        loop {
            let frame = self.next_frame(deadline).await?;
            if frame.event.is_some() || !frame.data.is_empty() {
                return Some(frame);
            }
        }
    }

    async fn next_event(&mut self) -> Frame {
        self.next_event_by(Instant::now() + ARRIVAL)
            .await
            .unwrap_or_else(|| panic!("no event on the stream within {ARRIVAL:?}"))
    }

    /// Asserts that no event arrives for `QUIET`.
    async fn assert_quiet(&mut self) {
        if let Some(frame) = self.next_event_by(Instant::now() + QUIET).await {
            panic!("unexpected event: {frame:?}");
        }
    }
}

/// Asserts an SSE frame about a ticket: `id:` is the event id, `event:` its type, `data:` the
/// webhook JSON of ACME-or-whichever workspace.
fn assert_ticket_frame(frame: &Frame, event_type: &str, ticket: &Value) {
    assert_eq!(frame.event.as_deref(), Some(event_type), "{frame:?}");
    let data = frame.json();
    assert_eq!(frame.id.as_deref(), Some(s(&data["id"])), "id: is the event id");
    assert_eq!(data["type"], event_type);
    assert_eq!(data["workspace_id"], ticket["workspace_id"]);
    assert_eq!(data["data"]["ticket"]["id"], ticket["id"]);
    assert_eq!(data["data"]["ticket"]["reference"], ticket["reference"]);
}

// ---------------------------------------------------------------------------------------
// 1. Channels and signed deliveries
// ---------------------------------------------------------------------------------------

db_test! {
    async fn a_new_ticket_reaches_a_webhook_signed_and_a_change_follows(app: TestApp) {
        let receiver = Receiver::start().await;
        let created = webhook(&app, &receiver.url).await;
        let secret = s(&created["secret"]).to_owned();
        assert!(secret.len() >= 32, "a generated secret: {secret}");
        assert_eq!(created["kind"], "webhook");
        assert_eq!(created["url"], receiver.url);
        assert_eq!(created["enabled"], true);
        let events: BTreeSet<&str> = created["events"].as_array().unwrap().iter().map(s).collect();
        assert_eq!(events, BTreeSet::from(["lead.created", "ticket.created", "ticket.sla_breached", "ticket.updated"]), "the default subscription");

        // The secret is shown once: never by GET.
        let one = app.get(&channel_path(&created), &app.admin).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert!(one.body.get("secret").is_none() && !one.text.contains(&secret), "{}", one.text);
        let list = app.get("/api/v1/notification-channels", &app.admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert!(!list.text.contains(&secret), "{}", list.text);
        assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(list.body["data"][0]["id"], created["id"]);
        // Admins only.
        app.get("/api/v1/notification-channels", &app.operator).await.assert_problem(403);
        app.post("/api/v1/notification-channels", &app.operator, json!({"kind": "webhook", "url": receiver.url}))
            .await
            .assert_problem(403);

        let started = Instant::now();
        let ticket = app.ticket("Printer on fire").await;
        let first = receiver.wait_for(1, ARRIVAL).await;
        let latency = started.elapsed();
        assert!(latency < Duration::from_secs(5), "delivered within seconds ({latency:?})");
        assert_eq!(first.len(), 1);
        let body = assert_signed(&first[0], &secret);
        assert_eq!(body["type"], "ticket.created");
        assert_eq!(body["workspace_id"], app.acme.id.0.to_string());
        let sent = &body["data"]["ticket"];
        assert_eq!(sent["id"], ticket["id"]);
        assert_eq!(sent["reference"], ticket["reference"]);
        assert_eq!(sent["subject"], "Printer on fire");
        assert_eq!(sent["status"], "open");
        assert_eq!(sent["metadata"]["source"], "api");
        assert_eq!(sent, &ticket, "the ticket as the API shows it");

        let r = app.patch(&format!("/api/v1/tickets/{}", s(&ticket["reference"])), &app.operator, json!({"status": "resolved", "priority": "high"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let updated = receiver.wait_for_type("ticket.updated", ARRIVAL).await;
        let body = assert_signed(&updated, &secret);
        assert_ne!(body["id"], first[0].json()["id"], "a new event");
        assert_eq!(body["data"]["ticket"]["id"], ticket["id"]);
        assert_eq!(body["data"]["ticket"]["status"], "resolved");
        assert_eq!(body["data"]["ticket"]["priority"], "high");
        let changes: BTreeSet<(String, String, String)> = body["data"]["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("no data.changes: {body}"))
            .iter()
            .map(|c| (s(&c["kind"]).to_owned(), s(&c["from"]).to_owned(), s(&c["to"]).to_owned()))
            .collect();
        assert_eq!(
            changes,
            BTreeSet::from([
                ("priority_changed".into(), "normal".into(), "high".into()),
                ("status_changed".into(), "open".into(), "resolved".into()),
            ])
        );

        // The channel's deliveries: both delivered on the first attempt.
        let rows = eventually("two delivered rows", ARRIVAL, || async {
            let rows = deliveries(&app, &created).await;
            (rows.len() == 2 && rows.iter().all(|d| d["status"] == "delivered")).then_some(rows)
        })
        .await;
        assert_eq!(rows[0]["event_type"], "ticket.updated", "newest first");
        assert_eq!(rows[0]["event_id"], body["id"]);
        assert_eq!(rows[1]["event_type"], "ticket.created");
        assert_eq!(rows[1]["event_id"], first[0].json()["id"]);
        for d in &rows {
            assert_eq!(d["attempts"], 1, "{d}");
            assert_eq!(d["last_status_code"], 200, "{d}");
            assert_eq!(d["last_error"], Value::Null, "{d}");
            assert!(d["delivered_at"].is_string() && d["last_attempt_at"].is_string(), "{d}");
        }

        // A change that changes nothing announces nothing.
        let r = app.patch(&format!("/api/v1/tickets/{}", s(&ticket["id"])), &app.operator, json!({"status": "resolved"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        tokio::time::sleep(QUIET).await;
        assert_eq!(receiver.requests().len(), 2);
        assert_eq!(deliveries(&app, &created).await.len(), 2);
        eprintln!("{:?}: first delivery {latency:?} after the creation request", app.db);
    }
}

db_test! {
    async fn a_given_secret_signs_and_channels_can_be_changed_and_deleted(app: TestApp) {
        let receiver = Receiver::start().await;
        let secret = "my-own-secret-of-sufficient-length";
        let created = create_channel(
            &app,
            &app.admin,
            json!({"kind": "webhook", "url": receiver.url, "events": ["ticket.created"], "secret": secret}),
        )
        .await;
        assert_eq!(created["secret"], secret);
        assert_eq!(created["events"], json!(["ticket.created"]));
        app.ticket("Signed with my secret").await;
        let r = &receiver.wait_for(1, ARRIVAL).await[0];
        assert_signed(r, secret);

        let elsewhere = Receiver::start().await;
        let r = app.patch(&channel_path(&created), &app.admin, json!({"url": elsewhere.url, "events": ["ticket.created", "ticket.updated"]})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["url"], elsewhere.url);
        assert!(r.body.get("secret").is_none());
        let ticket = app.ticket("To the new URL").await;
        let moved = &elsewhere.wait_for(1, ARRIVAL).await[0];
        assert_eq!(assert_signed(moved, secret)["data"]["ticket"]["id"], ticket["id"], "the secret is kept");

        // OTHER's admin cannot see, change, test or delete it.
        let path = channel_path(&created);
        app.get(&path, &app.other_admin).await.assert_problem(404);
        app.patch(&path, &app.other_admin, json!({"enabled": false})).await.assert_problem(404);
        app.post(&format!("{path}/test"), &app.other_admin, json!({})).await.assert_problem(404);
        app.get(&format!("{path}/deliveries"), &app.other_admin).await.assert_problem(404);
        app.delete(&path, &app.other_admin).await.assert_problem(404);

        let r = app.delete(&path, &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        app.get(&path, &app.admin).await.assert_problem(404);
        app.ticket("Nobody listens").await;
        tokio::time::sleep(QUIET).await;
        assert_eq!(receiver.requests().len(), 1);
        assert_eq!(elsewhere.requests().len(), 1);
    }
}

db_test! {
    async fn every_creation_path_announces_ticket_created(app: TestApp) {
        let receiver = Receiver::start().await;
        let channel = webhook(&app, &receiver.url).await;
        let secret = s(&channel["secret"]).to_owned();
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let chat = |text: &'static str| {
            let (app, bot, agent) = (&app, &bot, &agent);
            async move {
                conversation(app, bot, &agent["id"], json!({"visitor": {"name": "Vic", "email": "vic@example.com"}, "messages": [{"role": "visitor", "content": text}]})).await
            }
        };
        let mut expected = BTreeMap::new();

        let api = app.ticket("Opened by the API").await;
        expected.insert(s(&api["reference"]).to_owned(), "api");

        let tool_conv = chat("My order never came").await;
        let r = app
            .post(
                &format!("/api/v1/agents/{}/tools/open_ticket/invocations", s(&agent["id"])),
                &bot,
                json!({"conversation_id": tool_conv["id"], "tool_call_id": "call-1", "input": {"subject": "Lost order", "body": "It never came"}}),
            )
            .await;
        assert_eq!(r.status, 201, "tool invocation: {}", r.text);
        expected.insert(s(&r.body["reference"]).to_owned(), "open_ticket_tool");

        let conv = chat("Call me back").await;
        let rule = app
            .post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "Talk to a human", "agent_id": agent["id"]}))
            .await;
        assert_eq!(rule.status, 201, "{}", rule.text);
        let r = app
            .post(&format!("/api/v1/cta-rules/{}/clicks", s(&rule.body["id"])), &bot, json!({"conversation_id": conv["id"]}))
            .await;
        assert_eq!(r.status, 201, "CTA click: {}", r.text);
        expected.insert(s(&r.body["reference"]).to_owned(), "cta");

        let conv = chat("I want a human").await;
        let r = app
            .post(&format!("/api/v1/conversations/{}/escalate", s(&conv["id"])), &app.operator, json!({"subject": "Escalated", "body": "Handing over"}))
            .await;
        assert_eq!(r.status, 201, "escalation: {}", r.text);
        expected.insert(s(&r.body["reference"]).to_owned(), "human_escalation");

        let received = receiver.wait_for(4, ARRIVAL).await;
        let mut announced = BTreeMap::new();
        let mut ids = BTreeSet::new();
        for r in &received {
            let body = assert_signed(r, &secret);
            assert_eq!(body["type"], "ticket.created", "{body}");
            let ticket = &body["data"]["ticket"];
            announced.insert(s(&ticket["reference"]).to_owned(), s(&ticket["metadata"]["source"]).to_owned());
            ids.insert(r.event_id().to_owned());
        }
        let expected: BTreeMap<String, String> = expected.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        assert_eq!(announced, expected);
        assert_eq!(ids.len(), 4, "one event per ticket");
        // Conversations and replayed invocations announce nothing more.
        let r = app
            .post(
                &format!("/api/v1/agents/{}/tools/open_ticket/invocations", s(&agent["id"])),
                &bot,
                json!({"conversation_id": tool_conv["id"], "tool_call_id": "call-1", "input": {"subject": "Lost order", "body": "It never came"}}),
            )
            .await;
        assert_eq!(r.status, 200, "a replayed invocation: {}", r.text);
        tokio::time::sleep(QUIET).await;
        let all = receiver.requests();
        assert!(
            all.iter().filter(|r| r.json()["type"] == "ticket.created").count() == 4,
            "a replayed invocation (or a conversation) announced a ticket: {:?}",
            all.iter().map(|r| r.json()).collect::<Vec<_>>()
        );
    }
}

db_test! {
    async fn subscriptions_the_enabled_flag_and_workspaces_decide_who_gets_what(app: TestApp) {
        let everything = Receiver::start().await;
        let leads_only = Receiver::start().await;
        let disabled = Receiver::start().await;
        let switched_off = Receiver::start().await;
        let other = Receiver::start().await;
        let everything_channel = webhook(&app, &everything.url).await;
        let leads_channel =
            create_channel(&app, &app.admin, json!({"kind": "webhook", "url": leads_only.url, "events": ["lead.created"]})).await;
        let disabled_channel =
            create_channel(&app, &app.admin, json!({"kind": "webhook", "url": disabled.url, "enabled": false})).await;
        assert_eq!(disabled_channel["enabled"], false);
        let switched_channel = webhook(&app, &switched_off.url).await;
        let r = app.patch(&channel_path(&switched_channel), &app.admin, json!({"enabled": false})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["enabled"], false);
        let other_channel =
            create_channel(&app, &app.other_admin, json!({"kind": "webhook", "url": other.url})).await;
        // Each workspace lists only its own channels.
        let list = app.get("/api/v1/notification-channels", &app.admin).await;
        assert_eq!(list.body["data"].as_array().unwrap().len(), 4, "{}", list.text);
        let list = app.get("/api/v1/notification-channels", &app.other_admin).await;
        assert_eq!(list.body["data"].as_array().unwrap().len(), 1, "{}", list.text);

        let acme_ticket = app.ticket("ACME's ticket").await;
        let other_ticket = app
            .create_ticket(&app.other_admin, json!({"subject": "OTHER's ticket", "body": "Only for OTHER"}))
            .await;
        let r = app
            .patch(&format!("/api/v1/tickets/{}", s(&acme_ticket["id"])), &app.admin, json!({"priority": "urgent"}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        let got = everything.wait_for(2, ARRIVAL).await;
        // Sent concurrently when due together: in either order.
        let types: BTreeSet<String> = got.iter().map(|r| s(&r.json()["type"]).to_owned()).collect();
        assert_eq!(types, BTreeSet::from(["ticket.created".to_owned(), "ticket.updated".to_owned()]));
        assert!(got.iter().all(|r| r.json()["data"]["ticket"]["id"] == acme_ticket["id"]));
        let got = other.wait_for(1, ARRIVAL).await;
        let body = assert_signed(&got[0], s(&other_channel["secret"]));
        assert_eq!(body["workspace_id"], app.other.id.0.to_string());
        assert_eq!(body["data"]["ticket"]["id"], other_ticket["id"]);

        // Deliveries are written with the event: none exist for the channels left out.
        assert!(deliveries(&app, &leads_channel).await.is_empty());
        assert!(deliveries(&app, &disabled_channel).await.is_empty());
        assert!(deliveries(&app, &switched_channel).await.is_empty());
        assert_eq!(deliveries(&app, &everything_channel).await.len(), 2);
        assert_eq!(deliveries_as(&app, &app.other_admin, &other_channel).await.len(), 1);

        // A lead reaches the lead channel (and the default-subscribed one), not OTHER.
        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let r = app.post("/api/v1/leads/events", &chat_backend, json!({"name": "Lea", "email": "lea@example.com"})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let lead = leads_only.wait_for(1, ARRIVAL).await;
        assert_signed(&lead[0], s(&leads_channel["secret"]));
        assert_eq!(lead[0].json()["type"], "lead.created");
        everything.wait_for(3, ARRIVAL).await;

        tokio::time::sleep(QUIET).await;
        assert_eq!(leads_only.requests().len(), 1, "lead channel: no ticket events");
        assert_eq!(everything.requests().len(), 3);
        assert!(disabled.requests().is_empty(), "a disabled channel gets nothing");
        // A test send to a disabled channel is refused rather than silently dropped.
        let test = app.post(&format!("/api/v1/notification-channels/{}/test", disabled_channel["id"].as_str().unwrap()), &app.admin, json!({})).await;
        test.assert_problem(409);
        assert!(switched_off.requests().is_empty(), "a channel switched off gets nothing");
        assert_eq!(other.requests().len(), 1, "OTHER's channel never gets ACME's events");

        // Switched back on, it gets the next event (not the ones it missed).
        let r = app.patch(&channel_path(&switched_channel), &app.admin, json!({"enabled": true})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let later = app.ticket("After switching on").await;
        let got = switched_off.wait_for(1, ARRIVAL).await;
        assert_eq!(got[0].json()["data"]["ticket"]["id"], later["id"]);
        tokio::time::sleep(QUIET).await;
        assert_eq!(switched_off.requests().len(), 1);
    }
}

// ---------------------------------------------------------------------------------------
// 2. Retries after 5xx answers
// ---------------------------------------------------------------------------------------

db_test! {
    async fn a_failing_receiver_gets_the_same_event_again_with_backoff(app: TestApp) {
        let receiver = Receiver::failing_first(2).await;
        let channel = webhook(&app, &receiver.url).await;
        let secret = s(&channel["secret"]).to_owned();
        let ticket = app.ticket("Retry me").await;

        // The first attempt fails: the delivery stays pending, with the error.
        receiver.wait_for(1, ARRIVAL).await;
        let failing = eventually("the failed attempt recorded", ARRIVAL, || async {
            let rows = deliveries(&app, &channel).await;
            (rows.len() == 1 && rows[0]["last_status_code"] == 500).then(|| rows[0].clone())
        })
        .await;
        assert_eq!(failing["status"], "pending", "{failing}");
        assert_eq!(failing["attempts"], 1, "{failing}");
        assert!(failing["last_error"].as_str().is_some_and(|e| e.contains("500")), "{failing}");
        assert_eq!(failing["delivered_at"], Value::Null);
        let next: chrono::DateTime<chrono::Utc> = s(&failing["next_attempt_at"]).parse().unwrap();
        let last: chrono::DateTime<chrono::Utc> = s(&failing["last_attempt_at"]).parse().unwrap();
        let wait = (next - last).num_milliseconds();
        assert!((1500..=4000).contains(&wait), "the first retry comes about 2 s later, not {wait} ms");

        let received = receiver.wait_for(3, ARRIVAL).await;
        let answered: Vec<u16> = received.iter().map(|r| r.answered).collect();
        assert_eq!(answered, vec![500, 500, 200]);
        let ids: BTreeSet<&str> = received.iter().map(Received::event_id).collect();
        assert_eq!(ids.len(), 1, "the same Ticketd-Event-Id every time: {ids:?}");
        for r in &received {
            let body = assert_signed(r, &secret);
            assert_eq!(body["data"]["ticket"]["id"], ticket["id"]);
            assert_eq!(r.body, received[0].body, "the same body every time");
        }
        let gaps: Vec<Duration> = received.windows(2).map(|w| w[1].at - w[0].at).collect();
        assert!(
            gaps[0] >= Duration::from_millis(1500) && gaps[0] <= Duration::from_millis(4000),
            "~2 s ±20% before the first retry: {gaps:?}"
        );
        assert!(
            gaps[1] >= Duration::from_millis(3100) && gaps[1] <= Duration::from_millis(7000),
            "~4 s ±20% before the second retry: {gaps:?}"
        );

        let done = eventually("the delivery marked delivered", ARRIVAL, || async {
            let rows = deliveries(&app, &channel).await;
            (rows[0]["status"] == "delivered").then(|| rows[0].clone())
        })
        .await;
        assert_eq!(done["attempts"], 3, "{done}");
        assert_eq!(done["last_status_code"], 200, "{done}");
        assert_eq!(done["last_error"], Value::Null, "{done}");
        assert_eq!(done["event_id"], received[0].event_id());
        assert!(done["delivered_at"].is_string());
        tokio::time::sleep(QUIET).await;
        assert_eq!(receiver.requests().len(), 3, "nothing after the 200");
        eprintln!("{:?}: retried after {gaps:?}", app.db);
    }
}

db_test! {
    async fn an_unreachable_receiver_is_recorded_and_retried(app: TestApp) {
        // A port with nothing listening.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let channel = webhook(&app, &format!("http://127.0.0.1:{port}/hook")).await;
        app.ticket("Nobody home").await;
        let row = eventually("the failed attempt recorded", ARRIVAL, || async {
            let rows = deliveries(&app, &channel).await;
            (rows.len() == 1 && rows[0]["last_error"].is_string()).then(|| rows[0].clone())
        })
        .await;
        assert_eq!(row["status"], "pending", "{row}");
        assert_eq!(row["last_status_code"], Value::Null, "no HTTP answer: {row}");
        assert!(s(&row["last_error"]).contains("reach"), "{row}");
        assert!(row["attempts"].as_i64().unwrap() >= 1, "{row}");
    }
}

// ---------------------------------------------------------------------------------------
// 3. Slack-compatible channels
// ---------------------------------------------------------------------------------------

db_test! {
    async fn slack_channels_get_a_text_naming_the_reference(app: TestApp) {
        let receiver = Receiver::start().await;
        let channel = create_channel(&app, &app.admin, json!({"kind": "slack", "url": receiver.url})).await;
        assert_eq!(channel["kind"], "slack");
        let ticket = app
            .create_ticket(&app.admin, json!({"subject": "VPN is down", "body": "Since noon", "priority": "urgent"}))
            .await;
        let got = receiver.wait_for(1, ARRIVAL).await;
        let body = got[0].json();
        assert_eq!(body.as_object().unwrap().len(), 1, "only `text`: {body}");
        let text = s(&body["text"]);
        assert!(text.contains(s(&ticket["reference"])), "{text}");
        assert!(text.contains("VPN is down") && text.contains("urgent"), "{text}");
        assert_eq!(got[0].method, "POST");
        assert!(got[0].header("content-type").starts_with("application/json"));

        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let r = app
            .post("/api/v1/leads/events", &chat_backend, json!({"name": "Sam", "email": "sam@example.com", "summary": "Wants pricing"}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        let got = receiver.wait_for(2, ARRIVAL).await;
        let text = got[1].json()["text"].as_str().unwrap().to_owned();
        assert!(text.contains("Sam") && text.contains("sam@example.com") && text.contains("Wants pricing"), "{text}");
        let rows = eventually("both delivered", ARRIVAL, || async {
            let rows = deliveries(&app, &channel).await;
            rows.iter().all(|d| d["status"] == "delivered").then_some(rows)
        })
        .await;
        assert_eq!(rows.len(), 2);
    }
}

// ---------------------------------------------------------------------------------------
// 4. Test sends and lead events
// ---------------------------------------------------------------------------------------

db_test! {
    async fn a_test_send_reaches_that_channel_only(app: TestApp) {
        let tested = Receiver::start().await;
        let bystander = Receiver::start().await;
        let channel = webhook(&app, &tested.url).await;
        let other_channel = webhook(&app, &bystander.url).await;
        let path = format!("{}/test", channel_path(&channel));
        app.post(&path, &app.operator, json!({})).await.assert_problem(403);
        app.post(&format!("/api/v1/notification-channels/{}/test", Uuid::new_v4()), &app.admin, json!({}))
            .await
            .assert_problem(404);

        let r = app.post(&path, &app.admin, json!({})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let event_id = s(&r.body["event_id"]).to_owned();
        let got = tested.wait_for(1, ARRIVAL).await;
        let body = assert_signed(&got[0], s(&channel["secret"]));
        assert_eq!(body["type"], "test");
        assert_eq!(body["id"], event_id);
        assert_eq!(body["workspace_id"], app.acme.id.0.to_string());
        let rows = deliveries(&app, &channel).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["event_id"], event_id);
        assert_eq!(rows[0]["event_type"], "test");

        tokio::time::sleep(QUIET).await;
        assert_eq!(tested.requests().len(), 1);
        assert!(bystander.requests().is_empty(), "the test went to another channel");
        assert!(deliveries(&app, &other_channel).await.is_empty());
    }
}

db_test! {
    async fn lead_events_fan_out_to_subscribed_channels(app: TestApp) {
        let leads = Receiver::start().await;
        let tickets_only = Receiver::start().await;
        let lead_channel = webhook(&app, &leads.url).await;
        let tickets_channel = create_channel(
            &app,
            &app.admin,
            json!({"kind": "webhook", "url": tickets_only.url, "events": ["ticket.created", "ticket.updated"]}),
        )
        .await;
        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let reader = app.token(&[Scope::TicketsRead]).await;
        let lead = json!({"name": "Jane Doe", "email": "jane@example.com", "summary": "Wants a demo for 40 seats"});

        app.request(Method::POST, "/api/v1/leads/events", None, Some(&lead)).await.assert_problem(401);
        app.post("/api/v1/leads/events", &reader, lead.clone()).await.assert_problem(403);
        let fields = app
            .post("/api/v1/leads/events", &chat_backend, json!({"name": "Jane", "email": "not an email"}))
            .await
            .assert_problem(422);
        assert_eq!(fields, vec!["email"]);
        let fields = app
            .post("/api/v1/leads/events", &chat_backend, json!({"conversation_id": Uuid::new_v4()}))
            .await
            .assert_problem(422);
        assert_eq!(fields, vec!["conversation_id"]);
        app.raw(Method::POST, "/api/v1/leads/events", &chat_backend, "{not json").await.assert_problem(400);

        let r = app.post("/api/v1/leads/events", &chat_backend, lead.clone()).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let event_id = s(&r.body["event_id"]).to_owned();
        let got = leads.wait_for(1, ARRIVAL).await;
        let body = assert_signed(&got[0], s(&lead_channel["secret"]));
        assert_eq!(body["type"], "lead.created");
        assert_eq!(body["id"], event_id);
        assert_eq!(body["workspace_id"], app.acme.id.0.to_string());
        assert_eq!(body["data"]["name"], "Jane Doe");
        assert_eq!(body["data"]["email"], "jane@example.com");
        assert_eq!(body["data"]["summary"], "Wants a demo for 40 seats");
        tokio::time::sleep(QUIET).await;
        assert_eq!(leads.requests().len(), 1, "the rejected leads were not sent");
        assert!(tickets_only.requests().is_empty());
        assert!(deliveries(&app, &tickets_channel).await.is_empty());
    }
}

// ---------------------------------------------------------------------------------------
// 5. URL validation
// ---------------------------------------------------------------------------------------

db_test! {
    async fn webhook_urls_and_fields_are_validated(app: TestApp) {
        let receiver = Receiver::start().await;
        let post = |body: Value| app.post("/api/v1/notification-channels", &app.admin, body);
        for url in ["ftp://example.com/hook", "https://user:secret@example.com/hook", "https://user@example.com/", "not a url", "/relative/path", ""] {
            let fields = post(json!({"kind": "webhook", "url": url})).await.assert_problem(422);
            assert_eq!(fields, vec!["url"], "{url}");
        }
        // An e-mail channel takes an `address`, never a `url`.
        let fields = post(json!({"kind": "email", "url": receiver.url})).await.assert_problem(422);
        assert_eq!(fields, vec!["url"]);
        let fields = post(json!({"kind": "webhook", "url": receiver.url, "events": ["ticket.deleted"]})).await.assert_problem(422);
        assert!(fields.len() == 1 && fields[0].starts_with("events"), "{fields:?}");
        let fields = post(json!({"kind": "webhook", "url": receiver.url, "events": []})).await.assert_problem(422);
        assert_eq!(fields, vec!["events"]);
        let fields = post(json!({"kind": "webhook", "url": receiver.url, "secret": "short"})).await.assert_problem(422);
        assert_eq!(fields, vec!["secret"]);
        let fields = post(json!({"kind": "webhook"})).await.assert_problem(422);
        assert_eq!(fields, vec!["url"]);
        app.raw(Method::POST, "/api/v1/notification-channels", &app.admin, "{").await.assert_problem(400);

        let channel = webhook(&app, &receiver.url).await;
        let fields = app.patch(&channel_path(&channel), &app.admin, json!({"url": "ftp://example.com/"})).await.assert_problem(422);
        assert_eq!(fields, vec!["url"]);
        let fields = app.patch(&channel_path(&channel), &app.admin, json!({"url": "http://a:b@example.com/"})).await.assert_problem(422);
        assert_eq!(fields, vec!["url"]);
        let list = app.get("/api/v1/notification-channels", &app.admin).await;
        assert_eq!(list.body["data"].as_array().unwrap().len(), 1, "nothing created by the refused requests");
        assert_eq!(list.body["data"][0]["url"], receiver.url, "nothing changed by the refused patches");
    }
}

db_test! {
    async fn a_production_server_refuses_private_webhook_addresses(app: TestApp) {
        // A second server on the same database, with the production setting.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = api::AppState {
            store: app.store.clone(),
            jwt: api::JwtKeys::new(JWT_SECRET.as_bytes(), 3600),
            webhooks_allow_private: false,
            security: api::Security::new(generous_limits()),
            mail: None,
        };
        let server = api::serve(listener, state, &api::ServerOptions { workers: Some(1), shutdown_timeout: 1, ..Default::default() }).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        let post = |url: &str| {
            app.client
                .post(format!("{address}/api/v1/notification-channels"))
                .bearer_auth(&app.admin)
                .json(&json!({"kind": "webhook", "url": url}))
                .send()
        };
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "http://10.0.0.5/hook",
            "http://192.168.1.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://db.internal/hook",
        ] {
            let r = TestApp::read(post(url).await.unwrap()).await;
            assert_eq!(r.assert_problem(422), vec!["url"], "{url}");
        }
        let r = TestApp::read(post("https://hooks.example.com/ticketd").await.unwrap()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        handle.stop(false).await;
    }
}

// ---------------------------------------------------------------------------------------
// 6. Live events (SSE)
// ---------------------------------------------------------------------------------------

db_test! {
    async fn an_operator_stream_gets_its_workspace_s_ticket_events_only(app: TestApp) {
        listener_ready(&app).await;
        let mut stream = Sse::open(&app, SseAuth::Header(&app.operator), None).await;
        let mut other_stream = Sse::open(&app, SseAuth::Header(&app.other_admin), None).await;

        // OTHER's ticket first: were it leaked, it would come before ACME's.
        let other_ticket = app
            .create_ticket(&app.other_admin, json!({"subject": "OTHER's secret", "body": "Not for ACME"}))
            .await;
        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let r = app.post("/api/v1/leads/events", &chat_backend, json!({"name": "Not live"})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let started = Instant::now();
        let ticket = app.ticket("Live one").await;
        let frame = stream.next_event().await;
        let latency = started.elapsed();
        assert_ticket_frame(&frame, "ticket.created", &ticket);
        assert_eq!(frame.json()["data"]["ticket"], ticket, "the ticket as the API shows it");
        assert!(latency < Duration::from_secs(5), "live within seconds: {latency:?}");

        let r = app.patch(&format!("/api/v1/tickets/{}", s(&ticket["id"])), &app.operator, json!({"status": "pending"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let frame = stream.next_event().await;
        assert_ticket_frame(&frame, "ticket.updated", &ticket);
        assert_eq!(frame.json()["data"]["changes"][0]["kind"], "status_changed");
        stream.assert_quiet().await;

        // OTHER's stream saw OTHER's ticket, and nothing of ACME.
        let frame = other_stream.next_event().await;
        assert_ticket_frame(&frame, "ticket.created", &other_ticket);
        other_stream.assert_quiet().await;
        eprintln!("{:?}: live event {latency:?} after the creation request", app.db);
    }
}

db_test! {
    async fn the_stream_takes_a_link_token_in_the_query_and_refuses_access_tokens(app: TestApp) {
        listener_ready(&app).await;
        let events = format!("{}/api/v1/events", app.address);
        let reader = app.token(&[Scope::TicketsRead]).await;
        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let status = |req: reqwest::RequestBuilder| async move {
            let r = TestApp::read(req.send().await.unwrap()).await;
            r.assert_problem(r.status.as_u16());
            r.status.as_u16()
        };
        assert_eq!(status(app.client.get(&events)).await, 401);
        assert_eq!(status(app.client.get(&events).bearer_auth("tkd_nope_nope")).await, 401);
        assert_eq!(status(app.client.get(&events).query(&[("link_token", "garbage")])).await, 401);
        assert_eq!(status(app.client.get(&events).bearer_auth(&chat_backend)).await, 403);
        let link = link_token(&app, &chat_backend).await;
        assert_eq!(status(app.client.get(&events).query(&[("link_token", link.as_str())])).await, 403);
        // No long-lived credential in a URL: `?access_token=` is refused, for JWTs and API
        // tokens alike, on the stream and everywhere else.
        for token in [app.operator.as_str(), reader.as_str()] {
            let r = TestApp::read(app.client.get(&events).query(&[("access_token", token)]).send().await.unwrap()).await;
            r.assert_problem(401);
            assert!(r.body["detail"].as_str().unwrap().contains("link_token"), "{}", r.text);
            let r = app.client.get(format!("{}/api/v1/tickets", app.address)).query(&[("access_token", token)]).send().await.unwrap();
            assert_eq!(r.status(), 401);
        }

        let mut by_query = Sse::open(&app, SseAuth::Link(&app.operator), None).await;
        let mut by_token = Sse::open(&app, SseAuth::Link(&reader), None).await;
        let mut by_header = Sse::open(&app, SseAuth::Header(&reader), None).await;
        let ticket = app.ticket("Seen by all three").await;
        for stream in [&mut by_query, &mut by_token, &mut by_header] {
            let frame = stream.next_event().await;
            assert_ticket_frame(&frame, "ticket.created", &ticket);
        }
    }
}

db_test! {
    async fn a_stream_resumes_after_last_event_id_in_order(app: TestApp) {
        listener_ready(&app).await;
        let mut stream = Sse::open(&app, SseAuth::Header(&app.operator), None).await;
        let first = app.ticket("Resume 1").await;
        let frame = stream.next_event().await;
        assert_ticket_frame(&frame, "ticket.created", &first);
        let id1 = frame.id.clone().unwrap();
        drop(stream);

        // Missed while disconnected: two tickets, a change, a lead (not live) and OTHER's.
        let second = app.ticket("Resume 2").await;
        let third = app.ticket("Resume 3").await;
        let r = app.patch(&format!("/api/v1/tickets/{}", s(&second["id"])), &app.operator, json!({"priority": "low"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let chat_backend = app.token(&[Scope::ConversationsWrite]).await;
        let r = app.post("/api/v1/leads/events", &chat_backend, json!({"name": "Not live"})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        app.create_ticket(&app.other_admin, json!({"subject": "OTHER's", "body": "b"})).await;

        let mut resumed = Sse::open(&app, SseAuth::Header(&app.operator), Some(&id1)).await;
        let replayed = [resumed.next_event().await, resumed.next_event().await, resumed.next_event().await];
        assert_ticket_frame(&replayed[0], "ticket.created", &second);
        assert_ticket_frame(&replayed[1], "ticket.created", &third);
        assert_ticket_frame(&replayed[2], "ticket.updated", &second);
        let ids: BTreeSet<&str> = replayed.iter().map(|f| f.id.as_deref().unwrap()).collect();
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(id1.as_str()), "event 1 is not sent again");

        // Then live, without repeats.
        let fourth = app.ticket("Resume 4").await;
        let frame = resumed.next_event().await;
        assert_ticket_frame(&frame, "ticket.created", &fourth);
        resumed.assert_quiet().await;

        // The SPA's EventSource resumes with a link token too.
        let mut again = Sse::open_query_resume(&app, &app.operator, s(&replayed[2].json()["id"])).await;
        let frame = again.next_event().await;
        assert_ticket_frame(&frame, "ticket.created", &fourth);
        again.assert_quiet().await;
    }
}

impl Sse {
    async fn open_query_resume(app: &TestApp, token: &str, last_event_id: &str) -> Sse {
        Sse::open(app, SseAuth::Link(token), Some(last_event_id)).await
    }
}

/// Reads events until one of `event_type` arrived for each ticket; none twice, no other kind.
async fn collect_each_once(stream: &mut Sse, event_type: &str, tickets: &[Value]) {
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + ARRIVAL;
    while seen.len() < tickets.len() {
        let Some(frame) = stream.next_event_by(deadline).await else {
            let missing: Vec<&Value> =
                tickets.iter().filter(|t| !seen.contains(s(&t["id"]))).map(|t| &t["reference"]).collect();
            panic!(
                "{} of {} concurrent {event_type} events reached the stream; missing {missing:?}",
                seen.len(),
                tickets.len()
            );
        };
        assert_eq!(frame.event.as_deref(), Some(event_type), "{frame:?}");
        let id = s(&frame.json()["data"]["ticket"]["id"]).to_owned();
        assert!(tickets.iter().any(|t| t["id"] == id.as_str()), "{frame:?}");
        assert!(seen.insert(id), "an event sent twice: {frame:?}");
    }
}

db_test! {
    async fn concurrent_changes_all_reach_the_stream(app: TestApp) {
        listener_ready(&app).await;
        let mut stream = Sse::open(&app, SseAuth::Header(&app.operator), None).await;
        let creations = (0..12).map(|n| {
            let app = &app;
            async move { app.ticket(&format!("Concurrent {n}")).await }
        });
        let tickets: Vec<Value> = futures_util::future::join_all(creations).await;
        collect_each_once(&mut stream, "ticket.created", &tickets).await;
        // Updates of different tickets do not queue on one row: they commit in any order.
        let patches = tickets.iter().map(|t| {
            let (app, path) = (&app, format!("/api/v1/tickets/{}", s(&t["id"])));
            async move { app.patch(&path, &app.operator, json!({"status": "resolved"})).await }
        });
        for r in futures_util::future::join_all(patches).await {
            assert_eq!(r.status, 200, "{}", r.text);
        }
        collect_each_once(&mut stream, "ticket.updated", &tickets).await;
        stream.assert_quiet().await;
    }
}

db_test! {
    async fn a_comment_is_announced_to_subscribed_channels_and_the_live_stream(app: TestApp) {
        let receiver = Receiver::start().await;
        let channel = create_channel(
            &app,
            &app.admin,
            json!({"kind": "webhook", "url": receiver.url, "events": ["ticket.comment_created"]}),
        )
        .await;
        listener_ready(&app).await;
        let ticket = app.ticket("Talk to me").await;
        let mut stream = Sse::open(&app, SseAuth::Header(&app.operator), None).await;
        let path = format!("/api/v1/tickets/{}/comments", s(&ticket["reference"]));
        let r = app.post(&path, &app.operator, json!({"kind": "note", "body": "Internal."})).await;
        assert_eq!(r.status, 201, "{}", r.text);

        // The ticket's own `ticket.created` may still be on its way (PostgreSQL relays it
        // through NOTIFY after the stream opened): the comment's event is the one after it.
        let mut frame = stream.next_event().await;
        if frame.event.as_deref() == Some("ticket.created") {
            frame = stream.next_event().await;
        }
        assert_ticket_frame(&frame, "ticket.comment_created", &ticket);
        assert_eq!(frame.json()["data"]["comment"]["id"], r.body["id"]);
        assert_eq!(frame.json()["data"]["comment"]["kind"], "note");

        let hook = receiver.wait_for_type("ticket.comment_created", ARRIVAL).await;
        let body = assert_signed(&hook, s(&channel["secret"]));
        assert_eq!(body["data"]["comment"]["body"], "Internal.");
        assert_eq!(body["data"]["ticket"]["id"], ticket["id"]);
        assert_eq!(receiver.requests().len(), 1, "only the subscribed event");
    }
}
