//! Tickets: creation, idempotency, numbering, reads, changes and the activity log.
//! The list (`GET /tickets`) is in `list.rs`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use domain::auth::Scope;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

/// The fields of a ticket object in the API's answers, no more, no less: tests compare its keys
/// with these.
pub(crate) const TICKET_FIELDS: [&str; 21] = [
    "id",
    "number",
    "reference",
    "workspace_id",
    "agent_id",
    "conversation_id",
    "subject",
    "body",
    "status",
    "priority",
    "assigned_to_user_id",
    "notes",
    "metadata",
    "resolved_at",
    "created_at",
    "updated_at",
    "first_response_due_at",
    "resolution_due_at",
    "sla",
    "requester",
    "first_responded_at",
];

/// An RFC 3339 time of a JSON field.
pub(crate) fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap_or_else(|| panic!("not a time: {v}")).parse().unwrap_or_else(|e| panic!("{v}: {e}"))
}

pub(crate) fn uuid(v: &Value) -> Uuid {
    Uuid::parse_str(v.as_str().unwrap_or_else(|| panic!("not a uuid: {v}"))).expect("uuid")
}

/// `POST /tickets` with an `Idempotency-Key`.
pub(crate) async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> Response {
    let req = app
        .client
        .post(format!("{}/api/v1/tickets", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body);
    TestApp::read(req.send().await.expect("request")).await
}

/// `GET /tickets` with these query parameters.
pub(crate) async fn list(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Response {
    let req = app.client.get(format!("{}/api/v1/tickets", app.address)).bearer_auth(token).query(query);
    TestApp::read(req.send().await.expect("request")).await
}

/// `meta.total` of the default list (asserting it is exact).
async fn total(app: &TestApp, token: &str, query: &[(&str, &str)]) -> u64 {
    let r = list(app, token, query).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["meta"]["total_exact"], true);
    r.body["meta"]["total"].as_u64().expect("total")
}

/// The activity log of a ticket (asserting 200).
pub(crate) async fn events(app: &TestApp, token: &str, key: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/tickets/{key}/events"), token).await;
    assert_eq!(r.status, 200, "events of {key}: {}", r.text);
    r.body["data"].as_array().expect("data").clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().expect("kind")).collect()
}

/// `PATCH /tickets/{key}` asserting 200; returns the ticket.
async fn patch_ok(app: &TestApp, token: &str, key: &str, body: Value) -> Value {
    let r = app.patch(&format!("/api/v1/tickets/{key}"), token, body.clone()).await;
    assert_eq!(r.status, 200, "PATCH {key} {body}: {}", r.text);
    r.body
}

/// `GET /tickets/{key}` asserting 200.
async fn get_ok(app: &TestApp, token: &str, key: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{key}"), token).await;
    assert_eq!(r.status, 200, "GET {key}: {}", r.text);
    r.body
}

/// The ticket part of a detail (without `conversation` and `assignee`).
fn bare(detail: &Value) -> Value {
    let mut t = detail.clone();
    let o = t.as_object_mut().expect("object");
    o.remove("conversation");
    o.remove("assignee");
    o.remove("comments_count");
    t
}

// ---------------------------------------------------------------------------------------
// Create

db_test! {
    async fn create_answers_201_with_every_field_and_a_location(app: TestApp) {
        let before = domain::time::now();
        let r = app.post("/api/v1/tickets", &app.operator, json!({"subject": "Printer on fire", "body": "It caught fire."})).await;
        let after = domain::time::now();
        assert_eq!(r.status, 201, "{}", r.text);
        assert!(r.content_type().starts_with("application/json"), "{}", r.content_type());
        let t = &r.body;
        let keys: BTreeSet<&str> = t.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, TICKET_FIELDS.into_iter().collect::<BTreeSet<_>>());
        uuid(&t["id"]);
        assert_eq!(t["number"], 1);
        assert_eq!(t["reference"], "ACME-1");
        assert_eq!(t["workspace_id"], app.acme.id.0.to_string());
        assert!(t["agent_id"].is_null() && t["conversation_id"].is_null());
        assert_eq!(t["subject"], "Printer on fire");
        assert_eq!(t["body"], "It caught fire.");
        assert_eq!(t["status"], "open");
        assert_eq!(t["priority"], "normal");
        assert!(t["assigned_to_user_id"].is_null() && t["notes"].is_null() && t["resolved_at"].is_null());
        assert_eq!(t["metadata"], json!({"source": "api"}));
        let created = time(&t["created_at"]);
        assert!(before <= created && created <= after, "{created} not in [{before}, {after}]");
        assert_eq!(t["created_at"], t["updated_at"]);
        assert!(t["created_at"].as_str().expect("time").ends_with('Z'), "UTC: {}", t["created_at"]);

        let location = r.headers.get("location").expect("Location").to_str().expect("ascii");
        assert_eq!(location, "/api/v1/tickets/ACME-1");
        let read = get_ok(&app, &app.admin, location.trim_start_matches("/api/v1/tickets/")).await;
        assert_eq!(bare(&read), *t);

        // The second one takes the next number.
        let second = app.ticket("Second").await;
        assert_eq!(second["number"], 2);
        assert_eq!(second["reference"], "ACME-2");
    }
}

