//! Hardening: rate limits (sign-in per address and per account, tool invocations and CTA
//! clicks per token), sign-in timing, body size and nesting limits, `per_page` bounds, CORS,
//! security headers, and answers that never show internals.

// Helpers outside `db_test!` bodies unwrap too; `allow-unwrap-in-tests` misses them.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use domain::auth::Scope;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::agents::{conversation, help_center};
use crate::db_test;
use crate::helpers::*;

const LOGIN: &str = "/api/v1/auth/login";

/// Asserts a 429 problem+json of type `rate-limited` with a `Retry-After` in seconds.
fn assert_rate_limited(r: &Response) -> u64 {
    r.assert_problem(429);
    assert!(r.body["type"].as_str().unwrap().ends_with("/problems/rate-limited"), "{}", r.text);
    let retry_after: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Retry-After in seconds: {:?}", r.headers));
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    retry_after
}

/// `{"email", "password"}`.
fn credentials(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password})
}

/// A sign-in attempt at `base`, from the address `forwarded_for` says (when set).
async fn login_at(app: &TestApp, base: &str, body: &Value, forwarded_for: Option<&str>) -> Response {
    let mut req = app.client.post(format!("{base}{LOGIN}")).json(body);
    if let Some(ip) = forwarded_for {
        req = req.header("x-forwarded-for", ip);
    }
    TestApp::read(req.send().await.unwrap()).await
}

db_test! {
    async fn sign_in_is_rate_limited_per_account(app: TestApp) {
        let base = app.spawn_server(api::SecuritySettings { login_per_account: 2, ..generous_limits() }).await;
        for _ in 0..2 {
            login_at(&app, &base, &credentials(ADMIN_EMAIL, "wrong password"), None).await.assert_problem(401);
        }
        // The right password does not help, and the e-mail is the same account in any case.
        let limited = login_at(&app, &base, &credentials(" ADMIN@acme.test", ADMIN_PASSWORD), None).await;
        assert_rate_limited(&limited);
        assert!(limited.body["detail"].as_str().unwrap().contains("account"), "{}", limited.text);
        // Another account from the same address is not affected.
        let other = login_at(&app, &base, &credentials(OPERATOR_EMAIL, OPERATOR_PASSWORD), None).await;
        assert_eq!(other.status, 200, "{}", other.text);
    }
}

db_test! {
    async fn sign_in_is_rate_limited_per_address_and_trusts_a_proxy_only_when_told(app: TestApp) {
        // The harness signed in three times from 127.0.0.1 already: every instance on the
        // database shares the counts.
        let tight = api::SecuritySettings { login_per_ip: 3, ..generous_limits() };
        let direct = app.spawn_server(api::SecuritySettings { login_per_ip: 6, ..tight.clone() }).await;
        for i in 0..3 {
            let body = credentials(&format!("nobody{i}@acme.test"), "wrong password");
            // A client cannot pick its own address with X-Forwarded-For.
            login_at(&app, &direct, &body, Some(&format!("198.51.100.{i}"))).await.assert_problem(401);
        }
        let limited = login_at(&app, &direct, &credentials(ADMIN_EMAIL, ADMIN_PASSWORD), Some("198.51.100.9")).await;
        assert_rate_limited(&limited);
        // Malformed attempts count too, and are refused before their body is read.
        let raw = app.client.post(format!("{direct}{LOGIN}")).header("content-type", "application/json").body("{");
        assert_rate_limited(&TestApp::read(raw.send().await.unwrap()).await);

        // Behind a trusted proxy, the address is the last X-Forwarded-For entry.
        let proxied = app.spawn_server(api::SecuritySettings { trust_proxy: true, ..tight }).await;
        for _ in 0..3 {
            let body = credentials("nobody@acme.test", "wrong password");
            login_at(&app, &proxied, &body, Some("10.9.9.9, 203.0.113.1")).await.assert_problem(401);
        }
        let body = credentials(ADMIN_EMAIL, ADMIN_PASSWORD);
        assert_rate_limited(&login_at(&app, &proxied, &body, Some("203.0.113.1")).await);
        // The first entries are the client's to choose: they do not make a new address.
        assert_rate_limited(&login_at(&app, &proxied, &body, Some("203.0.113.77, 203.0.113.1")).await);
        let elsewhere = login_at(&app, &proxied, &body, Some("203.0.113.2")).await;
        assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    }
}

