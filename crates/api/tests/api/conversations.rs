//! Conversations: recording chats (`conversations:write`), the live Inbox, expiry and the
//! purge (which keeps every transcript a ticket links, even while racing an escalation),
//! and human escalation of a conversation into a ticket.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use domain::WorkspaceId;
use domain::agent::{Vertical, VerticalOverrides};
use domain::auth::Scope;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;
use crate::tickets::{time, uuid};

/// The fields of `GET /conversations/{id}` (and of a creation's answer).
const CONVERSATION_FIELDS: [&str; 11] = [
    "id",
    "agent_id",
    "agent_name",
    "visitor",
    "started_at",
    "last_activity_at",
    "expires_at",
    "has_ticket",
    "tickets",
    "messages",
    "next_cursor",
];

/// The fields of an Inbox row.
const SUMMARY_FIELDS: [&str; 8] =
    ["id", "agent_id", "agent_name", "visitor", "started_at", "last_activity_at", "expires_at", "has_ticket"];

const MESSAGE_FIELDS: [&str; 4] = ["id", "role", "content", "created_at"];

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

/// A help-center agent of `ws`; returns its id.
async fn create_agent(app: &TestApp, ws: WorkspaceId, name: &str) -> Uuid {
    app.store
        .create_agent(ws, name, Vertical::HelpCenter, &VerticalOverrides::default())
        .await
        .expect("agent")
        .id
        .0
}

fn messages_json(messages: &[(&str, &str)]) -> Value {
    messages.iter().map(|(role, content)| json!({"role": role, "content": content})).collect()
}

/// `POST /conversations` as `token` with these messages, asserting 201; returns the conversation.
async fn create_conversation(app: &TestApp, token: &str, agent: Uuid, messages: &[(&str, &str)]) -> Value {
    let body = json!({"agent_id": agent, "messages": messages_json(messages)});
    let r = app.post("/api/v1/conversations", token, body).await;
    assert_eq!(r.status, 201, "create conversation: {}", r.text);
    r.body
}

fn conversation_path(id: Uuid) -> String {
    format!("/api/v1/conversations/{id}")
}

/// `GET /conversations/{id}` asserting 200.
async fn get_conversation(app: &TestApp, token: &str, id: Uuid) -> Value {
    let r = app.get(&conversation_path(id), token).await;
    assert_eq!(r.status, 200, "GET conversation {id}: {}", r.text);
    r.body
}

/// `POST /conversations/{id}/messages`.
async fn post_message(app: &TestApp, token: &str, id: Uuid, role: &str, content: &str) -> Response {
    app.post(&format!("{}/messages", conversation_path(id)), token, json!({"role": role, "content": content}))
        .await
}

/// `POST /conversations/{id}/escalate`.
async fn escalate(app: &TestApp, token: &str, id: Uuid, body: Value) -> Response {
    app.post(&format!("{}/escalate", conversation_path(id)), token, body).await
}

/// `GET /conversations` with this query string (may be empty).
async fn inbox(app: &TestApp, token: &str, query: &str) -> Response {
    app.get(&format!("/api/v1/conversations{query}"), token).await
}

/// The ids of an Inbox page, in order.
fn ids(list: &Value) -> Vec<Uuid> {
    list["data"].as_array().expect("data").iter().map(|c| uuid(&c["id"])).collect()
}

/// `(role, content)` of every message of a thread, in order.
fn thread(messages: &Value) -> Vec<(String, String)> {
    messages
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (m["role"].as_str().expect("role").to_owned(), m["content"].as_str().expect("content").to_owned())
        })
        .collect()
}

fn owned(messages: &[(&str, &str)]) -> Vec<(String, String)> {
    messages.iter().map(|(r, c)| ((*r).to_owned(), (*c).to_owned())).collect()
}

/// Runs a statement written with PostgreSQL placeholders (`$1`, `$2`, … in order) on
/// either database; returns the rows affected.
async fn execute(app: &TestApp, sql: &str, values: Vec<SqlValue>) -> u64 {
    let db = app.store.connection();
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(backend, placeholders(backend, sql), values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows_affected()
}

/// `SELECT COUNT(*) AS n …` with PostgreSQL placeholders, on either database.
async fn count(app: &TestApp, sql: &str, values: Vec<SqlValue>) -> i64 {
    let db = app.store.connection();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, placeholders(backend, sql), values))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

fn placeholders(backend: DbBackend, sql: &str) -> String {
    match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => (1..=9).rev().fold(sql.to_owned(), |s, i| s.replace(&format!("${i}"), "?")),
    }
}

