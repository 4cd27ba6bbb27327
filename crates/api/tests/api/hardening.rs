//! Security review fixes: link tokens instead of credentials in URLs, event streams that end
//! with their credential and are capped, bounded password hashing, sign-in limits that count
//! failures only and hold across instances.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use domain::UserId;
use domain::auth::{Role, Scope};
use serde_json::json;

use crate::db_test;
use crate::helpers::*;
use crate::notifications::link_token;

const LOGIN: &str = "/api/v1/auth/login";

/// `GET /api/v1/events` at `base` with a bearer token or a `?link_token=`.
async fn open(app: &TestApp, base: &str, bearer: Option<&str>, link: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{base}/api/v1/events"));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    if let Some(link) = link {
        req = req.query(&[("link_token", link)]);
    }
    req.send().await.unwrap()
}

/// Opens a stream and asserts it is open (200 and the first comment).
async fn open_ok(app: &TestApp, base: &str, bearer: Option<&str>, link: Option<&str>) -> reqwest::Response {
    let mut r = open(app, base, bearer, link).await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let hello = tokio::time::timeout(Duration::from_secs(5), r.chunk()).await.unwrap().unwrap().unwrap();
    assert!(std::str::from_utf8(&hello).unwrap().starts_with(": connected"));
    r
}

/// Whether the stream ends (the server closes it) within `within`.
async fn ends_within(stream: &mut reqwest::Response, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.chunk()).await {
            Err(_) => return false,
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) | Ok(Err(_)) => return true,
        }
    }
}

