//! `GET /tickets`: filters, search, sorts, pages, cursors and totals.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::auth::Scope;
use domain::ticket::{NewTicket, Priority, Source};
use futures_util::StreamExt;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use store::tickets::{Dedupe, NewTicketInput};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;
use crate::tickets::{TICKET_FIELDS, list, time, uuid};

/// Query parameters, and a case: parameters → the references expected.
type Query<'a> = &'a [(&'a str, &'a str)];
type Case<'a> = (Query<'a>, &'a [&'a str]);

const ALL_STATUSES: (&str, &str) = ("status", "open,pending,resolved,closed");
const SORTS: [&str; 4] = ["-created_at", "created_at", "-updated_at", "-priority"];

/// Inserts a ticket of ACME straight through the store (fast setup).
async fn insert(app: &TestApp, subject: &str, body: &str, priority: Priority) -> store::Ticket {
    let ticket = NewTicket::parse(subject, body, Some(priority)).expect("valid ticket");
    let input = NewTicketInput::new(ticket, Source::Api, store::Actor::System);
    app.store.create_ticket(app.acme.id, input, Dedupe::None).await.expect("create ticket").0
}

/// `GET /tickets` asserting 200.
async fn list_ok(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Value {
    let r = list(app, token, query).await;
    assert_eq!(r.status, 200, "{query:?}: {}", r.text);
    r.body
}

/// The references of a list answer, in order.
fn refs(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|t| t["reference"].as_str().expect("reference").to_owned())
        .collect()
}

/// The references of a list answer, as a set, checking `meta.total` agrees.
fn ref_set(body: &Value) -> BTreeSet<String> {
    let refs = refs(body);
    assert_eq!(body["meta"]["total"], refs.len(), "{body}");
    assert_eq!(body["meta"]["total_exact"], true);
    refs.into_iter().collect()
}

fn set(refs: &[&str]) -> BTreeSet<String> {
    refs.iter().map(|r| (*r).to_owned()).collect()
}

fn rank(t: &Value) -> i16 {
    match t["priority"].as_str().expect("priority") {
        "low" => 0,
        "normal" => 1,
        "high" => 2,
        "urgent" => 3,
        other => panic!("priority {other}"),
    }
}

/// The order each `sort` value promises: `-priority` is urgent first, then newest first;
/// `-updated_at` is most recently changed first; `-created_at` newest first and `created_at`
/// oldest first. Ties are broken by id, in the same direction.
fn compare(sort: &str, a: &Value, b: &Value) -> Ordering {
    let key = |t: &Value| -> (i16, DateTime<Utc>, Uuid) {
        match sort {
            "-priority" => (rank(t), time(&t["created_at"]), uuid(&t["id"])),
            "-updated_at" => (0, time(&t["updated_at"]), uuid(&t["id"])),
            "-created_at" | "created_at" => (0, time(&t["created_at"]), uuid(&t["id"])),
            other => panic!("sort {other}"),
        }
    };
    let ord = key(a).cmp(&key(b));
    if sort.starts_with('-') { ord.reverse() } else { ord }
}

fn ids(tickets: &[Value]) -> Vec<String> {
    tickets.iter().map(|t| t["id"].as_str().expect("id").to_owned()).collect()
}

/// Walks a whole list by cursor; returns every ticket seen, in order.
async fn walk(app: &TestApp, token: &str, sort: &str, per_page: usize, extra: &[(&str, &str)]) -> Vec<Value> {
    let per_page_text = per_page.to_string();
    let mut cursor = String::new();
    let mut seen = Vec::new();
    let mut total = None;
    for _ in 0..500 {
        let mut query =
            vec![("sort", sort), ("per_page", per_page_text.as_str()), ("cursor", cursor.as_str())];
        query.extend_from_slice(extra);
        let body = list_ok(app, token, &query).await;
        let meta = &body["meta"];
        assert_eq!(meta["per_page"], per_page);
        assert_eq!(meta["page"], 0, "page is 0 when walking by cursor");
        match total {
            None => total = Some(meta["total"].clone()),
            Some(ref t) => assert_eq!(&meta["total"], t, "the total does not change during a walk"),
        }
        let data = body["data"].as_array().expect("data");
        assert!(data.len() <= per_page);
        seen.extend(data.iter().cloned());
        match &meta["next_cursor"] {
            Value::Null => {
                assert_eq!(Some(json!(seen.len())), total, "{sort}: walked {} of {total:?}", seen.len());
                return seen;
            }
            Value::String(next) => {
                assert_eq!(data.len(), per_page, "{sort}: a page with a next cursor is full");
                cursor = next.clone();
            }
            other => panic!("next_cursor {other}"),
        }
    }
    panic!("{sort}: the walk never ended");
}

