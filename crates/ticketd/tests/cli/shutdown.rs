//! SIGTERM under load: every accepted request is kept, nothing half-written.

use super::*;

/// Concurrent client loops, each with a client (so a connection pool) of its own.
const LOAD_CLIENTS: usize = 8;
/// How long the loops run before SIGTERM.
const LOAD_BEFORE_SIGTERM: Duration = Duration::from_secs(1);
/// Safety net: the loops give up this long after they started, whatever happens.
const LOAD_DEADLINE: Duration = Duration::from_secs(12);
/// Per-request timeout: a request still unanswered then is a hang, not a refusal.
const LOAD_REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// What one `POST /api/v1/tickets` of the load came to.
#[derive(Debug)]
enum Outcome {
    /// An HTTP response, with the ticket's id for a 201.
    Response { status: StatusCode, id: Option<String>, body: String },
    /// No response: refused, reset or closed before a response (so never accepted).
    Connection(String),
    /// Anything else, e.g. a timeout or a response whose body could not be read.
    Other(String),
}

#[derive(Debug)]
struct Attempt {
    subject: String,
    sent: Instant,
    done: Instant,
    outcome: Outcome,
}

impl Attempt {
    /// One line for failure messages, with times relative to `sigterm`.
    fn describe(&self, sigterm: Instant) -> String {
        let at = |t: Instant| match t.checked_duration_since(sigterm) {
            Some(d) => format!("+{d:?}"),
            None => format!("-{:?}", sigterm - t),
        };
        let outcome = match &self.outcome {
            Outcome::Response { status, body, .. } => format!("{status} {body}"),
            Outcome::Connection(e) => format!("connection error: {e}"),
            Outcome::Other(e) => format!("failure: {e}"),
        };
        format!(
            "{:?}: sent {} answered {} (relative to SIGTERM): {outcome}",
            self.subject,
            at(self.sent),
            at(self.done)
        )
    }

    fn created_id(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Response { status, id, .. } if *status == StatusCode::CREATED => id.as_deref(),
            _ => None,
        }
    }
}

/// The error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn post_ticket(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    subject: &str,
    body: &str,
) -> Outcome {
    let sent =
        client.post(url).bearer_auth(bearer).json(&json!({ "subject": subject, "body": body })).send().await;
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => return Outcome::Other(format!("timeout: {}", error_chain(&e))),
        Err(e) if e.is_connect() || e.is_request() => {
            return Outcome::Connection(error_chain(&e));
        }
        Err(e) => return Outcome::Other(error_chain(&e)),
    };
    let status = resp.status();
    match resp.text().await {
        Ok(body) => {
            let id =
                serde_json::from_str::<Value>(&body).ok().and_then(|v| v["id"].as_str().map(str::to_owned));
            if status == StatusCode::CREATED && id.is_none() {
                return Outcome::Other(format!("201 without a ticket id: {body}"));
            }
            Outcome::Response { status, id, body }
        }
        Err(e) => Outcome::Other(format!("{status}, but the body could not be read: {}", error_chain(&e))),
    }
}

/// Creates tickets `load {task}-{n}` until a request fails (or the safety deadline).
async fn load_loop(
    task: usize,
    url: String,
    bearer: String,
    body: String,
    deadline: Instant,
) -> Vec<Attempt> {
    let client = reqwest::Client::builder().timeout(LOAD_REQUEST_TIMEOUT).build().expect("build a client");
    let mut attempts = Vec::new();
    for n in 0.. {
        if Instant::now() >= deadline {
            break;
        }
        let subject = format!("load {task}-{n}");
        let sent = Instant::now();
        let outcome = post_ticket(&client, &url, &bearer, &subject, &body).await;
        let failed = !matches!(outcome, Outcome::Response { .. });
        attempts.push(Attempt { subject, sent, done: Instant::now(), outcome });
        if failed {
            break;
        }
    }
    attempts
}