db_test! {
    async fn link_tokens_are_single_use_short_lived_hashed_and_for_their_paths_only(app: TestApp) {
        let link = link_token(&app, &app.operator).await;
        assert!(link.starts_with("tkl_"));
        // Not valid on other paths, nor with another method; trying does not use it up.
        for path in ["/api/v1/tickets", "/api/v1/me", "/api/v1/users"] {
            let r = app.client.get(format!("{}{path}", app.address)).query(&[("link_token", &link)]).send().await.unwrap();
            TestApp::read(r).await.assert_problem(401);
        }
        let r = app.client.post(format!("{}/api/v1/events", app.address)).query(&[("link_token", &link)]).send().await.unwrap();
        assert_ne!(r.status(), 200);
        // Good for one stream, which acts with the operator's rights.
        let stream = open_ok(&app, &app.address, None, Some(&link)).await;
        drop(stream);
        let again = TestApp::read(open(&app, &app.address, None, Some(&link)).await).await;
        again.assert_problem(401);
        assert!(again.body["detail"].as_str().unwrap().contains("already used"), "{}", again.text);

        // Stored as a hash only.
        use sea_orm::{ConnectionTrait, Statement};
        let other = link_token(&app, &app.admin).await;
        let backend = app.store.connection().get_database_backend();
        let rows = app
            .store
            .connection()
            .query_all_raw(Statement::from_string(backend, "SELECT token_hash, credential_key FROM link_tokens"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "the used one is gone, the new one is there");
        let hash: String = rows[0].try_get_by_index(0).unwrap();
        let key: String = rows[0].try_get_by_index(1).unwrap();
        assert!(!hash.contains(&other) && !other.contains(&hash) && hash.len() == 64);
        assert!(!key.contains(&app.admin), "the JWT itself is not stored");

        // Expired: 60 s after it was made it no longer opens anything.
        let auth_me = app.get("/api/v1/me", &app.operator).await;
        assert_eq!(auth_me.status, 200);
        let credential = store::security::Credential {
            workspace_id: app.acme.id,
            kind: store::security::CredentialKind::Session {
                user: UserId(app.operator_id),
                session_version: 0,
                expires_at: domain::time::now() + chrono::Duration::hours(1),
            },
            key: "jwt:test".into(),
        };
        let expired = app
            .store
            .create_link_token(&credential, domain::time::now() - chrono::Duration::seconds(1))
            .await
            .unwrap();
        TestApp::read(open(&app, &app.address, None, Some(&expired)).await).await.assert_problem(401);
        let fresh = app
            .store
            .create_link_token(&credential, domain::time::now() + chrono::Duration::seconds(60))
            .await
            .unwrap();
        drop(open_ok(&app, &app.address, None, Some(&fresh)).await);

        // An API token's link token acts with its scopes; a link token cannot make another
        // credential (it is not a bearer token).
        let reader = app.token(&[Scope::TicketsRead]).await;
        let link = link_token(&app, &reader).await;
        drop(open_ok(&app, &app.address, None, Some(&link)).await);
        let link = link_token(&app, &reader).await;
        app.post("/api/v1/auth/link-tokens", &link, json!({})).await.assert_problem(401);
        app.request(reqwest::Method::POST, "/api/v1/auth/link-tokens", None, None).await.assert_problem(401);
        // The CSV export takes link tokens too (allow-listed with the stream).
        assert!(api::extract::LINK_TOKEN_PATHS.contains(&"/api/v1/tickets/export.csv"));
    }
}

db_test! {
    async fn a_link_token_of_a_removed_member_opens_nothing(app: TestApp) {
        let link = link_token(&app, &app.operator).await;
        let r = app.delete(&format!("/api/v1/users/{}", app.operator_id), &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        TestApp::read(open(&app, &app.address, None, Some(&link)).await).await.assert_problem(401);
    }
}

/// A server on the test's database whose streams re-check their credential every 200 ms.
async fn quick_checks(app: &TestApp) -> String {
    app.spawn_server(api::SecuritySettings {
        stream_check_interval: Duration::from_millis(200),
        ..generous_limits()
    })
    .await
}

db_test! {
    async fn a_stream_ends_at_the_expiry_of_its_session(app: TestApp) {
        let base = quick_checks(&app).await;
        let short = api::JwtKeys::new(JWT_SECRET.as_bytes(), 2)
            .issue(UserId(app.operator_id), app.acme.id, Role::Operator, 0)
            .unwrap();
        let mut direct = open_ok(&app, &base, Some(&short), None).await;
        let link = link_token(&app, &short).await;
        let mut linked = open_ok(&app, &base, None, Some(&link)).await;
        let mut lasting = open_ok(&app, &base, Some(&app.operator), None).await;
        let started = Instant::now();
        assert!(ends_within(&mut direct, Duration::from_secs(6)).await, "the stream outlived its JWT");
        assert!(ends_within(&mut linked, Duration::from_secs(2)).await, "the link token's stream outlived its JWT");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!ends_within(&mut lasting, Duration::from_millis(600)).await, "a valid session's stream goes on");
    }
}

db_test! {
    async fn a_stream_ends_when_its_api_token_is_revoked(app: TestApp) {
        let base = quick_checks(&app).await;
        let (token, secret) = app.store.create_token(app.acme.id, "reader", &[Scope::TicketsRead], None).await.unwrap();
        let mut direct = open_ok(&app, &base, Some(&secret), None).await;
        let link = link_token(&app, &secret).await;
        let mut linked = open_ok(&app, &base, None, Some(&link)).await;
        assert!(!ends_within(&mut direct, Duration::from_millis(500)).await);
        let r = app.delete(&format!("/api/v1/api-tokens/{}", token.id.0), &app.admin).await;
        assert!(r.status.is_success(), "{}", r.text);
        assert!(ends_within(&mut direct, Duration::from_secs(3)).await, "the stream outlived its revoked token");
        assert!(ends_within(&mut linked, Duration::from_secs(3)).await, "the link token's stream outlived it");
    }
}

db_test! {
    async fn a_stream_ends_when_the_member_is_removed_or_changes_password(app: TestApp) {
        let base = quick_checks(&app).await;
        let mut operator = open_ok(&app, &base, Some(&app.operator), None).await;
        let mut admin = open_ok(&app, &base, Some(&app.admin), None).await;
        let r = app.delete(&format!("/api/v1/users/{}", app.operator_id), &app.admin).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(ends_within(&mut operator, Duration::from_secs(3)).await, "a removed member's stream goes on");
        assert!(!ends_within(&mut admin, Duration::from_millis(500)).await, "others' streams go on");

        let link = link_token(&app, &app.admin).await;
        let mut linked = open_ok(&app, &base, None, Some(&link)).await;
        let r = app
            .post("/api/v1/me/password", &app.admin, json!({"current_password": ADMIN_PASSWORD, "new_password": "a brand new password"}))
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(ends_within(&mut admin, Duration::from_secs(3)).await, "the stream outlived a password change");
        assert!(ends_within(&mut linked, Duration::from_secs(3)).await, "the link token's stream outlived it");
    }
}

db_test! {
    async fn at_most_ten_streams_per_credential_and_a_global_cap(app: TestApp) {
        // Frequent keep-alives: the server notices a closed stream at its next write.
        let base = app
            .spawn_server(api::SecuritySettings { stream_keep_alive: Duration::from_millis(100), ..generous_limits() })
            .await;
        let mut streams = Vec::new();
        for _ in 0..10 {
            streams.push(open_ok(&app, &base, Some(&app.operator), None).await);
        }
        let r = TestApp::read(open(&app, &base, Some(&app.operator), None).await).await;
        r.assert_problem(429);
        assert!(r.headers.contains_key("retry-after"));
        assert!(r.body["detail"].as_str().unwrap().contains("10"), "{}", r.text);
        // A link token counts as the credential that made it.
        let link = link_token(&app, &app.operator).await;
        TestApp::read(open(&app, &base, None, Some(&link)).await).await.assert_problem(429);
        // Another credential has its own count.
        let other = open_ok(&app, &base, Some(&app.admin), None).await;
        drop(other);
        // A closed stream gives its place back.
        streams.pop();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let r = open(&app, &base, Some(&app.operator), None).await;
            if r.status() == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "the closed stream's place never came back");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let capped = app.spawn_server(api::SecuritySettings { streams_total: 2, ..generous_limits() }).await;
        let _a = open_ok(&app, &capped, Some(&app.operator), None).await;
        let _b = open_ok(&app, &capped, Some(&app.admin), None).await;
        let reader = app.token(&[Scope::TicketsRead]).await;
        TestApp::read(open(&app, &capped, Some(&reader), None).await).await.assert_problem(429);
    }
}

