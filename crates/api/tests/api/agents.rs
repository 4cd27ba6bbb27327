//! Agents (CRUD, capabilities), their tool registry, `open_ticket` invocations and the CTA
//! buttons an agent's widget shows. CTA rules themselves and their clicks are in `cta.rs`.

// Helpers outside `db_test!` bodies unwrap too; `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use domain::auth::Scope;
use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

/// Creates an agent as the ACME admin and returns its JSON.
pub(crate) async fn create_agent(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/agents", &app.admin, body).await;
    assert_eq!(r.status, 201, "create agent: {}", r.text);
    r.body
}

/// Creates a `help_center` agent of ACME.
pub(crate) async fn help_center(app: &TestApp, name: &str) -> Value {
    create_agent(app, json!({"name": name, "vertical": "help_center"})).await
}

/// Records a conversation through the API with a `conversations:write` token.
pub(crate) async fn conversation(app: &TestApp, token: &str, agent_id: &Value, extra: Value) -> Value {
    let mut body = json!({"agent_id": agent_id});
    if let Value::Object(extra) = extra {
        body.as_object_mut().unwrap().extend(extra);
    }
    let r = app.post("/api/v1/conversations", token, body).await;
    assert_eq!(r.status, 201, "create conversation: {}", r.text);
    r.body
}

/// A conversation as an operator sees it.
pub(crate) async fn read_conversation(app: &TestApp, id: &Value) -> Value {
    let r = app.get(&format!("/api/v1/conversations/{}", id.as_str().unwrap()), &app.operator).await;
    assert_eq!(r.status, 200, "read conversation: {}", r.text);
    r.body
}

/// The messages of a conversation with this role.
pub(crate) fn messages_with_role<'a>(conversation: &'a Value, role: &str) -> Vec<&'a Value> {
    conversation["messages"].as_array().unwrap().iter().filter(|m| m["role"] == role).collect()
}

/// Every ticket of ACME, closed ones included.
pub(crate) async fn ticket_count(app: &TestApp) -> u64 {
    let r = app.get("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", &app.admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["meta"]["total"].as_u64().unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn capabilities(agent: &Value) -> Vec<&str> {
    agent["capabilities"].as_array().unwrap().iter().map(s).collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| s(&v["id"]).to_owned())
        .collect()
}

fn invocation_path(agent_id: &Value, tool: &str) -> String {
    format!("/api/v1/agents/{}/tools/{tool}/invocations", s(agent_id))
}

/// Asserts a problem+json error that also carries the sentence the bot says instead.
fn assert_bot_problem(r: &Response, status: u16) -> Vec<String> {
    let fields = r.assert_problem(status);
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
        "a failed invocation carries a `message` for the bot: {}",
        r.text
    );
    fields
}