/// Every ticket of the workspace (all statuses), walking `meta.next_cursor`.
async fn walk_all_tickets(client: &reqwest::Client, server: &Server, bearer: &str) -> Vec<Value> {
    let mut tickets = Vec::new();
    let mut cursor = String::new();
    for _ in 0..1000 {
        let (status, body) = get(
            client,
            server,
            &format!("/api/v1/tickets?status=open,pending,resolved,closed&per_page=100&cursor={cursor}"),
            bearer,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        tickets.extend(body["data"].as_array().expect("data array").iter().cloned());
        match body["meta"]["next_cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = next.to_owned(),
            _ => return tickets,
        }
    }
    panic!("more than 1000 pages of tickets");
}

async fn sigterm_under_load(backend: Backend) {
    let test_started = Instant::now();
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    let mut server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();
    drop(client);

    let url = server.url("/api/v1/tickets");
    let body = "Load test body. ".repeat(16);
    let load_started = Instant::now();
    let deadline = load_started + LOAD_DEADLINE;
    let loops: Vec<_> = (0..LOAD_CLIENTS)
        .map(|task| tokio::spawn(load_loop(task, url.clone(), bearer.clone(), body.clone(), deadline)))
        .collect();
    tokio::time::sleep(LOAD_BEFORE_SIGTERM).await;

    // SIGTERM while the loops keep going; wait for the exit without blocking them.
    let pid = server.child.0.id().to_string();
    let sigterm = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(kill.success(), "kill -TERM {pid} failed");
    let status = loop {
        if let Some(status) = server.child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            sigterm.elapsed() < SHUTDOWN_TIMEOUT,
            "ticketd did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM under load:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let exit_after = sigterm.elapsed();
    let log = server.stderr();
    assert!(status.success(), "ticketd exited with {status} after SIGTERM under load:\n{log}");
    let lower = log.to_lowercase();
    assert!(!lower.contains("panicked") && !lower.contains("backtrace"), "{log}");

    let mut attempts = Vec::new();
    for handle in loops {
        attempts.extend(handle.await.expect("a load loop panicked"));
    }

    let describe =
        |attempts: &[&Attempt]| attempts.iter().map(|a| a.describe(sigterm)).collect::<Vec<_>>().join("\n");

    // Every loop stopped because the server went away, and only after SIGTERM: a
    // connection dropped under normal load would be a bug of its own.
    let mut last_per_task = std::collections::BTreeMap::new();
    for attempt in &attempts {
        let task = attempt.subject.split(['-', ' ']).nth(1).unwrap().to_owned();
        last_per_task.insert(task, attempt);
    }
    assert_eq!(last_per_task.len(), LOAD_CLIENTS);
    for (task, last) in &last_per_task {
        assert!(
            matches!(last.outcome, Outcome::Connection(_)),
            "loop {task} did not end with a connection error: {}",
            last.describe(sigterm)
        );
    }
    let others: Vec<&Attempt> = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Other(_))).collect();
    assert!(others.is_empty(), "requests neither answered nor refused:\n{}", describe(&others));
    let early_errors: Vec<&Attempt> =
        attempts.iter().filter(|a| matches!(a.outcome, Outcome::Connection(_)) && a.done < sigterm).collect();
    assert!(early_errors.is_empty(), "connection errors before SIGTERM:\n{}", describe(&early_errors));
    let server_errors: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| matches!(&a.outcome, Outcome::Response { status, .. } if status.is_server_error()))
        .collect();
    assert!(server_errors.is_empty(), "5xx responses:\n{}", describe(&server_errors));
    let unexpected: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| matches!(&a.outcome, Outcome::Response { status, .. } if *status != StatusCode::CREATED))
        .collect();
    assert!(unexpected.is_empty(), "responses other than 201:\n{}", describe(&unexpected));

    let created: std::collections::BTreeMap<&str, &str> =
        attempts.iter().filter_map(|a| a.created_id().map(|id| (id, a.subject.as_str()))).collect();
    let refused = attempts.iter().filter(|a| matches!(a.outcome, Outcome::Connection(_))).count();
    let in_flight_at_sigterm =
        attempts.iter().filter(|a| a.created_id().is_some() && a.sent < sigterm && a.done > sigterm).count();
    let answered_after_sigterm =
        attempts.iter().filter(|a| a.created_id().is_some() && a.done > sigterm).count();
    let sent_after_sigterm_and_created =
        attempts.iter().filter(|a| a.created_id().is_some() && a.sent > sigterm).count();
    let last_answer = attempts
        .iter()
        .filter(|a| a.created_id().is_some())
        .map(|a| a.done.saturating_duration_since(sigterm))
        .max()
        .unwrap_or_default();
    let loops_done_after =
        attempts.iter().map(|a| a.done.saturating_duration_since(sigterm)).max().unwrap_or_default();
    let connection_errors: Vec<String> = attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Connection(_)))
        .map(|a| a.describe(sigterm).replace(&url, "URL"))
        .collect();
    eprintln!(
        "{backend:?}: {} attempts, {} created (201), {refused} connection errors; \
         {in_flight_at_sigterm} in flight at SIGTERM, {answered_after_sigterm} answered after it \
         ({sent_after_sigterm_and_created} sent after it), last 201 {last_answer:?} after it; \
         exit {exit_after:?} after SIGTERM, last loop stopped {loops_done_after:?} after it; \
         connection errors:\n{}",
        attempts.len(),
        created.len(),
        connection_errors.join("\n"),
    );
    assert_eq!(
        created.len(),
        attempts.iter().filter(|a| a.created_id().is_some()).count(),
        "two 201 responses with the same ticket id"
    );
    assert!(!created.is_empty(), "no ticket was created under load");
    assert!(
        answered_after_sigterm > 0,
        "no request was answered after SIGTERM: the test did not exercise draining"
    );

    // Restart on the same database: exactly the accepted tickets are there.
    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let tickets = walk_all_tickets(&client, &server, admin["access_token"].as_str().unwrap()).await;
    let stored: std::collections::BTreeMap<&str, &str> =
        tickets.iter().map(|t| (t["id"].as_str().unwrap(), t["subject"].as_str().unwrap())).collect();
    assert_eq!(stored.len(), tickets.len(), "a ticket listed twice");
    let lost: Vec<_> = created.iter().filter(|(id, subject)| stored.get(*id) != Some(*subject)).collect();
    assert!(lost.is_empty(), "201 answered but not stored: {lost:?}");
    let unanswered: Vec<_> = stored
        .iter()
        .filter(|(id, _)| !created.contains_key(*id))
        .map(|(id, subject)| match attempts.iter().find(|a| a.subject == *subject) {
            Some(attempt) => format!("{id}: {}", attempt.describe(sigterm)),
            None => format!("{id}: {subject:?}, never sent"),
        })
        .collect();
    assert!(
        unanswered.is_empty(),
        "stored without a 201 (accepted, answer lost):\n{}",
        unanswered.join("\n")
    );
    assert_eq!(stored.len(), created.len());
    drop(client);
    server.terminate();
    eprintln!("{backend:?}: the whole test took {:?}", test_started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sigterm_under_load_loses_no_accepted_request() {
    sigterm_under_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigterm_under_load_loses_no_accepted_request() {
    sigterm_under_load(Backend::Postgres).await;
}
