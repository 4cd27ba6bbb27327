//! The ticket thread: requester, comments, their effects, on both databases.

use domain::auth::Scope;
use domain::notification::EventType;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn comments_path(reference: &str) -> String {
    format!("/api/v1/tickets/{reference}/comments")
}

async fn post_comment(app: &TestApp, token: &str, reference: &str, kind: &str, body: &str) -> Response {
    app.post(&comments_path(reference), token, json!({"kind": kind, "body": body})).await
}

async fn ticket_with_requester(app: &TestApp, subject: &str) -> Value {
    app.create_ticket(
        &app.operator,
        json!({"subject": subject, "body": "It broke.", "requester": {"name": "Jane Doe", "email": "Jane@Example.com"}}),
    )
    .await
}

#[allow(clippy::unwrap_used)]
async fn events(app: &TestApp, reference: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/tickets/{reference}/events"), &app.admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

/// The reply deliveries queued for a comment: (target_kind, target, status, message_id).
#[allow(clippy::unwrap_used)]
async fn reply_deliveries(app: &TestApp, comment_id: &str) -> Vec<(String, String, String, Option<String>)> {
    let conn = app.store.connection();
    let backend = conn.get_database_backend();
    let sql = match app.db {
        Db::Postgres => {
            "SELECT target_kind, target, status, message_id FROM deliveries WHERE comment_id = $1"
        }
        Db::Sqlite => "SELECT target_kind, target, status, message_id FROM deliveries WHERE comment_id = ?",
    };
    let id = uuid::Uuid::parse_str(comment_id).unwrap();
    conn.query_all_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
                row.try_get_by_index(3).unwrap(),
            )
        })
        .collect()
}

