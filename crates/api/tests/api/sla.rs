//! SLA targets: `GET/PUT /sla-policy`, due times and states on tickets, the `sla` filters
//! and `sort=due`, and the breach pass. Times are passed in (`list_tickets_at`,
//! `sla_check(as_of)`) or written into the rows; nothing sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use domain::auth::Scope;
use domain::list::TicketListQuery;
use domain::notification::EventType;
use domain::ticket::{Priority, Status};
use domain::{TicketId, WorkspaceId};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as DbValue};
use serde_json::{Value, json};
use store::sla::SlaBefore;

use crate::db_test;
use crate::helpers::*;
use crate::tickets::{list, time, uuid};

fn policy_with_hours(week: Value) -> Value {
    json!({
        "targets": {
            "urgent": {"first_response_minutes": 60, "resolution_minutes": 240},
            "high": {"first_response_minutes": 240, "resolution_minutes": 1440},
            "normal": {"first_response_minutes": 480, "resolution_minutes": 2880},
            "low": {"first_response_minutes": 1440, "resolution_minutes": 7200}
        },
        "business_hours": {"timezone": "Europe/Berlin", "week": week}
    })
}

fn nine_to_five() -> Value {
    let day = json!([["09:00", "17:00"]]);
    json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": []})
}

async fn put_policy(app: &TestApp, token: &str, body: &Value) -> Response {
    app.request(reqwest::Method::PUT, "/api/v1/sla-policy", Some(token), Some(body)).await
}

/// Runs `sql` (PostgreSQL `$n` placeholders, rewritten to `?` for SQLite) with `values`.
async fn exec(app: &TestApp, sql: &str, values: Vec<DbValue>) {
    let (backend, sql) = match app.db {
        Db::Postgres => (DbBackend::Postgres, sql.to_owned()),
        Db::Sqlite => {
            let mut sql = sql.to_owned();
            for i in (1..=values.len()).rev() {
                sql = sql.replace(&format!("${i}"), "?");
            }
            (DbBackend::Sqlite, sql)
        }
    };
    app.store
        .connection()
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .expect("sql");
}

/// Sets a ticket's due times, then lets the store recompute its list and alarm keys as it
/// does after every write.
async fn set_dues(
    app: &TestApp,
    ticket: &Value,
    first_response: Option<DateTime<Utc>>,
    resolution: Option<DateTime<Utc>>,
) {
    let id = uuid(&ticket["id"]);
    exec(
        app,
        "UPDATE tickets SET first_response_due_at = $1, resolution_due_at = $2 WHERE id = $3",
        vec![first_response.into(), resolution.into(), id.into()],
    )
    .await;
    sync(app, ticket).await;
}

async fn sync(app: &TestApp, ticket: &Value) {
    let current =
        app.get(&format!("/api/v1/tickets/{}", ticket["reference"].as_str().unwrap()), &app.admin).await;
    let status: Status = current.body["status"].as_str().unwrap().parse().unwrap();
    let priority: Priority = current.body["priority"].as_str().unwrap().parse().unwrap();
    let id = TicketId(uuid(&ticket["id"]));
    app.store
        .sla_sync(
            app.store.connection(),
            app.acme.id,
            id,
            SlaBefore { status, priority },
            domain::time::now(),
        )
        .await
        .expect("sla sync");
}