db_test! {
    async fn create_trims_the_subject_and_checks_lengths(app: TestApp) {
        let t = app.create_ticket(&app.admin, json!({"subject": "  \t Printer on fire \n ", "body": "  Indented body.\n\n"})).await;
        assert_eq!(t["subject"], "Printer on fire");
        // The body keeps its leading whitespace (as written) but not trailing blank lines.
        assert_eq!(t["body"], "  Indented body.");

        // Limits count characters, not bytes.
        let max_subject = "é".repeat(120);
        let t = app.create_ticket(&app.admin, json!({"subject": max_subject, "body": "b".repeat(20_000)})).await;
        assert_eq!(t["subject"].as_str().expect("subject").chars().count(), 120);
        assert_eq!(t["body"].as_str().expect("body").len(), 20_000);

        let cases = [
            (json!({"subject": "x".repeat(121), "body": "b"}), vec!["subject"]),
            (json!({"subject": "", "body": "b"}), vec!["subject"]),
            (json!({"subject": "   ", "body": "b"}), vec!["subject"]),
            (json!({"subject": "s", "body": ""}), vec!["body"]),
            (json!({"subject": "s", "body": " \n\t "}), vec!["body"]),
            (json!({"subject": "s", "body": "b".repeat(20_001)}), vec!["body"]),
            (json!({"subject": "", "body": ""}), vec!["body", "subject"]),
        ];
        for (body, fields) in cases {
            let r = app.post("/api/v1/tickets", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), fields, "{body}");
            assert_eq!(r.body["type"], "https://ticketd.dev/problems/validation");
            for f in fields {
                assert!(!r.body["errors"][f][0].as_str().expect("message").is_empty());
            }
        }
        // Nothing was created by the failures.
        assert_eq!(total(&app, &app.admin, &[]).await, 2);
    }
}

db_test! {
    async fn create_names_the_field_of_a_bad_json_shape(app: TestApp) {
        let cases = [
            (json!({"subject": "s", "body": "b", "priority": "extreme"}), "priority"),
            (json!({"subject": 5, "body": "b"}), "subject"),
            (json!({"subject": null, "body": "b"}), "subject"),
            (json!({"subject": "s"}), "body"),
            (json!({"body": "b"}), "subject"),
            (json!({"subject": "s", "body": "b", "assigned_to_user_id": "bob"}), "assigned_to_user_id"),
            (json!({"subject": "s", "body": "b", "metadata": "not an object"}), "metadata"),
        ];
        for (body, field) in cases {
            let r = app.post("/api/v1/tickets", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [field], "{body}: {}", r.text);
        }
        // Malformed JSON and empty bodies are 400, never 500.
        for raw in [r#"{"subject":"#, "{,}", "", "   ", r#"{"subject": "s", "body": "b"} trailing"#, "nul"] {
            let r = app.raw(Method::POST, "/api/v1/tickets", &app.admin, raw.to_owned()).await;
            r.assert_problem(400);
            assert_eq!(r.body["type"], "https://ticketd.dev/problems/bad-request", "{raw}");
        }
        assert_eq!(total(&app, &app.admin, &[]).await, 0);
        // The first ticket after all those failures is still number 1.
        assert_eq!(app.ticket("First").await["number"], 1);
    }
}

