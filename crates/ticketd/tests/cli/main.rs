//! Integration tests of the real `ticketd` binary, one module per subject, on the shared
//! harness of `tests/common` (a sandbox per test, SQLite or a PostgreSQL database of its own,
//! the binary as a child process).

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod bulk;
mod faults;
mod help;
mod logs;
mod mail_in;
mod notifications;
mod serve;
mod shutdown;

use std::collections::BTreeSet;
use std::fs::File;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use common::*;

const ADMIN_PASSWORD: &str = "correct horse battery";
const OPERATOR_PASSWORD: &str = "operator pass 123";
const CHAT_SCOPES: &str = "conversations:write,tools:invoke,tickets:read";

const DEMO_ADMIN: (&str, &str) = ("admin@acme.test", "acme-admin-pass");
const DEMO_OPERATOR: (&str, &str) = ("operator@acme.test", "acme-operator-pass");

async fn login(client: &reqwest::Client, server: &Server, email: &str, password: &str) -> Value {
    let resp = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("login JSON");
    assert_eq!(status, StatusCode::OK, "login as {email}: {body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body
}

async fn get(client: &reqwest::Client, server: &Server, path: &str, bearer: &str) -> (StatusCode, Value) {
    let resp = client.get(server.url(path)).bearer_auth(bearer).send().await.expect("GET request");
    let status = resp.status();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Every ticket, in all four statuses (the list hides closed ones by default).
async fn all_tickets(client: &reqwest::Client, server: &Server, bearer: &str) -> Vec<Value> {
    let (status, body) =
        get(client, server, "/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", bearer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().expect("data array").clone();
    assert_eq!(body["meta"]["total"], data.len(), "{body}");
    data
}

fn statuses(tickets: &[Value]) -> BTreeSet<String> {
    tickets.iter().map(|t| t["status"].as_str().expect("status").to_owned()).collect()
}

/// `workspace create` for the SMK workspace used by several tests.
fn create_smoke_workspace(sandbox: &Sandbox) -> Run {
    sandbox.run(&[
        "workspace",
        "create",
        "--name",
        "Smoke",
        "--prefix",
        "smk",
        "--admin-email",
        "a@smk.test",
        "--admin-password",
        ADMIN_PASSWORD,
    ])
}

/// `user create` of an operator of the SMK workspace; asserts success.
fn create_operator(sandbox: &Sandbox, email: &str) -> Run {
    sandbox
        .run(&[
            "user",
            "create",
            "--workspace",
            "SMK",
            "--email",
            email,
            "--password",
            OPERATOR_PASSWORD,
            "--role",
            "operator",
        ])
        .success()
}

/// `token create`; asserts that stdout is the secret alone, on one line, and returns it.
fn create_token(sandbox: &Sandbox, workspace: &str, name: &str, scopes: &str) -> String {
    let run = sandbox
        .run(&["token", "create", "--workspace", workspace, "--name", name, "--scopes", scopes])
        .success();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout must be the secret alone: {:?}", run.stdout);
    let secret = lines[0];
    assert_eq!(run.stdout, format!("{secret}\n"), "nothing but the secret and a newline on stdout");
    assert!(secret.starts_with("tkd_") && secret.len() > 20, "secret {secret:?}");
    assert!(!secret.contains(char::is_whitespace), "secret {secret:?}");
    assert!(run.stderr.contains(&format!("created token {name}")), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains(secret), "the secret must appear on stdout only: {}", run.stderr);
    secret.to_owned()
}

fn str_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("no string `{field}` in {value}"))
}
