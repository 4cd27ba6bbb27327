//! Webhook notifications and live events across processes: the outbox survives SIGKILL, and
//! two instances on one PostgreSQL deliver each event once and share live events through
//! LISTEN/NOTIFY. Webhooks go to `test_support::Receiver`.

use std::collections::BTreeMap;
use std::process::Stdio;

use test_support::{Received, Receiver};

use super::*;

/// How long a delivery or a live event may take.
pub(super) const ARRIVAL: Duration = Duration::from_secs(30);

/// `ticketd serve` with webhooks to loopback allowed (the receivers run on 127.0.0.1).
async fn serve(sandbox: &Sandbox) -> Server {
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("TICKETD_WEBHOOK_ALLOW_PRIVATE", "true");
    sandbox.start_command(cmd, &["serve"]).await
}

pub(super) async fn sign_in(client: &reqwest::Client, server: &Server) -> String {
    let session = login(client, server, "a@smk.test", ADMIN_PASSWORD).await;
    session["access_token"].as_str().unwrap().to_owned()
}

pub(super) async fn post(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    bearer: &str,
    body: Value,
) -> (StatusCode, Value) {
    let resp =
        client.post(server.url(path)).bearer_auth(bearer).json(&body).send().await.expect("POST request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Creates a webhook channel to `url`; returns (channel id, secret).
pub(super) async fn channel(
    client: &reqwest::Client,
    server: &Server,
    bearer: &str,
    url: &str,
) -> (String, String) {
    let (status, body) =
        post(client, server, "/api/v1/notification-channels", bearer, json!({"kind": "webhook", "url": url}))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["id"].as_str().unwrap().to_owned(), body["secret"].as_str().unwrap().to_owned())
}

async fn deliveries(client: &reqwest::Client, server: &Server, bearer: &str, channel: &str) -> Vec<Value> {
    let (status, body) =
        get(client, server, &format!("/api/v1/notification-channels/{channel}/deliveries"), bearer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Asserts a signed `ticket.created` delivery; returns its event id.
fn assert_delivery(r: &Received, secret: &str) -> String {
    let body = r.json();
    let now = chrono::Utc::now().timestamp();
    assert!(
        domain::notification::verify_signature(secret, r.header("ticketd-signature"), &r.body, now, 300),
        "the signature verifies: {:?}",
        r.headers
    );
    assert!(!domain::notification::verify_signature(
        "whsec_wrong",
        r.header("ticketd-signature"),
        &r.body,
        now,
        300
    ));
    assert_eq!(body["type"], "ticket.created", "{body}");
    assert_eq!(r.header("ticketd-event-id"), body["id"].as_str().unwrap());
    body["id"].as_str().unwrap().to_owned()
}

async fn delivered_after_a_crash(backend: Backend) {
    let started = Instant::now();
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    let server = serve(&sandbox).await;
    let client = reqwest::Client::new();
    let bearer = sign_in(&client, &server).await;
    // The receiver is down: nothing listens on its port yet.
    let port = free_port();
    let (channel, secret) =
        channel(&client, &server, &bearer, &format!("http://127.0.0.1:{port}/hook")).await;
    let (status, ticket) = post(
        &client,
        &server,
        "/api/v1/tickets",
        &bearer,
        json!({"subject": "Survives a crash", "body": "Committed, not yet delivered"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    // Its first attempt fails (connection refused) and is scheduled again…
    let deadline = Instant::now() + ARRIVAL;
    let failed = loop {
        let rows = deliveries(&client, &server, &bearer, &channel).await;
        if rows[0]["last_error"].is_string() {
            break rows[0].clone();
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed["status"], "pending", "{failed}");
    assert_eq!(failed["delivered_at"], Value::Null);
    // …and a second ticket is killed right after its commit, before any attempt.
    let (status, second) = post(
        &client,
        &server,
        "/api/v1/tickets",
        &bearer,
        json!({"subject": "Killed right after the commit", "body": "Not even tried"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let pending = deliveries(&client, &server, &bearer, &channel).await;
    server.kill_hard();
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert!(pending.iter().all(|d| d["status"] == "pending"), "{pending:?}");
    let event_ids: BTreeSet<String> =
        pending.iter().map(|d| d["event_id"].as_str().unwrap().to_owned()).collect();

    let receiver = Receiver::start_on(port).await;
    assert_eq!(receiver.port, port);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.requests().is_empty(), "nothing is delivered while ticketd is down");
    let restarted_at = Instant::now();
    let server = serve(&sandbox).await;
    let got = receiver.wait_for(2, ARRIVAL).await;
    let after_restart = restarted_at.elapsed();
    let received: BTreeSet<String> = got.iter().map(|r| assert_delivery(r, &secret)).collect();
    assert_eq!(received, event_ids, "the events of the outbox, same ids");
    let tickets: BTreeSet<String> =
        got.iter().map(|r| r.json()["data"]["ticket"]["id"].to_string()).collect();
    assert_eq!(tickets, BTreeSet::from([ticket["id"].to_string(), second["id"].to_string()]));

    let bearer = sign_in(&client, &server).await;
    let deadline = Instant::now() + ARRIVAL;
    let rows = loop {
        let rows = deliveries(&client, &server, &bearer, &channel).await;
        if rows.iter().all(|d| d["status"] == "delivered") {
            break rows;
        }
        assert!(Instant::now() < deadline, "not marked delivered: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for row in &rows {
        assert_eq!(row["last_status_code"], 200, "{row}");
        assert_eq!(row["last_error"], Value::Null, "{row}");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.requests().len(), 2, "each delivered once");
    drop(client);
    server.terminate();
    eprintln!(
        "{backend:?}: delivered {after_restart:?} after the restart (attempts {:?}); the test took {:?}",
        rows.iter().map(|d| d["attempts"].clone()).collect::<Vec<_>>(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_pending_delivery_survives_sigkill() {
    delivered_after_a_crash(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_pending_delivery_survives_sigkill() {
    delivered_after_a_crash(Backend::Postgres).await;
}

/// How many backends of this database sit in `LISTEN` (one per running instance).
pub(super) fn listeners(pg: &PgDb) -> usize {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tA", "-c"])
        .arg(format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query ILIKE 'LISTEN%'",
            pg.name
        ))
        .env("PGPASSWORD", "postgres")
        .stdin(Stdio::null())
        .output()
        .expect("run psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a count")
}

/// Reads `ticket.created` frames from an event stream until every id of `want` was seen.
pub(super) async fn stream_until(response: &mut reqwest::Response, want: &BTreeSet<String>) -> Vec<String> {
    let deadline = Instant::now() + ARRIVAL;
    let mut buf = String::new();
    let mut seen = Vec::new();
    while !want.iter().all(|id| seen.contains(id)) {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let event = frame.lines().find_map(|l| l.strip_prefix("event: "));
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some("ticket.created"), Some(data)) = (event, data) {
                let data: Value = serde_json::from_str(data).expect("JSON data");
                seen.push(data["data"]["ticket"]["id"].as_str().unwrap().to_owned());
            }
        }
        if want.iter().all(|id| seen.contains(id)) {
            break;
        }
        let chunk = tokio::time::timeout_at(deadline.into(), response.chunk()).await.unwrap_or_else(|_| {
            let missing: Vec<&String> = want.iter().filter(|id| !seen.contains(id)).collect();
            panic!(
                "{} of {} tickets on the stream after {ARRIVAL:?}; missing {missing:?}",
                seen.len(),
                want.len()
            )
        });
        let bytes = chunk.expect("read the stream").expect("the stream ended");
        buf.push_str(std::str::from_utf8(&bytes).expect("UTF-8"));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_instances_deliver_each_event_once_and_share_live_events() {
    const TICKETS: usize = 30;
    let started = Instant::now();
    let sandbox = Sandbox::new(Backend::Postgres);
    create_smoke_workspace(&sandbox).success();
    let a = serve(&sandbox).await;
    let b = serve(&sandbox).await;
    let pg = sandbox.pg.as_ref().unwrap();
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    while listeners(pg) < 2 {
        assert!(Instant::now() < deadline, "both instances LISTEN");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = reqwest::Client::new();
    let bearer = sign_in(&client, &a).await;
    let (status, me) = get(&client, &b, "/api/v1/me", &bearer).await;
    assert_eq!(status, StatusCode::OK, "a session of A works on B: {me}");

    let receiver = Receiver::start().await;
    let (channel, secret) =
        channel(&client, &a, &bearer, &format!("http://127.0.0.1:{}/hook", receiver.port)).await;

    let mut stream = client
        .get(a.url("/api/v1/events"))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("open the event stream on A");
    assert_eq!(stream.status(), StatusCode::OK);

    // 30 tickets at once, alternating between the instances.
    let creations: Vec<_> = (0..TICKETS)
        .map(|n| {
            let url = if n % 2 == 0 { a.url("/api/v1/tickets") } else { b.url("/api/v1/tickets") };
            let (client, bearer) = (client.clone(), bearer.clone());
            tokio::spawn(async move {
                let resp = client
                    .post(url)
                    .bearer_auth(bearer)
                    .json(&json!({"subject": format!("Two instances {n}"), "body": "b"}))
                    .send()
                    .await
                    .expect("create a ticket");
                assert_eq!(resp.status(), StatusCode::CREATED);
                let ticket: Value = resp.json().await.unwrap();
                ticket["id"].as_str().unwrap().to_owned()
            })
        })
        .collect();
    let mut ticket_ids = BTreeSet::new();
    let mut via_b = BTreeSet::new();
    for (n, handle) in creations.into_iter().enumerate() {
        let id = handle.await.expect("a creation task panicked");
        if n % 2 == 1 {
            via_b.insert(id.clone());
        }
        ticket_ids.insert(id);
    }
    assert_eq!(ticket_ids.len(), TICKETS);

    // Live: A's stream shows the tickets created through B too, each once.
    let seen = stream_until(&mut stream, &ticket_ids).await;
    assert_eq!(seen.len(), TICKETS, "a ticket twice on the stream: {seen:?}");
    assert!(via_b.iter().all(|id| seen.contains(id)));

    // Webhooks: each event once, although both instances deliver.
    let got = receiver.wait_for(TICKETS, ARRIVAL).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got_all = receiver.requests();
    let mut event_ids = BTreeMap::new();
    for r in &got_all {
        let event_id = assert_delivery(r, &secret);
        *event_ids.entry(event_id).or_insert(0) += 1;
    }
    let twice: Vec<_> = event_ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "events delivered more than once: {twice:?}");
    assert_eq!(got_all.len(), TICKETS, "{} deliveries for {TICKETS} events", got_all.len());
    let delivered: BTreeSet<String> =
        got.iter().map(|r| r.json()["data"]["ticket"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(delivered, ticket_ids);
    let rows = deliveries(&client, &b, &bearer, &channel).await;
    assert_eq!(rows.len(), TICKETS);
    for row in &rows {
        assert_eq!(row["status"], "delivered", "{row}");
        assert_eq!(row["attempts"], 1, "each delivery attempted once: {row}");
    }
    drop(client);
    // SIGTERM with the stream still open: it ends, and A exits promptly (`terminate`
    // asserts a clean exit within SHUTDOWN_TIMEOUT) instead of draining it for 30 s.
    let count = |log: &str| log.lines().filter(|l| l.contains(" delivered")).count();
    let log_a = a.terminate();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(_bytes) = stream.chunk().await.transpose() {}
    })
    .await;
    assert!(end.is_ok(), "the event stream did not end with the server");
    let log_b = b.terminate();
    eprintln!(
        "two instances: A delivered {}, B delivered {}; the test took {:?}",
        count(&log_a),
        count(&log_b),
        started.elapsed()
    );
}
