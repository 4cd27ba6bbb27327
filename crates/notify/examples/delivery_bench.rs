//! Webhook deliveries per second to a local receiver, as after a restart: `BENCH_EVENTS`
//! events (default 1,200) are queued for one webhook channel while no worker runs, then the
//! delivery worker starts and the clock runs until the receiver has counted them all.
//!
//! Run by `bench/webhooks.sh`, which starts the receiver (`bench/receiver.py`) and repeats
//! the run; by hand:
//!
//! ```sh
//! BENCH_RECEIVER=http://127.0.0.1:PORT BENCH_DATABASE_URL=sqlite:///tmp/b.sqlite?mode=rwc \
//!   cargo run --release -p notify --example delivery_bench
//! ```
//!
//! Prints one JSON line: `{"events", "seconds", "per_second", "database"}`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use domain::notification::{ChannelKind, EventType};
use domain::workspace::{Email, NewPassword, TicketPrefix};
use store::{Store, StoreOptions};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The receiver's count of webhook requests since its last reset.
async fn received(client: &reqwest::Client, receiver: &str) -> u64 {
    let text = client.get(format!("{receiver}/count")).send().await.unwrap().text().await.unwrap();
    text.trim().parse().unwrap()
}

#[tokio::main]
async fn main() {
    let receiver = env("BENCH_RECEIVER", "http://127.0.0.1:8099");
    let events: u64 = env("BENCH_EVENTS", "1200").parse().expect("BENCH_EVENTS");
    let database = env("BENCH_DATABASE_URL", "sqlite::memory:");
    let store = Store::connect(&database, StoreOptions::default()).await.expect("connect");
    store.migrate().await.expect("migrate");

    let prefix = format!("B{}", rand_suffix());
    let (ws, _) = store
        .create_workspace(
            "Delivery bench",
            &TicketPrefix::parse(&prefix).unwrap(),
            &Email::parse(&format!("bench-{}@bench.test", prefix.to_lowercase())).unwrap(),
            "Bench",
            &NewPassword::parse("bench password 1").unwrap(),
        )
        .await
        .expect("workspace");
    store
        .create_channel(ws.id, ChannelKind::Webhook, &format!("{receiver}/hook"), &EventType::ALL, None, true)
        .await
        .expect("channel");
    for n in 0..events {
        let ticket = serde_json::json!({"ticket": {"reference": format!("{prefix}-{n}"), "subject": "Bench", "status": "open"}});
        store.emit_event(ws.id, EventType::TicketCreated, ticket).await.expect("event");
    }

    let client = reqwest::Client::new();
    client.post(format!("{receiver}/reset")).send().await.expect("reset the receiver");
    let config = notify::DeliveryConfig {
        allow_private: true,
        idle: Duration::from_millis(20),
        ..notify::DeliveryConfig::default()
    };
    let started = Instant::now();
    let worker = notify::spawn_worker(store.clone(), config).expect("worker");
    while received(&client, &receiver).await < events {
        assert!(started.elapsed() < Duration::from_secs(600), "not delivered within 10 minutes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    worker.abort();
    let backend = if database.starts_with("sqlite") { "sqlite" } else { "postgres" };
    println!(
        "{}",
        serde_json::json!({"events": events, "seconds": seconds, "per_second": events as f64 / seconds, "database": backend})
    );
}

/// A short random suffix so that runs against one PostgreSQL database do not collide.
fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
}
