//! The test harness: `spawn_app` starts the real server on a fresh database with two
//! workspaces (ACME and OTHER), each with an admin, and ACME with an operator.

use std::net::TcpListener;

use domain::auth::{Role, Scope};
use domain::workspace::{Email, NewPassword, TicketPrefix};
use reqwest::{Method, StatusCode, header::HeaderMap};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use store::{Store, StoreOptions, Workspace};
use uuid::Uuid;

/// Runs an async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$meta])*
            #[allow(clippy::unwrap_used, clippy::expect_used)]
            async fn run($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::helpers::spawn_app($crate::helpers::Db::Postgres).await).await
            }
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub const ADMIN_EMAIL: &str = "admin@acme.test";
pub const ADMIN_PASSWORD: &str = "admin password 1";
pub const OPERATOR_EMAIL: &str = "operator@acme.test";
pub const OPERATOR_PASSWORD: &str = "operator password 1";
pub const OTHER_ADMIN_EMAIL: &str = "admin@other.test";
pub const OTHER_ADMIN_PASSWORD: &str = "other password 1";
/// The unix time the tests' rate limits see (20 s into a window).
pub const TEST_RATE_CLOCK: i64 = 1_800_000_020;
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

/// A fresh database, dropped (PostgreSQL) or deleted (SQLite) with the guard.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    dir: Option<std::path::PathBuf>,
}

fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_url_for(name: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    format!("{base}/{name}")
}

