//! Migration 000005 (the thread) on a database that already has channels and deliveries:
//! the rebuilt tables keep them, each delivery with its channel's URL as its target.

use chrono::Utc;
use domain::WorkspaceId;
use domain::delivery::TargetKind;
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement, Value};
use store::{Store, StoreOptions};
use uuid::Uuid;

use crate::helpers::{Db, TestDb};

async fn existing_webhook_channels_and_deliveries_survive(db: Db) {
    let test_db = TestDb::new(db).await;
    let conn = Database::connect(&test_db.url).await.expect("connect");
    migration::Migrator::up(&conn, Some(4)).await.expect("migrate up to 000004");
    let backend = conn.get_database_backend();
    let exec = |sql: &str, values: Vec<Value>| {
        let sql = match backend {
            DbBackend::Postgres => {
                let mut n = 0;
                sql.chars()
                    .map(|c| {
                        if c == '?' {
                            n += 1;
                            format!("${n}")
                        } else {
                            c.to_string()
                        }
                    })
                    .collect::<String>()
            }
            _ => sql.to_owned(),
        };
        Statement::from_sql_and_values(backend, sql, values)
    };
    let (ws, channel, event, delivery) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    for statement in [
        exec(
            "INSERT INTO workspaces (id, name, ticket_prefix, ticket_counter, created_at) VALUES (?, 'Acme', 'ACME', 0, ?)",
            vec![ws.into(), now.into()],
        ),
        exec(
            "INSERT INTO notification_channels (id, workspace_id, kind, url, events, secret, enabled, created_at, updated_at) VALUES (?, ?, 'webhook', 'https://hooks.example.com/a', 'ticket.created', 'whsec_0123456789abcdef', ?, ?, ?)",
            vec![channel.into(), ws.into(), true.into(), now.into(), now.into()],
        ),
        exec(
            "INSERT INTO outbox_events (id, workspace_id, type, data, created_at) VALUES (?, ?, 'ticket.created', ?, ?)",
            vec![
                event.into(),
                ws.into(),
                serde_json::json!({"ticket": {"reference": "ACME-1"}}).into(),
                now.into(),
            ],
        ),
        exec(
            "INSERT INTO deliveries (id, workspace_id, event_id, channel_id, status, attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, 'pending', 2, ?, 'timeout', ?)",
            vec![delivery.into(), ws.into(), event.into(), channel.into(), now.into(), now.into()],
        ),
    ] {
        conn.execute_raw(statement).await.expect("insert a row of the old schema");
    }
    migration::Migrator::up(&conn, None).await.expect("migrate to the thread schema");
    conn.close().await.ok();

    let store = Store::connect(&test_db.url, StoreOptions::default()).await.expect("store");
    let ws = WorkspaceId(ws);
    let channels = store.channels(ws).await.expect("channels");
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].url.as_deref(), Some("https://hooks.example.com/a"));
    let kept = store.deliveries(ws, channel, 10).await.expect("deliveries");
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].id, kept[0].attempts, kept[0].last_error.as_deref()), (delivery, 2, Some("timeout")));
    assert_eq!(kept[0].status, domain::delivery::DeliveryState::Pending);
    // Still due, to the URL it was queued for, signed with the channel's secret.
    let due = store
        .claim_due_deliveries(Utc::now(), chrono::Duration::seconds(60), 10, &[TargetKind::Webhook])
        .await
        .expect("claim");
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].target_kind, due[0].target.as_str()),
        (TargetKind::Webhook, "https://hooks.example.com/a")
    );
    assert_eq!(due[0].secret.as_deref(), Some("whsec_0123456789abcdef"));
    assert_eq!(due[0].channel_id, Some(channel));
    store.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_rows_survive_the_thread_migration_sqlite() {
    existing_webhook_channels_and_deliveries_survive(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_rows_survive_the_thread_migration_postgres() {
    existing_webhook_channels_and_deliveries_survive(Db::Postgres).await
}