// ---------------------------------------------------------------------------------------
// Filters

db_test! {
    async fn the_default_list_hides_closed_and_status_filters_combine(app: TestApp) {
        for (i, status) in ["open", "pending", "resolved", "closed"].into_iter().enumerate() {
            app.ticket(&format!("Ticket {status}")).await;
            if status != "open" {
                let r = app.patch(&format!("/api/v1/tickets/ACME-{}", i + 1), &app.admin, json!({"status": status})).await;
                assert_eq!(r.status, 200, "{}", r.text);
            }
        }
        let body = list_ok(&app, &app.operator, &[]).await;
        assert_eq!(ref_set(&body), set(&["ACME-1", "ACME-2", "ACME-3"]));
        for t in body["data"].as_array().expect("data") {
            let keys: BTreeSet<&str> = t.as_object().expect("object").keys().map(String::as_str).collect();
            assert_eq!(keys, TICKET_FIELDS.into_iter().collect::<BTreeSet<_>>());
        }
        let cases: [Case<'_>; 9] = [
            (&[("status", "closed")], &["ACME-4"]),
            (&[("status", "open"), ("status", "closed")], &["ACME-1", "ACME-4"]),
            (&[("status", "open,closed")], &["ACME-1", "ACME-4"]),
            (&[("status", " closed , open ")], &["ACME-1", "ACME-4"]),
            (&[("status", "pending")], &["ACME-2"]),
            (&[("status[]", "resolved"), ("status[]", "pending")], &["ACME-2", "ACME-3"]),
            (&[("status", "open,open"), ("status", "open")], &["ACME-1"]),
            (&[ALL_STATUSES], &["ACME-1", "ACME-2", "ACME-3", "ACME-4"]),
            (&[("status", "closed"), ("unknown_param", "ignored")], &["ACME-4"]),
        ];
        for (query, expected) in cases {
            assert_eq!(ref_set(&list_ok(&app, &app.operator, query).await), set(expected), "{query:?}");
        }
        for bad in ["nope", "open,nope", "Closed", "all"] {
            let r = list(&app, &app.operator, &[("status", bad)]).await;
            assert_eq!(r.assert_problem(422), ["status"], "{bad}");
        }
    }
}

db_test! {
    async fn priority_filters(app: TestApp) {
        for p in ["low", "normal", "high", "urgent", "urgent"] {
            app.create_ticket(&app.admin, json!({"subject": format!("{p} one"), "body": "b", "priority": p})).await;
        }
        let r = app.patch("/api/v1/tickets/ACME-5", &app.admin, json!({"status": "closed"})).await;
        assert_eq!(r.status, 200);
        let cases: [Case<'_>; 6] = [
            (&[("priority", "urgent")], &["ACME-4"]),
            (&[("priority", "low,urgent")], &["ACME-1", "ACME-4"]),
            (&[("priority", "low"), ("priority", "high")], &["ACME-1", "ACME-3"]),
            (&[("priority", "urgent"), ("status", "closed")], &["ACME-5"]),
            (&[("priority", "urgent"), ALL_STATUSES], &["ACME-4", "ACME-5"]),
            (&[("priority", "normal"), ("status", "closed")], &[]),
        ];
        for (query, expected) in cases {
            assert_eq!(ref_set(&list_ok(&app, &app.operator, query).await), set(expected), "{query:?}");
        }
        for bad in ["extreme", "low,extreme", "3"] {
            assert_eq!(list(&app, &app.operator, &[("priority", bad)]).await.assert_problem(422), ["priority"], "{bad}");
        }
    }
}