db_test! {
    async fn create_rejects_a_body_over_256_kib_with_413(app: TestApp) {
        let raw = format!(r#"{{"subject": "big", "body": "{}"}}"#, "x".repeat(300 * 1024));
        let r = app.raw(Method::POST, "/api/v1/tickets", &app.admin, raw).await;
        r.assert_problem(413);
        // Just under the limit is not a 413 (it is a 422: the body is over 20,000 chars).
        let raw = format!(r#"{{"subject": "big", "body": "{}"}}"#, "x".repeat(250 * 1024));
        let r = app.raw(Method::POST, "/api/v1/tickets", &app.admin, raw).await;
        assert_eq!(r.assert_problem(422), ["body"]);
        assert_eq!(total(&app, &app.admin, &[]).await, 0);
        // The server still serves.
        assert_eq!(app.ticket("After").await["number"], 1);
    }
}

db_test! {
    async fn create_with_a_non_member_assignee_creates_nothing(app: TestApp) {
        app.ticket("One").await;
        for assignee in [app.other_admin_id, Uuid::new_v4()] {
            let body = json!({"subject": "Assigned", "body": "b", "assigned_to_user_id": assignee});
            let r = app.post("/api/v1/tickets", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), ["assigned_to_user_id"], "{}", r.text);
            // Also with an idempotency key: the key is not burnt by the failure.
            let r = post_with_key(&app, &app.admin, "assign-key", &body).await;
            assert_eq!(r.assert_problem(422), ["assigned_to_user_id"], "{}", r.text);
        }
        assert_eq!(total(&app, &app.admin, &[("status", "open,pending,resolved,closed")]).await, 1);
        // No number was consumed.
        let next = app.ticket("Two").await;
        assert_eq!(next["number"], 2);
        assert_eq!(next["reference"], "ACME-2");
        let r = post_with_key(&app, &app.admin, "assign-key", &json!({"subject": "Keyed", "body": "b"})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["number"], 3);
    }
}

db_test! {
    async fn create_with_a_member_assignee_starts_pending(app: TestApp) {
        let t = app
            .create_ticket(&app.admin, json!({"subject": "For Olivia", "body": "b", "assigned_to_user_id": app.operator_id, "priority": "urgent"}))
            .await;
        assert_eq!(t["status"], "pending");
        assert_eq!(t["priority"], "urgent");
        assert_eq!(t["assigned_to_user_id"], app.operator_id.to_string());
        assert!(t["resolved_at"].is_null());
        let detail = get_ok(&app, &app.operator, "ACME-1").await;
        assert_eq!(detail["assignee"], json!({"id": app.operator_id, "name": "Olivia Operator", "email": OPERATOR_EMAIL}));
        let log = events(&app, &app.admin, "ACME-1").await;
        assert_eq!(kinds(&log), ["created"]);
        assert_eq!(log[0]["to"], "pending");
        // It is in `assignee=me` for the operator.
        let mine = list(&app, &app.operator, &[("assignee", "me")]).await;
        assert_eq!(mine.body["data"][0]["id"], t["id"]);
    }
}

db_test! {
    async fn create_keeps_caller_metadata_and_forces_source_api(app: TestApp) {
        let metadata = json!({"crm_id": "C-88", "source": "cta", "nested": {"list": [1, 2, {"x": null}]}});
        let t = app.create_ticket(&app.admin, json!({"subject": "s", "body": "b", "metadata": metadata})).await;
        assert_eq!(t["metadata"], json!({"crm_id": "C-88", "source": "api", "nested": {"list": [1, 2, {"x": null}]}}));
        assert_eq!(get_ok(&app, &app.admin, "ACME-1").await["metadata"], t["metadata"]);
        // An integrator's token: the same.
        let token = app.token(&[Scope::TicketsWrite, Scope::TicketsRead]).await;
        let t = app.create_ticket(&token, json!({"subject": "s", "body": "b", "metadata": {}})).await;
        assert_eq!(t["metadata"], json!({"source": "api"}));
        let t = app.create_ticket(&token, json!({"subject": "s", "body": "b", "metadata": null})).await;
        assert_eq!(t["metadata"], json!({"source": "api"}));
    }
}

// ---------------------------------------------------------------------------------------
// Idempotency-Key

db_test! {
    async fn idempotent_retry_answers_200_with_the_same_ticket(app: TestApp) {
        let body = json!({"subject": "Refund", "body": "Paid twice", "priority": "high"});
        let first = post_with_key(&app, &app.admin, "order-5521", &body).await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert!(first.headers.get("location").is_some());
        let second = post_with_key(&app, &app.admin, "order-5521", &body).await;
        assert_eq!(second.status, 200, "{}", second.text);
        assert_eq!(second.body, first.body);
        // Another caller of the same workspace (here the operator) replays too: keys are per workspace.
        let third = post_with_key(&app, &app.operator, "order-5521", &body).await;
        assert_eq!(third.status, 200, "{}", third.text);
        assert_eq!(third.body["id"], first.body["id"]);
        assert_eq!(total(&app, &app.admin, &[]).await, 1);
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created"]);
        // A new key makes a new ticket; no key at all too.
        let other = post_with_key(&app, &app.admin, "order-5522", &body).await;
        assert_eq!(other.status, 201);
        assert_eq!(other.body["number"], 2);
        assert_eq!(app.create_ticket(&app.admin, body).await["number"], 3);
    }
}

db_test! {
    async fn idempotency_key_reused_with_another_body_is_422(app: TestApp) {
        let first = post_with_key(&app, &app.admin, "k1", &json!({"subject": "One", "body": "b"})).await;
        assert_eq!(first.status, 201);
        for body in [
            json!({"subject": "Two", "body": "b"}),
            json!({"subject": "One", "body": "b", "priority": "urgent"}),
        ] {
            let r = post_with_key(&app, &app.admin, "k1", &body).await;
            assert_eq!(r.assert_problem(422), ["Idempotency-Key"], "{}", r.text);
        }
        // Still replayable with the original body.
        let again = post_with_key(&app, &app.admin, "k1", &json!({"subject": "One", "body": "b"})).await;
        assert_eq!(again.status, 200);
        assert_eq!(again.body["id"], first.body["id"]);
        // Bad keys.
        for key in ["   ", &"k".repeat(256)] {
            let r = post_with_key(&app, &app.admin, key, &json!({"subject": "One", "body": "b"})).await;
            assert_eq!(r.assert_problem(422), ["Idempotency-Key"], "{key:?}");
        }
        assert_eq!(total(&app, &app.admin, &[]).await, 1);
    }
}

db_test! {
    async fn idempotency_keys_are_scoped_to_the_workspace(app: TestApp) {
        let body = json!({"subject": "Same", "body": "Same"});
        let acme = post_with_key(&app, &app.admin, "shared-key", &body).await;
        let other = post_with_key(&app, &app.other_admin, "shared-key", &body).await;
        assert_eq!(acme.status, 201, "{}", acme.text);
        assert_eq!(other.status, 201, "{}", other.text);
        assert_ne!(acme.body["id"], other.body["id"]);
        assert_eq!(acme.body["reference"], "ACME-1");
        assert_eq!(other.body["reference"], "OTHER-1");
        // With a different body in OTHER too: no cross-workspace mismatch.
        let other2 = post_with_key(&app, &app.other_admin, "acme-only", &json!({"subject": "x", "body": "y"})).await;
        assert_eq!(other2.status, 201);
        let acme2 = post_with_key(&app, &app.admin, "acme-only", &body).await;
        assert_eq!(acme2.status, 201, "{}", acme2.text);
        // Replays stay in their workspace.
        let replay = post_with_key(&app, &app.other_admin, "shared-key", &body).await;
        assert_eq!(replay.status, 200);
        assert_eq!(replay.body["id"], other.body["id"]);
        let replay = post_with_key(&app, &app.admin, "shared-key", &body).await;
        assert_eq!(replay.status, 200);
        assert_eq!(replay.body["id"], acme.body["id"]);
    }
}

db_test! {
    async fn concurrent_requests_with_one_key_create_one_ticket(app: TestApp) {
        let body = json!({"subject": "Race", "body": "Twenty retries at once"});
        let responses = join_all((0..20).map(|_| post_with_key(&app, &app.admin, "race-key", &body))).await;
        let mut created = 0;
        let mut ids = BTreeSet::new();
        for r in &responses {
            match r.status.as_u16() {
                201 => created += 1,
                200 => {}
                other => panic!("status {other}: {}", r.text),
            }
            ids.insert(r.body["id"].as_str().expect("id").to_owned());
        }
        assert_eq!(created, 1, "exactly one 201");
        assert_eq!(ids.len(), 1, "all the same ticket: {ids:?}");
        let all = list(&app, &app.admin, &[("status", "open,pending,resolved,closed")]).await;
        assert_eq!(all.body["meta"]["total"], 1);
        assert_eq!(all.body["data"][0]["number"], 1);
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created"]);
        // The counter was bumped once.
        assert_eq!(app.ticket("Next").await["number"], 2);
    }
}

// ---------------------------------------------------------------------------------------
// Numbers

db_test! {
    async fn concurrent_creates_get_numbers_one_to_forty(app: TestApp) {
        let requests = (0..40).map(|i| {
            let token = if i % 2 == 0 { &app.admin } else { &app.operator };
            app.post("/api/v1/tickets", token, json!({"subject": format!("Concurrent {i}"), "body": "b"}))
        });
        let responses = join_all(requests).await;
        let mut numbers = Vec::new();
        for r in &responses {
            assert_eq!(r.status, 201, "{}", r.text);
            let n = r.body["number"].as_i64().expect("number");
            assert_eq!(r.body["reference"], format!("ACME-{n}"));
            numbers.push(n);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=40).collect::<Vec<i64>>());
        assert_eq!(total(&app, &app.admin, &[]).await, 40);

        // OTHER counts on its own.
        let other = app.create_ticket(&app.other_admin, json!({"subject": "Theirs", "body": "b"})).await;
        assert_eq!(other["number"], 1);
        assert_eq!(other["reference"], "OTHER-1");
        assert_eq!(app.create_ticket(&app.other_admin, json!({"subject": "Theirs 2", "body": "b"})).await["reference"], "OTHER-2");
        assert_eq!(app.ticket("Forty-one").await["reference"], "ACME-41");
    }
}