/// Moves a conversation's last activity `hours` into the past (raw SQL).
async fn backdate(app: &TestApp, id: Uuid, hours: i64) {
    let at: DateTime<Utc> = domain::time::now() - Duration::hours(hours);
    let n = execute(
        app,
        "UPDATE conversations SET last_activity_at = $1 WHERE id = $2",
        vec![at.into(), id.into()],
    )
    .await;
    assert_eq!(n, 1, "backdated conversation {id}");
}

async fn messages_stored(app: &TestApp, id: Uuid) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = $1", vec![id.into()]).await
}

async fn tickets_linked(app: &TestApp, id: Uuid) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM tickets WHERE conversation_id = $1", vec![id.into()]).await
}

async fn conversations_stored(app: &TestApp, id: Uuid) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM conversations WHERE id = $1", vec![id.into()]).await
}

// ---------------------------------------------------------------------------------------
// POST /conversations

db_test! {
    async fn create_records_the_visitor_and_the_ordered_thread(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let sent = [
            ("visitor", "My order #5521 never arrived"),
            ("assistant", "Sorry to hear that! Let me check."),
            ("tool", "{\"order\": 5521, \"status\": \"lost\"}"),
            ("visitor", "  still waiting…  "),
            ("operator", "I'm taking over."),
            ("system", "Operator joined"),
        ];
        let before = domain::time::now();
        let r = app
            .post(
                "/api/v1/conversations",
                &bot,
                json!({
                    "agent_id": agent,
                    "visitor": {"name": "  Jane Doe ", "email": "JANE@Example.com"},
                    "messages": messages_json(&sent),
                }),
            )
            .await;
        let after = domain::time::now();
        assert_eq!(r.status, 201, "{}", r.text);
        let c = &r.body;
        assert_eq!(keys(c), CONVERSATION_FIELDS.into_iter().collect());
        let id = uuid(&c["id"]);
        assert_eq!(uuid(&c["agent_id"]), agent);
        assert_eq!(c["agent_name"], "Helpdesk Bot");
        assert_eq!(c["visitor"], json!({"name": "Jane Doe", "email": "jane@example.com"}));
        assert_eq!(c["has_ticket"], false);
        assert_eq!(c["tickets"], json!([]));
        // The thread keeps its order, its roles and its text as written.
        assert_eq!(thread(&c["messages"]), owned(&sent));
        let messages = c["messages"].as_array().unwrap();
        let mut seen = BTreeSet::new();
        for m in messages {
            assert_eq!(keys(m), MESSAGE_FIELDS.into_iter().collect());
            assert!(seen.insert(uuid(&m["id"])), "message ids are unique");
        }
        let times: Vec<_> = messages.iter().map(|m| time(&m["created_at"])).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {times:?}");
        let started = time(&c["started_at"]);
        let last = time(&c["last_activity_at"]);
        assert!(before <= started && started <= after, "{started} not in [{before}, {after}]");
        assert_eq!(times[0], started);
        assert_eq!(*times.last().unwrap(), last, "the last message is the last activity");
        assert_eq!(time(&c["expires_at"]) - last, Duration::hours(24));

        // Reading it back gives the same conversation, to the operator and to the bot.
        assert_eq!(get_conversation(&app, &app.operator, id).await, *c);
        assert_eq!(get_conversation(&app, &bot, id).await, *c);
        assert_eq!(messages_stored(&app, id).await, sent.len() as i64);

        // Visitor and messages are optional.
        let r = app.post("/api/v1/conversations", &bot, json!({"agent_id": agent})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["visitor"], json!({"name": null, "email": null}));
        assert_eq!(r.body["messages"], json!([]));
        assert_eq!(r.body["started_at"], r.body["last_activity_at"]);
        assert_eq!(time(&r.body["expires_at"]) - time(&r.body["last_activity_at"]), Duration::hours(24));

        // Exactly 200 initial messages are accepted, in order.
        let many: Vec<String> = (0..200).map(|i| format!("message {i}")).collect();
        let many: Vec<(&str, &str)> = many.iter().map(|m| ("visitor", m.as_str())).collect();
        let c = create_conversation(&app, &bot, agent, &many).await;
        assert_eq!(thread(&c["messages"]), owned(&many));

        // A token with the `admin` scope may record chats too.
        let admin_token = app.token(&[Scope::Admin]).await;
        create_conversation(&app, &admin_token, agent, &[("visitor", "hi")]).await;
    }
}

