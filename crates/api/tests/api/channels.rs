//! Channels beyond webhooks: the `email` kind's fields, and what happens to queued deliveries
//! when a channel is disabled or pointed elsewhere (they fail with a reason; they still go
//! where they were queued for).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use test_support::Receiver;

use crate::db_test;
use crate::helpers::*;
use crate::notifications::ARRIVAL;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn path(channel: &Value) -> String {
    format!("/api/v1/notification-channels/{}", s(&channel["id"]))
}

async fn deliveries(app: &TestApp, channel: &Value) -> Vec<Value> {
    let r = app.get(&format!("{}/deliveries", path(channel)), &app.admin).await;
    assert_eq!(r.status, 200, "deliveries: {}", r.text);
    r.body["data"].as_array().unwrap().clone()
}

/// Waits until the channel's deliveries satisfy `done`; returns them.
async fn deliveries_until(
    app: &TestApp,
    channel: &Value,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = deliveries(app, channel).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

db_test! {
    async fn email_channels_take_an_address_and_no_url_or_secret(app: TestApp) {
        let created = app
            .post(
                "/api/v1/notification-channels",
                &app.admin,
                json!({"kind": "email", "address": " Team@Acme.test ", "events": ["ticket.created"]}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let channel = created.body;
        assert_eq!(channel["kind"], "email");
        assert_eq!(channel["address"], "team@acme.test");
        assert!(channel["url"].is_null() && channel["secret"].is_null(), "{channel}");

        let listed = app.get("/api/v1/notification-channels", &app.admin).await;
        let row = listed.body["data"].as_array().unwrap().iter().find(|c| c["id"] == channel["id"]).unwrap().clone();
        assert_eq!((row["address"].clone(), row["url"].clone()), (json!("team@acme.test"), Value::Null));
        assert_eq!(deliveries(&app, &channel).await.len(), 0);

        // Each wrong field is named.
        for (body, field) in [
            (json!({"kind": "email"}), "address"),
            (json!({"kind": "email", "address": "not an address"}), "address"),
            (json!({"kind": "email", "address": "<team@acme.test>"}), "address"),
            (json!({"kind": "email", "address": "team@acme.test", "url": "https://hooks.example.com/x"}), "url"),
            (json!({"kind": "email", "address": "team@acme.test", "secret": "0123456789abcdef0123"}), "secret"),
            (json!({"kind": "webhook"}), "url"),
            (json!({"kind": "webhook", "url": "https://hooks.example.com/x", "address": "team@acme.test"}), "address"),
            (json!({"kind": "slack", "address": "team@acme.test"}), "address"),
        ] {
            let r = app.post("/api/v1/notification-channels", &app.admin, body.clone()).await;
            assert!(r.assert_problem(422).contains(&field.to_owned()), "{body}: {}", r.text);
        }

        // PATCH: an address for an e-mail channel, a url for a webhook.
        let r = app.patch(&path(&channel), &app.admin, json!({"url": "https://hooks.example.com/x"})).await;
        assert_eq!(r.assert_problem(422), ["url"], "{}", r.text);
        let r = app.patch(&path(&channel), &app.admin, json!({"address": "nope"})).await;
        assert_eq!(r.assert_problem(422), ["address"], "{}", r.text);
        let r = app.patch(&path(&channel), &app.admin, json!({"address": "desk@acme.test"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["address"], "desk@acme.test");
        let hook = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": "https://hooks.example.com/x"}))
            .await;
        assert_eq!(hook.status, 201, "{}", hook.text);
        assert!(hook.body["address"].is_null() && hook.body["secret"].is_string());
        let r = app.patch(&path(&hook.body), &app.admin, json!({"address": "desk@acme.test"})).await;
        assert_eq!(r.assert_problem(422), ["address"], "{}", r.text);

        // Only admins, only their workspace.
        let r = app.post("/api/v1/notification-channels", &app.operator, json!({"kind": "email", "address": "x@acme.test"})).await;
        r.assert_problem(403);
        let r = app.patch(&path(&channel), &app.other_admin, json!({"address": "x@other.test"})).await;
        r.assert_problem(404);
    }
}

db_test! {
    async fn disabling_a_channel_fails_its_queued_deliveries_with_a_reason(app: TestApp) {
        // The first attempt fails (500): the event waits for its retry, about 2 s later.
        let receiver = Receiver::failing_first(1).await;
        let channel = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": receiver.url}))
            .await
            .body;
        app.ticket("Queued, then the channel is disabled").await;
        receiver.wait_for(1, ARRIVAL).await;
        deliveries_until(&app, &channel, "the failed first attempt", |rows| {
            rows.len() == 1 && rows[0]["attempts"] == 1 && rows[0]["last_status_code"] == 500
        })
        .await;

        let r = app.patch(&path(&channel), &app.admin, json!({"enabled": false})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rows = deliveries(&app, &channel).await;
        assert_eq!(rows[0]["status"], "failed", "failed at once: {rows:#?}");
        assert!(s(&rows[0]["last_error"]).contains("disabled"), "{rows:#?}");

        // Its retry would have come after about 2 s: nothing more is sent.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(receiver.requests().len(), 1, "nothing is sent to a disabled channel");
        let rows = deliveries(&app, &channel).await;
        assert_eq!((rows[0]["status"].clone(), rows[0]["attempts"].clone()), (json!("failed"), json!(1)));

        // Enabled again, it gets new events, not the abandoned one.
        let r = app.patch(&path(&channel), &app.admin, json!({"enabled": true})).await;
        assert_eq!(r.status, 200);
        app.ticket("After re-enabling").await;
        let got = receiver.wait_for(2, ARRIVAL).await;
        assert_eq!(got[1].json()["data"]["ticket"]["subject"], "After re-enabling");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.requests().len(), 2);
    }
}

db_test! {
    async fn a_delivery_queued_before_the_channel_is_disabled_fails_when_it_comes_due(app: TestApp) {
        // The worker's own check: a row still pending for a disabled channel (disabled by
        // another instance's write, or before this version) is failed when claimed, not sent.
        let receiver = Receiver::failing_first(1).await;
        let channel = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": receiver.url}))
            .await
            .body;
        app.ticket("Queued for a channel switched off behind the API's back").await;
        receiver.wait_for(1, ARRIVAL).await;
        let id = uuid::Uuid::parse_str(s(&channel["id"])).unwrap();
        use sea_orm::{ConnectionTrait, Statement};
        let db = app.store.connection();
        let sql = match app.db {
            Db::Sqlite => "UPDATE notification_channels SET enabled = 0 WHERE id = ?",
            Db::Postgres => "UPDATE notification_channels SET enabled = false WHERE id = $1",
        };
        db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [id.into()])).await.unwrap();
        let rows = deliveries_until(&app, &channel, "the pending delivery to fail", |rows| rows[0]["status"] == "failed").await;
        assert!(s(&rows[0]["last_error"]).contains("disabled"), "{rows:#?}");
        assert_eq!(receiver.requests().len(), 1, "the retry was not sent");
    }
}

db_test! {
    async fn a_re_pointed_channel_delivers_what_was_queued_where_it_was_queued_for(app: TestApp) {
        let old = Receiver::failing_first(1).await;
        let new = Receiver::start().await;
        let channel = app
            .post("/api/v1/notification-channels", &app.admin, json!({"kind": "webhook", "url": old.url}))
            .await
            .body;
        app.ticket("Queued for the old URL").await;
        old.wait_for(1, ARRIVAL).await;
        let r = app.patch(&path(&channel), &app.admin, json!({"url": new.url})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        app.ticket("Queued for the new URL").await;

        // The retry of the first event goes to the old URL; the new URL gets only the second.
        let at_old = old.wait_for(2, ARRIVAL).await;
        assert_eq!(at_old[1].json()["data"]["ticket"]["subject"], "Queued for the old URL");
        let at_new = new.wait_for(1, ARRIVAL).await;
        assert_eq!(at_new[0].json()["data"]["ticket"]["subject"], "Queued for the new URL");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!((old.requests().len(), new.requests().len()), (2, 1));
        let rows = deliveries(&app, &channel).await;
        let targets: Vec<&str> = rows.iter().map(|d| s(&d["target"])).collect();
        assert_eq!(targets, [new.url.as_str(), old.url.as_str()], "newest first, each with its own target");
        assert!(rows.iter().all(|d| d["status"] == "delivered"), "{rows:#?}");
    }
}
