//! Sign-in, sessions, API tokens, roles and scopes.

// Test bodies run in `db_test!`'s `run`, not in a `#[test]` fn, so `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

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

// ---------------------------------------------------------------------------------------
// Authentication: what answers 401, always as problem+json with a Bearer challenge.
// ---------------------------------------------------------------------------------------

use api::jwt::Claims;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::auth::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

/// Asserts a 401 problem carrying the `WWW-Authenticate: Bearer` challenge.
pub(crate) fn assert_unauthorized(r: &Response) {
    r.assert_problem(401);
    let challenge = r.headers.get("www-authenticate").and_then(|v| v.to_str().ok());
    assert_eq!(challenge, Some("Bearer"), "WWW-Authenticate of {}", r.text);
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
        .unwrap()
}

/// Session claims for a user of a workspace, valid for `ttl` seconds from now (negative: expired).
pub(crate) fn claims(user: Uuid, ws: Uuid, role: Role, ttl: i64) -> Claims {
    let now = unix_now();
    Claims { sub: user, ws, role, sv: 0, iat: now.min(now + ttl) - 1, exp: now + ttl }
}

/// A JWT signed with `secret` and `alg`.
pub(crate) fn sign(claims: &Claims, secret: &[u8], alg: Algorithm) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// Sends `Authorization: <value>` verbatim.
async fn with_authorization(app: &TestApp, path: &str, value: &str) -> Response {
    let r =
        app.client.get(format!("{}{path}", app.address)).header("authorization", value).send().await.unwrap();
    TestApp::read(r).await
}

/// Deletes `user`'s membership of `ws` with raw SQL (UUIDs bound as values: 16-byte blobs on SQLite).
pub(crate) async fn remove_member(app: &TestApp, ws: Uuid, user: Uuid) {
    let db = app.store.connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2",
        _ => "DELETE FROM memberships WHERE user_id = ? AND workspace_id = ?",
    };
    let done =
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [user.into(), ws.into()])).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "the membership row was deleted");
}

db_test! {
    async fn requests_without_a_bearer_credential_answer_401(app: TestApp) {
        for path in ["/api/v1/me", "/api/v1/tickets", "/api/v1/users", "/api/v1/api-tokens"] {
            let r = app.request(Method::GET, path, None, None).await;
            assert_unauthorized(&r);
            assert!(r.body["detail"].as_str().unwrap().contains("Bearer"), "{path}: {}", r.text);
        }
        let r = app.request(Method::POST, "/api/v1/tickets", None, Some(&json!({"subject": "s", "body": "b"}))).await;
        assert_unauthorized(&r);

        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{ADMIN_EMAIL}:{ADMIN_PASSWORD}")));
        for value in [basic.as_str(), "Token abc", "Bearer", "Bearer ", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer ..."] {
            let r = with_authorization(&app, "/api/v1/me", value).await;
            assert_unauthorized(&r);
        }
        // A scheme with another case is still the Bearer scheme (RFC 9110: case-insensitive).
        let r = with_authorization(&app, "/api/v1/me", &format!("bearer {}", app.admin)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}

db_test! {
    async fn jwts_not_signed_by_the_server_answer_401(app: TestApp) {
        let mine = claims(app.admin_id, app.acme.id.0, Role::Admin, 600);
        // The control: the same claims signed with the server's key are accepted.
        let good = sign(&mine, JWT_SECRET.as_bytes(), Algorithm::HS256);
        let r = app.get("/api/v1/me", &good).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["user"]["id"], app.admin_id.to_string());

        let other_key = sign(&mine, b"another-secret-another-secret-another!", Algorithm::HS256);
        assert_unauthorized(&app.get("/api/v1/me", &other_key).await);

        // Another HMAC algorithm with the right key: only HS256 is accepted.
        let hs512 = sign(&mine, JWT_SECRET.as_bytes(), Algorithm::HS512);
        assert_unauthorized(&app.get("/api/v1/me", &hs512).await);

        // `alg: none`, unsigned, with or without a signature part.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&mine).unwrap());
        for token in [format!("{header}.{payload}."), format!("{header}.{payload}"), format!("{header}.{payload}.{}", good.rsplit('.').next().unwrap())] {
            assert_unauthorized(&app.get("/api/v1/me", &token).await);
        }

        // The operator's real token with its payload swapped for an admin's: the signature no longer fits.
        let mut parts = app.operator.split('.');
        let (op_header, _, op_signature) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let forged = format!("{op_header}.{payload}.{op_signature}");
        assert_unauthorized(&app.get("/api/v1/me", &forged).await);
        assert_unauthorized(&app.get("/api/v1/api-tokens", &forged).await);
    }
}

db_test! {
    async fn expired_jwts_answer_401(app: TestApp) {
        let expired = sign(&claims(app.admin_id, app.acme.id.0, Role::Admin, -30), JWT_SECRET.as_bytes(), Algorithm::HS256);
        let r = app.get("/api/v1/me", &expired).await;
        assert_unauthorized(&r);
        assert!(r.body["detail"].as_str().unwrap().contains("expired"), "{}", r.text);
        assert_unauthorized(&app.get("/api/v1/tickets", &expired).await);

        // A JWT without `exp` never expires, so it is refused outright.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let no_exp = json!({"sub": app.admin_id, "ws": app.acme.id.0, "role": "admin", "iat": unix_now()});
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(no_exp.to_string()));
        let signature = jsonwebtoken::crypto::sign(signing_input.as_bytes(), &EncodingKey::from_secret(JWT_SECRET.as_bytes()), Algorithm::HS256).unwrap();
        assert_unauthorized(&app.get("/api/v1/me", &format!("{signing_input}.{signature}")).await);

        let fresh = sign(&claims(app.admin_id, app.acme.id.0, Role::Admin, 30), JWT_SECRET.as_bytes(), Algorithm::HS256);
        assert_eq!(app.get("/api/v1/me", &fresh).await.status, 200);
    }
}

