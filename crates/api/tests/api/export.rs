//! `GET /tickets/export.csv`: the list's tickets as RFC 4180 CSV, streamed.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure message

use domain::auth::Scope;
use reqwest::Method;
use serde_json::json;

use crate::db_test;
use crate::helpers::*;

const HEADER: [&str; 13] = [
    "reference",
    "subject",
    "status",
    "priority",
    "assignee_email",
    "requester_email",
    "source",
    "created_at",
    "updated_at",
    "first_responded_at",
    "resolved_at",
    "first_response_due_at",
    "resolution_due_at",
];

/// The CSV of `query` as `token`: its records (header first), asserting the headers.
async fn export(app: &TestApp, token: &str, query: &str) -> Vec<Vec<String>> {
    let r = app.get(&format!("/api/v1/tickets/export.csv?{query}"), token).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    let disposition = r.headers.get("content-disposition").unwrap().to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"tickets-ACME-"), "{disposition}");
    parse(&r.text)
}

fn parse(text: &str) -> Vec<Vec<String>> {
    assert!(text.is_empty() || text.ends_with("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

db_test!(
    async fn the_export_has_the_columns_the_defaults_and_defused_formulas(app: TestApp) {
        app.ticket("=HYPERLINK(\"http://evil\")").await;
        app.create_ticket(&app.admin, json!({"subject": "Comma, \"quotes\"", "body": "b", "priority": "urgent", "assigned_to_user_id": app.operator_id})).await;
        app.ticket("Closed one").await;
        app.patch("/api/v1/tickets/ACME-3", &app.admin, json!({"status": "closed"})).await;
        app.ticket("-5 degrees").await;
        app.patch("/api/v1/tickets/ACME-4", &app.admin, json!({"status": "resolved"})).await;
        app.ticket("@mention +1").await;

        let rows = export(&app, &app.operator, "").await;
        assert_eq!(rows[0], HEADER);
        let refs: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(refs, ["ACME-5", "ACME-4", "ACME-2", "ACME-1"], "newest first, closed left out");
        let by_ref = |reference: &str| rows.iter().find(|r| r[0] == reference).unwrap().clone();
        assert_eq!(by_ref("ACME-1")[1], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(by_ref("ACME-4")[1], "'-5 degrees");
        assert_eq!(by_ref("ACME-5")[1], "'@mention +1");
        let two = by_ref("ACME-2");
        assert_eq!(two[1..5], ["Comma, \"quotes\"", "pending", "urgent", OPERATOR_EMAIL]);
        assert_eq!((two[5].as_str(), two[6].as_str()), ("", "api"));
        let ticket = app.get("/api/v1/tickets/ACME-2", &app.admin).await.body;
        let created = chrono::DateTime::parse_from_rfc3339(&two[7]).unwrap();
        let api_created =
            chrono::DateTime::parse_from_rfc3339(ticket["created_at"].as_str().unwrap()).unwrap();
        assert!((api_created - created).num_seconds().abs() < 1, "{created} vs {api_created}");
        assert!(chrono::DateTime::parse_from_rfc3339(&two[8]).is_ok());
        assert_eq!(two[10], "", "not resolved");
        // SLA due times (the default policy: urgent 60 / 240 minutes).
        let due = |i: usize| chrono::DateTime::parse_from_rfc3339(&two[i]).unwrap();
        assert_eq!((due(11) - created).num_minutes(), 60, "{two:?}");
        assert_eq!((due(12) - created).num_minutes(), 240, "{two:?}");
        assert!(chrono::DateTime::parse_from_rfc3339(&by_ref("ACME-4")[10]).is_ok(), "resolved_at");
        assert!(rows.iter().all(|r| r.len() == 13));

        // The list's filters and order.
        let closed = export(&app, &app.operator, "status=closed").await;
        assert_eq!(closed.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["reference", "ACME-3"]);
        let mine = export(&app, &app.operator, "assignee=me").await;
        assert_eq!(mine.len(), 2);
        let oldest = export(&app, &app.operator, "sort=created_at&status=open,pending,resolved,closed").await;
        assert_eq!(
            oldest[1..].iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
            ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-5"]
        );
        let found = export(&app, &app.operator, "q=%232").await;
        assert_eq!(found.len(), 2);
        assert_eq!(found[1][0], "ACME-2");

        // Who may: tickets:read; another workspace gets its own (empty) file.
        let other = app.get("/api/v1/tickets/export.csv", &app.other_admin).await;
        assert_eq!(parse(&other.text), [HEADER.map(String::from).to_vec()]);
        let write_only = app.token(&[Scope::TicketsWrite]).await;
        app.get("/api/v1/tickets/export.csv", &write_only).await.assert_problem(403);
        let read = app.token(&[Scope::TicketsRead]).await;
        assert_eq!(app.get("/api/v1/tickets/export.csv", &read).await.status, 200);
        app.request(Method::GET, "/api/v1/tickets/export.csv", None, None).await.assert_problem(401);
        let r = app.get("/api/v1/tickets/export.csv?status=nope", &app.admin).await;
        assert_eq!(r.assert_problem(422), ["status"]);
        let r = app.get("/api/v1/tickets/export.csv?assignee=me", &read).await;
        assert_eq!(r.assert_problem(422), ["assignee"]);
    }
);

db_test!(
    async fn many_rows_stream_out_in_batches(app: TestApp) {
        let plan = store::bulk::BulkPlan { tickets: 2_600, conversations: 0, seed: 7 };
        app.store.seed_bulk("ACME", plan, &|_| {}).await.unwrap();
        let response = app
            .client
            .get(format!("{}/api/v1/tickets/export.csv", app.address))
            .bearer_auth(&app.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut chunks = 0;
        let mut text = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.unwrap() {
            chunks += 1;
            text.extend_from_slice(&chunk);
        }
        let rows = parse(&String::from_utf8(text).unwrap());
        assert!(chunks > 1, "streamed in pieces");
        // Every ticket but the closed ones, each once, newest first.
        let refs: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        let unique: std::collections::BTreeSet<&str> = refs.iter().copied().collect();
        assert_eq!(unique.len(), refs.len());
        assert!(rows[1..].iter().all(|r| r[2] != "closed"));
        assert!(rows[1..].windows(2).all(|w| w[0][7] >= w[1][7]), "created_at descending");
        let all = app.get("/api/v1/tickets/export.csv?status=open,pending,resolved,closed", &app.admin).await;
        assert_eq!(parse(&all.text).len(), 2_601);
        let closed = app.get("/api/v1/tickets/export.csv?status=closed", &app.admin).await;
        assert_eq!(refs.len() + parse(&closed.text).len() - 1, 2_600);
    }
);

db_test!(
    async fn the_export_has_the_requester_and_the_first_response(app: TestApp) {
        let t = app
            .create_ticket(
                &app.operator,
                json!({"subject": "Refund", "body": "b", "requester": {"name": "Jane Doe", "email": "Jane@Example.com"}}),
            )
            .await;
        app.ticket("no requester, no reply").await;
        let reference = t["reference"].as_str().unwrap();
        let r = app
            .post(
                &format!("/api/v1/tickets/{reference}/comments"),
                &app.operator,
                json!({"kind": "reply", "body": "Hi Jane, on it."}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let responded = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body;
        let responded_at =
            chrono::DateTime::parse_from_rfc3339(responded["first_responded_at"].as_str().unwrap()).unwrap();

        let rows = export(&app, &app.operator, "").await;
        let row = rows.iter().find(|r| r[0] == reference).unwrap();
        assert_eq!(row[5], "jane@example.com");
        let exported = chrono::DateTime::parse_from_rfc3339(&row[9]).unwrap();
        assert!((responded_at - exported).num_seconds().abs() < 1, "{exported} vs {responded_at}");
        let other = rows.iter().find(|r| r[1] == "no requester, no reply").unwrap();
        assert_eq!((other[5].as_str(), other[9].as_str()), ("", ""));
    }
);

db_test!(
    async fn a_link_token_opens_one_download(app: TestApp) {
        app.ticket("downloaded by link").await;
        let link = crate::notifications::link_token(&app, &app.operator).await;
        let url = format!("{}/api/v1/tickets/export.csv", app.address);
        let r = app
            .client
            .get(&url)
            .query(&[("link_token", &link), ("status", &"open".to_owned())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
        let rows = parse(&r.text().await.unwrap());
        assert_eq!(rows[0], HEADER);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1][1], "downloaded by link");
        // Single use.
        let again = app.client.get(&url).query(&[("link_token", &link)]).send().await.unwrap();
        assert_eq!(again.status(), 401);
        // An access token in the URL is refused here too.
        let r = app.client.get(&url).query(&[("access_token", &app.operator)]).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
);