db_test! {
    async fn admins_create_agents_whose_capabilities_follow_the_vertical(app: TestApp) {
        let help = help_center(&app, "Helpdesk Bot").await;
        assert_eq!(help["name"], "Helpdesk Bot");
        assert_eq!(help["vertical"], "help_center");
        assert_eq!(help["vertical_overrides"], json!({"capabilities": []}));
        assert!(capabilities(&help).contains(&"ticketing"), "{help}");
        assert!(help["id"].as_str().unwrap().parse::<Uuid>().is_ok());
        assert!(help["created_at"].is_string() && help["updated_at"].is_string());

        let sales = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        assert!(!capabilities(&sales).contains(&"ticketing"), "{sales}");
        assert!(!capabilities(&sales).is_empty(), "sales has a preset of its own: {sales}");

        let opted = create_agent(
            &app,
            json!({"name": "Sales + tickets", "vertical": "sales", "vertical_overrides": {"capabilities": ["ticketing"]}}),
        )
        .await;
        assert!(capabilities(&opted).contains(&"ticketing"), "{opted}");
        for preset in capabilities(&sales) {
            assert!(capabilities(&opted).contains(&preset), "the override adds to the preset: {opted}");
        }
        assert_eq!(opted["vertical_overrides"], json!({"capabilities": ["ticketing"]}));

        // Reads: one, and the list, oldest first.
        let one = app.get(&format!("/api/v1/agents/{}", s(&opted["id"])), &app.admin).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert_eq!((&one.body["id"], &one.body["capabilities"]), (&opted["id"], &opted["capabilities"]));
        let list = app.get("/api/v1/agents", &app.admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert_eq!(ids(&list.body), [&help, &sales, &opted].map(|a| s(&a["id"]).to_owned()));
        assert!(list.body["meta"].is_object());

        // Unknown values answer 422 naming the field, and create nothing.
        let r = app
            .post(
                "/api/v1/agents",
                &app.admin,
                json!({"name": "Bad", "vertical": "sales", "vertical_overrides": {"capabilities": ["flying"]}}),
            )
            .await;
        let fields = r.assert_problem(422);
        assert_eq!(fields.len(), 1, "{}", r.text);
        assert!(fields[0].starts_with("vertical_overrides.capabilities"), "{fields:?}");
        let r = app
            .post("/api/v1/agents", &app.admin, json!({"name": "Bad", "vertical": "sales", "vertical_overrides": {"caps": []}}))
            .await;
        assert!(r.assert_problem(422)[0].starts_with("vertical_overrides"), "{}", r.text);
        let r = app.post("/api/v1/agents", &app.admin, json!({"name": "Bad", "vertical": "astrology"})).await;
        assert_eq!(r.assert_problem(422), ["vertical"]);
        let r = app.post("/api/v1/agents", &app.admin, json!({"name": "   ", "vertical": "sales"})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
        let r = app.post("/api/v1/agents", &app.admin, json!({"name": "x".repeat(101), "vertical": "sales"})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
        let r = app.post("/api/v1/agents", &app.admin, json!({"vertical": "sales"})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
        let r = app.post("/api/v1/agents", &app.admin, json!({"name": "No vertical"})).await;
        assert_eq!(r.assert_problem(422), ["vertical"]);
        assert_eq!(ids(&app.get("/api/v1/agents", &app.admin).await.body).len(), 3);
    }
}

db_test! {
    async fn admins_patch_name_vertical_and_overrides(app: TestApp) {
        let agent = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        let path = format!("/api/v1/agents/{}", s(&agent["id"]));

        let r = app.patch(&path, &app.admin, json!({"name": "  Renamed Bot  "})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["name"], "Renamed Bot", "the name is trimmed");
        assert_eq!(r.body["vertical"], "sales", "absent fields stay");
        assert!(!capabilities(&r.body).contains(&"ticketing"));

        let r = app
            .patch(&path, &app.admin, json!({"vertical_overrides": {"capabilities": ["ticketing", "ticketing"]}}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["vertical_overrides"], json!({"capabilities": ["ticketing"]}), "deduplicated");
        assert!(capabilities(&r.body).contains(&"ticketing"));
        assert_eq!(r.body["name"], "Renamed Bot");

        let r = app.patch(&path, &app.admin, json!({"vertical": "ecommerce", "vertical_overrides": {}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["vertical"], "ecommerce");
        assert_eq!(r.body["vertical_overrides"], json!({"capabilities": []}));
        assert!(!capabilities(&r.body).contains(&"ticketing"), "{}", r.text);
        assert!(capabilities(&r.body).contains(&"order_tracking"), "{}", r.text);

        let r = app.patch(&path, &app.admin, json!({"vertical": "help_center"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(capabilities(&r.body).contains(&"ticketing"), "the help_center preset: {}", r.text);
        let before = r.body;

        // Bad patches: 422 naming the field, and nothing changes.
        for field in ["name", "vertical", "vertical_overrides"] {
            let r = app.patch(&path, &app.admin, json!({ field: null })).await;
            assert_eq!(r.assert_problem(422), [field], "{field}: null");
        }
        let r = app.patch(&path, &app.admin, json!({"vertical_overrides": {"capabilities": ["ticketing", "flying"]}})).await;
        let fields = r.assert_problem(422);
        assert_eq!(fields.len(), 1, "{}", r.text);
        assert!(fields[0].starts_with("vertical_overrides.capabilities"), "{fields:?}");
        let r = app.patch(&path, &app.admin, json!({"vertical": "astrology"})).await;
        assert_eq!(r.assert_problem(422), ["vertical"]);
        let r = app.patch(&path, &app.admin, json!({"name": ""})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
        let r = app.patch(&path, &app.admin, json!({"name": "ok", "colour": "red"})).await;
        assert_eq!(r.assert_problem(422), ["colour"]);
        let after = app.get(&path, &app.admin).await.body;
        for field in ["name", "vertical", "vertical_overrides", "capabilities"] {
            assert_eq!(after[field], before[field], "{field} unchanged by refused patches");
        }

        // Missing, malformed and foreign ids: 404.
        let missing = format!("/api/v1/agents/{}", Uuid::new_v4());
        app.patch(&missing, &app.admin, json!({"name": "x"})).await.assert_problem(404);
        app.patch("/api/v1/agents/not-a-uuid", &app.admin, json!({"name": "x"})).await.assert_problem(404);
        app.get(&path, &app.other_admin).await.assert_problem(404);
        app.patch(&path, &app.other_admin, json!({"name": "Hijacked"})).await.assert_problem(404);
        app.delete(&path, &app.other_admin).await.assert_problem(404);
        assert!(ids(&app.get("/api/v1/agents", &app.other_admin).await.body).is_empty());
        assert_eq!(app.get(&path, &app.admin).await.body["name"], before["name"]);
    }
}

db_test! {
    async fn a_deleted_agent_is_gone_but_its_conversations_and_tickets_stay(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Doomed Bot").await;
        let keep = help_center(&app, "Kept Bot").await;
        let conv = conversation(
            &app,
            &bot,
            &agent["id"],
            json!({"messages": [{"role": "visitor", "content": "My invoice is wrong"}]}),
        )
        .await;
        let opened = app
            .post(
                &invocation_path(&agent["id"], "open_ticket"),
                &bot,
                json!({"conversation_id": conv["id"], "tool_call_id": "call-doomed", "input": {"subject": "Wrong invoice", "body": "Invoice 42 is wrong"}}),
            )
            .await;
        assert_eq!(opened.status, 201, "{}", opened.text);
        let rule = app
            .post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "Talk to us", "agent_id": agent["id"]}))
            .await;
        assert_eq!(rule.status, 201, "{}", rule.text);

        let path = format!("/api/v1/agents/{}", s(&agent["id"]));
        let r = app.delete(&path, &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(r.text.is_empty());
        app.get(&path, &app.admin).await.assert_problem(404);
        app.get(&path, &app.operator).await.assert_problem(404);
        app.patch(&path, &app.admin, json!({"name": "Back"})).await.assert_problem(404);
        app.delete(&path, &app.admin).await.assert_problem(404);
        app.get(&format!("{path}/tools"), &bot).await.assert_problem(404);
        app.get(&format!("{path}/cta-rules"), &bot).await.assert_problem(404);
        assert_eq!(ids(&app.get("/api/v1/agents", &app.admin).await.body), [s(&keep["id"]).to_owned()]);

        // Its buttons go with it.
        app.get(&format!("/api/v1/cta-rules/{}", s(&rule.body["id"])), &app.admin).await.assert_problem(404);
        // No new conversations or tool calls for it.
        let r = app.post("/api/v1/conversations", &bot, json!({"agent_id": agent["id"]})).await;
        assert_eq!(r.assert_problem(422), ["agent_id"]);
        let r = app
            .post(
                &invocation_path(&agent["id"], "open_ticket"),
                &bot,
                json!({"conversation_id": conv["id"], "tool_call_id": "call-after", "input": {"subject": "s", "body": "b"}}),
            )
            .await;
        assert_bot_problem(&r, 404);

        // Its conversation and ticket stay readable, transcript included.
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(c["agent_id"], agent["id"]);
        assert_eq!(c["messages"].as_array().unwrap().len(), 2, "{c}");
        let reference = s(&opened.body["reference"]);
        let t = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(t.status, 200, "{}", t.text);
        assert_eq!(t.body["agent_id"], agent["id"]);
        assert_eq!(t.body["conversation"]["id"], conv["id"]);
        assert_eq!(t.body["conversation"]["messages"].as_array().unwrap().len(), 2, "{}", t.text);
        assert_eq!(ticket_count(&app).await, 1);
    }
}

db_test! {
    async fn operators_read_agents_but_only_admins_change_them(app: TestApp) {
        let agent = help_center(&app, "Helpdesk Bot").await;
        let path = format!("/api/v1/agents/{}", s(&agent["id"]));

        let r = app.get("/api/v1/agents", &app.operator).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(ids(&r.body), [s(&agent["id"]).to_owned()]);
        let r = app.get(&path, &app.operator).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["name"], "Helpdesk Bot");

        let r = app.post("/api/v1/agents", &app.operator, json!({"name": "Mine", "vertical": "sales"})).await;
        r.assert_problem(403);
        app.patch(&path, &app.operator, json!({"name": "Operator's"})).await.assert_problem(403);
        app.delete(&path, &app.operator).await.assert_problem(403);

        // Tokens: reading and writing agents needs `admin`.
        let chat = app.token(&[Scope::ConversationsWrite, Scope::ToolsInvoke, Scope::TicketsRead, Scope::TicketsWrite]).await;
        app.get("/api/v1/agents", &chat).await.assert_problem(403);
        app.get(&path, &chat).await.assert_problem(403);
        app.post("/api/v1/agents", &chat, json!({"name": "Mine", "vertical": "sales"})).await.assert_problem(403);
        app.patch(&path, &chat, json!({"name": "Token's"})).await.assert_problem(403);
        app.delete(&path, &chat).await.assert_problem(403);
        let admin_token = app.token(&[Scope::Admin]).await;
        assert_eq!(app.get(&path, &admin_token).await.status, 200);
        let r = app.post("/api/v1/agents", &admin_token, json!({"name": "By token", "vertical": "general"})).await;
        assert_eq!(r.status, 201, "{}", r.text);

        // Nothing the refused calls asked for happened.
        let list = app.get("/api/v1/agents", &app.admin).await.body;
        assert_eq!(ids(&list).len(), 2);
        assert_eq!(app.get(&path, &app.admin).await.body["name"], "Helpdesk Bot");
        let r = app.request(reqwest::Method::GET, "/api/v1/agents", None, None).await;
        r.assert_problem(401);
    }
}

db_test! {
    async fn the_tool_registry_follows_the_ticketing_capability(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke]).await;
        let help = help_center(&app, "Helpdesk Bot").await;
        let r = app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &app.admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let tools = r.body["data"].as_array().unwrap();
        assert_eq!(tools.len(), 1, "{}", r.text);
        let tool = &tools[0];
        assert_eq!(tool["name"], "open_ticket");
        assert!(s(&tool["description"]).len() > 40, "a description telling the model when to use it: {tool}");
        let schema = &tool["input_schema"];
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["subject", "body"]));
        assert_eq!(schema["properties"]["subject"]["type"], "string");
        assert_eq!(schema["properties"]["subject"]["maxLength"], 120);
        assert_eq!(schema["properties"]["body"]["type"], "string");
        assert_eq!(schema["properties"]["priority"]["enum"], json!(["low", "normal", "high", "urgent"]));
        assert_eq!(schema["properties"]["priority"]["default"], "normal");
        assert!(schema["properties"].as_object().unwrap().keys().all(|k| ["subject", "body", "priority", "email"].contains(&k.as_str())));

        // The same for a `tools:invoke` token (and an `admin` one).
        let by_token = app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &bot).await;
        assert_eq!(by_token.status, 200, "{}", by_token.text);
        assert_eq!(by_token.body["data"], r.body["data"]);
        let admin_token = app.token(&[Scope::Admin]).await;
        assert_eq!(app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &admin_token).await.body["data"], r.body["data"]);

        // Operators and tokens without the scope may not; other workspaces see nothing.
        app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &app.operator).await.assert_problem(403);
        let chat = app.token(&[Scope::ConversationsWrite, Scope::TicketsRead]).await;
        app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &chat).await.assert_problem(403);
        app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &app.other_admin).await.assert_problem(404);
        let other_bot = app.other_token(&[Scope::ToolsInvoke]).await;
        app.get(&format!("/api/v1/agents/{}/tools", s(&help["id"])), &other_bot).await.assert_problem(404);
        app.get(&format!("/api/v1/agents/{}/tools", Uuid::new_v4()), &bot).await.assert_problem(404);

        // A sales agent has no tools until it opts in, and loses them when it opts out.
        let sales = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        let tools_path = format!("/api/v1/agents/{}/tools", s(&sales["id"]));
        let tool_names = |body: &Value| -> Vec<String> {
            body["data"].as_array().unwrap().iter().map(|t| s(&t["name"]).to_owned()).collect()
        };
        let r = app.get(&tools_path, &bot).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["data"], json!([]));
        let agent_path = format!("/api/v1/agents/{}", s(&sales["id"]));
        let p = app.patch(&agent_path, &app.admin, json!({"vertical_overrides": {"capabilities": ["ticketing"]}})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        let r = app.get(&tools_path, &bot).await;
        assert_eq!(tool_names(&r.body), ["open_ticket"]);
        assert_eq!(r.body["data"][0], *tool, "the same definition for every agent");
        let p = app.patch(&agent_path, &app.admin, json!({"vertical_overrides": {"capabilities": []}})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(app.get(&tools_path, &bot).await.body["data"], json!([]));
        let with = create_agent(
            &app,
            json!({"name": "Opted in", "vertical": "sales", "vertical_overrides": {"capabilities": ["ticketing"]}}),
        )
        .await;
        let r = app.get(&format!("/api/v1/agents/{}/tools", s(&with["id"])), &bot).await;
        assert_eq!(tool_names(&r.body), ["open_ticket"]);
    }
}