db_test! {
    async fn unknown_emails_and_wrong_passwords_take_comparable_time(app: TestApp) {
        // Interleaved, so that load on the machine hits both alike; medians, so that a
        // stray slow request does not decide. Without the dummy hash an unknown e-mail
        // answers in a fraction of the time of a password check (argon2id, 19 MiB).
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        for i in 0..9 {
            for (times, email) in [(&mut unknown, format!("nobody{i}@acme.test")), (&mut wrong, ADMIN_EMAIL.to_owned())] {
                let started = Instant::now();
                let r = app.post(LOGIN, "", credentials(&email, "wrong password")).await;
                times.push(started.elapsed());
                r.assert_problem(401);
            }
        }
        let median = |times: &mut Vec<Duration>| {
            times.sort();
            times[times.len() / 2].as_secs_f64()
        };
        let (unknown, wrong) = (median(&mut unknown), median(&mut wrong));
        let ratio = unknown / wrong;
        assert!((1.0 / 3.0..=3.0).contains(&ratio), "unknown e-mail {unknown:.4}s vs wrong password {wrong:.4}s");
    }
}

db_test! {
    async fn tool_invocations_and_cta_clicks_are_rate_limited_per_token(app: TestApp) {
        let base = app
            .spawn_server(api::SecuritySettings {
                tool_invocations_per_token: 2,
                cta_clicks_per_token: 2,
                ..generous_limits()
            })
            .await;
        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let other_bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({})).await;
        let path = format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent["id"].as_str().unwrap());
        let call = |id: &str| {
            json!({"conversation_id": conv["id"], "tool_call_id": id, "input": {"subject": "Refund", "body": "Charged twice"}})
        };
        let app = &app;
        let invoke = |token: &str, body: Value| {
            let (base, path, token) = (base.clone(), path.clone(), token.to_owned());
            async move { app.request_at(&base, Method::POST, &path, Some(&token), Some(&body)).await }
        };
        assert_eq!(invoke(&bot, call("call-1")).await.status, 201);
        // A refused call counts too.
        invoke(&bot, json!({"conversation_id": conv["id"]})).await.assert_problem(422);
        let limited = invoke(&bot, call("call-2")).await;
        assert_rate_limited(&limited);
        assert!(
            limited.body["message"].as_str().is_some_and(|m| !m.trim().is_empty()),
            "the bot still has something to say: {}",
            limited.text
        );
        assert_eq!(invoke(&other_bot, call("call-3")).await.status, 201, "another token has its own limit");

        let rule = app.post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": "Talk to a human"})).await;
        assert_eq!(rule.status, 201, "{}", rule.text);
        let clicks = format!("/api/v1/cta-rules/{}/clicks", rule.body["id"].as_str().unwrap());
        let click = |token: &str| {
            let (base, clicks, token) = (base.clone(), clicks.clone(), token.to_owned());
            let body = json!({"conversation_id": conv["id"]});
            async move { app.request_at(&base, Method::POST, &clicks, Some(&token), Some(&body)).await }
        };
        assert_eq!(click(&bot).await.status, 201);
        assert_eq!(click(&bot).await.status, 200, "the same conversation: the ticket already open");
        assert_rate_limited(&click(&bot).await);
        assert_eq!(click(&other_bot).await.status, 200);
    }
}

db_test! {
    async fn bodies_over_the_route_limit_answer_413(app: TestApp) {
        let padding = "x".repeat(17 * 1024);
        // Sign-in and the admin endpoints take 16 KiB at most.
        let login = app.post(LOGIN, "", json!({"email": ADMIN_EMAIL, "password": padding})).await;
        login.assert_problem(413);
        assert!(login.body["detail"].as_str().unwrap().contains("16384"), "{}", login.text);
        app.post("/api/v1/api-tokens", &app.admin, json!({"name": padding, "scopes": ["admin"]})).await.assert_problem(413);
        app.post("/api/v1/cta-rules", &app.admin, json!({"kind": "open_ticket", "label": padding})).await.assert_problem(413);
        app.post("/api/v1/agents", &app.admin, json!({"name": padding, "vertical": "sales"})).await.assert_problem(413);
        let channel = json!({"kind": "webhook", "url": format!("https://example.com/{padding}")});
        app.post("/api/v1/notification-channels", &app.admin, channel).await.assert_problem(413);
        // Tickets take 256 KiB: the same 17 KiB is judged on its fields, not its size.
        let ticket = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": {"note": padding}})).await;
        assert_ne!(ticket.status, 413, "{}", ticket.text);
        let huge = json!({"subject": "s", "body": "b", "metadata": {"note": "x".repeat(257 * 1024)}});
        app.post("/api/v1/tickets", &app.admin, huge).await.assert_problem(413);
    }
}