db_test! {
    async fn notes_replies_and_customer_comments_make_a_thread_with_their_effects(app: TestApp) {
        let t = ticket_with_requester(&app, "Refund").await;
        assert_eq!(t["requester"], json!({"name": "Jane Doe", "email": "jane@example.com"}));
        assert!(t["first_responded_at"].is_null());
        let reference = s(&t["reference"]);

        let note = post_comment(&app, &app.operator, reference, "note", "Checking with billing.\nLine two.").await;
        assert_eq!(note.status, 201, "{}", note.text);
        assert_eq!(note.body["kind"], "note");
        assert_eq!(note.body["body"], "Checking with billing.\nLine two.");
        assert_eq!(note.body["author"], json!({"type": "user", "id": app.operator_id, "name": "Olivia Operator", "email": OPERATOR_EMAIL}));
        assert!(note.body["delivery"].is_null());
        assert_eq!(note.body["ticket_id"], t["id"]);
        let after_note = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await;
        assert!(after_note.body["first_responded_at"].is_null(), "a note is no response");

        let reply = post_comment(&app, &app.operator, reference, "reply", "Hi Jane, the refund went out.").await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        assert_eq!(reply.body["delivery"], json!({"status": "queued", "attempts": 0, "last_error": null, "sent_at": null}));
        let queued = reply_deliveries(&app, s(&reply.body["id"])).await;
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!((queued[0].0.as_str(), queued[0].1.as_str(), queued[0].2.as_str()), ("reply", "jane@example.com", "pending"));
        assert_eq!(queued[0].3, Some(format!("<{}@acme.test>", s(&reply.body["id"]))), "a stable Message-ID");
        let responded = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
        let first = responded["first_responded_at"].clone();
        assert!(first.is_string(), "{responded}");

        // A second reply keeps the first response time; a customer comment by the admin.
        post_comment(&app, &app.admin, reference, "reply", "One more thing.").await;
        let customer = post_comment(&app, &app.admin, reference, "customer", "Thanks, got it (phone call).").await;
        assert_eq!(customer.status, 201, "{}", customer.text);
        assert_eq!(customer.body["author"], json!({"type": "requester", "id": null, "name": "Jane Doe", "email": "jane@example.com"}));

        let detail = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
        assert_eq!(detail["comments_count"], 4);
        assert_eq!(detail["first_responded_at"], first);
        assert_eq!(detail["status"], "open", "a customer comment on an open ticket leaves its status");

        let list = app.get(&comments_path(reference), &app.admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        let kinds: Vec<&str> = list.body["data"].as_array().unwrap().iter().map(|c| s(&c["kind"])).collect();
        assert_eq!(kinds, ["note", "reply", "reply", "customer"], "oldest first");
        assert_eq!(list.body["meta"]["total"], 4);
        assert!(list.body["meta"]["next_cursor"].is_null());

        // The activity log: `commented` with the kind, by who recorded it.
        let log: Vec<(String, String, String)> = events(&app, reference)
            .await
            .iter()
            .filter(|e| e["kind"] == "commented")
            .map(|e| (s(&e["to"]).to_owned(), s(&e["actor"]["type"]).to_owned(), e["actor"]["name"].as_str().unwrap_or("").to_owned()))
            .collect();
        assert_eq!(
            log,
            [
                ("note".into(), "user".into(), "Olivia Operator".into()),
                ("reply".into(), "user".into(), "Olivia Operator".into()),
                ("reply".into(), "user".into(), "Alex Admin".into()),
                ("customer".into(), "user".into(), "Alex Admin".into()),
            ]
        );

        // One outbox event per comment.
        let created: Vec<_> = app
            .store
            .events_after(app.acme.id, uuid::Uuid::nil(), 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.event_type == EventType::TicketCommentCreated)
            .collect();
        assert_eq!(created.len(), 4);
        assert_eq!(created[1].data["comment"]["id"], reply.body["id"]);
        assert_eq!(created[1].data["comment"]["delivery"]["status"], "queued");
        assert_eq!(created[1].data["ticket"]["reference"], reference);
    }
}

db_test! {
    async fn a_customer_comment_reopens_a_resolved_ticket(app: TestApp) {
        for (assign, reopened) in [(false, "open"), (true, "pending")] {
            let t = ticket_with_requester(&app, "Resolved one").await;
            let reference = s(&t["reference"]);
            let mut patch = json!({"status": "resolved"});
            if assign {
                patch["assigned_to_user_id"] = json!(app.operator_id);
            }
            let r = app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, patch).await;
            assert_eq!(r.body["status"], "resolved", "{}", r.text);
            assert!(r.body["resolved_at"].is_string());
            let c = post_comment(&app, &app.admin, reference, "customer", "It broke again.").await;
            assert_eq!(c.status, 201, "{}", c.text);
            assert_eq!(c.body["ticket_id"], t["id"]);
            let after = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
            assert_eq!(after["status"], reopened);
            assert!(after["resolved_at"].is_null());
            let log = events(&app, reference).await;
            let reopen = log.iter().find(|e| e["kind"] == "reopened").expect("logged reopened");
            assert_eq!((reopen["from"].as_str(), reopen["to"].as_str()), (Some("resolved"), Some(reopened)));
        }
        // Notes and replies do not reopen.
        let t = ticket_with_requester(&app, "Stays resolved").await;
        let reference = s(&t["reference"]);
        app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "resolved"})).await;
        post_comment(&app, &app.admin, reference, "note", "Closing the loop.").await;
        post_comment(&app, &app.admin, reference, "reply", "Glad it works.").await;
        assert_eq!(app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body["status"], "resolved");
    }
}

db_test! {
    async fn a_customer_comment_on_a_closed_ticket_opens_a_follow_up(app: TestApp) {
        let t = ticket_with_requester(&app, "Old problem").await;
        let reference = s(&t["reference"]);
        app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "closed", "priority": "high"})).await;
        let c = post_comment(&app, &app.admin, reference, "customer", "Hello again, same problem.").await;
        assert_eq!(c.status, 201, "{}", c.text);
        assert_ne!(c.body["ticket_id"], t["id"]);
        let follow_up = app.get(&format!("/api/v1/tickets/{}", s(&c.body["ticket_id"])), &app.admin).await.body;
        assert_eq!(follow_up["metadata"]["follow_up_of"], reference);
        assert_eq!(follow_up["body"], "Hello again, same problem.");
        assert_eq!(follow_up["subject"], "Old problem");
        assert_eq!(follow_up["priority"], "high");
        assert_eq!(follow_up["status"], "open");
        assert_eq!(follow_up["requester"], t["requester"]);
        assert_eq!(follow_up["comments_count"], 1);
        let thread = app.get(&comments_path(s(&follow_up["reference"])), &app.admin).await.body;
        assert_eq!(thread["data"][0]["id"], c.body["id"]);
        assert_eq!(thread["data"][0]["kind"], "customer");
        let old = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
        assert_eq!(old["status"], "closed");
        assert_eq!(old["comments_count"], 0);
    }
}

