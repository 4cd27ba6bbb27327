//! `seed-bulk` (tickets the API pages through) and `export` (every ticket of a list query
//! as CSV on stdout, progress on stderr).

use super::*;

/// Every ticket of a list, walked by cursor.
async fn walk(client: &reqwest::Client, server: &Server, bearer: &str, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/tickets?{query}&cursor={c}"),
            None => format!("/api/v1/tickets?{query}"),
        };
        let (status, body) = get(client, server, &path, bearer).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        rows.extend(body["data"].as_array().expect("data").iter().cloned());
        match body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return rows,
        }
    }
}

fn references(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|t| t["reference"].as_str().expect("reference")).collect()
}

/// `seed-bulk` loads realistic tickets that the API lists, pages and searches like any
/// other, reserving numbers from the workspace counter so later tickets follow on.
async fn seed_bulk(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    create_operator(&sandbox, "o@smk.test");
    sandbox.run(&["seed-bulk", "--workspace", "NOPE", "--tickets", "10"]).failure(&["no workspace", "NOPE"]);
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "0"]).failure(&["--tickets"]);
    let run = sandbox
        .run(&["seed-bulk", "--workspace", "smk", "--tickets", "2500", "--conversations", "100"])
        .success();
    assert!(run.stderr.contains("loaded 2500 tickets"), "{}", run.stderr);
    assert!(run.stderr.contains("100 conversations"), "{}", run.stderr);
    assert!(run.stderr.contains("SMK-1 has a 50-message transcript"), "{}", run.stderr);

    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();

    // Past 1,000 matches the total is a lower bound or an estimate, and says so.
    let (status, all) =
        get(&client, &server, "/api/v1/tickets?status=open,pending,resolved,closed&per_page=100", &bearer)
            .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["meta"]["total_exact"], false, "{all}");
    assert!(all["meta"]["total"].as_u64().unwrap() > 1_000, "{all}");
    let page = all["data"].as_array().unwrap();
    assert_eq!(statuses(page), ["closed", "open", "pending", "resolved"].map(String::from).into());
    let subjects: BTreeSet<&str> = page.iter().map(|t| t["subject"].as_str().unwrap()).collect();
    assert!(subjects.len() > 50, "subjects should vary: {subjects:?}");
    assert!(page.iter().any(|t| t["assigned_to_user_id"].is_string()), "some tickets are assigned");
    assert!(page.iter().any(|t| t["assigned_to_user_id"].is_null()), "some are not");

    // Open tickets: an exact total (under 1,000), which a cursor walk and numbered pages
    // (deferred join) both reach, in the same order.
    let walked = walk(&client, &server, &bearer, "status=open&per_page=100").await;
    let (_, first) = get(&client, &server, "/api/v1/tickets?status=open&per_page=100", &bearer).await;
    assert_eq!(first["meta"]["total_exact"], true, "{first}");
    assert_eq!(first["meta"]["total"].as_u64().unwrap() as usize, walked.len());
    assert!(walked.len() > 400, "about a quarter of 2,500 is open: {}", walked.len());
    let unique: BTreeSet<&str> = references(&walked).into_iter().collect();
    assert_eq!(unique.len(), walked.len(), "a cursor walk visits each ticket once");
    for page_no in [2, 4] {
        let (status, numbered) = get(
            &client,
            &server,
            &format!("/api/v1/tickets?status=open&per_page=100&page={page_no}"),
            &bearer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{numbered}");
        let start = (page_no - 1) * 100;
        let end = (start + 100).min(walked.len());
        assert_eq!(references(numbered["data"].as_array().unwrap()), references(&walked[start..end]));
    }

    // The first linked ticket has its 50-message transcript.
    let (status, detail) = get(&client, &server, "/api/v1/tickets/SMK-1", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["conversation"]["messages"].as_array().map(Vec::len), Some(50), "{detail}");
    let (status, events) = get(&client, &server, "/api/v1/tickets/SMK-2/events", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(events["data"][0]["kind"], "created", "{events}");

    // Search finds seeded words.
    let (status, found) =
        get(&client, &server, "/api/v1/tickets?q=refund&status=open,pending,resolved,closed", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(!found["data"].as_array().unwrap().is_empty(), "{found}");

    // Numbers continue after the bulk load, and a second load continues after that.
    let resp = client
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(&bearer)
        .json(&json!({ "subject": "After the bulk load", "body": "Numbered next." }))
        .send()
        .await
        .unwrap();
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["reference"], "SMK-2501", "{created}");
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "10"]).success();
    let (status, last) = get(&client, &server, "/api/v1/tickets/SMK-2511", &bearer).await;
    assert_eq!(status, StatusCode::OK, "{last}");
    drop(client);
    server.terminate();
}

#[tokio::test]
async fn sqlite_seed_bulk_loads_tickets_the_api_pages_through() {
    seed_bulk(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_seed_bulk_loads_tickets_the_api_pages_through() {
    seed_bulk(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------
// 10b. export: every ticket of a list query as CSV on stdout, progress on stderr
// ---------------------------------------------------------------------------------------

/// The records of a CSV written by `export` (CRLF line ends; seeded subjects hold no line
/// breaks), header first.
fn csv_lines(stdout: &str) -> Vec<&str> {
    assert!(stdout.ends_with("\r\n"), "CRLF line ends: {:?}", &stdout[stdout.len().saturating_sub(40)..]);
    stdout.trim_end_matches("\r\n").split("\r\n").collect()
}

fn export_cli(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    sandbox.run(&["seed-bulk", "--workspace", "SMK", "--tickets", "1500"]).success();
    sandbox.run(&["export", "--workspace", "NOPE"]).failure(&["no workspace", "NOPE"]);
    sandbox.run(&["export", "--workspace", "SMK", "--query", "page=2"]).failure(&["--query", "query.page"]);
    sandbox.run(&["export", "--workspace", "SMK", "--query", "status=gone"]).failure(&["query.status"]);

    let all = sandbox
        .run(&["export", "--workspace", "smk", "--query", "status=open,pending,resolved,closed"])
        .success();
    let lines = csv_lines(&all.stdout);
    assert_eq!(
        lines[0],
        "reference,subject,status,priority,assignee_email,requester_email,source,created_at,updated_at,\
         first_responded_at,resolved_at,first_response_due_at,resolution_due_at"
    );
    assert_eq!(lines.len(), 1_501, "every ticket once");
    assert!(all.stderr.contains("exported 1500 tickets of SMK"), "{}", all.stderr);
    let unique: BTreeSet<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(unique.len(), 1_500);

    // The list's default leaves closed tickets out; with them it is the whole.
    let open = sandbox.run(&["export", "--workspace", "SMK"]).success();
    let closed = sandbox.run(&["export", "--workspace", "SMK", "--query", "?status=closed"]).success();
    let (open, closed) = (csv_lines(&open.stdout), csv_lines(&closed.stdout));
    assert!(closed.len() > 1 && open.len() > 1);
    assert_eq!(open.len() - 1 + closed.len() - 1, 1_500);
    assert!(open[1..].iter().all(|l| !l.contains(",closed,")));
    assert!(closed[1..].iter().all(|l| l.contains(",closed,")));
}

#[test]
fn sqlite_export_writes_every_matching_ticket_as_csv() {
    export_cli(Backend::Sqlite);
}

#[test]
fn postgres_export_writes_every_matching_ticket_as_csv() {
    export_cli(Backend::Postgres);
}