db_test! {
    async fn open_ticket_opens_one_ticket_per_tool_call(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(
            &app,
            &bot,
            &agent["id"],
            json!({
                "visitor": {"name": "Jane Doe", "email": "jane@example.com"},
                "messages": [
                    {"role": "visitor", "content": "I was charged twice for order #5521"},
                    {"role": "assistant", "content": "Sorry about that, let me open a ticket."}
                ]
            }),
        )
        .await;
        let path = invocation_path(&agent["id"], "open_ticket");
        let call = json!({
            "conversation_id": conv["id"],
            "tool_call_id": "toolu_01A09q90qw90lq917835lq9",
            "input": {"subject": "Charged twice for order #5521", "body": "Card ending 4242 charged twice on May 2.", "priority": "high"}
        });
        let r = app.post(&path, &bot, call.clone()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let reference = s(&r.body["reference"]).to_owned();
        assert!(reference.starts_with("ACME-"), "{reference}");
        let ticket = &r.body["ticket"];
        assert_eq!(ticket["reference"], reference.as_str());
        assert_eq!(ticket["conversation_id"], conv["id"]);
        assert_eq!(ticket["agent_id"], agent["id"]);
        assert_eq!(ticket["subject"], "Charged twice for order #5521");
        assert_eq!(ticket["body"], "Card ending 4242 charged twice on May 2.");
        assert_eq!(ticket["priority"], "high");
        assert_eq!(ticket["status"], "open");
        assert_eq!(ticket["metadata"], json!({"source": "open_ticket_tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9"}));
        let message = s(&r.body["message"]);
        assert!(message.starts_with("I've opened ticket #ACME-"), "{message}");
        assert!(message.contains(&format!("#{reference}")), "{message}");

        // The invocation is in the transcript, as the conversation's last message.
        let c = read_conversation(&app, &conv["id"]).await;
        let messages = c["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3, "{c}");
        let last = messages.last().unwrap();
        assert_eq!(last["role"], "tool");
        assert!(s(&last["content"]).contains("toolu_01A09q90qw90lq917835lq9"), "{last}");
        assert!(s(&last["content"]).contains(&reference), "{last}");
        assert!(!s(&last["content"]).contains("{reference}"), "the placeholder is filled in: {last}");
        assert_eq!(c["has_ticket"], true);
        assert_eq!(c["tickets"], json!([{"id": ticket["id"], "reference": reference}]));

        // The ticket shows the thread, tool message included.
        let t = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(t.status, 200, "{}", t.text);
        assert_eq!(t.body["id"], ticket["id"]);
        assert_eq!(t.body["conversation"]["id"], conv["id"]);
        let thread = t.body["conversation"]["messages"].as_array().unwrap();
        assert_eq!(thread.len(), 3, "{}", t.text);
        assert_eq!(thread[0]["content"], "I was charged twice for order #5521");
        assert_eq!(thread[2]["role"], "tool");
        assert!(s(&thread[2]["content"]).contains(&reference));

        // A retry answers the same ticket, 200, and adds nothing — even with other input.
        let retry = app.post(&path, &bot, call.clone()).await;
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.body["ticket"]["id"], ticket["id"]);
        assert_eq!(retry.body["reference"], reference.as_str());
        assert_eq!(retry.body["message"], r.body["message"]);
        let mut changed = call.clone();
        changed["input"]["subject"] = json!("Something else");
        let retry = app.post(&path, &bot, changed).await;
        assert_eq!(retry.status, 200, "{}", retry.text);
        assert_eq!(retry.body["ticket"]["id"], ticket["id"]);
        assert_eq!(retry.body["ticket"]["subject"], "Charged twice for order #5521");
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "tool").len(), 1, "{c}");
        assert_eq!(c["messages"].as_array().unwrap().len(), 3);
        assert_eq!(ticket_count(&app).await, 1);

        // A new call id is a new ticket; priority defaults to normal. An `admin` token may call.
        let admin_token = app.token(&[Scope::Admin]).await;
        let r2 = app
            .post(&path, &admin_token, json!({"conversation_id": conv["id"], "tool_call_id": "toolu_02", "input": {"subject": "Second", "body": "Another problem"}}))
            .await;
        assert_eq!(r2.status, 201, "{}", r2.text);
        assert_ne!(r2.body["ticket"]["id"], ticket["id"]);
        assert_eq!(r2.body["ticket"]["priority"], "normal");
        assert_eq!(r2.body["ticket"]["number"], ticket["number"].as_i64().unwrap() + 1);
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "tool").len(), 2);
        assert_eq!(c["tickets"].as_array().unwrap().len(), 2);

        // A tool-call id is per workspace: OTHER may use the same one.
        let other_agent = app.post("/api/v1/agents", &app.other_admin, json!({"name": "Other Bot", "vertical": "help_center"})).await;
        assert_eq!(other_agent.status, 201, "{}", other_agent.text);
        let other_bot = app.other_token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let other_conv = conversation(&app, &other_bot, &other_agent.body["id"], json!({})).await;
        let r = app.post(&invocation_path(&other_agent.body["id"], "open_ticket"), &other_bot, json!({"conversation_id": other_conv["id"], "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "input": {"subject": "s", "body": "b"}})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(s(&r.body["reference"]).starts_with("OTHER-"), "{}", r.text);
        assert_eq!(ticket_count(&app).await, 2);
    }
}

db_test! {
    async fn twenty_concurrent_invocations_with_one_tool_call_id_make_one_ticket(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({"messages": [{"role": "visitor", "content": "Help!"}]})).await;
        let path = invocation_path(&agent["id"], "open_ticket");
        let call = json!({"conversation_id": conv["id"], "tool_call_id": "call-race", "input": {"subject": "Race", "body": "Twenty retries at once"}});
        let responses = join_all((0..20).map(|_| app.post(&path, &bot, call.clone()))).await;
        let mut created = 0;
        let mut ticket_ids = BTreeSet::new();
        for r in &responses {
            match r.status.as_u16() {
                201 => created += 1,
                200 => {}
                other => panic!("status {other}: {}", r.text),
            }
            ticket_ids.insert(s(&r.body["ticket"]["id"]).to_owned());
            assert!(s(&r.body["message"]).contains(s(&r.body["reference"])));
        }
        assert_eq!(created, 1, "exactly one 201");
        assert_eq!(ticket_ids.len(), 1, "one ticket: {ticket_ids:?}");
        assert_eq!(ticket_count(&app).await, 1);
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "tool").len(), 1, "{c}");
        assert_eq!(c["tickets"].as_array().unwrap().len(), 1);
    }
}

