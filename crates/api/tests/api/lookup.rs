//! A `q` that names a ticket (`ACME-12`, `#12`) lists it first, found by number, then the
//! text's other matches; the other filters still apply.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure message

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

fn refs(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|t| t["reference"].as_str().unwrap().to_owned())
        .collect()
}

async fn list(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/api/v1/tickets?{query}"), &app.operator).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    r.body
}

db_test!(
    async fn a_reference_is_listed_first_then_its_matches(app: TestApp) {
        for i in 1..=12 {
            app.ticket(&format!("Ticket number {i}")).await;
        }
        // The body of ACME-13 quotes ACME-1: a substring match.
        app.create_ticket(&app.admin, json!({"subject": "Follow-up", "body": "see acme-1 please"})).await;
        for q in ["ACME-1", "acme-1", " Acme-1 "] {
            let body = list(&app, &format!("q={}", urlencode(q))).await;
            let found = refs(&body);
            assert_eq!(found[0], "ACME-1", "{q}: {found:?}");
            let rest: BTreeSet<_> = found[1..].iter().cloned().collect();
            let expected: BTreeSet<String> =
                ["ACME-10", "ACME-11", "ACME-12", "ACME-13"].iter().map(|s| s.to_string()).collect();
            assert_eq!(rest, expected, "{q}");
            assert_eq!(found.len(), 5, "no duplicate: {found:?}");
            assert_eq!(body["meta"]["total"], 5);
        }
        // Pages and cursors: the named ticket once, on the first page.
        let mut seen = Vec::new();
        for page in 1..=3 {
            seen.extend(refs(&list(&app, &format!("q=ACME-1&per_page=2&page={page}")).await));
        }
        assert_eq!(seen.len(), 5, "{seen:?}");
        assert_eq!(seen[0], "ACME-1");
        assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 5, "{seen:?}");
        let mut walked = Vec::new();
        let mut cursor = String::new();
        loop {
            let body = list(&app, &format!("q=ACME-1&per_page=2&cursor={}", urlencode(&cursor))).await;
            walked.extend(refs(&body));
            match body["meta"]["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(walked, seen);
    }
);

db_test!(
    async fn a_number_finds_its_ticket_under_the_other_filters(app: TestApp) {
        for i in 1..=9 {
            app.ticket(&format!("Ticket {i}")).await;
        }
        // `#7`: shorter than a search, still a lookup; no substring search of "#7".
        assert_eq!(refs(&list(&app, "q=%237").await), ["ACME-7"]);
        assert_eq!(list(&app, "q=%237").await["meta"]["total"], 1);
        assert!(refs(&list(&app, "q=%2399").await).is_empty());
        // Other filters apply: ACME-7 is open, not closed.
        assert!(refs(&list(&app, "q=%237&status=closed").await).is_empty());
        let r = app.patch("/api/v1/tickets/ACME-7", &app.admin, json!({"status": "closed"})).await;
        assert_eq!(r.status, 200);
        assert!(refs(&list(&app, "q=%237").await).is_empty(), "closed tickets are hidden by default");
        assert_eq!(refs(&list(&app, "q=%237&status=closed").await), ["ACME-7"]);
        // Another workspace's prefix is no lookup here, and its numbers are not ours.
        let other = app
            .create_ticket(&app.other_admin, json!({"subject": "Their first", "body": "OTHER-1 body"}))
            .await;
        assert_eq!(other["reference"], "OTHER-1");
        assert!(refs(&list(&app, "q=OTHER-1").await).is_empty());
        let r = app.get("/api/v1/tickets?q=%231", &app.other_admin).await;
        assert_eq!(refs(&r.body), ["OTHER-1"]);
        // Still at most 200 characters and at least 3 for anything but `#digits`.
        app.get("/api/v1/tickets?q=%23a", &app.operator).await.assert_problem(422);
    }
);

pub fn urlencode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
