//! A token that may change tickets but not read them learns nothing of a ticket from its
//! writes: `POST /tickets` (a replay included) and `PATCH /tickets/{key}` answer it only
//! `{id, reference, updated_at}`.

// Helpers outside `db_test!`'s `run` are not test functions to `allow-unwrap-in-tests`.
#![allow(clippy::unwrap_used)]

use domain::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

fn keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

const RECEIPT: [&str; 3] = ["id", "reference", "updated_at"];

db_test! {
    async fn a_write_only_token_gets_receipts_not_tickets(app: TestApp) {
        let writer = app.token(&[Scope::TicketsWrite]).await;
        let secret = app
            .create_ticket(&app.admin, json!({"subject": "Private matter", "body": "Card ending 4242"}))
            .await;
        let reference = secret["reference"].as_str().unwrap();
        let path = format!("/api/v1/tickets/{reference}");
        let notes = app.patch(&path, &app.admin, json!({"notes": "VIP, call back"})).await;
        assert_eq!(notes.status, 200, "{}", notes.text);

        // A PATCH that changes nothing, and one that changes something: receipts only.
        for body in [json!({}), json!({"priority": "high"})] {
            let r = app.patch(&path, &writer, body.clone()).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(keys(&r.body), RECEIPT, "PATCH {body}: {}", r.text);
            assert_eq!(r.body["id"], secret["id"]);
            assert_eq!(r.body["reference"], reference);
            assert!(!r.text.contains("Card ending") && !r.text.contains("VIP"), "{}", r.text);
        }
        assert_eq!(app.get(&path, &writer).await.status, 403, "and it still may not read");
        let changed = app.get(&path, &app.admin).await;
        assert_eq!(changed.body["priority"], "high", "the write-only PATCH did change it");

        // Creating: a receipt, with the ticket's URL; a replay of the same key too (the
        // ticket may have changed since, by others).
        let create = |key: &'static str| {
            let writer = writer.clone();
            let app = &app;
            async move {
                let req = app
                    .client
                    .request(Method::POST, format!("{}/api/v1/tickets", app.address))
                    .bearer_auth(&writer)
                    .header("Idempotency-Key", key)
                    .json(&json!({"subject": "From the form", "body": "Hello"}));
                TestApp::read(req.send().await.unwrap()).await
            }
        };
        let first = create("form-1").await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert_eq!(keys(&first.body), RECEIPT, "{}", first.text);
        let made = first.body["reference"].as_str().unwrap().to_owned();
        assert_eq!(first.headers["location"], format!("/api/v1/tickets/{made}").as_str());
        let assigned = app
            .patch(&format!("/api/v1/tickets/{made}"), &app.admin, json!({"notes": "internal only"}))
            .await;
        assert_eq!(assigned.status, 200);
        let replay = create("form-1").await;
        assert_eq!(replay.status, 200, "{}", replay.text);
        assert_eq!(keys(&replay.body), RECEIPT, "{}", replay.text);
        assert!(!replay.text.contains("internal only"));
    }
}

db_test! {
    async fn callers_that_may_read_still_get_the_whole_ticket(app: TestApp) {
        let both = app.token(&[Scope::TicketsRead, Scope::TicketsWrite]).await;
        let admin_token = app.token(&[Scope::Admin]).await;
        let ticket = app.ticket("Whole").await;
        let path = format!("/api/v1/tickets/{}", ticket["reference"].as_str().unwrap());
        for (who, token) in [("operator", &app.operator), ("admin", &app.admin), ("read+write", &both), ("admin token", &admin_token)] {
            let r = app.patch(&path, token, json!({})).await;
            assert_eq!(r.status, 200, "{who}: {}", r.text);
            assert_eq!(r.body["subject"], "Whole", "{who}: {}", r.text);
            let created = app.post("/api/v1/tickets", token, json!({"subject": "s", "body": "b"})).await;
            assert_eq!(created.status, 201, "{who}");
            assert_eq!(created.body["subject"], "s", "{who}");
        }
    }
}