async fn get_ticket(app: &TestApp, reference: &Value) -> Value {
    let r = app.get(&format!("/api/v1/tickets/{}", reference.as_str().unwrap()), &app.operator).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn query(pairs: &[(&str, &str)]) -> TicketListQuery {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    TicketListQuery::parse(&pairs).expect("query")
}

async fn refs_at(
    app: &TestApp,
    ws: WorkspaceId,
    pairs: &[(&str, &str)],
    now: DateTime<Utc>,
) -> BTreeSet<String> {
    let page = app.store.list_tickets_at(ws, &query(pairs), now).await.expect("list");
    page.tickets.into_iter().map(|t| t.reference).collect()
}

fn set(refs: &[&Value]) -> BTreeSet<String> {
    refs.iter().map(|r| r["reference"].as_str().unwrap().to_owned()).collect()
}

async fn outbox_breaches(app: &TestApp) -> i64 {
    let row = app
        .store
        .connection()
        .query_one_raw(Statement::from_string(
            app.store.connection().get_database_backend(),
            "SELECT COUNT(*) AS n FROM outbox_events WHERE type = 'ticket.sla_breached'",
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("n")
}

async fn activity_breaches(app: &TestApp, ticket: &Value) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/tickets/{}/events", ticket["reference"].as_str().unwrap()), &app.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["data"].as_array().unwrap().iter().filter(|e| e["kind"] == "sla_breached").cloned().collect()
}

db_test!(
    async fn policy_reads_defaults_and_admins_replace_it(app: TestApp) {
        let r = app.get("/api/v1/sla-policy", &app.operator).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.body["targets"]["urgent"],
            json!({"first_response_minutes": 60, "resolution_minutes": 240})
        );
        assert_eq!(
            r.body["targets"]["high"],
            json!({"first_response_minutes": 240, "resolution_minutes": 1440})
        );
        assert_eq!(
            r.body["targets"]["normal"],
            json!({"first_response_minutes": 480, "resolution_minutes": 2880})
        );
        assert_eq!(
            r.body["targets"]["low"],
            json!({"first_response_minutes": 1440, "resolution_minutes": 7200})
        );
        assert_eq!(r.body["business_hours"], Value::Null);
        let reader = app.token(&[Scope::TicketsRead]).await;
        assert_eq!(app.get("/api/v1/sla-policy", &reader).await.status, 200);
        let writer = app.token(&[Scope::TicketsWrite]).await;
        app.get("/api/v1/sla-policy", &writer).await.assert_problem(403);

        let policy = policy_with_hours(nine_to_five());
        put_policy(&app, &app.operator, &policy).await.assert_problem(403);
        put_policy(&app, &reader, &policy).await.assert_problem(403);
        let r = put_policy(&app, &app.admin, &policy).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body, policy);
        assert_eq!(app.get("/api/v1/sla-policy", &app.operator).await.body, policy);
        // Another workspace keeps its own.
        assert_eq!(app.get("/api/v1/sla-policy", &app.other_admin).await.body["business_hours"], Value::Null);
        // Back to calendar time.
        let mut calendar = policy.clone();
        calendar["business_hours"] = Value::Null;
        assert_eq!(put_policy(&app, &app.admin, &calendar).await.body, calendar);
    }
);

db_test!(
    async fn policy_422_names_each_field(app: TestApp) {
        let cases: Vec<(Value, &[&str])> = vec![
            (
                {
                    let mut p = policy_with_hours(nine_to_five());
                    p["targets"]["urgent"]["first_response_minutes"] = json!(0);
                    p["targets"]["low"]["resolution_minutes"] = json!(525_601);
                    p
                },
                &["targets.low.resolution_minutes", "targets.urgent.first_response_minutes"],
            ),
            (
                {
                    let mut p = policy_with_hours(nine_to_five());
                    p["business_hours"]["timezone"] = json!("Europe/Atlantis");
                    p
                },
                &["business_hours.timezone"],
            ),
            (
                policy_with_hours(json!({"mon": [["09:00", "12:00"], ["11:30", "14:00"]]})),
                &["business_hours.week.mon"],
            ),
            (policy_with_hours(json!({"tue": [["17:00", "09:00"]]})), &["business_hours.week.tue.0"]),
            (policy_with_hours(json!({"wed": [["9am", "10:00"]]})), &["business_hours.week.wed.0"]),
            (policy_with_hours(json!({"mon": [], "sun": []})), &["business_hours.week"]),
            // One hour a week cannot reach low's 7,200 minutes (nor normal's 2,880) in a year.
            (policy_with_hours(json!({"mon": [["09:00", "10:00"]]})), &["targets.low.resolution_minutes"]),
            // Wrong types and missing fields, through the body extractor.
            (
                {
                    let mut p = policy_with_hours(nine_to_five());
                    p["targets"]["high"]["resolution_minutes"] = json!(-5);
                    p
                },
                &["targets.high.resolution_minutes"],
            ),
            (
                json!({"targets": {"urgent": {"first_response_minutes": 1, "resolution_minutes": 1}}}),
                &["targets.high"],
            ),
        ];
        for (body, fields) in cases {
            let r = put_policy(&app, &app.admin, &body).await;
            assert_eq!(r.assert_problem(422), *fields, "{body}: {}", r.text);
        }
        // Nothing was written.
        assert_eq!(app.get("/api/v1/sla-policy", &app.admin).await.body["business_hours"], Value::Null);
    }
);