db_test! {
    async fn a_removed_member_s_session_answers_401(app: TestApp) {
        assert_eq!(app.get("/api/v1/me", &app.operator).await.status, 200);
        remove_member(&app, app.acme.id.0, app.operator_id).await;
        for path in ["/api/v1/me", "/api/v1/tickets", "/api/v1/users"] {
            let r = app.get(path, &app.operator).await;
            assert_unauthorized(&r);
            assert!(r.body["detail"].as_str().unwrap().contains("no longer a member"), "{}", r.text);
        }
        // Nobody else is affected, and the removed user is gone from the member list.
        let users = app.get("/api/v1/users", &app.admin).await;
        assert_eq!(users.status, 200);
        assert!(users.body["data"].as_array().unwrap().iter().all(|u| u["id"] != app.operator_id.to_string()));
        // They cannot sign in again either: no workspace left.
        let r = app.post("/api/v1/auth/login", "", json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})).await;
        assert_unauthorized(&r);
    }
}

db_test! {
    async fn a_session_is_bound_to_a_workspace_the_user_belongs_to(app: TestApp) {
        // Correctly signed, but for a workspace the user is not a member of.
        let foreign = sign(&claims(app.admin_id, app.other.id.0, Role::Admin, 600), JWT_SECRET.as_bytes(), Algorithm::HS256);
        assert_unauthorized(&app.get("/api/v1/me", &foreign).await);
        assert_unauthorized(&app.get("/api/v1/tickets", &foreign).await);
        // A user or workspace that does not exist.
        let ghost = sign(&claims(Uuid::new_v4(), app.acme.id.0, Role::Admin, 600), JWT_SECRET.as_bytes(), Algorithm::HS256);
        assert_unauthorized(&app.get("/api/v1/me", &ghost).await);
        let nowhere = sign(&claims(app.admin_id, Uuid::new_v4(), Role::Admin, 600), JWT_SECRET.as_bytes(), Algorithm::HS256);
        assert_unauthorized(&app.get("/api/v1/me", &nowhere).await);
    }
}