db_test! {
    async fn assignee_filters(app: TestApp) {
        let assign = |who: Option<Uuid>| json!({"subject": "s", "body": "b", "assigned_to_user_id": who});
        app.create_ticket(&app.admin, assign(Some(app.operator_id))).await; // ACME-1
        app.create_ticket(&app.admin, assign(Some(app.admin_id))).await; // ACME-2
        app.create_ticket(&app.admin, assign(None)).await; // ACME-3
        app.create_ticket(&app.admin, assign(Some(app.operator_id))).await; // ACME-4, closed below
        assert_eq!(app.patch("/api/v1/tickets/ACME-4", &app.admin, json!({"status": "closed"})).await.status, 200);
        // OTHER's tickets are assigned to OTHER's admin.
        app.create_ticket(&app.other_admin, json!({"subject": "s", "body": "b", "assigned_to_user_id": app.other_admin_id})).await;

        let operator_id = app.operator_id.to_string();
        let admin_id = app.admin_id.to_string();
        let other_admin_id = app.other_admin_id.to_string();
        let nobody = Uuid::new_v4().to_string();
        let token = app.token(&[Scope::TicketsRead]).await;
        let cases: [(&str, Query<'_>, &[&str]); 10] = [
            (&app.operator, &[("assignee", "me")], &["ACME-1"]),
            (&app.admin, &[("assignee", "me")], &["ACME-2"]),
            (&app.operator, &[("assignee", "me"), ALL_STATUSES], &["ACME-1", "ACME-4"]),
            (&app.operator, &[("assignee", "none")], &["ACME-3"]),
            (&token, &[("assignee", "none")], &["ACME-3"]),
            (&app.admin, &[("assignee", &operator_id)], &["ACME-1"]),
            (&token, &[("assignee", &admin_id)], &["ACME-2"]),
            (&app.admin, &[("assignee", &other_admin_id)], &[]),
            (&app.admin, &[("assignee", &nobody), ALL_STATUSES], &[]),
            (&app.other_admin, &[("assignee", "me")], &["OTHER-1"]),
        ];
        for (who, query, expected) in cases {
            assert_eq!(ref_set(&list_ok(&app, who, query).await), set(expected), "{query:?}");
        }
        // `me` needs a signed-in user.
        for t in [&token, &app.token(&[Scope::Admin]).await] {
            assert_eq!(list(&app, t, &[("assignee", "me")]).await.assert_problem(422), ["assignee"]);
        }
        for bad in ["bob", "ME", "", "123"] {
            assert_eq!(list(&app, &app.admin, &[("assignee", bad)]).await.assert_problem(422), ["assignee"], "{bad:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Search

db_test! {
    async fn search_is_a_case_insensitive_substring_of_subject_body_or_reference(app: TestApp) {
        let tickets = [
            ("Printer on FIRE", "smoke everywhere"),              // 1
            ("Refund", "Customer says the TONER cartridge leaked"), // 2
            ("Discount 50% off", "promo"),                       // 3
            ("Discount 500 off", "promo"),                       // 4
            ("He said \"refund now\"", "quotes"),                // 5
            ("snake_case field", "naming"),                      // 6
            ("snakeXcase field", "naming"),                      // 7
            ("Path C:\\tmp\\x", "windows"),                      // 8
            ("Filler", "filler"),                                // 9
            ("Filler", "filler"),                                // 10
            ("printer archived", "old"),                         // 11, closed below
        ];
        for (subject, body) in tickets {
            app.create_ticket(&app.admin, json!({"subject": subject, "body": body})).await;
        }
        assert_eq!(app.patch("/api/v1/tickets/ACME-11", &app.admin, json!({"status": "closed"})).await.status, 200);
        app.create_ticket(&app.other_admin, json!({"subject": "Printer on fire as well", "body": "refund toner ACME-1"})).await;

        let cases: [Case<'_>; 20] = [
            (&[("q", "printer")], &["ACME-1"]),
            (&[("q", "PRINTER")], &["ACME-1"]),
            (&[("q", "  Printer  ")], &["ACME-1"]),
            (&[("q", "on fire")], &["ACME-1"]),
            (&[("q", "toner")], &["ACME-2"]),
            (&[("q", "Toner Cartridge")], &["ACME-2"]),
            (&[("q", "smoke")], &["ACME-1"]),
            (&[("q", "refund")], &["ACME-2", "ACME-5"]),
            (&[("q", "acme-1")], &["ACME-1", "ACME-10"]),
            (&[("q", "ACME-10")], &["ACME-10"]),
            (&[("q", "cme-3")], &["ACME-3"]),
            (&[("q", "50%")], &["ACME-3"]),
            (&[("q", "e_c")], &["ACME-6"]),
            (&[("q", ":\\tm")], &["ACME-8"]),
            (&[("q", "\"refund")], &["ACME-5"]),
            (&[("q", "promo")], &["ACME-3", "ACME-4"]),
            (&[("q", "zzzz")], &[]),
            (&[("q", "printer"), ("status", "open,closed")], &["ACME-1", "ACME-11"]),
            (&[("q", "printer"), ("status", "closed")], &["ACME-11"]),
            (&[("q", "refund"), ("sort", "-priority"), ("priority", "normal")], &["ACME-2", "ACME-5"]),
        ];
        for (query, expected) in cases {
            assert_eq!(ref_set(&list_ok(&app, &app.operator, query).await), set(expected), "{query:?}");
        }
        // OTHER finds its own and never ACME's.
        assert_eq!(ref_set(&list_ok(&app, &app.other_admin, &[("q", "printer")]).await), set(&["OTHER-1"]));
        assert_eq!(ref_set(&list_ok(&app, &app.other_admin, &[("q", "acme-1")]).await), set(&["OTHER-1"]));
        assert_eq!(ref_set(&list_ok(&app, &app.other_admin, &[("q", "smoke")]).await), set(&[]));
        // The search keeps working after a ticket changes.
        assert_eq!(app.patch("/api/v1/tickets/ACME-1", &app.admin, json!({"priority": "urgent", "notes": "zzzz"})).await.status, 200);
        assert_eq!(ref_set(&list_ok(&app, &app.operator, &[("q", "printer")]).await), set(&["ACME-1"]));
    }
}

db_test! {
    async fn search_needs_three_to_two_hundred_characters(app: TestApp) {
        app.ticket("Something").await;
        let long = "x".repeat(201);
        for q in ["ab", "  ab  ", "a", long.as_str()] {
            let r = list(&app, &app.admin, &[("q", q)]).await;
            assert_eq!(r.assert_problem(422), ["q"], "{q:?}");
        }
        assert_eq!(ref_set(&list_ok(&app, &app.admin, &[("q", "thi")]).await), set(&["ACME-1"]));
        assert_eq!(ref_set(&list_ok(&app, &app.admin, &[("q", &"x".repeat(200))]).await), set(&[]));
        // Every bad parameter is named at once.
        let r = list(&app, &app.admin, &[("q", "ab"), ("sort", "subject"), ("page", "0"), ("per_page", "101"), ("status", "x")]).await;
        assert_eq!(r.assert_problem(422), ["page", "per_page", "q", "sort", "status"]);
    }
}

// ---------------------------------------------------------------------------------------
// Sorts and pages

db_test! {
    async fn sorts_order_the_list(app: TestApp) {
        for p in [Priority::Normal, Priority::Urgent, Priority::Low, Priority::Urgent, Priority::High, Priority::Normal] {
            insert(&app, "Sorted", "b", p).await;
        }
        // Touch 2, then 5: the most recently updated come first in -updated_at.
        for n in [2, 5] {
            let r = app.patch(&format!("/api/v1/tickets/ACME-{n}"), &app.admin, json!({"notes": "touched"})).await;
            assert_eq!(r.status, 200);
        }
        let numbers = |body: &Value| -> Vec<i64> {
            body["data"].as_array().expect("data").iter().map(|t| t["number"].as_i64().expect("number")).collect()
        };
        let cases: [(Query<'_>, [i64; 6]); 5] = [
            (&[], [6, 5, 4, 3, 2, 1]),
            (&[("sort", "-created_at")], [6, 5, 4, 3, 2, 1]),
            (&[("sort", "created_at")], [1, 2, 3, 4, 5, 6]),
            (&[("sort", "-updated_at")], [5, 2, 6, 4, 3, 1]),
            (&[("sort", "-priority")], [4, 2, 5, 6, 1, 3]),
        ];
        for (query, expected) in cases {
            let body = list_ok(&app, &app.operator, query).await;
            assert_eq!(numbers(&body), expected, "{query:?}");
            let data = body["data"].as_array().expect("data");
            let sort = query.first().map_or("-created_at", |(_, s)| *s);
            assert!(data.windows(2).all(|w| compare(sort, &w[0], &w[1]) == Ordering::Less), "{sort}");
        }
        for bad in ["subject", "priority", "-number", "created_at,-priority", ""] {
            assert_eq!(list(&app, &app.operator, &[("sort", bad)]).await.assert_problem(422), ["sort"], "{bad:?}");
        }
    }
}

db_test! {
    async fn pages_slice_the_list_and_report_meta(app: TestApp) {
        for i in 1..=23 {
            insert(&app, &format!("Paged {i}"), "b", Priority::Normal).await;
        }
        let numbers = |body: &Value| -> Vec<i64> {
            body["data"].as_array().expect("data").iter().map(|t| t["number"].as_i64().expect("number")).collect()
        };
        let first = list_ok(&app, &app.operator, &[("per_page", "10")]).await;
        assert_eq!(numbers(&first), (14..=23).rev().collect::<Vec<_>>());
        assert_eq!(first["meta"]["page"], 1);
        assert_eq!(first["meta"]["per_page"], 10);
        assert_eq!(first["meta"]["total"], 23);
        assert_eq!(first["meta"]["total_exact"], true);
        assert!(first["meta"]["next_cursor"].is_string(), "page mode gives a cursor to switch to walking");

        let second = list_ok(&app, &app.operator, &[("page", "2"), ("per_page", "10")]).await;
        assert_eq!(numbers(&second), (4..=13).rev().collect::<Vec<_>>());
        assert_eq!(second["meta"]["page"], 2);
        let third = list_ok(&app, &app.operator, &[("page", "3"), ("per_page", "10")]).await;
        assert_eq!(numbers(&third), [3, 2, 1]);
        assert_eq!(third["meta"]["page"], 3);
        assert_eq!(third["meta"]["total"], 23);
        assert!(third["meta"]["next_cursor"].is_null());
        let past = list_ok(&app, &app.operator, &[("page", "4"), ("per_page", "10")]).await;
        assert_eq!(numbers(&past), Vec::<i64>::new());
        assert_eq!(past["meta"]["total"], 23);
        assert!(past["meta"]["next_cursor"].is_null());

        let default = list_ok(&app, &app.operator, &[]).await;
        assert_eq!(default["data"].as_array().expect("data").len(), 23);
        assert_eq!(default["meta"]["page"], 1);
        assert_eq!(default["meta"]["per_page"], 25);
        assert!(default["meta"]["next_cursor"].is_null());
        let exact_fit = list_ok(&app, &app.operator, &[("per_page", "23")]).await;
        assert!(exact_fit["meta"]["next_cursor"].is_null(), "no next page when the page ends the list");
        let one = list_ok(&app, &app.operator, &[("per_page", "1"), ("page", "23"), ("sort", "created_at")]).await;
        assert_eq!(numbers(&one), [23]);
        assert_eq!(list_ok(&app, &app.operator, &[("per_page", "100")]).await["meta"]["per_page"], 100);

        // Switching from a page to a walk: the cursor of page 1 continues after it.
        let cursor = first["meta"]["next_cursor"].as_str().expect("cursor");
        let next = list_ok(&app, &app.operator, &[("cursor", cursor), ("per_page", "10")]).await;
        assert_eq!(numbers(&next), numbers(&second));

        let bad: [(Query<'_>, &str); 9] = [
            (&[("per_page", "101")], "per_page"),
            (&[("per_page", "0")], "per_page"),
            (&[("per_page", "-5")], "per_page"),
            (&[("per_page", "ten")], "per_page"),
            (&[("page", "0")], "page"),
            (&[("page", "-1")], "page"),
            (&[("page", "1.5")], "page"),
            (&[("page", "")], "page"),
            (&[("page", "99999999999999999999999")], "page"),
        ];
        for (query, field) in bad {
            assert_eq!(list(&app, &app.operator, query).await.assert_problem(422), [field], "{query:?}");
        }
    }
}

db_test! {
    async fn cursor_walks_visit_every_ticket_once_in_order_for_each_sort(app: TestApp) {
        // 37 tickets, most of them `normal`, with runs sharing one created_at and updated_at,
        // so that the walks must break ties by id.
        for i in 1..=37 {
            let p = match i % 9 {
                0 => Priority::Urgent,
                4 => Priority::Low,
                7 => Priority::High,
                _ => Priority::Normal,
            };
            insert(&app, &format!("Walk {i}"), "walk body", p).await;
        }
        for sql in [
            "UPDATE tickets SET created_at = (SELECT created_at FROM tickets WHERE number = 10), \
             updated_at = (SELECT created_at FROM tickets WHERE number = 10) WHERE number BETWEEN 10 AND 24",
            "UPDATE tickets SET updated_at = (SELECT updated_at FROM tickets WHERE number = 30) WHERE number BETWEEN 3 AND 7",
        ] {
            app.store.connection().execute_unprepared(sql).await.expect("tie the timestamps");
        }
        // Move a few through PATCH: new updated_at, and one closed (hidden by default).
        for (n, body) in [(2, json!({"priority": "urgent"})), (33, json!({"notes": "n"})), (5, json!({"status": "closed"}))] {
            let r = app.patch(&format!("/api/v1/tickets/ACME-{n}"), &app.admin, body).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        // OTHER's tickets must not leak into the walks.
        for i in 0..3 {
            app.create_ticket(&app.other_admin, json!({"subject": format!("Walk other {i}"), "body": "walk body"})).await;
        }

        for sort in SORTS {
            // The reference order: every visible ticket, sorted by the documented keys.
            let page = list_ok(&app, &app.operator, &[("sort", sort), ("per_page", "100")]).await;
            let all = page["data"].as_array().expect("data").clone();
            assert_eq!(all.len(), 36);
            let mut expected = all.clone();
            expected.sort_by(|a, b| compare(sort, a, b));
            assert_eq!(ids(&all), ids(&expected), "{sort}: page order");

            for per_page in [5, 6, 36, 100, 1] {
                let walked = walk(&app, &app.operator, sort, per_page, &[]).await;
                assert_eq!(ids(&walked), ids(&expected), "{sort} by {per_page}");
            }
            // With filters: all statuses, and a search.
            let mut everything = list_ok(&app, &app.operator, &[("sort", sort), ("per_page", "100"), ALL_STATUSES]).await["data"]
                .as_array()
                .expect("data")
                .clone();
            assert_eq!(everything.len(), 37);
            everything.sort_by(|a, b| compare(sort, a, b));
            assert_eq!(ids(&walk(&app, &app.admin, sort, 4, &[ALL_STATUSES]).await), ids(&everything), "{sort}, all");
            let normal: Vec<Value> = expected.iter().filter(|t| t["priority"] == "normal").cloned().collect();
            assert_eq!(ids(&walk(&app, &app.admin, sort, 3, &[("priority", "normal"), ("q", "walk")]).await), ids(&normal), "{sort}, normal");
        }
    }
}

db_test! {
    async fn bad_cursors_are_422(app: TestApp) {
        for i in 0..3 {
            insert(&app, &format!("C {i}"), "b", Priority::Normal).await;
        }
        let first = list_ok(&app, &app.admin, &[("cursor", ""), ("per_page", "1")]).await;
        let cursor = first["meta"]["next_cursor"].as_str().expect("cursor").to_owned();
        // Valid with its own sort, with or without other filters.
        assert_eq!(list_ok(&app, &app.admin, &[("cursor", &cursor), ("per_page", "1")]).await["data"][0]["number"], 2);
        assert_eq!(list_ok(&app, &app.admin, &[("sort", "-created_at"), ("cursor", &cursor)]).await["data"].as_array().expect("data").len(), 2);

        let crafted = |json: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).expect("json"));
        let id = Uuid::new_v4().to_string();
        let no_priority = crafted(json!({"s": "-priority", "t": "2026-01-01T00:00:00Z", "i": id}));
        let not_a_cursor = crafted(json!({"hello": "world"}));
        let bad_time = crafted(json!({"s": "-created_at", "t": "yesterday", "i": id}));
        let cases: [Query<'_>; 10] = [
            &[("cursor", &cursor), ("sort", "created_at")],
            &[("cursor", &cursor), ("sort", "-updated_at")],
            &[("cursor", &cursor), ("sort", "-priority")],
            &[("cursor", "garbage!")],
            &[("cursor", "eyJub3QiOiJqc29uIg")],
            &[("cursor", &not_a_cursor)],
            &[("cursor", &bad_time)],
            &[("cursor", &no_priority), ("sort", "-priority")],
            &[("cursor", ""), ("page", "1")],
            &[("cursor", &cursor), ("page", "2")],
        ];
        for query in cases {
            let r = list(&app, &app.admin, query).await;
            assert_eq!(r.assert_problem(422), ["cursor"], "{query:?}: {}", r.text);
        }
        // A well-formed cursor of a ticket that does not exist is simply a position.
        let elsewhere = crafted(json!({"s": "created_at", "t": "2000-01-01T00:00:00Z", "i": id}));
        let r = list_ok(&app, &app.admin, &[("cursor", &elsewhere), ("sort", "created_at")]).await;
        assert_eq!(r["data"].as_array().expect("data").len(), 3);
    }
}

db_test! {
    async fn another_workspaces_tickets_never_appear(app: TestApp) {
        for i in 0..3 {
            app.create_ticket(&app.admin, json!({"subject": format!("Shared words {i}"), "body": "same body"})).await;
        }
        let mut theirs = BTreeSet::new();
        for i in 0..4 {
            let t = app
                .create_ticket(&app.other_admin, json!({"subject": format!("Shared words {i}"), "body": "same body", "assigned_to_user_id": app.other_admin_id}))
                .await;
            theirs.insert(t["id"].as_str().expect("id").to_owned());
        }
        let acme_token = app.token(&[Scope::TicketsRead]).await;
        let other_id = app.other_admin_id.to_string();
        let queries: [Query<'_>; 6] = [
            &[],
            &[ALL_STATUSES],
            &[("q", "shared words")],
            &[("q", "other-1")],
            &[("assignee", &other_id)],
            &[("sort", "-priority"), ("per_page", "100")],
        ];
        for token in [&app.admin, &app.operator, &acme_token] {
            for query in queries {
                let body = list_ok(&app, token, query).await;
                for t in body["data"].as_array().expect("data") {
                    assert!(!theirs.contains(t["id"].as_str().expect("id")), "{query:?} leaked {t}");
                    assert_eq!(t["workspace_id"], app.acme.id.0.to_string());
                }
                assert!(body["meta"]["total"].as_u64().expect("total") <= 3, "{query:?}");
            }
            let walked = walk(&app, token, "-created_at", 2, &[ALL_STATUSES]).await;
            assert_eq!(walked.len(), 3);
        }
        let body = list_ok(&app, &app.other_admin, &[]).await;
        assert_eq!(body["meta"]["total"], 4);
        assert_eq!(ids(body["data"].as_array().expect("data")).into_iter().collect::<BTreeSet<_>>(), theirs);
    }
}

// ---------------------------------------------------------------------------------------
// Totals

db_test! {
    async fn totals_are_exact_up_to_1000_then_estimated(app: TestApp) {
        // 1,000 low and 1 high, inserted through the store (HTTP would be slow).
        let created: Vec<store::Ticket> = futures_util::stream::iter(0..1001)
            .map(|i| {
                let priority = if i == 0 { Priority::High } else { Priority::Low };
                let app = &app;
                async move { insert(app, &format!("Bulk ticket {i}"), "bulk body", priority).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let numbers: BTreeSet<i64> = created.iter().map(|t| t.number).collect();
        assert_eq!(numbers, (1..=1001).collect());

        let inexact = |body: &Value| {
            assert_eq!(body["meta"]["total_exact"], false, "{}", body["meta"]);
            let total = body["meta"]["total"].as_u64().expect("total");
            match app.db {
                // PostgreSQL: the planner's estimate, never below what was counted.
                Db::Postgres => assert!(total >= 1001, "{}", body["meta"]),
                // SQLite: the lower bound.
                Db::Sqlite => assert_eq!(total, 1001, "{}", body["meta"]),
            }
        };
        let exact = |body: &Value, n: u64| {
            assert_eq!(body["meta"]["total_exact"], true, "{}", body["meta"]);
            assert_eq!(body["meta"]["total"], n, "{}", body["meta"]);
        };
        let all = list_ok(&app, &app.operator, &[]).await;
        inexact(&all);
        assert_eq!(all["data"].as_array().expect("data").len(), 25);
        assert!(all["meta"]["next_cursor"].is_string());
        // A search with many matches (on SQLite: walked in the list's order, each row checked
        // against the matches) gives the rows the list gives, on the first and the last page.
        let searched = list_ok(&app, &app.operator, &[("q", "bulk")]).await;
        inexact(&searched);
        assert_eq!(searched["data"], all["data"]);
        let last_searched = list_ok(&app, &app.operator, &[("q", "bulk"), ("page", "41")]).await;
        assert_eq!(last_searched["data"].as_array().expect("data").len(), 1);
        assert_eq!(last_searched["data"], list_ok(&app, &app.operator, &[("page", "41")]).await["data"]);
        inexact(&list_ok(&app, &app.operator, &[("sort", "-priority"), ("cursor", "")]).await);
        exact(&list_ok(&app, &app.operator, &[("priority", "low")]).await, 1000);
        exact(&list_ok(&app, &app.operator, &[("priority", "high")]).await, 1);
        exact(&list_ok(&app, &app.operator, &[("status", "closed")]).await, 0);
        exact(&list_ok(&app, &app.operator, &[("q", "ticket 100")]).await, 2); // 100 and 1000
        // Pages past the first still slice exactly while the total is an estimate.
        let last = list_ok(&app, &app.operator, &[("page", "41"), ("per_page", "25")]).await;
        inexact(&last);
        assert_eq!(last["data"].as_array().expect("data").len(), 1);
        let top = list_ok(&app, &app.operator, &[("sort", "-priority"), ("per_page", "1")]).await;
        assert_eq!(top["data"][0]["priority"], "high");

        // Back to exactly 1,000 matches: exact again.
        let low = created.iter().find(|t| t.priority == Priority::Low).expect("a low ticket");
        let r = app.patch(&format!("/api/v1/tickets/{}", low.reference), &app.admin, json!({"status": "closed"})).await;
        assert_eq!(r.status, 200);
        exact(&list_ok(&app, &app.operator, &[]).await, 1000);
        exact(&list_ok(&app, &app.operator, &[ALL_STATUSES, ("priority", "low,urgent")]).await, 1000);
        inexact(&list_ok(&app, &app.operator, &[ALL_STATUSES]).await);
    }
}