db_test! {
    async fn a_reply_needs_the_requesters_address_and_a_mail_transport(app: TestApp) {
        let bare = app.ticket("No requester").await;
        let reference = s(&bare["reference"]);
        let fields = post_comment(&app, &app.operator, reference, "reply", "Hello?").await.assert_problem(422);
        assert_eq!(fields, ["requester"]);
        // A requester with a name only is no address either.
        app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"requester": {"name": "Jo"}})).await;
        let fields = post_comment(&app, &app.operator, reference, "reply", "Hello?").await.assert_problem(422);
        assert_eq!(fields, ["requester"]);

        let t = ticket_with_requester(&app, "No transport").await;
        let reference = s(&t["reference"]);
        let no_mail = app.spawn_server_without_mail().await;
        let r = app
            .request_at(&no_mail, reqwest::Method::POST, &comments_path(reference), Some(&app.operator), Some(&json!({"kind": "reply", "body": "Hi"})))
            .await;
        r.assert_problem(409);
        assert!(s(&r.body["detail"]).contains("TICKETD_SMTP_URL"), "{}", r.text);
        let detail = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
        assert_eq!(detail["comments_count"], 0, "nothing saved");
        assert!(detail["first_responded_at"].is_null());
        // Notes still work there.
        let r = app
            .request_at(&no_mail, reqwest::Method::POST, &comments_path(reference), Some(&app.operator), Some(&json!({"kind": "note", "body": "Hi"})))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
}

db_test! {
    async fn bodies_kinds_pages_scopes_and_workspaces(app: TestApp) {
        let t = ticket_with_requester(&app, "Validation").await;
        let reference = s(&t["reference"]);
        assert_eq!(post_comment(&app, &app.operator, reference, "note", "  \n ").await.assert_problem(422), ["body"]);
        let long = "x".repeat(20_001);
        assert_eq!(post_comment(&app, &app.operator, reference, "note", &long).await.assert_problem(422), ["body"]);
        assert_eq!(post_comment(&app, &app.operator, reference, "note", &"x".repeat(20_000)).await.status, 201);
        assert_eq!(post_comment(&app, &app.operator, reference, "shout", "Hi").await.assert_problem(422), ["kind"]);
        let r = app.post(&comments_path(reference), &app.operator, json!({"kind": "note"})).await;
        assert_eq!(r.assert_problem(422), ["body"]);

        for i in 0..4 {
            post_comment(&app, &app.operator, reference, "note", &format!("note {i}")).await;
        }
        // Five comments, two at a time.
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{}?per_page=2&cursor={c}", comments_path(reference)),
                None => format!("{}?per_page=2", comments_path(reference)),
            };
            let page = app.get(&path, &app.operator).await;
            assert_eq!(page.status, 200, "{}", page.text);
            assert_eq!(page.body["meta"]["total"], 5);
            assert_eq!(page.body["meta"]["per_page"], 2);
            for c in page.body["data"].as_array().unwrap() {
                seen.push(c["id"].clone());
            }
            match page.body["meta"]["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| s(a).cmp(s(b)));
        assert_eq!(seen, sorted, "oldest first (ids are time-ordered)");
        app.get(&format!("{}?per_page=101", comments_path(reference)), &app.operator).await.assert_problem(422);
        app.get(&format!("{}?cursor=garbage", comments_path(reference)), &app.operator).await.assert_problem(422);

        // Another workspace: 404 both ways, as for a missing ticket.
        app.get(&comments_path(reference), &app.other_admin).await.assert_problem(404);
        post_comment(&app, &app.other_admin, reference, "note", "Hijack").await.assert_problem(404);
        app.get(&comments_path("ACME-999"), &app.admin).await.assert_problem(404);
        app.get(&comments_path(&uuid::Uuid::now_v7().to_string()), &app.admin).await.assert_problem(404);

        // Tokens: tickets:read reads, tickets:write posts all three kinds.
        let reader = app.token(&[Scope::TicketsRead]).await;
        assert_eq!(app.get(&comments_path(reference), &reader).await.status, 200);
        post_comment(&app, &reader, reference, "note", "No").await.assert_problem(403);
        let chat = app.token(&[Scope::ConversationsWrite]).await;
        app.get(&comments_path(reference), &chat).await.assert_problem(403);
        let writer = app.token(&[Scope::TicketsWrite]).await;
        for kind in ["note", "reply", "customer"] {
            let r = post_comment(&app, &writer, reference, kind, "From the integration").await;
            assert_eq!(r.status, 201, "{kind}: {}", r.text);
            let author = if kind == "customer" { "requester" } else { "token" };
            assert_eq!(r.body["author"]["type"], author, "{kind}");
            if author == "token" {
                assert_eq!(r.body["author"]["name"], "test token");
            }
        }
        let log = events(&app, reference).await;
        let by_token = log.iter().filter(|e| e["kind"] == "commented" && e["actor"]["type"] == "token").count();
        assert_eq!(by_token, 3, "who recorded it is logged");
        let anonymous = app.client.get(format!("{}{}", app.address, comments_path(reference))).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
    }
}