db_test! {
    async fn the_role_comes_from_the_membership_not_from_the_jwt(app: TestApp) {
        // A validly signed token whose `role` claim says admin, for the operator.
        let inflated = sign(&claims(app.operator_id, app.acme.id.0, Role::Admin, 600), JWT_SECRET.as_bytes(), Algorithm::HS256);
        let me = app.get("/api/v1/me", &inflated).await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.body["role"], "operator");
        app.get("/api/v1/api-tokens", &inflated).await.assert_problem(403);
        app.post("/api/v1/api-tokens", &inflated, json!({"name": "n", "scopes": ["admin"]})).await.assert_problem(403);
        // And the other way round: an admin whose token says operator is still an admin.
        let modest = sign(&claims(app.admin_id, app.acme.id.0, Role::Operator, 600), JWT_SECRET.as_bytes(), Algorithm::HS256);
        assert_eq!(app.get("/api/v1/api-tokens", &modest).await.status, 200);
    }
}

// ---------------------------------------------------------------------------------------
// API tokens.
// ---------------------------------------------------------------------------------------

db_test! {
    async fn unknown_api_tokens_answer_401(app: TestApp) {
        let (token, secret) = app.store.create_token(app.acme.id, "real", &[Scope::Admin], None).await.unwrap();
        assert_eq!(app.get("/api/v1/me", &secret).await.status, 200);

        let random = format!("tkd_{}_{}", Uuid::new_v4().simple(), URL_SAFE_NO_PAD.encode([7u8; 32]));
        // The real token's id with a wrong secret, and the real secret altered by one character.
        let wrong_secret = format!("tkd_{}_{}", token.id.0.simple(), URL_SAFE_NO_PAD.encode([7u8; 32]));
        let mut altered = secret.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        for credential in [random.as_str(), wrong_secret.as_str(), altered.as_str(), "tkd_", "tkd_x_y", &secret[..secret.len() - 1]] {
            let r = app.get("/api/v1/me", credential).await;
            assert_unauthorized(&r);
            assert!(r.body["detail"].as_str().unwrap().contains("unknown or revoked"), "{credential}: {}", r.text);
        }
        // The failures did not disturb the real token.
        assert_eq!(app.get("/api/v1/tickets", &secret).await.status, 200);
    }
}

db_test! {
    async fn a_revoked_api_token_answers_401_everywhere(app: TestApp) {
        let (token, secret) = app.store.create_token(app.acme.id, "soon revoked", &[Scope::Admin], None).await.unwrap();
        assert_eq!(app.get("/api/v1/tickets", &secret).await.status, 200);
        let path = format!("/api/v1/api-tokens/{}", token.id.0);
        assert_eq!(app.delete(&path, &app.admin).await.status, 204);
        for path in ["/api/v1/me", "/api/v1/tickets", "/api/v1/users", "/api/v1/api-tokens"] {
            assert_unauthorized(&app.get(path, &secret).await);
        }
        assert_unauthorized(&app.post("/api/v1/tickets", &secret, json!({"subject": "s", "body": "b"})).await);
        // A revoked token cannot revoke anything either, not even itself.
        assert_unauthorized(&app.delete(&path, &secret).await);
        // Revoking again is harmless and keeps the first revocation time.
        let revoked_at = || async {
            let list = app.get("/api/v1/api-tokens", &app.admin).await;
            list.body["data"].as_array().unwrap().iter().find(|t| t["id"] == token.id.0.to_string()).unwrap()["revoked_at"].clone()
        };
        let first = revoked_at().await;
        assert!(first.is_string(), "{first}");
        assert_eq!(app.delete(&path, &app.admin).await.status, 204);
        assert_eq!(revoked_at().await, first);
    }
}

db_test! {
    async fn revoking_a_token_that_is_not_a_uuid_answers_404(app: TestApp) {
        let missing = app.delete(&format!("/api/v1/api-tokens/{}", Uuid::new_v4()), &app.admin).await;
        missing.assert_problem(404);
        for id in ["not-a-uuid", "123", "tkd_abc", "%20"] {
            let r = app.delete(&format!("/api/v1/api-tokens/{id}"), &app.admin).await;
            r.assert_problem(404);
            assert_eq!(r.body, missing.body, "{id}");
        }
    }
}