db_test! {
    async fn create_validates_every_field(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let foreign = create_agent(&app, app.other.id, "Other Bot").await;
        let url = "/api/v1/conversations";
        let ok = json!([{"role": "visitor", "content": "hello"}]);

        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"agent_id": Uuid::new_v4(), "messages": ok}), vec!["agent_id"]),
            (json!({"agent_id": foreign, "messages": ok}), vec!["agent_id"]),
            (json!({"messages": ok}), vec!["agent_id"]),
            (json!({"agent_id": "not-a-uuid"}), vec!["agent_id"]),
            (json!({"agent_id": agent, "messages": [{"role": "bot", "content": "hi"}]}), vec!["messages[0].role"]),
            (
                json!({"agent_id": agent, "messages": [{"role": "visitor", "content": "hi"}, {"role": 3, "content": "x"}]}),
                vec!["messages[1].role"],
            ),
            (json!({"agent_id": agent, "messages": [{"role": "visitor", "content": ""}]}), vec!["messages[0].content"]),
            (
                json!({"agent_id": agent, "messages": [{"role": "visitor", "content": "ok"}, {"role": "assistant", "content": " \n\t "}]}),
                vec!["messages[1].content"],
            ),
            (
                json!({"agent_id": agent, "messages": [{"role": "visitor", "content": "x".repeat(20_001)}]}),
                vec!["messages[0].content"],
            ),
            (json!({"agent_id": agent, "visitor": {"email": "not an email"}}), vec!["visitor.email"]),
            (json!({"agent_id": agent, "visitor": {"name": "n".repeat(101)}}), vec!["visitor.name"]),
        ];
        for (body, fields) in cases {
            let r = app.post(url, &bot, body.clone()).await;
            assert_eq!(r.assert_problem(422), fields, "{body}: {}", r.text);
        }

        // More than 200 initial messages: one error naming `messages`.
        let too_many: Vec<Value> =
            (0..201).map(|i| json!({"role": "visitor", "content": format!("message {i}")})).collect();
        let r = app.post(url, &bot, json!({"agent_id": agent, "messages": too_many})).await;
        assert_eq!(r.assert_problem(422), ["messages"], "{}", r.text);

        // Only `conversations:write` tokens record chats: not signed-in users, not other scopes.
        let body = json!({"agent_id": agent, "messages": ok});
        for token in [
            app.operator.clone(),
            app.admin.clone(),
            app.token(&[Scope::TicketsWrite, Scope::TicketsRead, Scope::ToolsInvoke]).await,
        ] {
            app.post(url, &token, body.clone()).await.assert_problem(403);
        }
        // Another workspace's bot cannot use ACME's agent.
        let other_bot = app.other_token(&[Scope::ConversationsWrite]).await;
        assert_eq!(app.post(url, &other_bot, body.clone()).await.assert_problem(422), ["agent_id"]);
        assert_eq!(app.request(reqwest::Method::POST, url, None, Some(&body)).await.status, 401);

        // None of the refused requests recorded anything.
        let r = inbox(&app, &app.operator, "").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["meta"]["total"], 0, "{}", r.text);
        assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM messages", vec![]).await, 0);
    }
}

// ---------------------------------------------------------------------------------------
// POST /conversations/{id}/messages

db_test! {
    async fn messages_append_and_bump_the_last_activity(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let c = create_conversation(&app, &bot, agent, &[("visitor", "hello?")]).await;
        let id = uuid(&c["id"]);
        let first_activity = time(&c["last_activity_at"]);

        let r = post_message(&app, &bot, id, "assistant", "How can I help?").await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(keys(&r.body), MESSAGE_FIELDS.into_iter().collect());
        assert_eq!(r.body["role"], "assistant");
        assert_eq!(r.body["content"], "How can I help?");
        let at = time(&r.body["created_at"]);
        assert!(at > first_activity);

        let got = get_conversation(&app, &app.operator, id).await;
        assert_eq!(got["messages"].as_array().unwrap().last().unwrap(), &r.body);
        assert_eq!(time(&got["last_activity_at"]), at, "the new message is the last activity");
        assert_eq!(time(&got["expires_at"]), at + Duration::hours(24));
        assert_eq!(got["started_at"], c["started_at"], "the start does not move");

        // Back-to-back messages keep their order.
        let mut expected = vec![("visitor", "hello?"), ("assistant", "How can I help?")];
        let roles = ["visitor", "tool", "operator", "system", "visitor", "assistant"];
        for (role, text) in roles.into_iter().zip(["one", "two", "three", "four", "five", "six"]) {
            let r = post_message(&app, &bot, id, role, text).await;
            assert_eq!(r.status, 201, "{}", r.text);
            expected.push((role, text));
        }
        let got = get_conversation(&app, &bot, id).await;
        assert_eq!(thread(&got["messages"]), owned(&expected));
        let times: Vec<_> = got["messages"].as_array().unwrap().iter().map(|m| time(&m["created_at"])).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {times:?}");
        assert_eq!(time(&got["last_activity_at"]), *times.last().unwrap());

        // Invalid messages: 422 naming the field; nothing appended.
        assert_eq!(post_message(&app, &bot, id, "visitor", "   ").await.assert_problem(422), ["content"]);
        assert_eq!(post_message(&app, &bot, id, "robot", "hi").await.assert_problem(422), ["role"]);
        let url = format!("{}/messages", conversation_path(id));
        assert_eq!(app.post(&url, &bot, json!({"role": "visitor"})).await.assert_problem(422), ["content"]);
        assert_eq!(messages_stored(&app, id).await, expected.len() as i64);

        // Only `conversations:write` tokens write.
        post_message(&app, &app.operator, id, "operator", "hi").await.assert_problem(403);
        post_message(&app, &app.token(&[Scope::TicketsWrite]).await, id, "visitor", "hi").await.assert_problem(403);
    }
}