db_test! {
    async fn refused_invocations_explain_themselves_and_create_nothing(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let help = help_center(&app, "Helpdesk Bot").await;
        let help2 = help_center(&app, "Second Bot").await;
        let sales = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        let first = json!({"messages": [{"role": "visitor", "content": "Hello"}]});
        let conv = conversation(&app, &bot, &help["id"], first.clone()).await;
        let conv2 = conversation(&app, &bot, &help2["id"], first.clone()).await;
        let sales_conv = conversation(&app, &bot, &sales["id"], first.clone()).await;
        let other_agent = app.post("/api/v1/agents", &app.other_admin, json!({"name": "Other Bot", "vertical": "help_center"})).await;
        assert_eq!(other_agent.status, 201);
        let other_bot = app.other_token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let other_conv = conversation(&app, &other_bot, &other_agent.body["id"], json!({})).await;

        let path = invocation_path(&help["id"], "open_ticket");
        let good = |tool_call_id: &str| {
            json!({"conversation_id": conv["id"], "tool_call_id": tool_call_id, "input": {"subject": "Broken", "body": "It broke"}})
        };
        let with_input = |input: Value| json!({"conversation_id": conv["id"], "tool_call_id": "call-bad", "input": input});

        // The agent lacks `ticketing`.
        let r = app
            .post(&invocation_path(&sales["id"], "open_ticket"), &bot, json!({"conversation_id": sales_conv["id"], "tool_call_id": "call-sales", "input": {"subject": "s", "body": "b"}}))
            .await;
        assert_bot_problem(&r, 403);
        assert!(s(&r.body["detail"]).contains("ticketing"), "{}", r.text);

        // Unknown tool, unknown or foreign agent.
        assert_bot_problem(&app.post(&invocation_path(&help["id"], "close_ticket"), &bot, good("call-x")).await, 404);
        assert_bot_problem(&app.post(&invocation_path(&json!(Uuid::new_v4().to_string()), "open_ticket"), &bot, good("call-x")).await, 404);
        assert_bot_problem(&app.post("/api/v1/agents/not-a-uuid/tools/open_ticket/invocations", &bot, good("call-x")).await, 404);
        assert_bot_problem(&app.post(&invocation_path(&other_agent.body["id"], "open_ticket"), &bot, good("call-x")).await, 404);
        assert_bot_problem(&app.post(&path, &other_bot, json!({"conversation_id": other_conv["id"], "tool_call_id": "call-x", "input": {"subject": "s", "body": "b"}})).await, 404);

        // Bad input, naming the field.
        let cases = [
            (with_input(json!({"subject": "x".repeat(121), "body": "b"})), "input.subject"),
            (with_input(json!({"subject": "  ", "body": "b"})), "input.subject"),
            (with_input(json!({"body": "b"})), "input.subject"),
            (with_input(json!({"subject": "s"})), "input.body"),
            (with_input(json!({"subject": "s", "body": ""})), "input.body"),
            (with_input(json!({"subject": "s", "body": 5})), "input.body"),
            (with_input(json!({"subject": "s", "body": "b", "priority": "extreme"})), "input.priority"),
            (with_input(json!("open a ticket please")), "input"),
            (json!({"conversation_id": conv2["id"], "tool_call_id": "call-bad", "input": {"subject": "s", "body": "b"}}), "conversation_id"),
            (json!({"conversation_id": Uuid::new_v4(), "tool_call_id": "call-bad", "input": {"subject": "s", "body": "b"}}), "conversation_id"),
            (json!({"conversation_id": other_conv["id"], "tool_call_id": "call-bad", "input": {"subject": "s", "body": "b"}}), "conversation_id"),
            (json!({"conversation_id": "nope", "tool_call_id": "call-bad", "input": {"subject": "s", "body": "b"}}), "conversation_id"),
            (json!({"tool_call_id": "call-bad", "input": {"subject": "s", "body": "b"}}), "conversation_id"),
            (good(""), "tool_call_id"),
            (good("   "), "tool_call_id"),
            (json!({"conversation_id": conv["id"], "input": {"subject": "s", "body": "b"}}), "tool_call_id"),
            (json!({"conversation_id": conv["id"], "tool_call_id": "call-bad"}), "input"),
        ];
        for (body, field) in &cases {
            let r = app.post(&path, &bot, body.clone()).await;
            assert_eq!(assert_bot_problem(&r, 422), [*field], "{body}: {}", r.text);
        }
        let r = app.post(&path, &bot, json!({"conversation_id": conv2["id"], "tool_call_id": "", "input": {"subject": "s"}})).await;
        let fields: BTreeSet<String> = assert_bot_problem(&r, 422).into_iter().collect();
        assert_eq!(fields, BTreeSet::from(["conversation_id", "input.body", "tool_call_id"].map(String::from)), "every bad field at once");

        // Tokens only, with `tools:invoke`.
        assert_bot_problem(&app.post(&path, &app.admin, good("call-jwt")).await, 403);
        assert_bot_problem(&app.post(&path, &app.operator, good("call-jwt")).await, 403);
        let chat = app.token(&[Scope::ConversationsWrite, Scope::TicketsWrite, Scope::TicketsRead]).await;
        let r = app.post(&path, &chat, good("call-scope")).await;
        assert_bot_problem(&r, 403);
        assert!(s(&r.body["detail"]).contains("tools:invoke"), "{}", r.text);
        app.request(reqwest::Method::POST, &path, None, Some(&good("call-anon"))).await.assert_problem(401);

        // Nothing was created: no ticket, no transcript entry, no reserved call id.
        assert_eq!(ticket_count(&app).await, 0);
        for c in [&conv, &conv2, &sales_conv] {
            let c = read_conversation(&app, &c["id"]).await;
            assert_eq!(c["messages"].as_array().unwrap().len(), 1, "{c}");
            assert_eq!(c["has_ticket"], false);
        }
        for id in ["call-bad", "call-x", "call-jwt", "call-scope"] {
            let r = app.post(&path, &bot, good(id)).await;
            assert_eq!(r.status, 201, "{id} was not used up by a refused call: {}", r.text);
        }
        assert_eq!(ticket_count(&app).await, 4);
    }
}

