//! CTA rules: the admin CRUD and the clicks the chat backend relays. The buttons an agent's
//! widget shows (`GET /agents/{id}/cta-rules`) are in `agents.rs`.

// Helpers outside `db_test!` bodies unwrap too; `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use domain::auth::Scope;
use futures_util::future::join_all;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::agents::{
    conversation, create_agent, help_center, messages_with_role, read_conversation, ticket_count,
};
use crate::db_test;
use crate::helpers::*;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// Creates a CTA rule as the ACME admin and returns its JSON.
async fn create_rule(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/cta-rules", &app.admin, body).await;
    assert_eq!(r.status, 201, "create CTA rule: {}", r.text);
    r.body
}

fn rule_path(rule: &Value) -> String {
    format!("/api/v1/cta-rules/{}", s(&rule["id"]))
}

fn clicks_path(rule: &Value) -> String {
    format!("/api/v1/cta-rules/{}/clicks", s(&rule["id"]))
}

async fn rule_count(app: &TestApp) -> usize {
    let r = app.get("/api/v1/cta-rules", &app.admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().len()
}

db_test! {
    async fn admins_create_cta_rules_with_defaults_and_checked_fields(app: TestApp) {
        let agent = help_center(&app, "Helpdesk Bot").await;
        let plain = create_rule(&app, json!({"kind": "open_ticket", "label": "  Talk to a human  "})).await;
        assert_eq!(plain["kind"], "open_ticket");
        assert_eq!(plain["label"], "Talk to a human", "trimmed");
        assert_eq!(plain["priority"], "normal");
        assert_eq!(plain["enabled"], true);
        assert_eq!(plain["agent_id"], Value::Null);
        assert_eq!(plain["subject_template"], Value::Null);
        assert!(plain["id"].as_str().unwrap().parse::<Uuid>().is_ok());
        assert!(plain["created_at"].is_string() && plain["updated_at"].is_string());

        let full = create_rule(
            &app,
            json!({
                "kind": "open_ticket",
                "label": "Request a callback",
                "agent_id": agent["id"],
                "subject_template": "Callback for {visitor_name} ({visitor_email}) via {agent_name}: {first_message}",
                "priority": "high",
                "enabled": false
            }),
        )
        .await;
        assert_eq!(full["agent_id"], agent["id"]);
        assert_eq!(full["subject_template"], "Callback for {visitor_name} ({visitor_email}) via {agent_name}: {first_message}");
        assert_eq!(full["priority"], "high");
        assert_eq!(full["enabled"], false);
        let blank = create_rule(&app, json!({"kind": "open_ticket", "label": "Blank", "subject_template": "   "})).await;
        assert_eq!(blank["subject_template"], Value::Null, "a blank template is none");

        let one = app.get(&rule_path(&full), &app.admin).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert_eq!(one.body, full);
        let list = app.get("/api/v1/cta-rules", &app.admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        let listed: Vec<&Value> = list.body["data"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
        assert_eq!(listed, [&plain["id"], &full["id"], &blank["id"]], "oldest first");

        // Refused: 422 naming the field, nothing created.
        let other_agent = app.post("/api/v1/agents", &app.other_admin, json!({"name": "Other Bot", "vertical": "help_center"})).await;
        assert_eq!(other_agent.status, 201);
        let deleted = help_center(&app, "Deleted Bot").await;
        assert_eq!(app.delete(&format!("/api/v1/agents/{}", s(&deleted["id"])), &app.admin).await.status, 204);
        let cases = [
            (json!({"kind": "close_ticket", "label": "x"}), "kind"),
            (json!({"label": "x"}), "kind"),
            (json!({"kind": "open_ticket", "label": ""}), "label"),
            (json!({"kind": "open_ticket", "label": "   "}), "label"),
            (json!({"kind": "open_ticket", "label": "x".repeat(61)}), "label"),
            (json!({"kind": "open_ticket"}), "label"),
            (json!({"kind": "open_ticket", "label": "x", "subject_template": "Help for {foo}"}), "subject_template"),
            (json!({"kind": "open_ticket", "label": "x", "subject_template": "Help for {visitor_name"}), "subject_template"),
            (json!({"kind": "open_ticket", "label": "x", "subject_template": "x".repeat(201)}), "subject_template"),
            (json!({"kind": "open_ticket", "label": "x", "agent_id": other_agent.body["id"]}), "agent_id"),
            (json!({"kind": "open_ticket", "label": "x", "agent_id": Uuid::new_v4()}), "agent_id"),
            (json!({"kind": "open_ticket", "label": "x", "agent_id": deleted["id"]}), "agent_id"),
            (json!({"kind": "open_ticket", "label": "x", "agent_id": "nope"}), "agent_id"),
            (json!({"kind": "open_ticket", "label": "x", "priority": "extreme"}), "priority"),
            (json!({"kind": "open_ticket", "label": "x", "enabled": "yes"}), "enabled"),
            (json!({"kind": "open_ticket", "label": "x", "colour": "red"}), "colour"),
        ];
        for (body, field) in &cases {
            let r = app.post("/api/v1/cta-rules", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [*field], "{body}: {}", r.text);
        }
        let r = app
            .post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "", "subject_template": "{foo}"}))
            .await;
        let fields: BTreeSet<String> = r.assert_problem(422).into_iter().collect();
        assert_eq!(fields, BTreeSet::from(["label".to_owned(), "subject_template".to_owned()]), "both at once");
        assert_eq!(rule_count(&app).await, 3);
        assert!(app.get("/api/v1/cta-rules", &app.other_admin).await.body["data"].as_array().unwrap().is_empty());
    }
}