// ---------------------------------------------------------------------------------------
// Get

db_test! {
    async fn get_by_id_or_reference(app: TestApp) {
        let t = app.ticket("Lookup").await;
        let id = t["id"].as_str().expect("id");
        for key in [id, "ACME-1", "acme-1", "Acme-1", &id.to_uppercase()] {
            let r = get_ok(&app, &app.operator, key).await;
            assert_eq!(bare(&r), t, "{key}");
            assert!(r["conversation"].is_null(), "{key}");
            assert!(r["assignee"].is_null(), "{key}");
        }
        for key in ["ACME-2", "ACME-0", "ACME-", "ACME", "garbage", "not-a-ticket-id", "1", "-1", "ACME-1x", "OTHER-1", "ACME-99999999999999999999"] {
            let r = app.get(&format!("/api/v1/tickets/{key}"), &app.admin).await;
            r.assert_problem(404);
            assert_eq!(r.body["type"], "https://ticketd.dev/problems/not-found", "{key}");
        }
        let random = Uuid::new_v4().to_string();
        app.get(&format!("/api/v1/tickets/{random}"), &app.admin).await.assert_problem(404);
    }
}

db_test! {
    async fn another_workspaces_ticket_is_404_both_ways(app: TestApp) {
        let acme = app.ticket("Ours").await;
        let other = app.create_ticket(&app.other_admin, json!({"subject": "Theirs", "body": "b"})).await;
        let other2 = app.create_ticket(&app.other_admin, json!({"subject": "Theirs too", "body": "b"})).await;
        let acme_token = app.token(&[Scope::Admin]).await;
        let other_token = app.other_token(&[Scope::Admin]).await;

        for token in [&app.admin, &app.operator, &acme_token] {
            for key in [other["id"].as_str().expect("id"), other2["id"].as_str().expect("id"), "OTHER-1", "other-2", "ACME-2"] {
                app.get(&format!("/api/v1/tickets/{key}"), token).await.assert_problem(404);
                app.get(&format!("/api/v1/tickets/{key}/events"), token).await.assert_problem(404);
                app.patch(&format!("/api/v1/tickets/{key}"), token, json!({"status": "closed"})).await.assert_problem(404);
            }
        }
        for token in [&app.other_admin, &other_token] {
            for key in [acme["id"].as_str().expect("id"), "ACME-1", "acme-1"] {
                app.get(&format!("/api/v1/tickets/{key}"), token).await.assert_problem(404);
                app.get(&format!("/api/v1/tickets/{key}/events"), token).await.assert_problem(404);
                let r = app.patch(&format!("/api/v1/tickets/{key}"), token, json!({"status": "closed", "notes": "x"})).await;
                r.assert_problem(404);
            }
            // OTHER's own reference works, and is OTHER's ticket, not ACME's number 1.
            assert_eq!(get_ok(&app, token, "OTHER-1").await["id"], other["id"]);
        }
        // Nothing changed on either side.
        assert_eq!(bare(&get_ok(&app, &app.admin, "ACME-1").await), acme);
        assert_eq!(bare(&get_ok(&app, &app.other_admin, "OTHER-1").await), other);
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created"]);
        assert_eq!(kinds(&events(&app, &app.other_admin, "OTHER-1").await), ["created"]);
    }
}

// ---------------------------------------------------------------------------------------
// PATCH