db_test! {
    async fn concurrent_password_hashing_is_bounded_then_503(app: TestApp) {
        let base = app
            .spawn_server(api::SecuritySettings { hash_concurrency: 1, hash_queue: 0, ..generous_limits() })
            .await;
        let attempts = (0..8).map(|_| {
            let req = app.client.post(format!("{base}{LOGIN}")).json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}));
            async move { TestApp::read(req.send().await.unwrap()).await }
        });
        let answers = futures_util::future::join_all(attempts).await;
        let busy: Vec<&Response> = answers.iter().filter(|r| r.status == 503).collect();
        assert!(answers.iter().any(|r| r.status == 200), "one at a time still gets through");
        assert!(!busy.is_empty(), "eight at once with one slot and no queue: {:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
        for r in busy {
            r.assert_problem(503);
            assert!(r.body["type"].as_str().unwrap().ends_with("/busy"), "{}", r.text);
            let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(retry >= 1);
        }
        assert!(answers.iter().all(|r| r.status == 200 || r.status == 503));
    }
}

/// A sign-in at `base` from the address `from` (the server trusts the proxy header).
async fn sign_in(app: &TestApp, base: &str, email: &str, password: &str, from: &str) -> Response {
    let req = app
        .client
        .post(format!("{base}{LOGIN}"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}));
    TestApp::read(req.send().await.unwrap()).await
}