db_test!(
    async fn due_times_per_priority_from_creation(app: TestApp) {
        for (priority, first, resolution) in
            [("urgent", 60, 240), ("high", 240, 1440), ("normal", 480, 2880), ("low", 1440, 7200)]
        {
            let t = app
                .create_ticket(&app.operator, json!({"subject": priority, "body": "b", "priority": priority}))
                .await;
            let created = time(&t["created_at"]);
            assert_eq!(time(&t["first_response_due_at"]), created + Duration::minutes(first), "{priority}");
            assert_eq!(time(&t["resolution_due_at"]), created + Duration::minutes(resolution), "{priority}");
            assert_eq!(t["sla"], json!({"first_response": "running", "resolution": "running"}));
            // The same on the ticket page and in the list.
            let page = get_ticket(&app, &t["reference"]).await;
            assert_eq!(page["first_response_due_at"], t["first_response_due_at"]);
            assert_eq!(page["sla"], t["sla"]);
        }
        // A policy change applies to tickets created after it.
        let mut policy = policy_with_hours(Value::Null);
        policy["business_hours"] = Value::Null;
        policy["targets"]["normal"] = json!({"first_response_minutes": 5, "resolution_minutes": 10});
        assert_eq!(put_policy(&app, &app.admin, &policy).await.status, 200);
        let t = app.ticket("after the change").await;
        assert_eq!(time(&t["first_response_due_at"]), time(&t["created_at"]) + Duration::minutes(5));
        let before = list(&app, &app.admin, &[("priority", "high")]).await.body["data"][0].clone();
        assert_eq!(
            time(&before["first_response_due_at"]),
            time(&before["created_at"]) + Duration::minutes(240)
        );
    }
);

db_test!(
    async fn business_hours_across_a_weekend_and_a_dst_change(app: TestApp) {
        assert_eq!(put_policy(&app, &app.admin, &policy_with_hours(nine_to_five())).await.status, 200);
        // Created Friday 27 March 2026 at 16:00 in Berlin (CET); the clocks go forward on
        // Sunday the 29th. A priority change recomputes from created_at.
        let t = app.ticket("late on Friday").await;
        let friday = Berlin.with_ymd_and_hms(2026, 3, 27, 16, 0, 0).unwrap().with_timezone(&Utc);
        exec(
            &app,
            "UPDATE tickets SET created_at = $1 WHERE id = $2",
            vec![friday.into(), uuid(&t["id"]).into()],
        )
        .await;
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap()),
                &app.admin,
                json!({"priority": "high"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        // 240 business minutes: 60 on Friday, 180 from Monday 09:00 CEST (07:00 UTC).
        assert_eq!(
            time(&r.body["first_response_due_at"]),
            Utc.with_ymd_and_hms(2026, 3, 30, 10, 0, 0).unwrap()
        );
        // 1,440: 60 on Friday, 480 on Monday and Tuesday, 420 on Wednesday: 16:00 CEST.
        assert_eq!(time(&r.body["resolution_due_at"]), Utc.with_ymd_and_hms(2026, 4, 1, 14, 0, 0).unwrap());
        // October: Friday 23rd 16:30 CEST; the clocks go back on Sunday the 25th.
        let october = Berlin.with_ymd_and_hms(2026, 10, 23, 16, 30, 0).unwrap().with_timezone(&Utc);
        exec(
            &app,
            "UPDATE tickets SET created_at = $1 WHERE id = $2",
            vec![october.into(), uuid(&t["id"]).into()],
        )
        .await;
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap()),
                &app.admin,
                json!({"priority": "urgent"}),
            )
            .await;
        // 60 minutes: 30 on Friday, 30 from Monday 09:00 CET (08:00 UTC).
        assert_eq!(
            time(&r.body["first_response_due_at"]),
            Utc.with_ymd_and_hms(2026, 10, 26, 8, 30, 0).unwrap()
        );
        assert_eq!(
            time(&r.body["resolution_due_at"]),
            Utc.with_ymd_and_hms(2026, 10, 26, 11, 30, 0).unwrap()
        );
    }
);