db_test! {
    async fn deeply_nested_json_answers_422_naming_the_field(app: TestApp) {
        let nested = |depth: usize| -> Value {
            (0..depth).fold(json!("leaf"), |inner, _| json!({"a": inner}))
        };
        // The body is level 1: metadata may nest 31 levels, not 32.
        let ok = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": nested(31)})).await;
        assert_eq!(ok.status, 201, "{}", ok.text);
        let deep = app.post("/api/v1/tickets", &app.admin, json!({"subject": "s", "body": "b", "metadata": nested(32)})).await;
        assert_eq!(deep.assert_problem(422), ["metadata"]);
        assert!(deep.text.contains("32 levels"), "{}", deep.text);
        // Past serde_json's own recursion limit (128), still a 422 rather than a parser error.
        let deeper = format!(r#"{{"subject": "s", "body": "b", "metadata": {}1{}}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(app.raw(Method::POST, "/api/v1/tickets", &app.admin, deeper).await.assert_problem(422), ["metadata"]);

        let bot = app.token(&[Scope::ToolsInvoke, Scope::ConversationsWrite]).await;
        let agent = help_center(&app, "Helpdesk Bot").await;
        let conv = conversation(&app, &bot, &agent["id"], json!({})).await;
        let path = format!("/api/v1/agents/{}/tools/open_ticket/invocations", agent["id"].as_str().unwrap());
        let call = json!({"conversation_id": conv["id"], "tool_call_id": "c1", "input": nested(40)});
        let r = app.post(&path, &bot, call).await;
        assert_eq!(r.assert_problem(422), ["input"]);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
    }
}

db_test! {
    async fn per_page_is_bounded(app: TestApp) {
        for bad in ["0", "101", "-1", "1000000000000"] {
            let r = app.get(&format!("/api/v1/tickets?per_page={bad}"), &app.admin).await;
            assert_eq!(r.assert_problem(422), ["per_page"], "per_page={bad}");
        }
        assert_eq!(app.get("/api/v1/tickets?per_page=100", &app.admin).await.status, 200);
    }
}

/// A CORS preflight for `POST /api/v1/tickets` from `origin`.
async fn preflight(app: &TestApp, base: &str, origin: &str) -> Response {
    let req = app
        .client
        .request(Method::OPTIONS, format!("{base}/api/v1/tickets"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type, idempotency-key");
    TestApp::read(req.send().await.unwrap()).await
}

fn allow_origin(r: &Response) -> Option<&str> {
    r.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok())
}

/// A refused preflight: 400 problem+json, no CORS headers.
#[track_caller]
fn assert_cors_refused(r: &Response, origin: &str) {
    assert_eq!(r.status, 400, "preflight from {origin}: {}", r.body);
    assert_eq!(r.headers["content-type"], "application/problem+json", "preflight from {origin}");
    assert_eq!(r.body["status"], 400, "{}", r.body);
    assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("cross-origin")), "{}", r.body);
    assert_eq!(allow_origin(r), None);
}

db_test! {
    async fn cors_is_closed_by_default(app: TestApp) {
        for origin in ["https://evil.example", "http://localhost:3000"] {
            let r = preflight(&app, &app.address, origin).await;
            assert_cors_refused(&r, origin);
            let get = app.client.get(format!("{}/api/v1/tickets", app.address)).bearer_auth(&app.admin).header("origin", origin);
            let get = TestApp::read(get.send().await.unwrap()).await;
            assert_eq!(allow_origin(&get), None, "no CORS headers for {origin}");
        }
        // Same-origin requests of the admin app carry an `Origin` too: they still work.
        let post = app.client.post(format!("{}/api/v1/tickets", app.address)).bearer_auth(&app.admin)
            .header("origin", &app.address).json(&json!({"subject": "s", "body": "b"}));
        assert_eq!(post.send().await.unwrap().status(), 201);
    }
}

