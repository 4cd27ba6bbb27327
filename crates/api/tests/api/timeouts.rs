//! The request timeout (`ServerOptions::request_timeout`, `TICKETD_REQUEST_TIMEOUT_SECONDS`):
//! a request that waits for the database past it answers 503 problem+json and leaves nothing
//! written; an event stream, whose body outlives any request, is not cut by it. (A database
//! that stops answering altogether is `crates/ticketd/tests/cli/faults.rs`.)

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use serde_json::json;

use crate::db_test;
use crate::helpers::*;

/// The request timeout of the servers these tests start.
const LIMIT: Duration = Duration::from_secs(1);

/// A server on the app's database whose requests time out after [`LIMIT`].
async fn server_with_timeout(app: &TestApp) -> String {
    let options = api::ServerOptions { request_timeout: Some(LIMIT), ..Default::default() };
    app.spawn_server_with(generous_limits(), options).await
}

/// Another connection takes what creating an ACME ticket needs and keeps it until the
/// transaction ends: SQLite's write lock, PostgreSQL's lock on ACME's ticket counter.
async fn hold_ticket_numbers(app: &TestApp) -> DatabaseTransaction {
    let db = app.store.connection();
    match app.db {
        Db::Sqlite => {
            let immediate = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            };
            db.begin_with_options(immediate).await.expect("take the write lock")
        }
        Db::Postgres => {
            let tx = db.begin().await.expect("begin");
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM workspaces WHERE id = $1 FOR UPDATE",
                [app.acme.id.0.into()],
            ))
            .await
            .expect("lock ACME's row");
            tx
        }
    }
}

db_test! {
    async fn a_request_waiting_for_the_database_past_the_timeout_answers_503_and_writes_nothing(app: TestApp) {
        let base = server_with_timeout(&app).await;
        let first = app.ticket("Before the lock").await;
        assert_eq!(first["reference"], "ACME-1");

        let lock = hold_ticket_numbers(&app).await;
        let body = json!({"subject": "While locked", "body": "Waits for the lock"});
        let started = Instant::now();
        // Without the timeout this would wait for the lock (PostgreSQL) or the busy timeout.
        let refused = tokio::time::timeout(
            LIMIT + Duration::from_secs(10),
            app.request_at(&base, Method::POST, "/api/v1/tickets", Some(&app.admin), Some(&body)),
        )
        .await
        .expect("an answer within the request timeout");
        let took = started.elapsed();
        refused.assert_problem(503);
        assert!(refused.body["type"].as_str().unwrap().ends_with("/unavailable"), "{}", refused.text);
        let retry_after = refused.headers.get("retry-after").and_then(|v| v.to_str().ok());
        assert!(retry_after.is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s > 0)), "{retry_after:?}");
        // The outer middlewares decorate it like any answer.
        assert!(refused.headers.get("x-request-id").is_some(), "{:?}", refused.headers);
        assert_eq!(refused.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(refused.headers.get("cache-control").unwrap(), "no-store");
        assert!(took >= LIMIT - Duration::from_millis(50), "answered before the timeout: {took:?}");
        assert!(took < LIMIT + Duration::from_secs(2), "answered {took:?} after the request");
        // Reads are not held up by the lock, and are answered within the limit too.
        let list = app.request_at(&base, Method::GET, "/api/v1/tickets", Some(&app.admin), None).await;
        assert_eq!(list.status, 200, "{}", list.text);
        lock.rollback().await.expect("release the lock");

        // The refused request left nothing: its number is taken by the next ticket, and each
        // ticket there is has its `created` event.
        let next = app.create_ticket(&app.admin, json!({"subject": "After the lock", "body": "b"})).await;
        assert_eq!(next["reference"], "ACME-2", "{next}");
        let all = app.get("/api/v1/tickets?status=open,pending,resolved,closed", &app.admin).await;
        let subjects: Vec<&str> =
            all.body["data"].as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap()).collect();
        assert_eq!(subjects, ["After the lock", "Before the lock"], "{}", all.text);
        for ticket in [&first, &next] {
            let events = app.get(&format!("/api/v1/tickets/{}/events", ticket["id"].as_str().unwrap()), &app.admin).await;
            assert_eq!(events.body["data"][0]["kind"], "created", "{}", events.text);
        }
        // The server whose request timed out works as before.
        let after = app.request_at(&base, Method::POST, "/api/v1/tickets", Some(&app.admin), Some(&body)).await;
        assert_eq!(after.status, 201, "{}", after.text);
        assert_eq!(after.body["reference"], "ACME-3");
    }
}

db_test! {
    async fn an_event_stream_is_not_cut_by_the_request_timeout(app: TestApp) {
        let base = server_with_timeout(&app).await;
        let mut stream = app
            .client
            .get(format!("{base}/api/v1/events"))
            .bearer_auth(&app.admin)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("open the event stream");
        assert_eq!(stream.status(), 200);
        let content_type = stream.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");

        // Well past the request timeout, a ticket created now still reaches the stream.
        tokio::time::sleep(2 * LIMIT + Duration::from_millis(500)).await;
        let ticket = app.ticket("After the timeout").await;
        let id = ticket["id"].as_str().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut received = String::new();
        while !received.contains(id) {
            let chunk = tokio::time::timeout_at(deadline.into(), stream.chunk())
                .await
                .unwrap_or_else(|_| panic!("no event for {id} within 10 s; the stream said: {received}"));
            match chunk.expect("read the event stream") {
                Some(bytes) => received.push_str(std::str::from_utf8(&bytes).expect("UTF-8")),
                None => panic!("the stream ended; it said: {received}"),
            }
        }
        assert!(received.contains("event: ticket.created"), "{received}");
    }
}