db_test! {
    async fn messages_refuse_unknown_foreign_and_expired_conversations(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let other_bot = app.other_token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let other_agent = create_agent(&app, app.other.id, "Other Bot").await;
        let mine = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "hi")]).await["id"]);
        let theirs = uuid(&create_conversation(&app, &other_bot, other_agent, &[("visitor", "hi")]).await["id"]);

        post_message(&app, &bot, Uuid::new_v4(), "visitor", "hi").await.assert_problem(404);
        app.post("/api/v1/conversations/not-a-uuid/messages", &bot, json!({"role": "visitor", "content": "x"}))
            .await
            .assert_problem(404);
        post_message(&app, &bot, theirs, "visitor", "hi").await.assert_problem(404);
        post_message(&app, &other_bot, mine, "visitor", "hi").await.assert_problem(404);
        assert_eq!(messages_stored(&app, mine).await, 1);
        assert_eq!(messages_stored(&app, theirs).await, 1);
        // Reads refuse other workspaces too.
        app.get(&conversation_path(theirs), &app.operator).await.assert_problem(404);
        app.get(&conversation_path(mine), &app.other_admin).await.assert_problem(404);
        app.get(&conversation_path(Uuid::new_v4()), &app.operator).await.assert_problem(404);
        app.get(&conversation_path(mine), &app.token(&[Scope::TicketsRead]).await).await.assert_problem(403);

        // 23 hours without a message: still live.
        backdate(&app, mine, 23).await;
        let r = post_message(&app, &bot, mine, "visitor", "still there?").await;
        assert_eq!(r.status, 201, "{}", r.text);

        // 25 hours without a message: expired, even before the purge removes it.
        backdate(&app, mine, 25).await;
        let before = get_conversation(&app, &app.operator, mine).await;
        let r = post_message(&app, &bot, mine, "visitor", "hello again").await;
        r.assert_problem(409);
        assert!(r.body["detail"].as_str().unwrap().contains("expired"), "{}", r.text);
        let after = get_conversation(&app, &app.operator, mine).await;
        assert_eq!(after, before, "nothing appended, nothing bumped");
        assert_eq!(messages_stored(&app, mine).await, 2);
    }
}

// ---------------------------------------------------------------------------------------
// GET /conversations (the Inbox)