db_test! {
    async fn cors_allows_the_configured_origins_only(app: TestApp) {
        let origins = vec!["https://a.example".to_owned(), "https://b.example".to_owned()];
        let base = app.spawn_server(api::SecuritySettings { cors_origins: origins, ..generous_limits() }).await;
        for origin in ["https://a.example", "https://b.example"] {
            let r = preflight(&app, &base, origin).await;
            assert!(r.status.is_success(), "{}", r.status);
            assert_eq!(allow_origin(&r), Some(origin));
            let headers = r.headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
            for h in ["authorization", "content-type", "idempotency-key"] {
                assert!(headers.contains(h), "{headers}");
            }
            let methods = r.headers["access-control-allow-methods"].to_str().unwrap();
            for m in ["GET", "POST", "PATCH", "DELETE"] {
                assert!(methods.contains(m), "{methods}");
            }
            let get = app.client.get(format!("{base}/api/v1/tickets")).bearer_auth(&app.admin).header("origin", origin);
            let get = TestApp::read(get.send().await.unwrap()).await;
            assert_eq!(get.status, 200);
            assert_eq!(allow_origin(&get), Some(origin));
        }
        let evil = preflight(&app, &base, "https://evil.example").await;
        assert_cors_refused(&evil, "https://evil.example");
    }
}

db_test! {
    async fn security_headers_on_the_api_the_docs_and_the_app(app: TestApp) {
        let header = |r: &Response, name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        for r in [
            app.get("/api/v1/tickets", &app.admin).await,
            app.get("/api/v1/tickets/not-a-ticket", &app.admin).await,
            app.request(Method::GET, "/api/v1/me", None, None).await,
        ] {
            assert_eq!(header(&r, "x-content-type-options").as_deref(), Some("nosniff"), "{}", r.text);
            assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
            assert_eq!(header(&r, "x-frame-options").as_deref(), Some("DENY"));
        }
        for path in ["/docs/", "/docs/swagger-initializer.js"] {
            let docs = app.request(Method::GET, path, None, None).await;
            assert_eq!(docs.status, 200, "{path}");
            let csp = header(&docs, "content-security-policy").unwrap_or_else(|| panic!("CSP on {path}"));
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
            assert!(!csp.contains("unsafe-eval"), "{csp}");
            assert_eq!(header(&docs, "x-frame-options").as_deref(), Some("DENY"));
            assert_eq!(header(&docs, "x-content-type-options").as_deref(), Some("nosniff"));
            assert_eq!(header(&docs, "referrer-policy").as_deref(), Some("no-referrer"));
        }
        let spa = app.request(Method::GET, "/app/tickets", None, None).await;
        let csp = header(&spa, "content-security-policy").unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("'unsafe-eval'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header(&spa, "x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(header(&spa, "x-frame-options").as_deref(), Some("DENY"));
    }
}

/// Words that would mean an answer shows the server's internals.
const INTERNALS: [&str; 12] = [
    "serde",
    "::",
    "src/",
    ".rs",
    "panicked",
    "sqlx",
    "sea_orm",
    "SeaORM",
    "no such table",
    "relation",
    "cta_rule",
    "Error {",
];

fn assert_no_internals(r: &Response) {
    for word in INTERNALS {
        assert!(!r.text.contains(word), "`{word}` in {} answer: {}", r.status, r.text);
    }
}

db_test! {
    async fn answers_never_show_internals(app: TestApp) {
        let malformed = [
            app.get("/api/v1/tickets?per_page=%zz&status=nonsense", &app.admin).await,
            app.get("/api/v1/tickets?page=-1", &app.admin).await,
            app.get("/api/v1/tickets/%FF%FE", &app.admin).await,
            app.get("/api/v1/agents/not-a-uuid/tools", &app.admin).await,
            app.raw(Method::POST, "/api/v1/tickets", &app.admin, r#"{"subject": "s", "#).await,
            app.raw(Method::POST, "/api/v1/tickets", &app.admin, "\u{0}\u{1}").await,
            app.raw(Method::POST, "/api/v1/tickets", &app.admin, r#"{"subject": ["s"], "body": {}}"#).await,
            app.raw(Method::PATCH, "/api/v1/tickets/00000000-0000-0000-0000-000000000000", &app.admin, "[]").await,
            app.get("/api/v1/me", "not.a.jwt").await,
        ];
        for r in &malformed {
            assert!(r.status.is_client_error(), "{} {}", r.status, r.text);
            assert!(r.content_type().starts_with("application/problem+json"), "{}", r.text);
            assert_no_internals(r);
        }

        // A database failure is a 500 whose detail says nothing of it.
        let drop = match app.db {
            Db::Sqlite => "DROP TABLE cta_rules",
            Db::Postgres => "DROP TABLE cta_rules CASCADE",
        };
        app.store.connection().execute_unprepared(drop).await.unwrap();
        let r = app.get("/api/v1/cta-rules", &app.admin).await;
        r.assert_problem(500);
        assert_eq!(r.body["detail"], "something went wrong on our side; it has been logged");
        assert_no_internals(&r);
    }
}