db_test! {
    async fn status_changes_follow_the_resolved_at_table(app: TestApp) {
        app.ticket("Lifecycle").await;
        let key = "ACME-1";
        let mut last = get_ok(&app, &app.admin, key).await;
        let mut transitions = 0;

        // (to, resolved_at after: "null", "stamp" = the time of the change, "kept" = as before)
        let steps: [(&str, &str); 17] = [
            ("pending", "null"),  // open → pending
            ("resolved", "stamp"), // pending → resolved
            ("open", "null"),     // resolved → open: cleared
            ("resolved", "stamp"), // open → resolved: stamped
            ("closed", "kept"),   // resolved → closed: kept
            ("resolved", "kept"), // closed → resolved: kept
            ("pending", "null"),  // resolved → pending: cleared
            ("closed", "null"),   // pending → closed: stays null
            ("resolved", "stamp"), // closed (null) → resolved: stamped now
            ("closed", "kept"),   // resolved → closed
            ("open", "null"),     // closed → open: cleared
            ("closed", "null"),   // open → closed: stays null
            ("pending", "null"),  // closed → pending: cleared (null anyway)
            ("resolved", "stamp"), // pending → resolved
            ("closed", "kept"),   // resolved → closed
            ("pending", "null"),  // closed → pending: cleared
            ("open", "null"),     // pending → open
        ];
        for (to, expect) in steps {
            let from = last["status"].as_str().expect("status").to_owned();
            let before = domain::time::now();
            let t = patch_ok(&app, &app.operator, key, json!({"status": to})).await;
            let after = domain::time::now();
            transitions += 1;
            assert_eq!(t["status"], to, "{from} → {to}");
            match expect {
                "null" => assert!(t["resolved_at"].is_null(), "{from} → {to}: {}", t["resolved_at"]),
                "kept" => {
                    assert!(!last["resolved_at"].is_null());
                    assert_eq!(t["resolved_at"], last["resolved_at"], "{from} → {to}");
                }
                _ => {
                    let at = time(&t["resolved_at"]);
                    assert!(before <= at && at <= after, "{from} → {to}: {at} not in [{before}, {after}]");
                    assert_eq!(t["resolved_at"], t["updated_at"]);
                }
            }
            assert!(time(&t["updated_at"]) > time(&last["updated_at"]), "{from} → {to}");
            assert_eq!(t["created_at"], last["created_at"]);
            // What PATCH answers is what is stored.
            assert_eq!(bare(&get_ok(&app, &app.admin, key).await), t);
            last = t;
        }
        let log = events(&app, &app.admin, key).await;
        assert_eq!(log.len(), 1 + transitions);
        let mut from = "open".to_owned();
        for (e, (to, _)) in log[1..].iter().zip(steps) {
            assert_eq!(e["kind"], "status_changed");
            assert_eq!(e["from"], from.as_str());
            assert_eq!(e["to"], to);
            from = to.to_owned();
        }
    }
}

db_test! {
    async fn setting_what_a_ticket_already_has_changes_nothing(app: TestApp) {
        app.ticket("Steady").await;
        for status in ["open", "pending", "resolved", "closed"] {
            let before = patch_ok(&app, &app.admin, "ACME-1", json!({"status": status, "priority": "high", "notes": "n"})).await;
            let log = events(&app, &app.admin, "ACME-1").await;
            for same in [
                json!({"status": status}),
                json!({"priority": "high"}),
                json!({"notes": "n"}),
                json!({"notes": "  n  "}),
                json!({"status": status, "priority": "high", "notes": "n"}),
                json!({}),
            ] {
                let t = patch_ok(&app, &app.operator, "ACME-1", same.clone()).await;
                assert_eq!(t, before, "{status}: {same}");
                assert_eq!(t["updated_at"], before["updated_at"]);
                assert_eq!(t["resolved_at"], before["resolved_at"]);
            }
            assert_eq!(events(&app, &app.admin, "ACME-1").await, log, "{status}: no new event");
        }
        // Unassigning an unassigned ticket is no change either.
        let before = patch_ok(&app, &app.admin, "ACME-1", json!({"status": "open"})).await;
        let n = events(&app, &app.admin, "ACME-1").await.len();
        assert_eq!(patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": null})).await, before);
        assert_eq!(events(&app, &app.admin, "ACME-1").await.len(), n);
    }
}

db_test! {
    async fn assignment_moves_open_to_pending_and_back(app: TestApp) {
        app.ticket("Assign me").await;
        let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": app.operator_id})).await;
        assert_eq!(t["status"], "pending");
        assert_eq!(t["assigned_to_user_id"], app.operator_id.to_string());
        let detail = get_ok(&app, &app.admin, "ACME-1").await;
        assert_eq!(detail["assignee"], json!({"id": app.operator_id, "name": "Olivia Operator", "email": OPERATOR_EMAIL}));

        // Reassigning a pending ticket keeps it pending.
        let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": app.admin_id})).await;
        assert_eq!(t["status"], "pending");
        assert_eq!(t["assigned_to_user_id"], app.admin_id.to_string());

        // Unassigning a pending ticket reopens it.
        let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": null})).await;
        assert_eq!(t["status"], "open");
        assert!(t["assigned_to_user_id"].is_null());
        assert!(get_ok(&app, &app.admin, "ACME-1").await["assignee"].is_null());

        let log = events(&app, &app.admin, "ACME-1").await;
        let summary: Vec<(&str, Value, Value)> =
            log.iter().map(|e| (e["kind"].as_str().expect("kind"), e["from"].clone(), e["to"].clone())).collect();
        let op = json!(app.operator_id.to_string());
        let ad = json!(app.admin_id.to_string());
        assert_eq!(
            summary,
            [
                ("created", Value::Null, json!("open")),
                ("assignee_changed", Value::Null, op.clone()),
                ("status_changed", json!("open"), json!("pending")),
                ("assignee_changed", op, ad.clone()),
                ("assignee_changed", ad, Value::Null),
                ("status_changed", json!("pending"), json!("open")),
            ]
        );

        // Assigning a resolved or closed ticket leaves its status (and resolved_at) alone.
        for status in ["resolved", "closed"] {
            let before = patch_ok(&app, &app.admin, "ACME-1", json!({"status": status})).await;
            let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": app.operator_id})).await;
            assert_eq!(t["status"], status);
            assert_eq!(t["resolved_at"], before["resolved_at"]);
            let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": null})).await;
            assert_eq!(t["status"], status);
        }
        // A pending ticket with nobody assigned stays pending when someone is assigned.
        patch_ok(&app, &app.admin, "ACME-1", json!({"status": "pending"})).await;
        let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": app.operator_id})).await;
        assert_eq!(t["status"], "pending");
    }
}

db_test! {
    async fn an_explicit_status_wins_over_assignment(app: TestApp) {
        app.ticket("One").await;
        app.ticket("Two").await;
        app.ticket("Three").await;

        // Assign + the same status it has: stays open.
        let t = patch_ok(&app, &app.admin, "ACME-1", json!({"assigned_to_user_id": app.operator_id, "status": "open"})).await;
        assert_eq!(t["status"], "open");
        assert_eq!(t["assigned_to_user_id"], app.operator_id.to_string());
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created", "assignee_changed"]);

        // Assign + resolve: resolved, stamped.
        let t = patch_ok(&app, &app.admin, "ACME-2", json!({"assigned_to_user_id": app.operator_id, "status": "resolved"})).await;
        assert_eq!(t["status"], "resolved");
        assert!(!t["resolved_at"].is_null());
        let log = events(&app, &app.admin, "ACME-2").await;
        assert_eq!(kinds(&log), ["created", "assignee_changed", "status_changed"]);
        assert_eq!((&log[2]["from"], &log[2]["to"]), (&json!("open"), &json!("resolved")));

        // Pending + unassign + status pending: stays pending, unassigned.
        patch_ok(&app, &app.admin, "ACME-3", json!({"assigned_to_user_id": app.operator_id})).await;
        let t = patch_ok(&app, &app.admin, "ACME-3", json!({"assigned_to_user_id": null, "status": "pending"})).await;
        assert_eq!(t["status"], "pending");
        assert!(t["assigned_to_user_id"].is_null());
        // Pending + unassign + close: closed.
        patch_ok(&app, &app.admin, "ACME-3", json!({"assigned_to_user_id": app.admin_id})).await;
        let t = patch_ok(&app, &app.admin, "ACME-3", json!({"assigned_to_user_id": null, "status": "closed"})).await;
        assert_eq!(t["status"], "closed");
        assert!(t["assigned_to_user_id"].is_null() && t["resolved_at"].is_null());
    }
}

db_test! {
    async fn a_non_member_assignee_is_422_and_changes_nothing(app: TestApp) {
        app.ticket("Guarded").await;
        let before = get_ok(&app, &app.admin, "ACME-1").await;
        for body in [
            json!({"assigned_to_user_id": app.other_admin_id}),
            json!({"assigned_to_user_id": Uuid::new_v4()}),
            // The valid fields of the same request are not applied either.
            json!({"assigned_to_user_id": app.other_admin_id, "status": "resolved", "priority": "urgent", "notes": "x"}),
        ] {
            let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), ["assigned_to_user_id"], "{body}: {}", r.text);
        }
        let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, json!({"assigned_to_user_id": "bob"})).await;
        assert_eq!(r.assert_problem(422), ["assigned_to_user_id"]);
        assert_eq!(get_ok(&app, &app.admin, "ACME-1").await, before);
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created"]);
    }
}

