//! `POST /tickets/bulk` by ids (one transaction) and by query (a job in batches, resumable,
//! one worker at a time), and `GET /jobs/{id}`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure message

use chrono::Duration;
use domain::auth::Scope;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as SqlValue};
use serde_json::{Value, json};
use store::bulk_edit::{JobStep, JobWorkerConfig};

use crate::db_test;
use crate::helpers::*;

/// `SELECT COUNT(*) AS n …` written with `$n` placeholders, on either database.
pub async fn count(app: &TestApp, sql: &str, values: Vec<SqlValue>) -> i64 {
    let db = app.store.connection();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => (1..=9).rev().fold(sql.to_owned(), |s, i| s.replace(&format!("${i}"), "?")),
    };
    let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn events(app: &TestApp, reference: &str) -> Vec<(String, Option<String>)> {
    let r = app.get(&format!("/api/v1/tickets/{reference}/events"), &app.admin).await;
    assert_eq!(r.status, 200);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["to"].as_str().map(str::to_owned)))
        .collect()
}

async fn status_of(app: &TestApp, reference: &str) -> String {
    app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await.body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn outbox_updates(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM outbox_events WHERE type = 'ticket.updated'", vec![]).await
}

async fn bulk(app: &TestApp, token: &str, body: Value) -> crate::helpers::Response {
    app.post("/api/v1/tickets/bulk", token, body).await
}

db_test!(
    async fn by_ids_every_ticket_changes_as_a_patch_would(app: TestApp) {
        let a = app.ticket("One").await;
        let b = app.ticket("Two").await;
        let c = app.ticket("Three").await;
        app.patch("/api/v1/tickets/ACME-3", &app.admin, json!({"status": "closed"})).await;
        let before = outbox_updates(&app).await;
        let r = bulk(
            &app,
            &app.operator,
            json!({"ids": [a["id"], "acme-2", "ACME-3", "ACME-1"], "set": {"status": "closed"}}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, json!({"updated": 2, "unchanged": 1, "references": ["ACME-1", "ACME-2"]}));
        for reference in ["ACME-1", "ACME-2", "ACME-3"] {
            assert_eq!(status_of(&app, reference).await, "closed");
        }
        assert_eq!(
            events(&app, "ACME-1").await,
            [("created".into(), Some("open".into())), ("status_changed".into(), Some("closed".into()))]
        );
        assert_eq!(events(&app, "ACME-3").await.len(), 2, "unchanged: no new event");
        assert_eq!(outbox_updates(&app).await - before, 2, "one ticket.updated per changed ticket");

        // Assigning follows the PATCH rules: an open ticket becomes pending.
        let d = app.ticket("Four").await;
        let r = bulk(
            &app,
            &app.admin,
            json!({"ids": [d["reference"]], "set": {"assigned_to_user_id": app.operator_id}}),
        )
        .await;
        assert_eq!(r.body["updated"], 1);
        assert_eq!(status_of(&app, "ACME-4").await, "pending");
        let kinds: Vec<String> = events(&app, "ACME-4").await.into_iter().map(|e| e.0).collect();
        assert_eq!(kinds, ["created", "assignee_changed", "status_changed"]);
        let _ = (b, c);
    }
);

db_test!(
    async fn by_ids_one_unknown_or_foreign_ticket_changes_nothing(app: TestApp) {
        app.ticket("Mine").await;
        let theirs = app.create_ticket(&app.other_admin, json!({"subject": "Theirs", "body": "b"})).await;
        let before = outbox_updates(&app).await;
        let r = bulk(
            &app,
            &app.admin,
            json!({"ids": ["ACME-1", "ACME-999", theirs["id"], "OTHER-1", "garbage"], "set": {"priority": "urgent"}}),
        )
        .await;
        assert_eq!(r.assert_problem(422), ["ids[1]", "ids[2]", "ids[3]", "ids[4]"]);
        assert!(r.body["errors"]["ids[1]"][0].as_str().unwrap().contains("ACME-999"));
        let ticket = app.get("/api/v1/tickets/ACME-1", &app.admin).await.body;
        assert_eq!(ticket["priority"], "normal");
        assert_eq!(events(&app, "ACME-1").await.len(), 1);
        assert_eq!(outbox_updates(&app).await, before);
        let r = app.get("/api/v1/tickets/OTHER-1", &app.other_admin).await;
        assert_eq!(r.body["priority"], "normal");
    }
);

db_test!(
    async fn a_bulk_request_is_checked_before_anything_changes(app: TestApp) {
        app.ticket("One").await;
        let set = json!({"status": "closed"});
        let cases: Vec<(Value, &str)> = vec![
            (json!({"ids": ["ACME-1"], "query": "status=open", "set": set}), "ids"),
            (json!({"set": set}), "ids"),
            (json!({"ids": ["ACME-1"], "set": {}}), "set"),
            (json!({"ids": ["ACME-1"], "set": {"notes": "x"}}), "set.notes"),
            (json!({"ids": ["ACME-1"], "set": {"status": "gone"}}), "set.status"),
            (json!({"ids": ["ACME-1"], "set": {"status": null}}), "set.status"),
            (json!({"ids": [], "set": set}), "ids"),
            (json!({"ids": vec!["ACME-1"; 501], "set": set}), "ids"),
            (json!({"ids": ["ACME-1"]}), "set"),
            (json!({"ids": ["ACME-1"], "set": set, "extra": 1}), "extra"),
            (json!({"query": "page=2", "set": set}), "query.page"),
            (json!({"query": "colour=red", "set": set}), "query.colour"),
            (
                json!({"ids": ["ACME-1"], "set": {"assigned_to_user_id": app.other_admin_id}}),
                "assigned_to_user_id",
            ),
            (json!({"query": "", "set": {"assigned_to_user_id": app.other_admin_id}}), "assigned_to_user_id"),
        ];
        for (body, field) in cases {
            let r = bulk(&app, &app.admin, body.clone()).await;
            assert_eq!(r.assert_problem(422), [field.to_string()], "{body}");
        }
        assert_eq!(status_of(&app, "ACME-1").await, "open");
        // 500 is the limit, not 499.
        let r = bulk(&app, &app.admin, json!({"ids": vec!["ACME-1"; 500], "set": set})).await;
        assert_eq!((r.status.as_u16(), &r.body["updated"]), (200, &json!(1)));

        // Scopes: ids need tickets:write; a query needs tickets:read too.
        let write = app.token(&[Scope::TicketsWrite]).await;
        let read = app.token(&[Scope::TicketsRead]).await;
        bulk(&app, &read, json!({"ids": ["ACME-1"], "set": {"priority": "low"}})).await.assert_problem(403);
        bulk(&app, &write, json!({"query": "", "set": {"priority": "low"}})).await.assert_problem(403);
        let r = bulk(&app, &write, json!({"ids": ["ACME-1"], "set": {"priority": "low"}})).await;
        assert_eq!(r.status, 200);
        let both = app.token(&[Scope::TicketsWrite, Scope::TicketsRead]).await;
        let r = bulk(&app, &both, json!({"query": "assignee=me", "set": {"priority": "low"}})).await;
        assert_eq!(r.assert_problem(422), ["query.assignee"], "a token is no `me`");
        let r = bulk(&app, &both, json!({"query": "", "set": {"priority": "high"}})).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
);

db_test!(
    async fn by_query_a_job_works_in_batches_and_reports_progress(app: TestApp) {
        for i in 0..9 {
            let priority = if i < 7 { "low" } else { "high" };
            app.create_ticket(
                &app.admin,
                json!({"subject": format!("T{i}"), "body": "b", "priority": priority}),
            )
            .await;
        }
        let r = bulk(
            &app,
            &app.operator,
            json!({"query": "priority=low&sort=-priority", "set": {"status": "resolved"}}),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.text);
        let job = &r.body["job"];
        assert_eq!(
            (job["status"].as_str(), &job["processed"], &job["total"]),
            (Some("queued"), &json!(0), &json!(7))
        );
        assert_eq!(job["errors"], json!([]));
        let id = job["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/jobs/{id}");
        assert_eq!(app.get(&url, &app.admin).await.body, *job, "bare, the same");
        assert_eq!(app.get(&url, &app.other_admin).await.status, 404);
        assert_eq!(app.get("/api/v1/jobs/nope", &app.admin).await.status, 404);

        let now = domain::time::now();
        let lease = Duration::seconds(60);
        let claim = app.store.claim_job(now, lease).await.unwrap().expect("a job to claim");
        assert!(app.store.claim_job(now, lease).await.unwrap().is_none(), "held by its lease");
        let step = app.store.run_job_batch(&claim, now, lease, 3).await.unwrap();
        assert!(matches!(step, JobStep::Continue(ref j) if j.processed == 3), "{step:?}");
        let progress = app.get(&url, &app.admin).await.body;
        assert_eq!((progress["status"].as_str(), &progress["processed"]), (Some("running"), &json!(3)));
        assert!(matches!(
            app.store.run_job_batch(&claim, now, lease, 3).await.unwrap(),
            JobStep::Continue(_)
        ));
        let last = app.store.run_job_batch(&claim, now, lease, 3).await.unwrap();
        assert!(matches!(last, JobStep::Finished(ref j) if j.processed == 7), "{last:?}");
        let done = app.get(&url, &app.admin).await.body;
        assert_eq!(
            done,
            json!({"id": id, "status": "succeeded", "processed": 7, "total": 7, "updated": 7, "errors": []})
        );
        for n in 1..=9 {
            let reference = format!("ACME-{n}");
            let expected = if n <= 7 { "resolved" } else { "open" };
            assert_eq!(status_of(&app, &reference).await, expected);
            let changes = events(&app, &reference).await.iter().filter(|e| e.0 == "status_changed").count();
            assert_eq!(changes, usize::from(n <= 7));
        }
        assert_eq!(outbox_updates(&app).await, 7);
        assert!(app.store.claim_job(now, lease).await.unwrap().is_none(), "nothing left");
    }
);

db_test!(
    async fn a_job_resumes_after_a_crash_and_changes_each_ticket_once(app: TestApp) {
        for i in 0..10 {
            app.ticket(&format!("T{i}")).await;
        }
        let r = bulk(&app, &app.admin, json!({"query": "status=open", "set": {"status": "closed"}})).await;
        let id = r.body["job"]["id"].as_str().unwrap().to_owned();
        let t0 = domain::time::now();
        let lease = Duration::seconds(60);
        // Worker A takes it, does one batch, and dies.
        let a = app.store.claim_job(t0, lease).await.unwrap().unwrap();
        assert!(matches!(app.store.run_job_batch(&a, t0, lease, 4).await.unwrap(), JobStep::Continue(_)));
        // While A's lease runs, nobody else takes the job; after it, B does.
        assert!(app.store.claim_job(t0 + Duration::seconds(30), lease).await.unwrap().is_none());
        let later = t0 + Duration::seconds(61);
        let b = app.store.claim_job(later, lease).await.unwrap().expect("the stale job");
        assert_eq!(b.job_id.to_string(), id);
        // A comes back: its lease is gone.
        assert_eq!(app.store.run_job_batch(&a, later, lease, 4).await.unwrap(), JobStep::Lost);
        loop {
            match app.store.run_job_batch(&b, later, lease, 4).await.unwrap() {
                JobStep::Continue(j) => assert!(j.processed > 4),
                JobStep::Finished(j) => {
                    assert_eq!((j.processed, j.total, j.updated), (10, 10, 10));
                    break;
                }
                JobStep::Lost => panic!("B lost its own job"),
            }
        }
        let changes =
            count(&app, "SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'status_changed'", vec![])
                .await;
        assert_eq!(changes, 10, "each ticket changed once");
        assert_eq!(outbox_updates(&app).await, 10);
    }
);

db_test!(
    async fn two_workers_at_once_change_each_ticket_once(app: TestApp) {
        for i in 0..25 {
            app.ticket(&format!("T{i}")).await;
        }
        let r = bulk(&app, &app.admin, json!({"query": "", "set": {"priority": "urgent"}})).await;
        let id = r.body["job"]["id"].as_str().unwrap().to_owned();
        let config = JobWorkerConfig { batch: 4, ..Default::default() };
        let (one, two) = (app.store.clone(), app.store.clone());
        let (c1, c2) = (config.clone(), config.clone());
        let w1 = tokio::spawn(async move { one.work_next_job(&c1).await });
        let w2 = tokio::spawn(async move { two.work_next_job(&c2).await });
        let (r1, r2) = (w1.await.unwrap().unwrap(), w2.await.unwrap().unwrap());
        assert!(r1.is_some() != r2.is_some() || r1 == r2, "one job, one worker: {r1:?} {r2:?}");
        let job = app.get(&format!("/api/v1/jobs/{id}"), &app.admin).await.body;
        assert_eq!(
            (job["status"].as_str(), &job["processed"], &job["updated"]),
            (Some("succeeded"), &json!(25), &json!(25))
        );
        let changes =
            count(&app, "SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'priority_changed'", vec![])
                .await;
        assert_eq!(changes, 25);
    }
);

db_test!(
    async fn a_ticket_that_cannot_change_is_listed_in_the_jobs_errors(app: TestApp) {
        for i in 0..3 {
            app.ticket(&format!("T{i}")).await;
        }
        let r = bulk(&app, &app.admin, json!({"query": "", "set": {"assigned_to_user_id": app.operator_id}}))
            .await;
        let id = r.body["job"]["id"].as_str().unwrap().to_owned();
        // The operator leaves the workspace before the job runs.
        let db = app.store.connection();
        let sql = match db.get_database_backend() {
            DbBackend::Postgres => "DELETE FROM memberships WHERE user_id = $1",
            _ => "DELETE FROM memberships WHERE user_id = ?",
        };
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [app.operator_id.into()],
        ))
        .await
        .unwrap();
        let job = app.store.work_next_job(&JobWorkerConfig::default()).await.unwrap().unwrap();
        assert_eq!(job.processed, 3);
        let job = app.get(&format!("/api/v1/jobs/{id}"), &app.admin).await.body;
        assert_eq!(job["status"], "failed");
        assert_eq!(job["updated"], 0);
        let errors = job["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 3);
        let mut refs: Vec<&str> = errors.iter().map(|e| e["reference"].as_str().unwrap()).collect();
        refs.sort();
        assert_eq!(refs, ["ACME-1", "ACME-2", "ACME-3"]);
        assert!(errors[0]["detail"].as_str().unwrap().contains("not a member"), "{job}");
    }
);

db_test!(
    async fn the_background_worker_runs_a_job_to_its_end(app: TestApp) {
        for i in 0..5 {
            app.ticket(&format!("T{i}")).await;
        }
        let worker = store::bulk_edit::spawn_job_worker(
            app.store.clone(),
            JobWorkerConfig { batch: 2, idle: std::time::Duration::from_millis(20), ..Default::default() },
        );
        let r =
            bulk(&app, &app.operator, json!({"query": "status=open", "set": {"status": "pending"}})).await;
        let url = format!("/api/v1/jobs/{}", r.body["job"]["id"].as_str().unwrap());
        let mut job = Value::Null;
        for _ in 0..500 {
            job = app.get(&url, &app.operator).await.body;
            if job["status"] == "succeeded" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        worker.abort();
        assert_eq!((job["status"].as_str(), &job["processed"]), (Some("succeeded"), &json!(5)), "{job}");
        let r = app.get("/api/v1/tickets?status=pending", &app.admin).await;
        assert_eq!(r.body["meta"]["total"], 5);
    }
);
