//! Replies sent per second: queues R replies (each committed with its delivery row, as the
//! API does) on tickets of workspace BENCH, then times the delivery worker sending them to a
//! local SMTP catcher (aiosmtpd, `scripts/smtp-catcher.sh`) until none is left. See
//! bench/README.md ("Replies per second"); prints one JSON line per run.
//!
//! ```text
//! cargo run --release -p notify --example mail_bench -- DATABASE_URL [--tickets N] [--replies R] [--repeat K]
//! ```
//! With `--tickets N` a fresh workspace is loaded with N tickets first (`seed-bulk`); an
//! existing BENCH workspace (from `bench/run.sh`) is used as it is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use domain::auth::Role;
use domain::ticket::TicketKey;
use domain::workspace::{Email, NewPassword, TicketPrefix};
use sea_orm::{ConnectionTrait, Statement};
use store::thread::{CommentAuthor, NewComment};
use store::{Actor, Store, StoreOptions};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .cloned()
        .expect("usage: mail_bench DATABASE_URL [--tickets N] [--replies R] [--repeat K]");
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().unwrap())
    };
    let (tickets, replies, repeat) =
        (flag("--tickets", 10_000), flag("--replies", 2_000), flag("--repeat", 3));

    let store = Store::connect(&url, StoreOptions::default()).await.expect("connect");
    store.migrate().await.expect("migrate");
    let ws = match store.workspace_by_prefix("BENCH").await {
        Ok(ws) => ws,
        Err(_) => {
            let (ws, _) = store
                .create_workspace(
                    "Bench",
                    &TicketPrefix::parse("BENCH").unwrap(),
                    &Email::parse("admin@bench.test").unwrap(),
                    "Bench Admin",
                    &NewPassword::parse("bench admin password").unwrap(),
                )
                .await
                .unwrap();
            for n in 0..8 {
                let email = Email::parse(&format!("op{n}@bench.test")).unwrap();
                let pw = NewPassword::parse("bench operator password").unwrap();
                store
                    .create_member("BENCH", &email, &format!("Operator {n}"), &pw, Role::Operator)
                    .await
                    .unwrap();
            }
            let plan = store::bulk::BulkPlan { tickets, conversations: tickets / 20, seed: 1 };
            let started = Instant::now();
            store.seed_bulk("BENCH", plan, &|_| {}).await.unwrap();
            eprintln!("loaded {tickets} tickets in {:.0} s", started.elapsed().as_secs_f64());
            ws
        }
    };
    let admin =
        store.members(ws.id).await.unwrap().into_iter().find(|m| m.role == Role::Admin).unwrap().user.id;
    // The replies go to the requesters of BENCH-1 … BENCH-100.
    let db = store.connection();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "UPDATE tickets SET requester_name = 'Customer ' || number, requester_email = 'customer' || number || '@example.com' \
             WHERE workspace_id = '{}' AND number <= 100",
            ws.id.0
        ),
    ))
    .await
    .unwrap();
    let count: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT count(*) AS n FROM tickets WHERE workspace_id = '{}'", ws.id.0),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();

    let catcher = test_support::SmtpCatcher::start();
    let mail = notify::mail::MailConfig {
        smtp_url: catcher.url(),
        from: "Bench Support <support@bench.test>".into(),
        reply_secret: b"bench secret".to_vec(),
    };
    let worker = notify::DeliveryConfig {
        mail: Some(notify::mail::Mailer::new(&mail, Duration::from_secs(10)).unwrap()),
        ..Default::default()
    };
    let backend = if url.starts_with("postgres") { "postgres" } else { "sqlite" };
    for run in 0..repeat {
        let queued_at = Instant::now();
        for n in 0..replies {
            let key = TicketKey::parse(&format!("BENCH-{}", n % 100 + 1)).unwrap();
            let reply = NewComment::reply(
                format!("Reply {n} of run {run}: your order ships today.\n\nBest,\nBench"),
                CommentAuthor::User(admin),
                Actor::User(admin),
                "bench.test",
            );
            store.add_comment(ws.id, &key, reply).await.unwrap();
        }
        let queue_secs = queued_at.elapsed().as_secs_f64();
        let before = catcher.messages().len();
        let client = notify::http::client(&worker).unwrap();
        let started = Instant::now();
        let mut sent = 0;
        while sent < replies as usize {
            let attempted = notify::run_once(&store, &worker, &client).await.unwrap();
            if attempted == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            sent = catcher.messages().len() - before;
            assert!(started.elapsed() < Duration::from_secs(600), "stuck at {sent} of {replies}");
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{{\"db\":\"{backend}\",\"tickets\":{count},\"replies\":{replies},\"run\":{run},\"send_secs\":{secs:.3},\"replies_per_sec\":{:.1},\"queue_per_sec\":{:.1}}}",
            replies as f64 / secs,
            replies as f64 / queue_secs
        );
    }
}