db_test! {
    async fn notes_are_set_and_cleared(app: TestApp) {
        app.ticket("Notes").await;
        let t = patch_ok(&app, &app.operator, "ACME-1", json!({"notes": "  Call back Tuesday.\nAsk for Sam.  "})).await;
        assert_eq!(t["notes"], "Call back Tuesday.\nAsk for Sam.");
        assert_eq!(t["status"], "open", "notes alone change no status");
        let t = patch_ok(&app, &app.operator, "ACME-1", json!({"notes": null})).await;
        assert!(t["notes"].is_null());
        patch_ok(&app, &app.operator, "ACME-1", json!({"notes": "again"})).await;
        let t = patch_ok(&app, &app.operator, "ACME-1", json!({"notes": " \n\t "})).await;
        assert!(t["notes"].is_null(), "blank clears: {}", t["notes"]);
        // Other fields leave the notes alone.
        patch_ok(&app, &app.operator, "ACME-1", json!({"notes": "keep me"})).await;
        let t = patch_ok(&app, &app.operator, "ACME-1", json!({"priority": "low"})).await;
        assert_eq!(t["notes"], "keep me");
        // Notes up to 20,000 characters.
        let t = patch_ok(&app, &app.operator, "ACME-1", json!({"notes": "n".repeat(20_000)})).await;
        assert_eq!(t["notes"].as_str().expect("notes").len(), 20_000);
        let r = app.patch("/api/v1/tickets/ACME-1", &app.operator, json!({"notes": "n".repeat(20_001)})).await;
        assert_eq!(r.assert_problem(422), ["notes"]);

        let log = events(&app, &app.admin, "ACME-1").await;
        let notes: Vec<(Value, Value)> =
            log.iter().filter(|e| e["kind"] == "notes_changed").map(|e| (e["from"].clone(), e["to"].clone())).collect();
        assert_eq!(notes.len(), 6);
        assert_eq!(notes[0], (Value::Null, json!("Call back Tuesday.\nAsk for Sam.")));
        assert_eq!(notes[1], (json!("Call back Tuesday.\nAsk for Sam."), Value::Null));
        assert_eq!(notes[2], (Value::Null, json!("again")));
        assert_eq!(notes[3], (json!("again"), Value::Null));
        assert_eq!(notes[4], (Value::Null, json!("keep me")));
    }
}