db_test!(
    async fn priority_change_recomputes_from_creation(app: TestApp) {
        let t = app.ticket("recompute me").await;
        let created = time(&t["created_at"]);
        let path = format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap());
        let r = app.patch(&path, &app.operator, json!({"priority": "urgent"})).await;
        assert_eq!(time(&r.body["first_response_due_at"]), created + Duration::minutes(60));
        assert_eq!(time(&r.body["resolution_due_at"]), created + Duration::minutes(240));
        // Other changes leave the due times alone.
        let r = app
            .patch(&path, &app.operator, json!({"notes": "n", "assigned_to_user_id": app.operator_id}))
            .await;
        assert_eq!(time(&r.body["first_response_due_at"]), created + Duration::minutes(60));
        assert_eq!(r.body["status"], "pending");
        assert_eq!(
            r.body["sla"],
            json!({"first_response": "running", "resolution": "running"}),
            "pending does not pause"
        );
    }
);

db_test!(
    async fn resolving_and_closing_stop_the_clocks(app: TestApp) {
        // Resolved in time without a reply: resolution met, first response paused.
        let a = app.ticket("resolved in time").await;
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", a["reference"].as_str().unwrap()),
                &app.operator,
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(r.body["sla"], json!({"first_response": "paused", "resolution": "met"}));
        // Then closed: still met (resolved_at is kept).
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", a["reference"].as_str().unwrap()),
                &app.operator,
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(r.body["sla"], json!({"first_response": "paused", "resolution": "met"}));
        // Closed straight from open: both paused.
        let b = app.ticket("closed as spam").await;
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", b["reference"].as_str().unwrap()),
                &app.operator,
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(r.body["sla"], json!({"first_response": "paused", "resolution": "paused"}));
        // Both due times passed first: resolving late is breached, and stays so once met late.
        let c = app.ticket("resolved late").await;
        let past = domain::time::now() - Duration::hours(1);
        set_dues(&app, &c, Some(past - Duration::hours(1)), Some(past)).await;
        assert_eq!(
            get_ticket(&app, &c["reference"]).await["sla"],
            json!({"first_response": "breached", "resolution": "breached"})
        );
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", c["reference"].as_str().unwrap()),
                &app.operator,
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(r.body["sla"], json!({"first_response": "breached", "resolution": "breached"}));
        // Stopped tickets are in no SLA list and sort with the clock-less ones.
        let breached =
            list(&app, &app.admin, &[("sla", "breached"), ("status", "open,pending,resolved,closed")]).await;
        assert_eq!(breached.body["data"], json!([]), "{}", breached.text);
    }
);

db_test!(
    async fn reopening_counts_a_new_resolution_due_time(app: TestApp) {
        let t = app
            .create_ticket(&app.operator, json!({"subject": "reopen me", "body": "b", "priority": "urgent"}))
            .await;
        let path = format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap());
        let first_due = t["first_response_due_at"].clone();
        app.patch(&path, &app.operator, json!({"status": "resolved"})).await;
        let r = app.patch(&path, &app.operator, json!({"status": "open"})).await;
        assert_eq!(r.status, 200);
        let reopened_at = time(&r.body["updated_at"]);
        assert_eq!(time(&r.body["resolution_due_at"]), reopened_at + Duration::minutes(240));
        assert_eq!(r.body["first_response_due_at"], first_due, "the first response due time stays");
        assert_eq!(r.body["sla"]["resolution"], "running");
        // From closed to pending too.
        app.patch(&path, &app.operator, json!({"status": "closed"})).await;
        let r = app.patch(&path, &app.operator, json!({"status": "pending"})).await;
        assert_eq!(time(&r.body["resolution_due_at"]), time(&r.body["updated_at"]) + Duration::minutes(240));
    }
);