db_test! {
    async fn the_inbox_lists_live_conversations_newest_activity_first(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let other_bot = app.other_token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let other_agent = create_agent(&app, app.other.id, "Other Bot").await;

        let c1 = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "one")]).await["id"]);
        let c2 = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "two")]).await["id"]);
        let c3 = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "three")]).await["id"]);
        let expired = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "old")]).await["id"]);
        backdate(&app, expired, 25).await;
        let theirs = uuid(&create_conversation(&app, &other_bot, other_agent, &[("visitor", "x")]).await["id"]);

        let r = inbox(&app, &app.operator, "").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(ids(&r.body), [c3, c2, c1], "live only, newest activity first: {}", r.text);
        assert_eq!(r.body["meta"]["total"], 3);
        assert_eq!(r.body["meta"]["page"], 1);
        assert_eq!(r.body["meta"]["total_exact"], true);
        let row = &r.body["data"][0];
        assert_eq!(keys(row), SUMMARY_FIELDS.into_iter().collect());
        assert_eq!(row["agent_name"], "Helpdesk Bot");
        assert_eq!(row["has_ticket"], false);
        assert_eq!(time(&row["expires_at"]) - time(&row["last_activity_at"]), Duration::hours(24));

        // A message moves a conversation to the top.
        let r = post_message(&app, &bot, c1, "visitor", "anyone?").await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = inbox(&app, &app.operator, "").await;
        assert_eq!(ids(&r.body), [c1, c3, c2]);
        let activity: Vec<_> = r.body["data"].as_array().unwrap().iter().map(|c| time(&c["last_activity_at"])).collect();
        assert!(activity.windows(2).all(|w| w[0] > w[1]), "{activity:?}");

        // Pages.
        let r = inbox(&app, &app.operator, "?per_page=2").await;
        assert_eq!(ids(&r.body), [c1, c3]);
        assert_eq!((r.body["meta"]["total"].as_u64(), r.body["meta"]["per_page"].as_u64()), (Some(3), Some(2)));
        let r = inbox(&app, &app.operator, "?per_page=2&page=2").await;
        assert_eq!(ids(&r.body), [c2]);
        assert_eq!((r.body["meta"]["total"].as_u64(), r.body["meta"]["page"].as_u64()), (Some(3), Some(2)));
        let r = inbox(&app, &app.operator, "?per_page=2&page=3").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(ids(&r.body).is_empty());
        assert_eq!(r.body["meta"]["total"], 3);
        assert_eq!(inbox(&app, &app.operator, "?per_page=0").await.assert_problem(422), ["per_page"]);
        assert_eq!(inbox(&app, &app.operator, "?per_page=101").await.assert_problem(422), ["per_page"]);
        assert_eq!(inbox(&app, &app.operator, "?page=0").await.assert_problem(422), ["page"]);

        // Who may read: operators, admins and `conversations:write` tokens; not other scopes.
        for token in [app.admin.clone(), bot.clone(), app.token(&[Scope::Admin]).await] {
            let r = inbox(&app, &token, "").await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(ids(&r.body), [c1, c3, c2]);
        }
        inbox(&app, &app.token(&[Scope::TicketsRead, Scope::TicketsWrite]).await, "").await.assert_problem(403);
        assert_eq!(app.request(reqwest::Method::GET, "/api/v1/conversations", None, None).await.status, 401);

        // The other workspace sees only its own.
        for token in [app.other_admin.clone(), other_bot] {
            let r = inbox(&app, &token, "").await;
            assert_eq!(ids(&r.body), [theirs]);
            assert_eq!(r.body["meta"]["total"], 1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Expiry and the purge

db_test! {
    async fn the_purge_drops_expired_conversations_but_keeps_linked_transcripts(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let dropped = [
            uuid(&create_conversation(&app, &bot, agent, &[("visitor", "a"), ("assistant", "b")]).await["id"]),
            uuid(&create_conversation(&app, &bot, agent, &[("visitor", "c")]).await["id"]),
            uuid(&create_conversation(&app, &bot, agent, &[]).await["id"]),
        ];
        let sent = [
            ("visitor", "I was charged twice for order #77"),
            ("assistant", "Let me get a human."),
            ("tool", "{\"charges\": 2}"),
        ];
        let kept = uuid(&create_conversation(&app, &bot, agent, &sent).await["id"]);
        let r = post_message(&app, &bot, kept, "visitor", "hello?").await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = escalate(&app, &app.operator, kept, json!({"subject": "Double charge", "body": "Refund one."})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let reference = r.body["reference"].as_str().unwrap().to_owned();
        let ticket_before = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(ticket_before.status, 200, "{}", ticket_before.text);
        let transcript = ticket_before.body["conversation"]["messages"].clone();
        assert_eq!(transcript.as_array().unwrap().len(), 5, "{transcript}");
        let conversation_before = get_conversation(&app, &app.operator, kept).await;

        let now = domain::time::now();
        // As of +23 h nothing has expired.
        assert_eq!(app.store.purge_expired(now + Duration::hours(23)).await.unwrap(), 0);
        for id in dropped.iter().chain([&kept]) {
            get_conversation(&app, &app.operator, *id).await;
        }

        // As of +25 h every unlinked conversation goes, with its messages.
        assert_eq!(app.store.purge_expired(now + Duration::hours(25)).await.unwrap(), dropped.len() as u64);
        for id in dropped {
            app.get(&conversation_path(id), &app.operator).await.assert_problem(404);
            assert_eq!(conversations_stored(&app, id).await, 0);
            assert_eq!(messages_stored(&app, id).await, 0, "messages of {id} purged");
            post_message(&app, &bot, id, "visitor", "hi").await.assert_problem(404);
        }

        // The linked one is kept whole: the conversation and the ticket's view of it.
        assert_eq!(get_conversation(&app, &app.operator, kept).await, conversation_before);
        let ticket_after = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(ticket_after.status, 200, "{}", ticket_after.text);
        assert_eq!(ticket_after.body, ticket_before.body);
        let mut expected = owned(&sent);
        expected.push(("visitor".into(), "hello?".into()));
        assert_eq!(thread(&transcript)[..4], expected[..]);
        assert_eq!(thread(&transcript)[4].0, "system");

        // Nothing is left to purge, even a year later.
        assert_eq!(app.store.purge_expired(now + Duration::hours(25)).await.unwrap(), 0);
        assert_eq!(app.store.purge_expired(now + Duration::days(365)).await.unwrap(), 0);
        let a_year_on = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(a_year_on.body["conversation"]["messages"], transcript);
    }
}

db_test! {
    async fn a_purge_racing_an_escalation_never_orphans_a_ticket(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let sent = [("visitor", "my parcel is lost"), ("assistant", "let me check")];
        // How long an escalation takes here, so that the purge can be staggered across it.
        let warm_up = uuid(&create_conversation(&app, &bot, agent, &sent).await["id"]);
        let started = std::time::Instant::now();
        let r = escalate(&app, &app.operator, warm_up, json!({"subject": "Warm-up", "body": "b"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let latency = started.elapsed();
        let mut escalated = vec![(warm_up, r.body["reference"].as_str().unwrap().to_owned(), Value::Null)];
        escalated[0].2 = get_conversation(&app, &app.operator, warm_up).await["messages"].clone();
        let mut purged = Vec::new();
        for round in 0..20u32 {
            let id = uuid(&create_conversation(&app, &bot, agent, &sent).await["id"]);
            backdate(&app, id, 25).await;
            let body = json!({"subject": format!("Lost parcel {round}"), "body": "Call the visitor back."});
            // Stagger the purge from "at once" to "after the escalation would be done", so
            // that either side wins some rounds and some overlap inside the transactions.
            let delay = latency * (round % 10) / 6;
            let (deleted, r) = tokio::join!(
                async {
                    tokio::time::sleep(delay).await;
                    app.store.purge_expired(domain::time::now() + Duration::hours(25)).await
                },
                escalate(&app, &app.operator, id, body),
            );
            let deleted = deleted.unwrap_or_else(|e| panic!("round {round}: the purge failed: {e}"));
            match r.status.as_u16() {
                201 => {
                    assert_eq!(deleted, 0, "round {round}: the purge must skip a conversation that got a ticket");
                    assert_eq!(uuid(&r.body["conversation_id"]), id);
                    let reference = r.body["reference"].as_str().unwrap();
                    let c = get_conversation(&app, &app.operator, id).await;
                    assert_eq!(c["has_ticket"], true);
                    let messages = thread(&c["messages"]);
                    assert_eq!(messages.len(), 3, "round {round}: {messages:?}");
                    assert_eq!(messages[..2], owned(&sent)[..]);
                    assert_eq!(messages[2].0, "system");
                    let t = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
                    assert_eq!(t.status, 200, "{}", t.text);
                    assert_eq!(t.body["conversation"]["messages"], c["messages"]);
                    escalated.push((id, reference.to_owned(), c["messages"].clone()));
                }
                404 | 422 => {
                    let fields = r.assert_problem(r.status.as_u16());
                    if r.status == 422 {
                        assert_eq!(fields, ["conversation_id"], "round {round}: {}", r.text);
                    }
                    assert_eq!(deleted, 1, "round {round}: the escalation lost, so the purge deleted it");
                    assert_eq!(tickets_linked(&app, id).await, 0, "round {round}: a ticket without its conversation");
                    assert_eq!(conversations_stored(&app, id).await, 0);
                    assert_eq!(messages_stored(&app, id).await, 0);
                    purged.push(id);
                }
                other => panic!("round {round}: escalation answered {other}: {}", r.text),
            }
        }
        eprintln!("{:?}: {} escalated first, {} purged first ({latency:?})", app.db, escalated.len() - 1, purged.len());

        // Every ticket still has its conversation and full transcript after more purges.
        assert_eq!(app.store.purge_expired(domain::time::now() + Duration::hours(25)).await.unwrap(), 0);
        for (id, reference, messages) in &escalated {
            assert_eq!(tickets_linked(&app, *id).await, 1);
            let t = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
            assert_eq!(t.body["conversation"]["messages"], *messages, "{reference}");
        }
        let orphans = count(
            &app,
            "SELECT COUNT(*) AS n FROM tickets t WHERE t.conversation_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = t.conversation_id)",
            vec![],
        )
        .await;
        assert_eq!(orphans, 0);
        let r = app.get("/api/v1/tickets?per_page=100", &app.operator).await;
        assert_eq!(r.body["meta"]["total"].as_u64(), Some(escalated.len() as u64), "{}", r.text);
    }
}

// ---------------------------------------------------------------------------------------
// POST /conversations/{id}/escalate

db_test! {
    async fn an_operator_escalates_a_conversation_into_a_ticket(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let c = create_conversation(&app, &bot, agent, &[("visitor", "I need a refund"), ("assistant", "One moment")])
            .await;
        let id = uuid(&c["id"]);

        let before = domain::time::now();
        let r = escalate(
            &app,
            &app.operator,
            id,
            json!({"subject": "  Refund for order #5521 ", "body": "Visitor left; call back.", "priority": "high"}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let t = &r.body;
        assert_eq!(keys(t), crate::tickets::TICKET_FIELDS.into_iter().collect());
        assert_eq!(t["reference"], "ACME-1");
        assert_eq!(
            r.headers.get("location").and_then(|v| v.to_str().ok()),
            Some("/api/v1/tickets/ACME-1")
        );
        assert_eq!(t["metadata"], json!({"source": "human_escalation", "operator_id": app.operator_id}));
        assert_eq!(uuid(&t["conversation_id"]), id);
        assert_eq!(uuid(&t["agent_id"]), agent);
        assert_eq!(t["subject"], "Refund for order #5521");
        assert_eq!(t["body"], "Visitor left; call back.");
        assert_eq!(t["priority"], "high");
        assert_eq!(t["status"], "open");
        assert!(t["assigned_to_user_id"].is_null());
        assert!(time(&t["created_at"]) >= before);

        // The transcript names the ticket; the conversation now has one.
        let got = get_conversation(&app, &app.operator, id).await;
        assert_eq!(got["has_ticket"], true);
        assert_eq!(got["tickets"], json!([{"id": t["id"], "reference": "ACME-1"}]));
        let messages = thread(&got["messages"]);
        assert_eq!(messages.len(), 3, "{messages:?}");
        let (role, text) = &messages[2];
        assert_eq!(role, "system");
        assert!(text.contains("#ACME-1") && text.contains("Olivia Operator"), "{text}");
        let last = &got["messages"][2];
        assert_eq!(time(&got["last_activity_at"]), time(&last["created_at"]));
        let inbox_row = inbox(&app, &app.operator, "").await.body["data"][0].clone();
        assert_eq!(inbox_row["has_ticket"], true);

        // The ticket's activity log shows its creation by the operator.
        let events = crate::tickets::events(&app, &app.operator, "ACME-1").await;
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["kind"], "created");

        // A second escalation (by an admin, default priority) opens a second ticket.
        let r = escalate(&app, &app.admin, id, json!({"subject": "Follow-up", "body": "Check the refund."})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["reference"], "ACME-2");
        assert_eq!(r.body["priority"], "normal");
        assert_eq!(r.body["metadata"], json!({"source": "human_escalation", "operator_id": app.admin_id}));
        let got = get_conversation(&app, &app.operator, id).await;
        let refs: Vec<&str> = got["tickets"].as_array().unwrap().iter().map(|t| t["reference"].as_str().unwrap()).collect();
        assert_eq!(refs, ["ACME-1", "ACME-2"]);
        let messages = thread(&got["messages"]);
        assert_eq!(messages.len(), 4);
        assert!(messages[3].0 == "system" && messages[3].1.contains("#ACME-2"), "{messages:?}");
    }
}

db_test! {
    async fn escalation_is_for_signed_in_operators_of_the_workspace_with_valid_fields(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let other_bot = app.other_token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let other_agent = create_agent(&app, app.other.id, "Other Bot").await;
        let id = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "help")]).await["id"]);
        let theirs = uuid(&create_conversation(&app, &other_bot, other_agent, &[("visitor", "x")]).await["id"]);
        let ok = json!({"subject": "Help", "body": "Needs help."});

        // Never a token, whatever its scopes.
        for token in [
            app.token(&[Scope::Admin]).await,
            bot.clone(),
            app.token(&[Scope::TicketsWrite, Scope::TicketsRead, Scope::ToolsInvoke]).await,
        ] {
            escalate(&app, &token, id, ok.clone()).await.assert_problem(403);
        }
        assert_eq!(
            app.request(reqwest::Method::POST, &format!("{}/escalate", conversation_path(id)), None, Some(&ok))
                .await
                .status,
            401
        );

        // Other workspaces and unknown conversations: 404.
        escalate(&app, &app.other_admin, id, ok.clone()).await.assert_problem(404);
        escalate(&app, &app.operator, theirs, ok.clone()).await.assert_problem(404);
        escalate(&app, &app.operator, Uuid::new_v4(), ok.clone()).await.assert_problem(404);

        // Field validation.
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"subject": "s".repeat(121), "body": "b"}), vec!["subject"]),
            (json!({"subject": "   ", "body": "b"}), vec!["subject"]),
            (json!({"body": "b"}), vec!["subject"]),
            (json!({"subject": "s", "body": ""}), vec!["body"]),
            (json!({"subject": "s"}), vec!["body"]),
            (json!({"subject": "s", "body": "b", "priority": "asap"}), vec!["priority"]),
            (json!({"subject": "s", "body": "b", "priority": 3}), vec!["priority"]),
        ];
        for (body, fields) in cases {
            let r = escalate(&app, &app.operator, id, body.clone()).await;
            assert_eq!(r.assert_problem(422), fields, "{body}: {}", r.text);
        }

        // None of that opened a ticket or touched the conversation.
        assert_eq!(tickets_linked(&app, id).await, 0);
        assert_eq!(tickets_linked(&app, theirs).await, 0);
        let got = get_conversation(&app, &app.operator, id).await;
        assert_eq!(got["has_ticket"], false);
        assert_eq!(got["messages"].as_array().unwrap().len(), 1);

        // 120 characters is fine; every priority is kept.
        for (i, priority) in ["low", "normal", "high", "urgent"].into_iter().enumerate() {
            let subject = format!("{i}{}", "s".repeat(119));
            let r = escalate(&app, &app.operator, id, json!({"subject": subject, "body": "b", "priority": priority}))
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            assert_eq!(r.body["priority"], priority);
            assert_eq!(r.body["subject"], subject);
        }
    }
}