db_test! {
    async fn the_requester_comes_from_the_request_the_patch_and_the_chat(app: TestApp) {
        // POST /tickets: a bad address names the field; blank parts are no requester.
        let r = app.post("/api/v1/tickets", &app.operator, json!({"subject": "S", "body": "B", "requester": {"email": "nope"}})).await;
        assert_eq!(r.assert_problem(422), ["requester.email"]);
        let plain = app.create_ticket(&app.operator, json!({"subject": "S", "body": "B", "requester": {"name": " ", "email": ""}})).await;
        assert!(plain["requester"].is_null());
        let reference = s(&plain["reference"]);

        // PATCH replaces it and logs the change; a bad address changes nothing.
        let path = format!("/api/v1/tickets/{reference}");
        let fields = app.patch(&path, &app.operator, json!({"requester": {"name": "Jo", "email": "bad@"}})).await.assert_problem(422);
        assert_eq!(fields, ["requester.email"]);
        let r = app.patch(&path, &app.operator, json!({"requester": {"name": "Jo Smith", "email": "JO@example.com"}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["requester"], json!({"name": "Jo Smith", "email": "jo@example.com"}));
        let change = events(&app, reference).await.into_iter().find(|e| e["kind"] == "requester_changed").expect("logged");
        assert_eq!((change["from"].clone(), change["to"].clone()), (Value::Null, json!("Jo Smith <jo@example.com>")));
        let r = app.patch(&path, &app.operator, json!({"requester": null})).await;
        assert!(r.body["requester"].is_null(), "{}", r.text);
        let r = app.patch(&path, &app.operator, json!({"requester": ["Jo"]})).await;
        assert_eq!(r.assert_problem(422), ["requester"]);

        // The chat paths: the conversation's visitor; the tool's `email` where the visitor has none.
        let agent = app.store.create_agent(app.acme.id, "Help", domain::agent::Vertical::HelpCenter, &Default::default()).await.unwrap();
        let bot = app.token(&[Scope::ConversationsWrite, Scope::ToolsInvoke]).await;
        let conversation = |visitor: Value| {
            let app = &app;
            let bot = bot.clone();
            async move {
                let r = app.post("/api/v1/conversations", &bot, json!({"agent_id": agent.id, "visitor": visitor, "messages": [{"role": "visitor", "content": "Help"}]})).await;
                assert_eq!(r.status, 201, "{}", r.text);
                r.body["id"].as_str().unwrap().to_owned()
            }
        };
        let with_email = conversation(json!({"name": "Vera Visitor", "email": "vera@example.com"})).await;
        let r = app.post(&format!("/api/v1/conversations/{with_email}/escalate"), &app.operator, json!({"subject": "Escalated", "body": "Needs a human"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let escalated = if r.body.get("ticket").is_some() { r.body["ticket"].clone() } else { r.body.clone() };
        assert_eq!(escalated["requester"], json!({"name": "Vera Visitor", "email": "vera@example.com"}));

        let invoke = format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent.id);
        let nameless = conversation(json!({"name": "Nadia"})).await;
        let r = app.post(&invoke, &bot, json!({"conversation_id": nameless, "tool_call_id": "call-a", "input": {"subject": "S", "body": "B", "email": "Nadia@Example.com"}})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["ticket"]["requester"], json!({"name": "Nadia", "email": "nadia@example.com"}));
        let r = app.post(&invoke, &bot, json!({"conversation_id": with_email, "tool_call_id": "call-b", "input": {"subject": "S", "body": "B", "email": "other@example.com"}})).await;
        assert_eq!(r.body["ticket"]["requester"]["email"], "vera@example.com", "the visitor's own address first");
        let r = app.post(&invoke, &bot, json!({"conversation_id": nameless, "tool_call_id": "call-c", "input": {"subject": "S", "body": "B", "email": "not an address"}})).await;
        assert_eq!(r.assert_problem(422), ["input.email"]);

        let tools = app.get(&format!("/api/v1/agents/{}/tools", agent.id), &app.admin).await;
        let schema = &tools.body["data"][0]["input_schema"];
        assert_eq!(schema["properties"]["email"]["format"], "email", "{schema}");
    }
}