db_test!(
    async fn sla_filters_have_exact_boundaries(app: TestApp) {
        let now = domain::time::now();
        let micro = Duration::microseconds(1);
        let hour = Duration::minutes(60);
        let far = now + Duration::days(10);
        let overdue = app.ticket("overdue by a microsecond").await;
        set_dues(&app, &overdue, Some(now - micro), Some(far)).await;
        let at_due = app.ticket("due right now").await;
        set_dues(&app, &at_due, Some(now), Some(far)).await;
        let soon = app.ticket("due in a microsecond").await;
        set_dues(&app, &soon, Some(now + micro), Some(far)).await;
        let hour_edge = app.ticket("due in exactly an hour").await;
        set_dues(&app, &hour_edge, Some(now + hour), Some(far)).await;
        let later = app.ticket("due just after the hour").await;
        set_dues(&app, &later, Some(now + hour + micro), Some(far)).await;
        // First response breached, resolution due within the hour: in both lists.
        let both = app.ticket("breached and due soon").await;
        set_dues(&app, &both, Some(now - hour), Some(now + Duration::minutes(30))).await;
        // Resolved after its due times: breached, but no running clock.
        let resolved = app.ticket("resolved late").await;
        set_dues(&app, &resolved, Some(now - hour), Some(now - hour)).await;
        app.patch(
            &format!("/api/v1/tickets/{}", resolved["reference"].as_str().unwrap()),
            &app.admin,
            json!({"status": "resolved"}),
        )
        .await;
        // A ticket from before SLA targets: no due times.
        let legacy = app.ticket("legacy").await;
        set_dues(&app, &legacy, None, None).await;
        assert_eq!(
            get_ticket(&app, &legacy["reference"]).await["sla"],
            json!({"first_response": null, "resolution": null})
        );

        let all = ("status", "open,pending,resolved,closed");
        let ws = app.acme.id;
        assert_eq!(refs_at(&app, ws, &[("sla", "breached"), all], now).await, set(&[&overdue, &both]));
        assert_eq!(
            refs_at(&app, ws, &[("sla", "due_soon"), all], now).await,
            set(&[&soon, &hour_edge, &both])
        );
        // A microsecond later, `due right now` has breached.
        assert_eq!(
            refs_at(&app, ws, &[("sla", "breached")], now + micro).await,
            set(&[&overdue, &at_due, &both])
        );
        // Through the API (now is a little later than `now`).
        let r = list(&app, &app.operator, &[("sla", "breached"), ("per_page", "100")]).await;
        let listed: BTreeSet<String> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reference"].as_str().unwrap().to_owned())
            .collect();
        assert!(listed.is_superset(&set(&[&overdue, &at_due, &both])), "{}", r.text);
        assert!(!listed.contains(resolved["reference"].as_str().unwrap()));
        assert_eq!(r.body["meta"]["total"], listed.len());
        list(&app, &app.operator, &[("sla", "late")]).await.assert_problem(422);
    }
);

db_test!(
    async fn a_long_breached_list_pages_in_every_sort_order(app: TestApp) {
        // Over 1,000 breached tickets: SQLite then walks the sort's index (checking each
        // row's due time) instead of reading the whole due-time range. A year ahead every
        // open or pending ticket is breached and resolved or closed ones have no running
        // clock, so `sla=breached` lists exactly what `status=open,pending` lists.
        let plan = store::bulk::BulkPlan { tickets: 3_000, conversations: 0, seed: 11 };
        app.store.seed_bulk("ACME", plan, &|_| {}).await.unwrap();
        let ws = app.acme.id;
        let later = domain::time::now() + Duration::days(400);
        for sort in ["-created_at", "created_at", "-updated_at", "-priority"] {
            for page in ["1", "3"] {
                let base = [("sort", sort), ("page", page), ("per_page", "50")];
                let breached = app
                    .store
                    .list_tickets_at(ws, &query(&[base.as_slice(), &[("sla", "breached")]].concat()), later)
                    .await
                    .unwrap();
                let running = app
                    .store
                    .list_tickets_at(
                        ws,
                        &query(&[base.as_slice(), &[("status", "open,pending")]].concat()),
                        later,
                    )
                    .await
                    .unwrap();
                let refs =
                    |p: &store::TicketPage| p.tickets.iter().map(|t| t.reference.clone()).collect::<Vec<_>>();
                assert_eq!(refs(&breached).len(), 50, "{sort} page {page}");
                assert_eq!(refs(&breached), refs(&running), "{sort} page {page}");
                assert!(!breached.total_exact && breached.total >= 1_000, "{sort}: {}", breached.total);
            }
        }
        // A cursor walk of the breached list meets each ticket once.
        let mut seen = BTreeSet::new();
        let mut cursor = String::new();
        for _ in 0..4 {
            let page = app
                .store
                .list_tickets_at(
                    ws,
                    &query(&[("sla", "breached"), ("per_page", "100"), ("cursor", &cursor)]),
                    later,
                )
                .await
                .unwrap();
            for t in &page.tickets {
                assert!(seen.insert(t.reference.clone()), "{} twice", t.reference);
            }
            cursor = page.next_cursor.expect("more pages");
        }
        assert_eq!(seen.len(), 400);
    }
);