db_test! {
    async fn patch_rejects_bad_fields(app: TestApp) {
        app.ticket("Strict").await;
        let before = get_ok(&app, &app.admin, "ACME-1").await;
        let cases = [
            (json!({"status": "done"}), "status"),
            (json!({"status": "Open"}), "status"),
            (json!({"priority": "extreme"}), "priority"),
            (json!({"notes": 5}), "notes"),
            (json!({"notes": ["a"]}), "notes"),
            (json!({"assigned_to_user_id": 7}), "assigned_to_user_id"),
            (json!({"status": null}), "status"),
            (json!({"priority": null}), "priority"),
        ];
        for (body, field) in cases {
            let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [field], "{body}: {}", r.text);
        }
        for raw in [r#"{"status":"#, "", "{status: open}"] {
            let r = app.raw(Method::PATCH, "/api/v1/tickets/ACME-1", &app.admin, raw.to_owned()).await;
            r.assert_problem(400);
        }
        let huge = format!(r#"{{"notes": "{}"}}"#, "n".repeat(300 * 1024));
        app.raw(Method::PATCH, "/api/v1/tickets/ACME-1", &app.admin, huge).await.assert_problem(413);
        assert_eq!(get_ok(&app, &app.admin, "ACME-1").await, before);
        assert_eq!(kinds(&events(&app, &app.admin, "ACME-1").await), ["created"]);
        // Unknown tickets are 404 whatever the body.
        app.patch("/api/v1/tickets/ACME-2", &app.admin, json!({"status": "closed"})).await.assert_problem(404);
        app.patch("/api/v1/tickets/nope", &app.admin, json!({"status": "closed"})).await.assert_problem(404);
    }
}

db_test! {
    async fn unknown_fields_are_422_naming_the_field(app: TestApp) {
        // A well-formed body with an unknown field is a validation failure naming it.
        let r = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "colour": "red"})).await;
        assert_eq!(r.assert_problem(422), ["colour"], "{}", r.text);
        app.ticket("Strict").await;
        for (body, field) in [
            (json!({"assignee": app.operator_id}), "assignee"),
            (json!({"resolved_at": "2026-01-01T00:00:00Z"}), "resolved_at"),
            (json!({"subject": "renamed", "status": "closed"}), "subject"),
        ] {
            let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [field], "{body}: {}", r.text);
        }
        assert_eq!(get_ok(&app, &app.admin, "ACME-1").await["status"], "open");
        assert_eq!(total(&app, &app.admin, &[]).await, 1);
    }
}

db_test! {
    async fn a_non_string_enum_value_is_422_not_400(app: TestApp) {
        // Well-formed JSON with a wrong type is 422 naming the field, like any other type error.
        for priority in [json!(3), json!(true), json!({"level": 3}), json!(["high"])] {
            let body = json!({"subject": "s", "body": "b", "priority": priority});
            let r = app.post("/api/v1/tickets", &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), ["priority"], "{body}: {}", r.text);
        }
        app.ticket("Typed").await;
        for body in [json!({"status": 1}), json!({"priority": 2}), json!({"status": ["open"]})] {
            let r = app.patch("/api/v1/tickets/ACME-1", &app.admin, body.clone()).await;
            let field = body.as_object().and_then(|o| o.keys().next()).expect("field").clone();
            assert_eq!(r.assert_problem(422), [field], "{body}: {}", r.text);
        }
    }
}

db_test! {
    async fn priority_changes_and_lookup_by_any_key(app: TestApp) {
        let t = app.ticket("Prio").await;
        let id = t["id"].as_str().expect("id").to_owned();
        let mut last = t;
        for (key, priority) in [(id.as_str(), "urgent"), ("acme-1", "low"), ("ACME-1", "high"), (id.as_str(), "normal")] {
            let t = patch_ok(&app, &app.operator, key, json!({"priority": priority})).await;
            assert_eq!(t["priority"], priority);
            assert_eq!(t["status"], "open");
            assert!(time(&t["updated_at"]) > time(&last["updated_at"]));
            last = t;
        }
        let log = events(&app, &app.admin, "ACME-1").await;
        let changes: Vec<(&str, &str)> = log[1..]
            .iter()
            .map(|e| {
                assert_eq!(e["kind"], "priority_changed");
                (e["from"].as_str().expect("from"), e["to"].as_str().expect("to"))
            })
            .collect();
        assert_eq!(changes, [("normal", "urgent"), ("urgent", "low"), ("low", "high"), ("high", "normal")]);
    }
}