db_test! {
    async fn admins_patch_and_delete_cta_rules(app: TestApp) {
        let agent = help_center(&app, "Helpdesk Bot").await;
        let rule = create_rule(
            &app,
            json!({"kind": "open_ticket", "label": "Talk to a human", "agent_id": agent["id"], "subject_template": "Help for {visitor_name}"}),
        )
        .await;
        let path = rule_path(&rule);

        let r = app.patch(&path, &app.admin, json!({"label": "Get help", "enabled": false, "priority": "urgent"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((&r.body["label"], &r.body["enabled"], &r.body["priority"]), (&json!("Get help"), &json!(false), &json!("urgent")));
        assert_eq!(r.body["agent_id"], agent["id"], "absent fields stay");
        assert_eq!(r.body["subject_template"], "Help for {visitor_name}");

        let r = app.patch(&path, &app.admin, json!({"agent_id": null, "subject_template": null})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["agent_id"], Value::Null, "null: every agent");
        assert_eq!(r.body["subject_template"], Value::Null, "null: no template");
        assert_eq!(r.body["label"], "Get help");

        let r = app.patch(&path, &app.admin, json!({"agent_id": agent["id"], "subject_template": "{agent_name} callback", "enabled": true})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["agent_id"], agent["id"]);
        assert_eq!(r.body["subject_template"], "{agent_name} callback");
        assert_eq!(r.body["enabled"], true);
        let before = r.body;

        // Refused patches change nothing.
        let other_agent = app.post("/api/v1/agents", &app.other_admin, json!({"name": "Other Bot", "vertical": "help_center"})).await;
        let cases = [
            (json!({"label": ""}), "label"),
            (json!({"label": null}), "label"),
            (json!({"enabled": null}), "enabled"),
            (json!({"priority": null}), "priority"),
            (json!({"priority": "extreme"}), "priority"),
            (json!({"subject_template": "Hi {foo}"}), "subject_template"),
            (json!({"agent_id": other_agent.body["id"]}), "agent_id"),
            (json!({"agent_id": Uuid::new_v4()}), "agent_id"),
            (json!({"kind": "open_ticket"}), "kind"),
        ];
        for (body, field) in &cases {
            let r = app.patch(&path, &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [*field], "{body}: {}", r.text);
        }
        let after = app.get(&path, &app.admin).await.body;
        assert_eq!(after, before);

        // Other workspaces: 404 like a missing rule.
        app.get(&path, &app.other_admin).await.assert_problem(404);
        app.patch(&path, &app.other_admin, json!({"label": "Hijacked"})).await.assert_problem(404);
        app.delete(&path, &app.other_admin).await.assert_problem(404);
        let missing = format!("/api/v1/cta-rules/{}", Uuid::new_v4());
        app.get(&missing, &app.admin).await.assert_problem(404);
        app.patch(&missing, &app.admin, json!({"label": "x"})).await.assert_problem(404);
        app.get("/api/v1/cta-rules/not-a-uuid", &app.admin).await.assert_problem(404);

        let r = app.delete(&path, &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(r.text.is_empty());
        app.get(&path, &app.admin).await.assert_problem(404);
        app.patch(&path, &app.admin, json!({"label": "Back"})).await.assert_problem(404);
        app.delete(&path, &app.admin).await.assert_problem(404);
        assert_eq!(rule_count(&app).await, 0);
    }
}

db_test! {
    async fn only_admins_manage_cta_rules(app: TestApp) {
        let rule = create_rule(&app, json!({"kind": "open_ticket", "label": "Talk to a human"})).await;
        let path = rule_path(&rule);
        let chat = app.token(&[Scope::ConversationsWrite, Scope::ToolsInvoke, Scope::TicketsRead, Scope::TicketsWrite]).await;
        for token in [&app.operator, &chat] {
            app.get("/api/v1/cta-rules", token).await.assert_problem(403);
            app.get(&path, token).await.assert_problem(403);
            app.post("/api/v1/cta-rules", token, json!({"kind": "open_ticket", "label": "Mine"})).await.assert_problem(403);
            app.patch(&path, token, json!({"label": "Mine"})).await.assert_problem(403);
            app.delete(&path, token).await.assert_problem(403);
        }
        app.request(reqwest::Method::GET, "/api/v1/cta-rules", None, None).await.assert_problem(401);
        let admin_token = app.token(&[Scope::Admin]).await;
        assert_eq!(app.get(&path, &admin_token).await.status, 200);
        let r = app.post("/api/v1/cta-rules", &admin_token, json!({"kind": "open_ticket", "label": "By token"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(rule_count(&app).await, 2);
        assert_eq!(app.get(&path, &app.admin).await.body["label"], "Talk to a human");
    }
}

db_test! {
    async fn a_click_opens_one_ticket_per_open_problem(app: TestApp) {
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(
            &app,
            &chat,
            &agent["id"],
            json!({
                "visitor": {"name": "Jane Doe", "email": "jane@example.com"},
                "messages": [
                    {"role": "visitor", "content": "My order #5521 never arrived"},
                    {"role": "assistant", "content": "Sorry to hear that! Can I help?"},
                    {"role": "visitor", "content": "It was due last Monday"}
                ]
            }),
        )
        .await;
        let rule = create_rule(
            &app,
            json!({"kind": "open_ticket", "label": "Talk to a human", "agent_id": agent["id"], "subject_template": "Callback for {visitor_name} via {agent_name}", "priority": "high"}),
        )
        .await;
        let click = json!({"conversation_id": conv["id"]});

        let r = app.post(&clicks_path(&rule), &chat, click.clone()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let reference = s(&r.body["reference"]).to_owned();
        let ticket = r.body["ticket"].clone();
        assert_eq!(ticket["reference"], reference.as_str());
        assert!(s(&r.body["message"]).contains(&reference), "{}", r.text);
        assert_eq!(ticket["metadata"], json!({"source": "cta", "rule_id": rule["id"]}));
        assert_eq!(ticket["priority"], "high");
        assert_eq!(ticket["status"], "open");
        assert_eq!(ticket["subject"], "Callback for Jane Doe via Helpdesk Bot");
        assert_eq!(ticket["conversation_id"], conv["id"]);
        assert_eq!(ticket["agent_id"], agent["id"]);
        let body = s(&ticket["body"]);
        assert!(body.contains("Talk to a human"), "{body}");
        assert!(body.contains("> My order #5521 never arrived") && body.contains("> It was due last Monday"), "{body}");
        assert!(!body.contains("Sorry to hear that"), "only the visitor's messages: {body}");
        assert!(body.contains("jane@example.com"), "{body}");

        // The transcript records the click.
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(c["messages"].as_array().unwrap().len(), 4, "{c}");
        let last = c["messages"].as_array().unwrap().last().unwrap();
        assert_eq!(last["role"], "system");
        assert!(s(&last["content"]).contains(&reference), "{last}");
        assert_eq!(c["has_ticket"], true);
        let t = app.get(&format!("/api/v1/tickets/{reference}"), &app.operator).await;
        assert_eq!(t.status, 200, "{}", t.text);
        assert_eq!(t.body["conversation"]["messages"].as_array().unwrap().len(), 4);

        // Clicking again answers the open ticket.
        let again = app.post(&clicks_path(&rule), &chat, click.clone()).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.body["ticket"]["id"], ticket["id"]);
        assert_eq!(again.body["reference"], reference.as_str());
        assert!(s(&again.body["message"]).contains(&reference));
        // …also while it is pending.
        let p = app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "pending"})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        let again = app.post(&clicks_path(&rule), &chat, click.clone()).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.body["ticket"]["id"], ticket["id"]);
        assert_eq!(ticket_count(&app).await, 1);
        assert_eq!(messages_with_role(&read_conversation(&app, &conv["id"]).await, "system").len(), 1);

        // Once resolved, a click is a new problem: a new ticket.
        let p = app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "resolved"})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        let fresh = app.post(&clicks_path(&rule), &chat, click.clone()).await;
        assert_eq!(fresh.status, 201, "{}", fresh.text);
        assert_ne!(fresh.body["ticket"]["id"], ticket["id"]);
        assert_ne!(fresh.body["reference"], reference.as_str());
        assert_eq!(fresh.body["ticket"]["metadata"]["rule_id"], rule["id"]);
        let again = app.post(&clicks_path(&rule), &chat, click.clone()).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.body["ticket"]["id"], fresh.body["ticket"]["id"]);
        assert_eq!(ticket_count(&app).await, 2);
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "system").len(), 2, "{c}");
        assert_eq!(c["tickets"].as_array().unwrap().len(), 2);

        // Another button on the same conversation is its own ticket; without a template the
        // subject is the visitor's first message, and the priority defaults to normal.
        let wide = create_rule(&app, json!({"kind": "open_ticket", "label": "Report a problem"})).await;
        let r = app.post(&clicks_path(&wide), &chat, click.clone()).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["ticket"]["subject"], "My order #5521 never arrived");
        assert_eq!(r.body["ticket"]["priority"], "normal");
        assert_eq!(r.body["ticket"]["metadata"], json!({"source": "cta", "rule_id": wide["id"]}));
        assert_eq!(ticket_count(&app).await, 3);
    }
}