db_test!(
    async fn sort_by_due_puts_clockless_tickets_last_and_pages(app: TestApp) {
        let now = domain::time::now();
        let mut expected = Vec::new();
        // Running clocks due in this order (earliest running due time first).
        let c = app.ticket("third due").await;
        set_dues(&app, &c, Some(now + Duration::hours(3)), Some(now + Duration::hours(30))).await;
        let a = app.ticket("first due (overdue)").await;
        set_dues(&app, &a, Some(now - Duration::hours(2)), Some(now + Duration::hours(30))).await;
        let b = app.ticket("second due").await;
        set_dues(&app, &b, Some(now + Duration::hours(1)), Some(now + Duration::hours(2))).await;
        // No running clock: resolved, and a legacy ticket; newest first after the others.
        let resolved = app.ticket("resolved").await;
        app.patch(
            &format!("/api/v1/tickets/{}", resolved["reference"].as_str().unwrap()),
            &app.admin,
            json!({"status": "resolved"}),
        )
        .await;
        let legacy = app.ticket("legacy").await;
        set_dues(&app, &legacy, None, None).await;
        for t in [&a, &b, &c, &legacy, &resolved] {
            expected.push(t["reference"].as_str().unwrap().to_owned());
        }
        // One page.
        let r = list(&app, &app.operator, &[("sort", "due")]).await;
        let got: Vec<String> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reference"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(got, expected, "{}", r.text);
        // Numbered pages of two, across the two parts.
        for (page, want) in [("1", &expected[0..2]), ("2", &expected[2..4]), ("3", &expected[4..5])] {
            let r = list(&app, &app.operator, &[("sort", "due"), ("per_page", "2"), ("page", page)]).await;
            let got: Vec<String> = r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["reference"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(got, want, "page {page}");
            assert_eq!(r.body["meta"]["total"], 5);
        }
        // A cursor walk of two per page.
        let mut walked = Vec::new();
        let mut cursor = String::new();
        loop {
            let r =
                list(&app, &app.operator, &[("sort", "due"), ("per_page", "2"), ("cursor", &cursor)]).await;
            assert_eq!(r.status, 200, "{}", r.text);
            walked.extend(
                r.body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["reference"].as_str().unwrap().to_owned()),
            );
            match r.body["meta"]["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(walked, expected);
        // With a filter: only breached ones, still by due time.
        let r = list(&app, &app.operator, &[("sort", "due"), ("sla", "breached")]).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["data"][0]["reference"], a["reference"]);
        // A cursor of another sort is refused.
        let other = list(&app, &app.operator, &[("per_page", "1"), ("cursor", "")]).await;
        let foreign = other.body["meta"]["next_cursor"].as_str().unwrap().to_owned();
        let r = list(&app, &app.operator, &[("sort", "due"), ("cursor", &foreign)]).await;
        assert_eq!(r.assert_problem(422), ["cursor"]);
    }
);

db_test!(
    async fn the_breach_pass_announces_each_due_time_once(app: TestApp) {
        let t = app
            .create_ticket(
                &app.operator,
                json!({"subject": "will breach", "body": "b", "priority": "urgent"}),
            )
            .await;
        // A resolved ticket's clocks are never announced.
        let untouched = app.ticket("resolved at once").await;
        app.patch(
            &format!("/api/v1/tickets/{}", untouched["reference"].as_str().unwrap()),
            &app.admin,
            json!({"status": "resolved"}),
        )
        .await;
        let first_due = time(&t["first_response_due_at"]);
        let resolution_due = time(&t["resolution_due_at"]);
        let mut live = app.store.subscribe();
        // Before the due time: nothing; a microsecond after it: the first response, once.
        assert_eq!(app.store.sla_check(first_due).await.unwrap(), 0);
        assert_eq!(app.store.sla_check(first_due + Duration::microseconds(1)).await.unwrap(), 1);
        assert_eq!(
            app.store.sla_check(first_due + Duration::minutes(10)).await.unwrap(),
            0,
            "run twice: one event"
        );
        assert_eq!(outbox_breaches(&app).await, 1);
        let logged = activity_breaches(&app, &t).await;
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0]["to"], "first_response");
        assert_eq!(time(&logged[0]["at"]), first_due);
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let e = live.recv().await.expect("live event");
                if e.event_type == EventType::TicketSlaBreached {
                    return e;
                }
            }
        })
        .await
        .expect("a live event");
        assert_eq!(event.data["ticket"]["reference"], t["reference"]);
        assert_eq!(event.data["clock"], "first_response");
        assert_eq!(event.data["ticket"]["sla"]["first_response"], "breached");
        // Then the resolution.
        assert_eq!(app.store.sla_check(resolution_due + Duration::seconds(1)).await.unwrap(), 1);
        assert_eq!(app.store.sla_check(resolution_due + Duration::hours(1)).await.unwrap(), 0);
        assert_eq!(outbox_breaches(&app).await, 2);
        assert!(activity_breaches(&app, &untouched).await.is_empty());
        // A new due time (priority change) is announced again once it passes.
        let r = app
            .patch(
                &format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap()),
                &app.admin,
                json!({"priority": "low"}),
            )
            .await;
        let new_first = time(&r.body["first_response_due_at"]);
        assert_eq!(app.store.sla_check(new_first - Duration::seconds(1)).await.unwrap(), 0);
        assert_eq!(app.store.sla_check(new_first + Duration::seconds(1)).await.unwrap(), 1);
        assert_eq!(
            app.store.sla_check(new_first + Duration::days(400)).await.unwrap(),
            1,
            "only t's new resolution"
        );
        assert!(activity_breaches(&app, &untouched).await.is_empty());
    }
);