db_test! {
    async fn only_failures_count_and_a_correct_password_gets_through_an_account_lock(app: TestApp) {
        let base = app
            .spawn_server(api::SecuritySettings {
                login_per_account: 2,
                login_account_lock: 3,
                trust_proxy: true,
                ..generous_limits()
            })
            .await;
        // Successes count nowhere: the real user signs in as often as they like.
        for _ in 0..5 {
            assert_eq!(sign_in(&app, &base, ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.1").await.status, 200);
        }
        // Guessers from three addresses lock the account (3 failures)...
        for from in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
            sign_in(&app, &base, ADMIN_EMAIL, "a wrong guess", from).await.assert_problem(401);
        }
        // ...for the addresses that failed on it, even with the right password...
        let r = sign_in(&app, &base, ADMIN_EMAIL, ADMIN_PASSWORD, "203.0.113.1").await;
        r.assert_problem(429);
        assert!(r.headers.contains_key("retry-after"));
        sign_in(&app, &base, ADMIN_EMAIL, "another guess", "203.0.113.2").await.assert_problem(429);
        // ...but not for the real user, whose address has not failed.
        assert_eq!(sign_in(&app, &base, ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.1").await.status, 200);
        // A new address gets one check: its failure is counted and locks it out too.
        sign_in(&app, &base, ADMIN_EMAIL, "guess", "192.0.2.50").await.assert_problem(401);
        sign_in(&app, &base, ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.50").await.assert_problem(429);

        // Per account and address: two failures, then 429 for that address only. IPv6
        // addresses count by /64.
        for from in ["2001:db8:7:7::1", "2001:db8:7:7:ffff::2"] {
            sign_in(&app, &base, OPERATOR_EMAIL, "wrong", from).await.assert_problem(401);
        }
        sign_in(&app, &base, OPERATOR_EMAIL, OPERATOR_PASSWORD, "2001:db8:7:7::99").await.assert_problem(429);
        assert_eq!(sign_in(&app, &base, OPERATOR_EMAIL, OPERATOR_PASSWORD, "2001:db8:7:8::1").await.status, 200);
    }
}

db_test! {
    async fn two_instances_share_the_sign_in_failure_limit(app: TestApp) {
        let settings = api::SecuritySettings { login_per_account: 2, ..generous_limits() };
        let a = app.spawn_server(settings.clone()).await;
        let b = app.spawn_server(settings).await;
        let wrong = json!({"email": ADMIN_EMAIL, "password": "wrong password"});
        app.request_at(&a, reqwest::Method::POST, LOGIN, None, Some(&wrong)).await.assert_problem(401);
        app.request_at(&b, reqwest::Method::POST, LOGIN, None, Some(&wrong)).await.assert_problem(401);
        // One failure on each instance: two for the account, on both.
        let right = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
        for base in [&a, &b] {
            app.request_at(base, reqwest::Method::POST, LOGIN, None, Some(&right)).await.assert_problem(429);
        }
    }
}

db_test! {
    async fn tool_and_cta_limits_are_shared_by_instances(app: TestApp) {
        let settings = api::SecuritySettings { cta_clicks_per_token: 1, ..generous_limits() };
        let a = app.spawn_server(settings.clone()).await;
        let b = app.spawn_server(settings).await;
        let bot = app.token(&[Scope::ConversationsWrite]).await;
        let path = format!("/api/v1/cta-rules/{}/clicks", uuid::Uuid::now_v7());
        let body = json!({"conversation_id": uuid::Uuid::now_v7()});
        // The first click counts (its rule is unknown: 404), the second is over the limit
        // on the other instance too.
        let first = app.request_at(&a, reqwest::Method::POST, &path, Some(&bot), Some(&body)).await;
        assert_eq!(first.status, 404, "{}", first.text);
        let second = app.request_at(&b, reqwest::Method::POST, &path, Some(&bot), Some(&body)).await;
        second.assert_problem(429);
    }
}