db_test! {
    async fn concurrent_changes_keep_a_consistent_log(app: TestApp) {
        app.ticket("Contended").await;
        let statuses = ["pending", "resolved", "closed", "open"];
        let priorities = ["low", "normal", "high", "urgent"];
        let requests = (0..24).map(|i| {
            let body = match i % 3 {
                0 => json!({"assigned_to_user_id": if i % 2 == 0 { Some(app.operator_id) } else { None }}),
                1 => json!({"status": statuses[i % 4]}),
                _ => json!({"priority": priorities[i % 4], "notes": format!("note {}", i % 5)}),
            };
            let token = if i % 2 == 0 { &app.admin } else { &app.operator };
            app.patch("/api/v1/tickets/ACME-1", token, body)
        });
        for r in join_all(requests).await {
            assert_eq!(r.status, 200, "{}", r.text);
        }
        // Replaying the log from the creation gives the final state: no change was lost
        // or logged against a stale value.
        let last = get_ok(&app, &app.admin, "ACME-1").await;
        let log = events(&app, &app.admin, "ACME-1").await;
        let (mut status, mut priority, mut assignee, mut notes) = (json!("open"), json!("normal"), Value::Null, Value::Null);
        for e in &log[1..] {
            let field = match e["kind"].as_str().expect("kind") {
                "status_changed" => &mut status,
                "priority_changed" => &mut priority,
                "assignee_changed" => &mut assignee,
                "notes_changed" => &mut notes,
                other => panic!("unexpected {other}"),
            };
            assert_eq!(e["from"], *field, "{e}");
            assert_ne!(e["to"], *field, "{e}");
            *field = e["to"].clone();
        }
        assert_eq!((&last["status"], &last["priority"], &last["assigned_to_user_id"], &last["notes"]), (&status, &priority, &assignee, &notes));
        let times: Vec<DateTime<Utc>> = log.iter().map(|e| time(&e["at"])).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(time(&last["updated_at"]), *times.last().expect("events"));
        match last["status"].as_str().expect("status") {
            "open" | "pending" => assert!(last["resolved_at"].is_null()),
            "resolved" => assert!(!last["resolved_at"].is_null()),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------
// Events

db_test! {
    async fn events_log_each_change_oldest_first_with_its_actor(app: TestApp) {
        app.ticket("Logged").await;
        let admin = json!({"type": "user", "id": app.admin_id, "name": "Alex Admin"});
        let operator = json!({"type": "user", "id": app.operator_id, "name": "Olivia Operator"});

        patch_ok(&app, &app.operator, "ACME-1", json!({"priority": "high"})).await;
        patch_ok(&app, &app.operator, "ACME-1", json!({"priority": "high"})).await; // no-op
        // Every field at once: one event each, in a stable order.
        patch_ok(
            &app,
            &app.admin,
            "ACME-1",
            json!({"assigned_to_user_id": app.operator_id, "status": "resolved", "priority": "urgent", "notes": "done"}),
        )
        .await;
        patch_ok(&app, &app.admin, "ACME-1", json!({"notes": "done", "status": "resolved"})).await; // no-op
        patch_ok(&app, &app.operator, "ACME-1", json!({"status": "closed"})).await;

        let log = events(&app, &app.operator, "ACME-1").await;
        let r = app.get("/api/v1/tickets/acme-1/events", &app.admin).await;
        assert_eq!(r.body["meta"]["total"], 7);
        assert_eq!(r.body["data"].as_array().expect("data"), &log, "by reference, any case");

        let ticket_id = get_ok(&app, &app.admin, "ACME-1").await["id"].clone();
        let expected = [
            ("created", Value::Null, json!("open"), &admin),
            ("priority_changed", json!("normal"), json!("high"), &operator),
            ("assignee_changed", Value::Null, json!(app.operator_id), &admin),
            ("status_changed", json!("open"), json!("resolved"), &admin),
            ("priority_changed", json!("high"), json!("urgent"), &admin),
            ("notes_changed", Value::Null, json!("done"), &admin),
            ("status_changed", json!("resolved"), json!("closed"), &operator),
        ];
        assert_eq!(log.len(), expected.len(), "{log:#?}");
        for (e, (kind, from, to, actor)) in log.iter().zip(expected) {
            assert_eq!(e["kind"], kind);
            assert_eq!(e["from"], from, "{kind}");
            assert_eq!(e["to"], to, "{kind}");
            assert_eq!(&e["actor"], actor, "{kind}");
            assert_eq!(e["ticket_id"], ticket_id);
            uuid(&e["id"]);
        }
        // Oldest first; the fields changed by one request share its time.
        let times: Vec<DateTime<Utc>> = log.iter().map(|e| time(&e["at"])).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert!(times[0] < times[1] && times[1] < times[2] && times[5] < times[6]);
        assert!(times[2..6].iter().all(|t| *t == times[2]));
        let ids: BTreeSet<&str> = log.iter().map(|e| e["id"].as_str().expect("id")).collect();
        assert_eq!(ids.len(), log.len());
    }
}

db_test! {
    async fn events_name_an_api_token_actor(app: TestApp) {
        let (token, secret) = app
            .store
            .create_token(app.acme.id, "Zapier bridge", &[Scope::TicketsRead, Scope::TicketsWrite], None)
            .await
            .expect("token");
        let t = app.create_ticket(&secret, json!({"subject": "From Zapier", "body": "b"})).await;
        assert_eq!(t["metadata"]["source"], "api");
        patch_ok(&app, &secret, "ACME-1", json!({"status": "resolved"})).await;
        patch_ok(&app, &app.operator, "ACME-1", json!({"status": "open"})).await;
        let log = events(&app, &secret, "ACME-1").await;
        let by_token = json!({"type": "token", "id": token.id.0, "name": "Zapier bridge"});
        assert_eq!(kinds(&log), ["created", "status_changed", "status_changed"]);
        assert_eq!(log[0]["actor"], by_token);
        assert_eq!(log[1]["actor"], by_token);
        assert_eq!(log[2]["actor"], json!({"type": "user", "id": app.operator_id, "name": "Olivia Operator"}));
        // A token that may only read sees the log too, and its reads log nothing.
        let reader = app.token(&[Scope::TicketsRead]).await;
        assert_eq!(events(&app, &reader, "ACME-1").await, log);
    }
}

db_test! {
    async fn events_of_unknown_or_foreign_tickets_are_404(app: TestApp) {
        app.ticket("Ours").await;
        app.create_ticket(&app.other_admin, json!({"subject": "Theirs", "body": "b"})).await;
        for key in ["ACME-2", "OTHER-1", "garbage", &Uuid::new_v4().to_string()] {
            app.get(&format!("/api/v1/tickets/{key}/events"), &app.admin).await.assert_problem(404);
        }
        app.get("/api/v1/tickets/ACME-1/events", &app.other_admin).await.assert_problem(404);
        assert_eq!(events(&app, &app.other_admin, "OTHER-1").await.len(), 1);
    }
}