db_test!(
    async fn concurrent_breach_passes_announce_once(app: TestApp) {
        let mut tickets = Vec::new();
        for i in 0..30 {
            tickets.push(
                app.create_ticket(
                    &app.operator,
                    json!({"subject": format!("t{i}"), "body": "b", "priority": "urgent"}),
                )
                .await,
            );
        }
        // Past every first-response due time, before any resolution one.
        let as_of =
            tickets.iter().map(|t| time(&t["first_response_due_at"])).max().unwrap() + Duration::seconds(1);
        let (a, b, c) =
            tokio::join!(app.store.sla_check(as_of), app.store.sla_check(as_of), app.store.sla_check(as_of));
        assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 30);
        assert_eq!(outbox_breaches(&app).await, 30);
        for t in &tickets {
            assert_eq!(activity_breaches(&app, t).await.len(), 1, "{}", t["reference"]);
        }
    }
);

async fn post_comment(app: &TestApp, reference: &Value, kind: &str, body: &str) -> Response {
    let path = format!("/api/v1/tickets/{}/comments", reference.as_str().unwrap());
    app.post(&path, &app.operator, json!({"kind": kind, "body": body})).await
}

async fn urgent_with_requester(app: &TestApp, subject: &str) -> Value {
    app.create_ticket(
        &app.operator,
        json!({"subject": subject, "body": "b", "priority": "urgent",
               "requester": {"name": "Jane Doe", "email": "jane@example.com"}}),
    )
    .await
}