db_test! {
    async fn an_agents_cta_rules_are_its_enabled_ones_and_the_workspace_wide_ones(app: TestApp) {
        let agent = help_center(&app, "Helpdesk Bot").await;
        let other = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        let rule = |label: &str, agent_id: Value, enabled: bool| {
            let app = &app;
            let body = json!({"kind": "open_ticket", "label": label, "agent_id": agent_id, "enabled": enabled});
            async move {
                let r = app.post("/api/v1/cta-rules", &app.admin, body).await;
                assert_eq!(r.status, 201, "{}", r.text);
                s(&r.body["id"]).to_owned()
            }
        };
        let own = rule("Own", agent["id"].clone(), true).await;
        rule("Own, disabled", agent["id"].clone(), false).await;
        let wide = rule("Everyone", Value::Null, true).await;
        rule("Everyone, disabled", Value::Null, false).await;
        let others = rule("Other agent's", other["id"].clone(), true).await;
        let other_ws = app.post("/api/v1/cta-rules", &app.other_admin, json!({"kind": "open_ticket", "label": "Other workspace"})).await;
        assert_eq!(other_ws.status, 201, "{}", other_ws.text);

        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let path = format!("/api/v1/agents/{}/cta-rules", s(&agent["id"]));
        let r = app.get(&path, &chat).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(ids(&r.body), [own.clone(), wide.clone()]);
        let first = &r.body["data"][0];
        assert_eq!(first["label"], "Own");
        assert_eq!(first["kind"], "open_ticket");
        assert_eq!(first["enabled"], true);
        assert_eq!(first["agent_id"], agent["id"]);
        assert_eq!(app.get(&path, &app.admin).await.body["data"], r.body["data"]);
        let r = app.get(&format!("/api/v1/agents/{}/cta-rules", s(&other["id"])), &chat).await;
        assert_eq!(ids(&r.body), [wide.clone(), others.clone()]);

        // Disabling and re-scoping show up at once.
        let p = app.patch(&format!("/api/v1/cta-rules/{own}"), &app.admin, json!({"enabled": false})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        let p = app.patch(&format!("/api/v1/cta-rules/{others}"), &app.admin, json!({"agent_id": null})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(ids(&app.get(&path, &chat).await.body), [wide, others]);

        // Who may ask.
        app.get(&path, &app.operator).await.assert_problem(403);
        app.get(&path, &app.token(&[Scope::ToolsInvoke, Scope::TicketsRead]).await).await.assert_problem(403);
        app.get(&path, &app.other_admin).await.assert_problem(404);
        app.get(&path, &app.other_token(&[Scope::ConversationsWrite]).await).await.assert_problem(404);
        app.get(&format!("/api/v1/agents/{}/cta-rules", Uuid::new_v4()), &chat).await.assert_problem(404);
    }
}

db_test! {
    async fn a_tool_call_id_reused_in_another_conversation_opens_its_own_ticket_and_leaks_nothing(app: TestApp) {
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let sam = conversation(&app, &bot, &agent["id"], json!({"visitor": {"name": "Sam", "email": "sam@example.com"}})).await;
        let tom = conversation(&app, &bot, &agent["id"], json!({"visitor": {"name": "Tom"}})).await;
        let path = invocation_path(&agent["id"], "open_ticket");
        let input = json!({"subject": "Sam's refund", "body": "Sam's card details and order."});
        let first = app.post(&path, &bot, json!({"conversation_id": sam["id"], "tool_call_id": "call_1", "input": input})).await;
        assert_eq!(first.status, 201, "{}", first.text);
        let reused = app
            .post(&path, &bot, json!({"conversation_id": tom["id"], "tool_call_id": "call_1", "input": {"subject": "Tom", "body": "b"}}))
            .await;
        // Backends number calls per chat: Tom's `call_1` is Tom's own call (see tool_calls.rs).
        assert_eq!(reused.status, 201, "{}", reused.text);
        assert_ne!(reused.body["ticket"]["id"], first.body["ticket"]["id"]);
        assert!(!reused.text.contains("Sam"), "another visitor's ticket must not leak: {}", reused.text);
        // The real retry (same conversation) still answers the ticket.
        let retry = app.post(&path, &bot, json!({"conversation_id": sam["id"], "tool_call_id": "call_1", "input": input})).await;
        assert_eq!(retry.status, 200);
        assert_eq!(retry.body["ticket"]["id"], first.body["ticket"]["id"]);
    }
}

db_test! {
    async fn a_bad_token_still_gives_the_bot_a_sentence(app: TestApp) {
        let agent = help_center(&app, "Helpdesk Bot").await;
        let path = invocation_path(&agent["id"], "open_ticket");
        let body = json!({"conversation_id": uuid::Uuid::nil(), "tool_call_id": "c", "input": {}});
        for token in [None, Some("tkd_unknown_secret"), Some("not-a-jwt")] {
            let r = app.request(reqwest::Method::POST, &path, token, Some(&body)).await;
            assert_bot_problem(&r, 401);
        }
        // Other endpoints' 401s carry no bot sentence.
        let r = app.request(reqwest::Method::GET, "/api/v1/tickets", None, None).await;
        r.assert_problem(401);
        assert!(r.body.get("message").is_none());
    }
}
