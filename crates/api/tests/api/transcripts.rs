//! Transcripts are bounded: at most 1,000 messages per conversation (409 past that, even for
//! appends that race), long threads read page by page, and a tool call records only the
//! input fields its schema declares.

// Helpers outside `db_test!`'s `run` are not test functions to `allow-unwrap-in-tests`.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use domain::auth::Scope;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::agents::{conversation, help_center, messages_with_role, read_conversation};
use crate::db_test;
use crate::helpers::*;

/// Adds `n` visitor messages to a conversation directly in the database (the API would
/// take a thousand requests), older than anything the API writes next.
async fn fill(app: &TestApp, conversation: &Value, n: usize) {
    let id = Uuid::parse_str(conversation["id"].as_str().unwrap()).unwrap();
    let db = app.store.connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO messages (id, workspace_id, conversation_id, role, content, created_at) VALUES ($1, $2, $3, 'visitor', $4, $5)"
        }
        _ => {
            "INSERT INTO messages (id, workspace_id, conversation_id, role, content, created_at) VALUES (?, ?, ?, 'visitor', ?, ?)"
        }
    };
    let start = Utc::now() - Duration::hours(1);
    let tx = db.begin().await.unwrap();
    for i in 0..n {
        let values: Vec<SqlValue> = vec![
            Uuid::now_v7().into(),
            app.acme.id.0.into(),
            id.into(),
            format!("filler {i}").into(),
            (start + Duration::milliseconds(i as i64)).into(),
        ];
        tx.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn message_count(conversation: &Value) -> usize {
    conversation["messages"].as_array().unwrap().len()
}

db_test! {
    async fn a_conversation_holds_at_most_1000_messages_even_when_appends_race(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({"messages": [{"role": "visitor", "content": "Hi"}]})).await;
        fill(&app, &conv, 994).await;
        let path = format!("/api/v1/conversations/{}/messages", conv["id"].as_str().unwrap());

        // 995 held: twelve appends at once, five fit.
        let appends = (0..12).map(|i| app.post(&path, &bot, json!({"role": "visitor", "content": format!("race {i}")})));
        let answers = join_all(appends).await;
        let mut statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [[201; 5].as_slice(), [409; 7].as_slice()].concat(), "{:?}", answers.iter().map(|r| &r.text).collect::<Vec<_>>());
        let refused = answers.iter().find(|r| r.status == 409).unwrap();
        refused.assert_problem(409);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains("1000 messages") && detail.contains("start a new conversation"), "{detail}");
        assert_eq!(message_count(&read_conversation(&app, &conv["id"]).await), 1000);

        // Full: no more messages, and no ticket path adds its transcript entry either.
        let r = app.post(&path, &bot, json!({"role": "assistant", "content": "one more"})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let invoke = format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent["id"].as_str().unwrap());
        let r = app.post(&invoke, &bot, json!({"conversation_id": conv["id"], "tool_call_id": "call_full", "input": {"subject": "s", "body": "b"}})).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(message_count(&c), 1000);
        assert!(c["tickets"].as_array().unwrap().is_empty(), "nothing half-written: {}", c["tickets"]);
    }
}

db_test! {
    async fn long_threads_come_page_by_page(app: TestApp) {
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({"messages": [{"role": "visitor", "content": "Hi"}]})).await;
        fill(&app, &conv, 249).await;
        let other = conversation(&app, &bot, &agent["id"], json!({"messages": [{"role": "visitor", "content": "Other"}]})).await;
        let base = format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap());

        // By default: the whole thread, as before, with a null cursor.
        let whole = app.get(&base, &app.operator).await;
        assert_eq!(whole.status, 200, "{}", whole.text);
        assert_eq!(message_count(&whole.body), 250);
        assert_eq!(whole.body["next_cursor"], Value::Null);
        assert_eq!(whole.body["tickets"], json!([]));
        assert_eq!(whole.body["agent_name"], "Helpdesk Bot");

        // Paged: 100 + 100 + 50, in order, the same messages.
        let mut paged = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let r = app.get(&format!("{base}?per_page=100&cursor={cursor}"), &app.operator).await;
            assert_eq!(r.status, 200, "{}", r.text);
            pages += 1;
            paged.extend(r.body["messages"].as_array().unwrap().iter().cloned());
            match r.body["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(Value::Array(paged), whole.body["messages"]);

        // Bad parameters name themselves; another thread's cursor is not this one's.
        let other_cursor = read_conversation(&app, &other["id"]).await["messages"][0]["id"].as_str().unwrap().to_owned();
        for (query, field) in [
            ("per_page=0", "per_page"),
            ("per_page=1001", "per_page"),
            ("cursor=nope", "cursor"),
            (&format!("cursor={other_cursor}") as &str, "cursor"),
        ] {
            let r = app.get(&format!("{base}?{query}"), &app.operator).await;
            assert_eq!(r.assert_problem(422), [field], "{query}: {}", r.text);
        }
    }
}

db_test! {
    async fn a_tool_call_records_only_the_input_fields_of_its_schema(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({})).await;
        let invoke = format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent["id"].as_str().unwrap());
        let input = json!({"subject": "Broken", "body": "It broke", "priority": "high", "smuggled": "x".repeat(5000), "nested": {"a": 1}});
        let r = app.post(&invoke, &bot, json!({"conversation_id": conv["id"], "tool_call_id": "call_0", "input": input})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let c = read_conversation(&app, &conv["id"]).await;
        let tool = messages_with_role(&c, "tool");
        assert_eq!(tool.len(), 1);
        let recorded: Value = serde_json::from_str(tool[0]["content"].as_str().unwrap()).unwrap();
        assert_eq!(recorded["input"], json!({"subject": "Broken", "body": "It broke", "priority": "high"}));
        assert!(!tool[0]["content"].as_str().unwrap().contains("smuggled"));
    }
}
