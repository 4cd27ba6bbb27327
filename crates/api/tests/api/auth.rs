//! Sign-in, sessions, API tokens, roles and scopes.

use domain::auth::Scope;
use serde_json::json;

use crate::db_test;
use crate::helpers::*;

db_test! {
    async fn login_answers_a_session(app: TestApp) {
        let r = app.post("/api/v1/auth/login", "", json!({"email": " Admin@Acme.test ", "password": ADMIN_PASSWORD})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["token_type"], "Bearer");
        assert!(r.body["expires_in"].as_u64().unwrap() > 0);
        assert_eq!(r.body["user"]["email"], ADMIN_EMAIL);
        assert_eq!(r.body["workspace"]["ticket_prefix"], "ACME");
        assert_eq!(r.body["role"], "admin");

        let me = app.get("/api/v1/me", r.body["access_token"].as_str().unwrap()).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["user"]["email"], ADMIN_EMAIL);
        assert_eq!(me.body["role"], "admin");
        assert!(me.body["token"].is_null());
        assert_eq!(me.body["workspace"]["name"], "Acme Support");
    }
}

db_test! {
    async fn bad_credentials_answer_the_same_401(app: TestApp) {
        let wrong = app.post("/api/v1/auth/login", "", json!({"email": ADMIN_EMAIL, "password": "wrong password"})).await;
        wrong.assert_problem(401);
        let unknown = app.post("/api/v1/auth/login", "", json!({"email": "nobody@acme.test", "password": "wrong password"})).await;
        unknown.assert_problem(401);
        assert_eq!(wrong.body["detail"], unknown.body["detail"]);
        let missing = app.post("/api/v1/auth/login", "", json!({"email": ADMIN_EMAIL})).await;
        assert_eq!(missing.assert_problem(422), ["password"]);
    }
}

db_test! {
    async fn api_tokens_are_shown_once_scoped_and_revocable(app: TestApp) {
        let r = app.post("/api/v1/api-tokens", &app.admin, json!({"name": "chat backend", "scopes": ["tickets:read"]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        let id = r.body["id"].as_str().unwrap().to_owned();
        assert!(secret.starts_with(&format!("tkd_{}_", id.replace('-', ""))));

        let me = app.get("/api/v1/me", &secret).await;
        assert_eq!(me.status, 200);
        assert!(me.body["user"].is_null() && me.body["role"].is_null());
        assert_eq!(me.body["token"]["scopes"], json!(["tickets:read"]));

        assert_eq!(app.get("/api/v1/tickets", &secret).await.status, 200);
        app.post("/api/v1/tickets", &secret, json!({"subject": "s", "body": "b"})).await.assert_problem(403);

        let list = app.get("/api/v1/api-tokens", &app.admin).await;
        assert_eq!(list.status, 200);
        assert!(!list.text.contains(&secret), "the secret is never listed again");
        assert!(list.body["data"].as_array().unwrap().iter().any(|t| t["id"] == id.as_str()));

        assert_eq!(app.delete(&format!("/api/v1/api-tokens/{id}"), &app.admin).await.status, 204);
        app.get("/api/v1/me", &secret).await.assert_problem(401);
        let list = app.get("/api/v1/api-tokens", &app.admin).await;
        let token = list.body["data"].as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).unwrap().clone();
        assert!(token["revoked_at"].is_string());
    }
}

db_test! {
    async fn admin_scope_implies_every_scope(app: TestApp) {
        let admin_token = app.token(&[Scope::Admin]).await;
        assert_eq!(app.get("/api/v1/tickets", &admin_token).await.status, 200);
        assert_eq!(app.get("/api/v1/api-tokens", &admin_token).await.status, 200);
        let created = app.post("/api/v1/tickets", &admin_token, json!({"subject": "s", "body": "b"})).await;
        assert_eq!(created.status, 201);
    }
}