// ---------------------------------------------------------------------------------------
// GET /tickets/{ref} shows the conversation

db_test! {
    async fn an_escalated_ticket_shows_its_whole_ordered_thread(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let sent = [("visitor", "hi"), ("assistant", "hello, how can I help?"), ("visitor", "my bill is wrong")];
        let c = create_conversation(&app, &bot, agent, &sent).await;
        let id = uuid(&c["id"]);
        for (role, text) in [("tool", "{\"invoice\": 9}"), ("operator", "Looking into it")] {
            let r = post_message(&app, &bot, id, role, text).await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let r = escalate(&app, &app.operator, id, json!({"subject": "Wrong bill", "body": "Invoice 9."})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let reference = r.body["reference"].as_str().unwrap().to_owned();
        let conversation = get_conversation(&app, &app.operator, id).await;

        for token in [app.operator.clone(), app.token(&[Scope::TicketsRead]).await] {
            for key in [reference.clone(), r.body["id"].as_str().unwrap().to_owned()] {
                let t = app.get(&format!("/api/v1/tickets/{key}"), &token).await;
                assert_eq!(t.status, 200, "{}", t.text);
                let conv = &t.body["conversation"];
                assert_eq!(
                    keys(conv),
                    ["id", "agent_id", "started_at", "last_activity_at", "messages"].into_iter().collect()
                );
                assert_eq!(uuid(&conv["id"]), id);
                assert_eq!(uuid(&conv["agent_id"]), agent);
                assert_eq!(conv["started_at"], conversation["started_at"]);
                assert_eq!(conv["last_activity_at"], conversation["last_activity_at"]);
                // The same messages, ids and all, in the same order.
                assert_eq!(conv["messages"], conversation["messages"]);
                let mut expected = owned(&sent);
                expected.push(("tool".into(), "{\"invoice\": 9}".into()));
                expected.push(("operator".into(), "Looking into it".into()));
                let got = thread(&conv["messages"]);
                assert_eq!(got.len(), 6);
                assert_eq!(got[..5], expected[..]);
                assert_eq!(got[5].0, "system");
                assert!(got[5].1.contains(&format!("#{reference}")), "{}", got[5].1);
                for m in conv["messages"].as_array().unwrap() {
                    assert_eq!(keys(m), MESSAGE_FIELDS.into_iter().collect());
                    uuid(&m["id"]);
                }
                let times: Vec<_> =
                    conv["messages"].as_array().unwrap().iter().map(|m| time(&m["created_at"])).collect();
                assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
            }
        }
        // The other workspace cannot see the ticket.
        app.get(&format!("/api/v1/tickets/{reference}"), &app.other_admin).await.assert_problem(404);
    }
}

db_test! {
    async fn a_message_racing_the_purge_is_recorded_or_refused_never_a_500(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = create_agent(&app, app.acme.id, "Helpdesk Bot").await;
        let warm_up = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "hi")]).await["id"]);
        let started = std::time::Instant::now();
        assert_eq!(post_message(&app, &bot, warm_up, "visitor", "x").await.status, 201);
        let latency = started.elapsed();
        let mut outcomes = std::collections::BTreeMap::new();
        for round in 0..30u32 {
            let id = uuid(&create_conversation(&app, &bot, agent, &[("visitor", "hi")]).await["id"]);
            let delay = latency * (round % 10) / 6;
            let (deleted, r) = tokio::join!(
                async {
                    tokio::time::sleep(delay).await;
                    app.store.purge_expired(domain::time::now() + Duration::hours(25)).await
                },
                post_message(&app, &bot, id, "visitor", "are you there?"),
            );
            deleted.unwrap_or_else(|e| panic!("round {round}: the purge failed: {e}"));
            assert!(matches!(r.status.as_u16(), 201 | 404 | 409), "round {round}: {} {}", r.status, r.text);
            *outcomes.entry(r.status.as_u16()).or_insert(0) += 1;
            assert_eq!(conversations_stored(&app, id).await, 0);
            assert_eq!(messages_stored(&app, id).await, 0);
        }
        eprintln!("{:?}: {outcomes:?} ({latency:?})", app.db);
    }
}