impl TestDb {
    pub async fn new(db: Db) -> Self {
        match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(format!("ticketd-test-{}", Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}/test.sqlite?mode=rwc", dir.display());
                TestDb { url, pg_name: None, dir: Some(dir) }
            }
            Db::Postgres => {
                let name = format!("t_{}", Uuid::new_v4().simple());
                let admin = Database::connect(pg_admin_url())
                    .await
                    .expect("connect to PostgreSQL (TEST_DATABASE_URL)");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
                admin.close().await.ok();
                TestDb { url: pg_url_for(&name), pg_name: Some(name), dir: None }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop runs inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(pg_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A response: status, JSON body (Null when empty or not JSON), headers.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
    pub text: String,
}

impl Response {
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and returns its `errors` field names.
    pub fn assert_problem(&self, status: u16) -> Vec<String> {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "content type {}",
            self.content_type()
        );
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string()
                && self.body["type"].is_string()
                && self.body["detail"].is_string()
        );
        self.body["errors"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub db: Db,
    pub acme: Workspace,
    pub other: Workspace,
    /// Session tokens (JWT).
    pub admin: String,
    pub operator: String,
    pub other_admin: String,
    pub admin_id: Uuid,
    pub operator_id: Uuid,
    pub other_admin_id: Uuid,
    _db: TestDb,
}

/// The tests' security settings: the production defaults, with rate limits high enough for
/// tests that sign in a lot (tests of the limits start a server of their own with
/// [`TestApp::spawn_server`]).
pub fn generous_limits() -> api::SecuritySettings {
    api::SecuritySettings {
        login_per_ip: 100_000,
        login_per_account: 100_000,
        login_account_lock: 100_000,
        login_global: 100_000,
        // One rate-limit window for the whole test: none ends mid-test.
        clock: api::RateClock::Fixed(TEST_RATE_CLOCK),
        tool_invocations_per_token: 100_000,
        cta_clicks_per_token: 100_000,
        ..Default::default()
    }
}

/// The sender the tests' servers reply as (the mail itself is sent by the delivery worker).
pub fn test_mail() -> api::MailSettings {
    api::MailSettings {
        from: domain::thread::MailFrom::parse("Acme Support <support@acme.test>").expect("from"),
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    let test_db = TestDb::new(db).await;
    let store =
        Store::connect(&test_db.url, StoreOptions { max_connections: Some(8), ..StoreOptions::default() })
            .await
            .expect("connect");
    store.migrate().await.expect("migrate");

    let pw = |p: &str| NewPassword::parse(p).expect("password");
    let (acme, admin) = store
        .create_workspace(
            "Acme Support",
            &TicketPrefix::parse("ACME").expect("prefix"),
            &Email::parse(ADMIN_EMAIL).expect("email"),
            "Alex Admin",
            &pw(ADMIN_PASSWORD),
        )
        .await
        .expect("workspace");
    let operator = store
        .create_member(
            "ACME",
            &Email::parse(OPERATOR_EMAIL).expect("email"),
            "Olivia Operator",
            &pw(OPERATOR_PASSWORD),
            Role::Operator,
        )
        .await
        .expect("operator");
    let (other, other_admin) = store
        .create_workspace(
            "Other Corp",
            &TicketPrefix::parse("OTHER").expect("prefix"),
            &Email::parse(OTHER_ADMIN_EMAIL).expect("email"),
            "Oscar Other",
            &pw(OTHER_ADMIN_PASSWORD),
        )
        .await
        .expect("other workspace");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let state = api::AppState {
        store: store.clone(),
        jwt: api::JwtKeys::new(JWT_SECRET.as_bytes(), 3600),
        webhooks_allow_private: true,
        security: api::Security::new(generous_limits()),
        mail: Some(test_mail()),
    };
    // The background work of `ticketd serve`: webhook delivery and, on PostgreSQL, the
    // LISTEN/NOTIFY relay of live events.
    let delivery = notify::DeliveryConfig {
        allow_private: true,
        idle: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    notify::spawn_worker(store.clone(), delivery).expect("the delivery worker");
    store.start_listener();
    let server = api::serve(
        listener,
        state,
        &api::ServerOptions { workers: Some(1), shutdown_timeout: 1, ..Default::default() },
    )
    .expect("serve");
    tokio::spawn(server);

    let mut app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        store,
        db,
        acme,
        other,
        admin: String::new(),
        operator: String::new(),
        other_admin: String::new(),
        admin_id: admin.user.id.0,
        operator_id: operator.user.id.0,
        other_admin_id: other_admin.user.id.0,
        _db: test_db,
    };
    app.admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.operator = app.login(OPERATOR_EMAIL, OPERATOR_PASSWORD).await;
    app.other_admin = app.login(OTHER_ADMIN_EMAIL, OTHER_ADMIN_PASSWORD).await;
    app
}

impl TestApp {
    /// Another server on the same database with these security settings; its base URL.
    pub async fn spawn_server(&self, security: api::SecuritySettings) -> String {
        self.spawn_server_with(security, api::ServerOptions::default()).await
    }

    /// Another server on the same database with no mail transport (replies answer 409).
    pub async fn spawn_server_without_mail(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let state = api::AppState {
            store: self.store.clone(),
            jwt: api::JwtKeys::new(JWT_SECRET.as_bytes(), 3600),
            webhooks_allow_private: true,
            security: api::Security::new(generous_limits()),
            mail: None,
        };
        let options = api::ServerOptions { workers: Some(1), shutdown_timeout: 1, ..Default::default() };
        tokio::spawn(api::serve(listener, state, &options).expect("serve"));
        address
    }

    /// [`TestApp::spawn_server`] with these server options (one worker, a 1 s shutdown).
    pub async fn spawn_server_with(
        &self,
        security: api::SecuritySettings,
        options: api::ServerOptions,
    ) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let state = api::AppState {
            store: self.store.clone(),
            jwt: api::JwtKeys::new(JWT_SECRET.as_bytes(), 3600),
            webhooks_allow_private: true,
            security: api::Security::new(security),
            mail: Some(test_mail()),
        };
        let options = api::ServerOptions { workers: Some(1), shutdown_timeout: 1, ..options };
        let server = api::serve(listener, state, &options).expect("serve");
        tokio::spawn(server);
        address
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        self.request_at(&self.address, method, path, token, body).await
    }

    /// [`TestApp::request`] to the server at `base`.
    pub async fn request_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, format!("{base}{path}"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// Sends a raw body with a JSON content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        let req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        Self::read(req.send().await.expect("request")).await
    }

    pub async fn read(response: reqwest::Response) -> Response {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response { status, body, headers, text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(&body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(&body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(&serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(r.status, 200, "login {email}: {}", r.text);
        r.body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// A new API token of ACME with these scopes.
    pub async fn token(&self, scopes: &[Scope]) -> String {
        self.store.create_token(self.acme.id, "test token", scopes, None).await.expect("token").1
    }

    /// A new API token of OTHER with these scopes.
    pub async fn other_token(&self, scopes: &[Scope]) -> String {
        self.store.create_token(self.other.id, "other token", scopes, None).await.expect("token").1
    }

    /// Creates a ticket through the API as `token` and returns its JSON.
    pub async fn create_ticket(&self, token: &str, body: Value) -> Value {
        let r = self.post("/api/v1/tickets", token, body).await;
        assert_eq!(r.status, 201, "create ticket: {}", r.text);
        r.body
    }

    /// Creates a ticket with just a subject.
    pub async fn ticket(&self, subject: &str) -> Value {
        self.create_ticket(
            &self.admin,
            serde_json::json!({"subject": subject, "body": format!("Body of {subject}")}),
        )
        .await
    }
}