db_test!(
    async fn the_first_reply_meets_the_first_response_and_a_late_one_stays_breached(app: TestApp) {
        // In time: the first reply stops the first-response clock as met.
        let t = urgent_with_requester(&app, "answered in time").await;
        assert_eq!(t["sla"]["first_response"], "running");
        let first_due = time(&t["first_response_due_at"]);
        let r = post_comment(&app, &t["reference"], "note", "internal").await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            get_ticket(&app, &t["reference"]).await["sla"]["first_response"],
            "running",
            "a note is no response"
        );
        let r = post_comment(&app, &t["reference"], "reply", "Hi Jane, on it.").await;
        assert_eq!(r.status, 201, "{}", r.text);
        let after = get_ticket(&app, &t["reference"]).await;
        assert!(after["first_responded_at"].is_string(), "{after}");
        assert_eq!(after["sla"]["first_response"], "met");
        assert_eq!(after["sla"]["resolution"], "running", "a reply leaves the resolution clock running");
        // The breach pass no longer announces the first response.
        app.store.sla_check(first_due + Duration::minutes(1)).await.unwrap();
        assert!(activity_breaches(&app, &t).await.is_empty());

        // Late: the due time passed (announced by the breach pass), then the first reply.
        let late = urgent_with_requester(&app, "answered late").await;
        let past = Utc::now() - Duration::minutes(30);
        set_dues(&app, &late, Some(past), Some(Utc::now() + Duration::hours(3))).await;
        assert_eq!(get_ticket(&app, &late["reference"]).await["sla"]["first_response"], "breached");
        assert_eq!(app.store.sla_check(Utc::now()).await.unwrap(), 1);
        let r = post_comment(&app, &late["reference"], "reply", "Sorry for the wait.").await;
        assert_eq!(r.status, 201, "{}", r.text);
        let after = get_ticket(&app, &late["reference"]).await;
        assert!(after["first_responded_at"].is_string());
        assert_eq!(after["sla"]["first_response"], "breached", "a late reply does not make it met");
        assert_eq!(
            app.store.sla_check(Utc::now() + Duration::minutes(1)).await.unwrap(),
            0,
            "announced once"
        );
        assert_eq!(activity_breaches(&app, &late).await.len(), 1);
    }
);

db_test!(
    async fn a_customer_comment_reopening_a_resolved_ticket_sets_a_new_resolution_due_time(app: TestApp) {
        let t = urgent_with_requester(&app, "reopened by mail").await;
        let path = format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap());
        let old_due = time(&t["resolution_due_at"]);
        let r = app.patch(&path, &app.operator, json!({"status": "resolved"})).await;
        assert_eq!(r.body["sla"]["resolution"], "met", "{}", r.text);
        let c = post_comment(&app, &t["reference"], "customer", "It broke again.").await;
        assert_eq!(c.status, 201, "{}", c.text);
        let after = get_ticket(&app, &t["reference"]).await;
        assert_eq!(after["status"], "open");
        let reopened_at = time(&c.body["created_at"]);
        assert_eq!(time(&after["resolution_due_at"]), reopened_at + Duration::minutes(240));
        assert!(time(&after["resolution_due_at"]) > old_due);
        assert_eq!(after["sla"]["resolution"], "running");
        assert_eq!(
            after["first_response_due_at"], t["first_response_due_at"],
            "the first response due time stays"
        );
        // The comment's answer and its event carry the synced ticket too.
        let updated: Vec<_> = app
            .store
            .events_after(app.acme.id, uuid::Uuid::nil(), 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| {
                e.event_type == EventType::TicketUpdated && e.data["ticket"]["reference"] == t["reference"]
            })
            .collect();
        let last = updated.last().expect("ticket.updated for the reopening");
        assert_eq!(last.data["ticket"]["resolution_due_at"], after["resolution_due_at"]);
    }
);

db_test!(
    async fn a_follow_up_ticket_gets_due_times_like_any_new_ticket(app: TestApp) {
        let t = urgent_with_requester(&app, "closed long ago").await;
        let path = format!("/api/v1/tickets/{}", t["reference"].as_str().unwrap());
        app.patch(&path, &app.operator, json!({"status": "closed"})).await;
        let c = post_comment(&app, &t["reference"], "customer", "Same problem again.").await;
        assert_eq!(c.status, 201, "{}", c.text);
        assert_ne!(c.body["ticket_id"], t["id"]);
        let follow_up = get_ticket(&app, &c.body["ticket_id"]).await;
        let created = time(&follow_up["created_at"]);
        assert_eq!(time(&follow_up["first_response_due_at"]), created + Duration::minutes(60));
        assert_eq!(time(&follow_up["resolution_due_at"]), created + Duration::minutes(240));
        assert_eq!(follow_up["sla"], json!({"first_response": "running", "resolution": "running"}));
    }
);
