//! `tool_call_id` is unique per conversation: backends that number calls per chat (`call_0`)
//! open one ticket in each chat, and a retry within a chat still answers its first ticket,
//! even when the retries race.

// Helpers outside `db_test!`'s `run` are not test functions to `allow-unwrap-in-tests`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use domain::auth::Scope;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::agents::{conversation, help_center, read_conversation, ticket_count};
use crate::db_test;

fn invocation_path(agent_id: &Value) -> String {
    format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent_id.as_str().unwrap())
}

fn call(conversation: &Value, subject: &str) -> Value {
    json!({"conversation_id": conversation["id"], "tool_call_id": "call_0", "input": {"subject": subject, "body": "Help"}})
}

db_test! {
    async fn the_same_call_id_in_two_chats_opens_two_tickets(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let path = invocation_path(&agent["id"]);
        let first_chat = conversation(&app, &bot, &agent["id"], json!({})).await;
        let second_chat = conversation(&app, &bot, &agent["id"], json!({})).await;

        let a = app.post(&path, &bot, call(&first_chat, "First visitor")).await;
        assert_eq!(a.status, 201, "{}", a.text);
        let b = app.post(&path, &bot, call(&second_chat, "Second visitor")).await;
        assert_eq!(b.status, 201, "the second chat's call_0 is its own call: {}", b.text);
        assert_ne!(a.body["ticket"]["id"], b.body["ticket"]["id"]);
        assert_eq!(b.body["ticket"]["subject"], "Second visitor");
        assert_eq!(b.body["ticket"]["conversation_id"], second_chat["id"]);

        // A retry in either chat answers that chat's ticket.
        for (chat, first) in [(&first_chat, &a), (&second_chat, &b)] {
            let retry = app.post(&path, &bot, call(chat, "Retried")).await;
            assert_eq!(retry.status, 200, "{}", retry.text);
            assert_eq!(retry.body["ticket"]["id"], first.body["ticket"]["id"]);
            let c = read_conversation(&app, &chat["id"]).await;
            assert_eq!(c["tickets"].as_array().unwrap().len(), 1, "{c}");
        }
        assert_eq!(ticket_count(&app).await, 2);
    }
}

db_test! {
    async fn racing_retries_in_two_chats_open_one_ticket_each(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let path = invocation_path(&agent["id"]);
        let chats = [
            conversation(&app, &bot, &agent["id"], json!({})).await,
            conversation(&app, &bot, &agent["id"], json!({})).await,
        ];
        let requests = (0..16).map(|i| app.post(&path, &bot, call(&chats[i % 2], "Race")));
        let answers = join_all(requests).await;
        let mut created = 0;
        let mut tickets = [BTreeSet::new(), BTreeSet::new()];
        for (i, r) in answers.iter().enumerate() {
            match r.status.as_u16() {
                201 => created += 1,
                200 => {}
                other => panic!("status {other}: {}", r.text),
            }
            tickets[i % 2].insert(r.body["ticket"]["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(created, 2, "one 201 per chat");
        assert_eq!([tickets[0].len(), tickets[1].len()], [1, 1], "one ticket per chat: {tickets:?}");
        assert_ne!(tickets[0], tickets[1]);
        assert_eq!(ticket_count(&app).await, 2);
    }
}