db_test! {
    async fn creating_a_token_validates_name_and_scopes(app: TestApp) {
        let post = |body| app.post("/api/v1/api-tokens", &app.admin, body);
        let fields = |r: Response| {
            let fields = r.assert_problem(422);
            assert!(r.body["errors"].as_object().unwrap().values().all(|m| !m[0].as_str().unwrap().is_empty()));
            fields
        };
        // Fields inside the list are named by their JSON path (`errors` keys are paths: `scopes[0]`).
        let r = post(json!({"name": "n", "scopes": ["tickets:delete"]})).await;
        assert!(r.body["errors"]["scopes[0]"][0].as_str().unwrap().contains("tickets:delete"), "{}", r.text);
        assert_eq!(fields(r), ["scopes[0]"]);
        assert_eq!(fields(post(json!({"name": "n", "scopes": ["tickets:read", "everything"]})).await), ["scopes[1]"]);
        assert_eq!(fields(post(json!({"name": "n", "scopes": [5]})).await), ["scopes[0]"]);
        assert_eq!(fields(post(json!({"name": "n", "scopes": []})).await), ["scopes"]);
        assert_eq!(fields(post(json!({"name": "n", "scopes": "admin"})).await), ["scopes"]);
        assert_eq!(fields(post(json!({"name": "n"})).await), ["scopes"]);
        assert_eq!(fields(post(json!({"name": "", "scopes": ["admin"]})).await), ["name"]);
        assert_eq!(fields(post(json!({"name": "   ", "scopes": ["admin"]})).await), ["name"]);
        assert_eq!(fields(post(json!({"name": "x".repeat(101), "scopes": ["admin"]})).await), ["name"]);
        assert_eq!(fields(post(json!({"scopes": ["admin"]})).await), ["name"]);
        assert_eq!(fields(post(json!({"name": "", "scopes": []})).await), ["name", "scopes"]);
        assert_eq!(fields(post(json!({"name": "n", "scopes": ["admin"], "expires": 1})).await), ["expires"]);
        app.raw(Method::POST, "/api/v1/api-tokens", &app.admin, "{\"name\": ").await.assert_problem(400);
        // None of those created a token.
        assert_eq!(app.get("/api/v1/api-tokens", &app.admin).await.body["data"], json!([]));

        // Duplicates collapse and the order is canonical; the name is trimmed.
        let r = post(json!({"name": "  ci  ", "scopes": ["tickets:write", "tickets:read", "tickets:write"]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["name"], "ci");
        assert_eq!(r.body["scopes"], json!(["tickets:read", "tickets:write"]));
        assert!(r.body["last_used_at"].is_null() && r.body["revoked_at"].is_null());
    }
}

db_test! {
    async fn last_used_at_is_recorded_after_a_use(app: TestApp) {
        let r = app.post("/api/v1/api-tokens", &app.admin, json!({"name": "used", "scopes": ["tickets:read"]})).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let (id, secret) = (r.body["id"].clone(), r.body["secret"].as_str().unwrap().to_owned());
        let last_used = || async {
            let list = app.get("/api/v1/api-tokens", &app.admin).await;
            list.body["data"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap()["last_used_at"].clone()
        };
        assert!(last_used().await.is_null(), "unused so far");

        let before = chrono::Utc::now() - chrono::Duration::seconds(1);
        assert_eq!(app.get("/api/v1/tickets", &secret).await.status, 200);
        let mut seen = serde_json::Value::Null;
        for _ in 0..40 {
            seen = last_used().await;
            if !seen.is_null() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let at: chrono::DateTime<chrono::Utc> = seen.as_str().expect("last_used_at set within 2 s").parse().unwrap();
        assert!(at >= before && at <= chrono::Utc::now() + chrono::Duration::seconds(1), "{at}");
    }
}

db_test! {
    async fn me_describes_each_kind_of_caller(app: TestApp) {
        let me = app.get("/api/v1/me", &app.operator).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.body["role"], "operator");
        assert_eq!(me.body["user"], json!({"id": app.operator_id, "name": "Olivia Operator", "email": OPERATOR_EMAIL}));
        assert_eq!(me.body["workspace"], json!({"id": app.acme.id.0, "name": "Acme Support", "ticket_prefix": "ACME"}));
        assert!(me.body["token"].is_null());

        let (token, secret) = app.store.create_token(app.acme.id, "bot", &[Scope::ToolsInvoke, Scope::ConversationsWrite], None).await.unwrap();
        let me = app.get("/api/v1/me", &secret).await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.body["token"], json!({"id": token.id.0, "name": "bot", "scopes": ["conversations:write", "tools:invoke"]}));
        assert!(me.body["user"].is_null() && me.body["role"].is_null());
        assert_eq!(me.body["workspace"]["ticket_prefix"], "ACME");

        let me = app.get("/api/v1/me", &app.other_admin).await;
        assert_eq!(me.body["workspace"]["ticket_prefix"], "OTHER");
        assert_eq!(me.body["user"]["email"], OTHER_ADMIN_EMAIL);
    }
}

// ---------------------------------------------------------------------------------------
// Sign-in with several workspaces.
// ---------------------------------------------------------------------------------------

db_test! {
    async fn a_member_of_two_workspaces_chooses_one_at_sign_in(app: TestApp) {
        let email = domain::workspace::Email::parse(OTHER_ADMIN_EMAIL).unwrap();
        let ignored = domain::workspace::NewPassword::parse("a password that is not used").unwrap();
        app.store.create_member("ACME", &email, "Someone Else", &ignored, Role::Operator).await.unwrap();
        let login = |body| app.post("/api/v1/auth/login", "", body);

        // The existing user keeps their password (and their name).
        assert_unauthorized(&login(json!({"email": OTHER_ADMIN_EMAIL, "password": "a password that is not used", "workspace": "ACME"})).await);

        let r = login(json!({"email": OTHER_ADMIN_EMAIL, "password": OTHER_ADMIN_PASSWORD})).await;
        assert_eq!(r.assert_problem(422), ["workspace"]);
        let message = r.body["errors"]["workspace"][0].as_str().unwrap();
        assert!(message.contains("ACME") && message.contains("OTHER"), "{message}");

        let acme = login(json!({"email": OTHER_ADMIN_EMAIL, "password": OTHER_ADMIN_PASSWORD, "workspace": "ACME"})).await;
        assert_eq!(acme.status, 200, "{}", acme.text);
        assert_eq!(acme.body["workspace"]["ticket_prefix"], "ACME");
        assert_eq!(acme.body["role"], "operator");
        assert_eq!(acme.body["user"]["name"], "Oscar Other");
        let other = login(json!({"email": OTHER_ADMIN_EMAIL, "password": OTHER_ADMIN_PASSWORD, "workspace": " other "})).await;
        assert_eq!(other.status, 200, "{}", other.text);
        assert_eq!(other.body["workspace"]["ticket_prefix"], "OTHER");
        assert_eq!(other.body["role"], "admin");
        // By id too.
        let by_id = login(json!({"email": OTHER_ADMIN_EMAIL, "password": OTHER_ADMIN_PASSWORD, "workspace": app.acme.id.0.to_string()})).await;
        assert_eq!(by_id.status, 200, "{}", by_id.text);
        assert_eq!(by_id.body["workspace"]["id"], app.acme.id.0.to_string());

        // Each session acts in its own workspace with its own role.
        let acme_token = acme.body["access_token"].as_str().unwrap();
        let other_token = other.body["access_token"].as_str().unwrap();
        app.ticket("Acme only").await;
        let seen = app.get("/api/v1/tickets", acme_token).await;
        assert_eq!(seen.body["data"][0]["subject"], "Acme only");
        assert_eq!(app.get("/api/v1/tickets", other_token).await.body["data"], json!([]));
        app.get("/api/v1/api-tokens", acme_token).await.assert_problem(403);
        assert_eq!(app.get("/api/v1/api-tokens", other_token).await.status, 200);
        assert_eq!(app.get("/api/v1/me", acme_token).await.body["role"], "operator");
        assert_eq!(app.get("/api/v1/me", other_token).await.body["role"], "admin");

        // A workspace they do not belong to (or that does not exist) answers like a wrong password.
        let wrong = login(json!({"email": OTHER_ADMIN_EMAIL, "password": "wrong password", "workspace": "ACME"})).await;
        assert_unauthorized(&wrong);
        let r = login(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "workspace": "OTHER"})).await;
        assert_unauthorized(&r);
        assert_eq!(r.body["detail"], wrong.body["detail"]);
        assert_unauthorized(&login(json!({"email": OTHER_ADMIN_EMAIL, "password": OTHER_ADMIN_PASSWORD, "workspace": "NOPE"})).await);
        // A one-workspace member may name theirs.
        let r = login(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "workspace": "acme"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