db_test! {
    async fn workspace_wide_buttons_work_for_every_agent_even_before_the_visitor_writes(app: TestApp) {
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let sales = create_agent(&app, json!({"name": "Sales Bot", "vertical": "sales"})).await;
        let conv = conversation(&app, &chat, &sales["id"], json!({})).await;
        let templated = create_rule(
            &app,
            json!({"kind": "open_ticket", "label": "Call me", "subject_template": "Callback for {visitor_name} from {agent_name}", "priority": "low"}),
        )
        .await;
        let r = app.post(&clicks_path(&templated), &chat, json!({"conversation_id": conv["id"]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["ticket"]["subject"], "Callback for a visitor from Sales Bot");
        assert_eq!(r.body["ticket"]["priority"], "low");
        assert!(!s(&r.body["ticket"]["body"]).trim().is_empty());
        assert_eq!(r.body["ticket"]["agent_id"], sales["id"]);

        let plain = create_rule(&app, json!({"kind": "open_ticket", "label": "Talk to us"})).await;
        let r = app.post(&clicks_path(&plain), &chat, json!({"conversation_id": conv["id"]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let subject = s(&r.body["ticket"]["subject"]);
        assert!(subject.starts_with("Talk to us"), "the label when there is nothing to quote: {subject}");
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "system").len(), 2, "{c}");
    }
}

db_test! {
    async fn refused_clicks_open_nothing(app: TestApp) {
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let second = help_center(&app, "Second Bot").await;
        let hello = json!({"messages": [{"role": "visitor", "content": "Hello"}]});
        let conv = conversation(&app, &chat, &agent["id"], hello.clone()).await;
        let conv2 = conversation(&app, &chat, &second["id"], hello.clone()).await;
        let rule = create_rule(&app, json!({"kind": "open_ticket", "label": "Talk to a human", "agent_id": agent["id"]})).await;
        let disabled = create_rule(&app, json!({"kind": "open_ticket", "label": "Off", "enabled": false})).await;
        let foreign = app.post("/api/v1/cta-rules", &app.other_admin, json!({"kind": "open_ticket", "label": "Other"})).await;
        assert_eq!(foreign.status, 201, "{}", foreign.text);
        let other_chat = app.other_token(&[Scope::ConversationsWrite]).await;
        let other_agent = app.post("/api/v1/agents", &app.other_admin, json!({"name": "Other Bot", "vertical": "help_center"})).await;
        let other_conv = conversation(&app, &other_chat, &other_agent.body["id"], hello.clone()).await;
        let click = |c: &Value| json!({"conversation_id": c["id"]});

        let r = app.post(&clicks_path(&disabled), &chat, click(&conv)).await;
        r.assert_problem(409);
        app.post(&clicks_path(&foreign.body), &chat, click(&conv)).await.assert_problem(404);
        app.post(&clicks_path(&rule), &other_chat, click(&other_conv)).await.assert_problem(404);
        app.post(&format!("/api/v1/cta-rules/{}/clicks", Uuid::new_v4()), &chat, click(&conv)).await.assert_problem(404);
        app.post("/api/v1/cta-rules/not-a-uuid/clicks", &chat, click(&conv)).await.assert_problem(404);
        let cases = [
            (click(&conv2), "conversation_id"),
            (click(&other_conv), "conversation_id"),
            (json!({"conversation_id": Uuid::new_v4()}), "conversation_id"),
            (json!({"conversation_id": "nope"}), "conversation_id"),
            (json!({}), "conversation_id"),
        ];
        for (body, field) in &cases {
            let r = app.post(&clicks_path(&rule), &chat, body.clone()).await;
            assert_eq!(r.assert_problem(422), [*field], "{body}: {}", r.text);
        }
        // Tokens only, with `conversations:write`.
        app.post(&clicks_path(&rule), &app.admin, click(&conv)).await.assert_problem(403);
        app.post(&clicks_path(&rule), &app.operator, click(&conv)).await.assert_problem(403);
        let wrong = app.token(&[Scope::ToolsInvoke, Scope::TicketsWrite, Scope::TicketsRead]).await;
        let r = app.post(&clicks_path(&rule), &wrong, click(&conv)).await;
        r.assert_problem(403);
        assert!(s(&r.body["detail"]).contains("conversations:write"), "{}", r.text);
        app.request(reqwest::Method::POST, &clicks_path(&rule), None, Some(&click(&conv))).await.assert_problem(401);

        assert_eq!(ticket_count(&app).await, 0);
        for c in [&conv, &conv2] {
            let c = read_conversation(&app, &c["id"]).await;
            assert_eq!(c["messages"].as_array().unwrap().len(), 1, "{c}");
            assert_eq!(c["has_ticket"], false);
        }
        // Enabling the button makes it work.
        let p = app.patch(&rule_path(&disabled), &app.admin, json!({"enabled": true})).await;
        assert_eq!(p.status, 200, "{}", p.text);
        assert_eq!(app.post(&clicks_path(&disabled), &chat, click(&conv)).await.status, 201);
        assert_eq!(app.post(&clicks_path(&rule), &chat, click(&conv)).await.status, 201);
        assert_eq!(ticket_count(&app).await, 2);
    }
}

db_test! {
    async fn ten_concurrent_clicks_open_one_ticket(app: TestApp) {
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &chat, &agent["id"], json!({"messages": [{"role": "visitor", "content": "Help me please"}]})).await;
        let rule = create_rule(&app, json!({"kind": "open_ticket", "label": "Talk to a human"})).await;
        let path = clicks_path(&rule);
        let click = json!({"conversation_id": conv["id"]});
        let responses = join_all((0..10).map(|_| app.post(&path, &chat, click.clone()))).await;
        let mut created = 0;
        let mut ids = BTreeSet::new();
        for r in &responses {
            match r.status.as_u16() {
                201 => created += 1,
                200 => {}
                other => panic!("status {other}: {}", r.text),
            }
            ids.insert(s(&r.body["ticket"]["id"]).to_owned());
        }
        assert_eq!(created, 1, "exactly one 201");
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(ticket_count(&app).await, 1);
        let c = read_conversation(&app, &conv["id"]).await;
        assert_eq!(messages_with_role(&c, "system").len(), 1, "{c}");
        assert_eq!(c["tickets"].as_array().unwrap().len(), 1);
    }
}
