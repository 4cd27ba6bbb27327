//! Saved views: personal and shared, validated like the list, counted like the list.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure message

use domain::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::lookup::urlencode;

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/views", token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn names(body: &Value) -> Vec<String> {
    body["data"].as_array().expect("data").iter().map(|v| v["name"].as_str().unwrap().to_owned()).collect()
}

db_test!(
    async fn personal_views_are_their_owners_and_shared_ones_the_admins(app: TestApp) {
        let mine =
            create(&app, &app.operator, json!({"name": " Mine ", "query": "?status=open&sort=-priority"}))
                .await;
        assert_eq!(mine["name"], "Mine");
        assert_eq!(mine["query"], "status=open&sort=-priority");
        assert_eq!(mine["shared"], false);
        assert_eq!(mine["owner_id"], app.operator_id.to_string());
        assert!(mine.get("total").is_none());
        let id = mine["id"].as_str().unwrap().to_owned();

        // Someone else's personal view does not exist for them, admins included.
        assert_eq!(app.get(&format!("/api/v1/views/{id}"), &app.admin).await.status, 404);
        assert!(names(&app.get("/api/v1/views", &app.admin).await.body).is_empty());
        assert_eq!(
            app.patch(&format!("/api/v1/views/{id}"), &app.admin, json!({"name": "x"})).await.status,
            404
        );
        assert_eq!(app.delete(&format!("/api/v1/views/{id}"), &app.admin).await.status, 404);
        let r = app.get(&format!("/api/v1/views/{id}"), &app.operator).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, mine, "bare");

        // Shared views: admins only.
        app.post("/api/v1/views", &app.operator, json!({"name": "Team", "query": "", "shared": true}))
            .await
            .assert_problem(403);
        let team =
            create(&app, &app.admin, json!({"name": "Team", "query": "assignee=me", "shared": true})).await;
        let team_id = team["id"].as_str().unwrap().to_owned();
        assert_eq!(names(&app.get("/api/v1/views", &app.operator).await.body), ["Team", "Mine"]);
        assert_eq!(names(&app.get("/api/v1/views", &app.admin).await.body), ["Team"]);
        app.patch(&format!("/api/v1/views/{team_id}"), &app.operator, json!({"name": "Ours"}))
            .await
            .assert_problem(403);
        app.delete(&format!("/api/v1/views/{team_id}"), &app.operator).await.assert_problem(403);
        app.patch(&format!("/api/v1/views/{id}"), &app.operator, json!({"shared": true}))
            .await
            .assert_problem(403);
        let r = app.patch(&format!("/api/v1/views/{team_id}"), &app.admin, json!({"name": "Ours"})).await;
        assert_eq!((r.status.as_u16(), r.body["name"].as_str()), (200, Some("Ours")));

        // The owner changes and deletes their own.
        let r = app
            .patch(&format!("/api/v1/views/{id}"), &app.operator, json!({"query": "priority=urgent"}))
            .await;
        assert_eq!((r.status.as_u16(), r.body["query"].as_str()), (200, Some("priority=urgent")));
        assert_eq!(app.delete(&format!("/api/v1/views/{id}"), &app.operator).await.status, 204);
        assert_eq!(app.get(&format!("/api/v1/views/{id}"), &app.operator).await.status, 404);

        // Another workspace sees nothing; tokens are not users.
        assert_eq!(app.get(&format!("/api/v1/views/{team_id}"), &app.other_admin).await.status, 404);
        assert!(names(&app.get("/api/v1/views", &app.other_admin).await.body).is_empty());
        let token = app.token(&[Scope::Admin]).await;
        app.get("/api/v1/views", &token).await.assert_problem(403);
        app.request(Method::GET, "/api/v1/views", None, None).await.assert_problem(401);
        assert_eq!(app.get("/api/v1/views/not-a-uuid", &app.admin).await.status, 404);
    }
);

db_test!(
    async fn a_view_query_is_checked_like_the_list_and_stricter(app: TestApp) {
        let cases: &[(&str, &str)] = &[
            ("status=nope", "query.status"),
            ("colour=red", "query.colour"),
            ("page=2", "query.page"),
            ("cursor=", "query.cursor"),
            ("q=ab", "query.q"),
            ("sort=subject", "query.sort"),
            ("assignee=bob", "query.assignee"),
            ("per_page=500", "query.per_page"),
        ];
        for (query, field) in cases {
            let r = app.post("/api/v1/views", &app.operator, json!({"name": "v", "query": query})).await;
            assert_eq!(r.assert_problem(422), [field.to_string()], "{query}");
        }
        let r = app.post("/api/v1/views", &app.operator, json!({"name": " ", "query": "status=open"})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
        let r =
            app.post("/api/v1/views", &app.operator, json!({"name": "v", "query": "x", "colour": 1})).await;
        assert_eq!(r.assert_problem(422), ["colour"]);
        // `#` alone is a 1-character search, `#7` a lookup.
        let r = app.post("/api/v1/views", &app.operator, json!({"name": "v", "query": "q=%23"})).await;
        assert_eq!(r.assert_problem(422), ["query.q"]);
        let r = app
            .post("/api/v1/views", &app.operator, json!({"name": "v", "query": "q=%237&status=open,closed"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_str().unwrap();
        let r = app.patch(&format!("/api/v1/views/{id}"), &app.operator, json!({"query": "page=1"})).await;
        assert_eq!(r.assert_problem(422), ["query.page"]);
        let r = app.patch(&format!("/api/v1/views/{id}"), &app.operator, json!({"name": null})).await;
        assert_eq!(r.assert_problem(422), ["name"]);
    }
);

db_test!(
    async fn counts_are_the_lists_totals_with_me_as_the_viewer(app: TestApp) {
        for i in 0..5 {
            let t = app.ticket(&format!("Printer {i}")).await;
            let reference = t["reference"].as_str().unwrap().to_owned();
            let patch = match i {
                0 | 1 => json!({"assigned_to_user_id": app.operator_id}),
                2 => json!({"assigned_to_user_id": app.admin_id, "priority": "urgent"}),
                3 => json!({"status": "closed"}),
                _ => json!({}),
            };
            assert_eq!(
                app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, patch).await.status,
                200
            );
        }
        let queries =
            ["assignee=me", "priority=urgent", "status=open,pending,resolved,closed", "q=printer", "q=%232"];
        for (i, query) in queries.iter().enumerate() {
            create(&app, &app.admin, json!({"name": format!("{i} {query}"), "query": query, "shared": true}))
                .await;
        }
        for token in [&app.operator, &app.admin] {
            let r = app.get("/api/v1/views?counts=true", token).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let views = r.body["data"].as_array().unwrap();
            assert_eq!(views.len(), queries.len());
            for v in views {
                let query = v["query"].as_str().unwrap();
                let list = app.get(&format!("/api/v1/tickets?{query}"), token).await;
                assert_eq!(v["total"], list.body["meta"]["total"], "{query}");
                assert_eq!(v["total_exact"], true, "{query}");
            }
            let mine = views.iter().find(|v| v["query"] == "assignee=me").unwrap();
            let expected = if *token == app.operator { 2 } else { 1 };
            assert_eq!(mine["total"], expected);
        }
        let r = app.get("/api/v1/views", &app.operator).await;
        assert!(r.body["data"][0].get("total").is_none());
        app.get("/api/v1/views?counts=maybe", &app.operator).await.assert_problem(422);
        let _ = urlencode("");
    }
);
