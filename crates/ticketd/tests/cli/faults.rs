//! Faults: the database goes away while the server runs (a proxy cuts it, or silently stops
//! forwarding), and SQLite stays locked by another connection. 503 problem+json, never 500;
//! recovery without a restart. (SIGTERM under load is in `shutdown`.)

use test_support::Receiver;

use super::*;
use crate::notifications::{ARRIVAL, channel, listeners, sign_in, stream_until};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::watch;

/// `TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS` of the server behind the proxy.
const ACQUIRE_TIMEOUT_SECS: u64 = 2;
/// The longest a request may take to be refused while the database is away.
const REFUSAL_BOUND: Duration = Duration::from_secs(ACQUIRE_TIMEOUT_SECS + 3);
/// How soon after the database is back readiness and the event listener must be back.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// `TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS` of the SQLite test.
const BUSY_TIMEOUT_SECS: u64 = 2;
/// `TICKETD_REQUEST_TIMEOUT_SECONDS` of the silent-partition test.
const REQUEST_TIMEOUT_SECS: u64 = 2;
/// Its `TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS`: longer than the request timeout, so that
/// every 503 while frozen is the request timeout's. (It is also how long a connection
/// handed back to the pool may take to answer its ping.)
const PARTITION_ACQUIRE_TIMEOUT_SECS: u64 = 4;
/// The longest a request may take to be refused while the network is silent.
const PARTITION_REFUSAL_BOUND: Duration = Duration::from_secs(REQUEST_TIMEOUT_SECS + 3);
/// How long `/readyz` may take to say 503 while the network is silent (it waits 2 s).
const READINESS_BOUND: Duration = Duration::from_secs(3);

/// A TCP proxy between ticketd and PostgreSQL. `cut` closes its port (new connections
/// are refused, as when the server is down) and every open connection; `heal` opens the
/// same port again. `freeze` is a silent partition (a failover, a dead NAT): connections
/// stay open and new ones are accepted, but nothing is forwarded in either direction —
/// what arrives is held, as a network would have it retransmitted — until `thaw`. The
/// machine's PostgreSQL, shared with other tests, is never touched.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    accept: Option<tokio::task::JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Link>>>,
    frozen: watch::Sender<bool>,
}

/// A proxied connection: its task, and what the proxy saw of it.
struct Link {
    task: tokio::task::AbortHandle,
    seen: Arc<Seen>,
}

#[derive(Default)]
struct Seen {
    /// The local port of its connection to PostgreSQL (`pg_stat_activity.client_port`).
    upstream_port: AtomicU16,
    /// ticketd closed its end (seen also while frozen).
    client_closed: AtomicBool,
}

/// Copies `from` to `to`, holding what arrives while `frozen` until thawed; after `from`
/// ends (`ended` is set then, frozen or not), forwards the end too.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
    ended: &AtomicBool,
) {
    let mut held = Vec::new();
    let mut buf = vec![0; 16 * 1024];
    let mut eof = false;
    loop {
        if !*frozen.borrow_and_update() {
            if !held.is_empty() {
                if to.write_all(&held).await.is_err() {
                    return;
                }
                held.clear();
            }
            if eof {
                let _ = to.shutdown().await;
                return;
            }
        }
        tokio::select! {
            read = from.read(&mut buf), if !eof => match read {
                Ok(0) | Err(_) => {
                    eof = true;
                    ended.store(true, Ordering::SeqCst);
                }
                Ok(n) => held.extend_from_slice(&buf[..n]),
            },
            changed = frozen.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        let mut proxy = Proxy {
            port,
            upstream,
            accept: None,
            connections: Arc::default(),
            frozen: watch::Sender::new(false),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (upstream, connections, frozen) = (self.upstream, self.connections.clone(), self.frozen.clone());
        self.accept = Some(tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let seen = Arc::new(Seen::default());
                let (shared, frozen) = (seen.clone(), frozen.subscribe());
                let task = tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    if let Ok(local) = outbound.local_addr() {
                        shared.upstream_port.store(local.port(), Ordering::SeqCst);
                    }
                    let ((client_in, client_out), (server_in, server_out)) =
                        (inbound.into_split(), outbound.into_split());
                    let server_closed = AtomicBool::new(false);
                    tokio::join!(
                        pump(client_in, server_out, frozen.clone(), &shared.client_closed),
                        pump(server_in, client_out, frozen, &server_closed),
                    );
                });
                connections.lock().unwrap().push(Link { task: task.abort_handle(), seen });
            }
        }));
    }

    /// Closes the port, then every connection; returns how many were open.
    async fn cut(&mut self) -> usize {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            // Once it has ended, the listener is closed and no connection is added.
            let _ = accept.await;
        }
        let open = std::mem::take(&mut *self.connections.lock().unwrap());
        let count = open.iter().filter(|c| !c.task.is_finished()).count();
        for connection in open {
            connection.task.abort();
        }
        count
    }

    async fn heal(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the proxy's port again");
        self.serve(listener);
    }

    /// From now on nothing is forwarded, and nothing is closed.
    fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Forwards what was held, then everything again.
    fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// Whether ticketd closed the connection whose PostgreSQL end has this port.
    fn closed_by_ticketd(&self, upstream_port: u16) -> bool {
        self.connections.lock().unwrap().iter().any(|c| {
            c.seen.upstream_port.load(Ordering::SeqCst) == upstream_port
                && c.seen.client_closed.load(Ordering::SeqCst)
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.task.abort();
        }
    }
}

/// A response, read whole, with how long it took.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    took: Duration,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let resp = request.send().await.expect("an answer, not a connection error or a timeout");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.json().await.unwrap_or(Value::Null);
    Answer { status, headers, body, took: started.elapsed() }
}

/// 503 `application/problem+json` with `Retry-After`, within `REFUSAL_BOUND`.
#[track_caller]
fn assert_unavailable(what: &str, answer: &Answer) {
    assert_unavailable_within(what, answer, REFUSAL_BOUND);
}

/// 503 `application/problem+json` with `Retry-After`, within `bound`.
#[track_caller]
fn assert_unavailable_within(what: &str, answer: &Answer, bound: Duration) {
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {}", answer.body);
    assert_eq!(
        answer.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{what}"
    );
    let retry_after = answer.headers.get("retry-after").and_then(|v| v.to_str().ok());
    assert!(retry_after.is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s > 0)), "{what}: {retry_after:?}");
    assert_eq!(answer.body["status"], 503, "{what}: {}", answer.body);
    assert!(
        answer.body["type"].as_str().is_some_and(|t| t.ends_with("/unavailable")),
        "{what}: {}",
        answer.body
    );
    assert!(answer.took < bound, "{what} took {:?}", answer.took);
}

/// Four clients creating and listing tickets as fast as they can, each until its first
/// 503; each answers its requests' subjects and answers.
fn spawn_load(
    client: &reqwest::Client,
    tickets: &str,
    bearer: &str,
) -> Vec<tokio::task::JoinHandle<Vec<(String, Answer)>>> {
    (0..4)
        .map(|task| {
            let (client, tickets, bearer) = (client.clone(), tickets.to_owned(), bearer.to_owned());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for n in 0.. {
                    let subject = format!("load {task}-{n}");
                    let answer = if n % 2 == 0 {
                        send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&subject))).await
                    } else {
                        send(client.get(&tickets).bearer_auth(&bearer)).await
                    };
                    let refused = answer.status == StatusCode::SERVICE_UNAVAILABLE;
                    answers.push((subject, answer));
                    if refused {
                        return answers;
                    }
                }
                unreachable!()
            })
        })
        .collect()
}

fn ticket(subject: &str) -> Value {
    json!({ "subject": subject, "body": "Fault test" })
}

/// Polls `check` every 100 ms until it holds; panics after `bound`.
async fn wait_until<F, Fut>(what: &str, bound: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < bound, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_without_restart() {
    let started = Instant::now();
    let sandbox = Sandbox::new(Backend::Postgres);
    create_smoke_workspace(&sandbox).success();
    let pg = sandbox.pg.as_ref().unwrap();
    let mut proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("DATABASE_URL", format!("postgres://postgres:postgres@127.0.0.1:{}/{}", proxy.port, pg.name))
        .env("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", ACQUIRE_TIMEOUT_SECS.to_string())
        .env("TICKETD_WEBHOOK_ALLOW_PRIVATE", "true");
    let server = sandbox.start_command(cmd, &["serve"]).await;
    wait_until("the server LISTENs", STARTUP_TIMEOUT, || async { listeners(pg) == 1 }).await;

    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let bearer = sign_in(&client, &server).await;
    let receiver = Receiver::start().await;
    channel(&client, &server, &bearer, &format!("http://127.0.0.1:{}/hook", receiver.port)).await;
    // The event stream stays open across the outage (a client of its own: no timeout).
    let mut stream = reqwest::Client::new()
        .get(server.url("/api/v1/events"))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("open the event stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let tickets = server.url("/api/v1/tickets");
    let mut before = BTreeSet::new();
    for n in 0..3 {
        let answer =
            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("before {n}")))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        before.insert(answer.body["id"].as_str().unwrap().to_owned());
    }
    stream_until(&mut stream, &before).await;
    receiver.wait_for(3, ARRIVAL).await;

    // The database goes away, with requests in flight.
    let load = spawn_load(&client, &tickets, &bearer);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cut = proxy.cut().await;
    let mut load_created = BTreeSet::new();
    for task in load {
        for (subject, answer) in task.await.unwrap() {
            match answer.status {
                StatusCode::OK => {}
                StatusCode::CREATED => {
                    load_created.insert(subject);
                }
                _ => assert_unavailable(&format!("{subject}, in flight at the cut"), &answer),
            }
        }
    }
    assert!(!load_created.is_empty(), "the load created nothing before the cut");
    assert!(cut >= 2, "the pool and the listener had connections open: {cut}");
    let mut during = Vec::new();
    for round in 0..2 {
        let (ready, list, create, health) = tokio::join!(
            send(client.get(server.url("/readyz"))),
            send(client.get(&tickets).bearer_auth(&bearer)),
            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("during {round}")))),
            send(client.get(server.url("/healthz"))),
        );
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "round {round}: {}", ready.body);
        assert_eq!(ready.body["database"], "unavailable", "{}", ready.body);
        assert!(ready.took < REFUSAL_BOUND, "readiness took {:?}", ready.took);
        assert_unavailable(&format!("round {round}: GET /api/v1/tickets"), &list);
        assert_unavailable(&format!("round {round}: POST /api/v1/tickets"), &create);
        assert_eq!(health.status, StatusCode::OK, "liveness does not depend on the database");
        assert!(health.took < Duration::from_secs(1), "liveness took {:?}", health.took);
        during.push([ready.took, list.took, create.took]);
    }
    // The listener's connection is gone too, not merely idle.
    let pg_gone =
        wait_until("the LISTEN connection ends", RECOVERY_BOUND, || async { listeners(pg) == 0 }).await;

    // It comes back: no restart, readiness first, then everything else.
    proxy.heal().await;
    let ready_after = wait_until("readiness returns", RECOVERY_BOUND, || async {
        matches!(client.get(server.url("/readyz")).send().await, Ok(r) if r.status() == StatusCode::OK)
    })
    .await;
    let mut after = BTreeSet::new();
    let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after 0"))).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    after.insert(answer.body["id"].as_str().unwrap().to_owned());
    let listening_after =
        wait_until("the server LISTENs again", RECOVERY_BOUND, || async { listeners(pg) == 1 }).await;
    let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after 1"))).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    after.insert(answer.body["id"].as_str().unwrap().to_owned());

    // The stream opened before the outage gets the new tickets (the relay reconnected and
    // replayed what it missed), and the webhook worker delivers them.
    stream_until(&mut stream, &after).await;
    let want: BTreeSet<String> = before.union(&after).cloned().collect();
    wait_until("the webhooks of the tickets before and after", Duration::from_secs(30), || async {
        let delivered: BTreeSet<String> = receiver
            .requests()
            .iter()
            .map(|r| r.json()["data"]["ticket"]["id"].as_str().unwrap().to_owned())
            .collect();
        delivered.is_superset(&want)
    })
    .await;

    // Every ticket from before is there, the refused ones are not.
    let stored: BTreeSet<String> = all_tickets(&client, &server, &bearer)
        .await
        .iter()
        .map(|t| t["subject"].as_str().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> =
        ["before 0", "before 1", "before 2", "after 0", "after 1"].map(String::from).into();
    assert!(stored.is_superset(&expected), "{stored:?}");
    assert!(stored.is_superset(&load_created), "a 201 of the load lost: {stored:?}");
    // A write cut mid-commit may have committed although it answered 503 (a retry with
    // an Idempotency-Key would find it); nothing else is there.
    let extra: Vec<_> = stored.difference(&expected).filter(|s| !s.starts_with("load ")).collect();
    assert!(extra.is_empty(), "tickets created while the database was away: {extra:?}");

    let log = server.terminate();
    assert!(!log.contains("internal error"), "a 500 during the outage:\n{log}");
    assert!(log.contains("event listener reconnected"), "{log}");
    eprintln!(
        "outage: {} created by the load before the cut; refused in {during:?}; LISTEN gone after {pg_gone:?}; ready {ready_after:?} \
         after healing, LISTEN again {listening_after:?} later; the test took {:?}",
        load_created.len(),
        started.elapsed()
    );
}

/// The first column of the first row of `sql`, an integer.
async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index(0).expect("an integer")
}

/// The connection to PostgreSQL in the silent-partition tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    /// `sslmode=prefer`, the default: TLS, as this machine's PostgreSQL offers it.
    Default,
    /// `sslmode=disable`.
    Disabled,
}

/// The default configuration (TLS): everything but the release check's closing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_silent_partition_answers_503_within_the_request_timeout_and_recovers() {
    silent_partition(Tls::Default).await;
}

/// Without TLS, also the release check: ticketd closes the connections it gave up on
/// while the network is still silent. (With TLS, sqlx 0.9 cannot close one then: its
/// rustls socket, flushing before the close, waits for incoming data, so the close ends
/// when the network answers or TCP gives up. See `store::Store::harden_postgres_pool`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_silent_partition_without_tls_closes_the_connections_it_gave_up_on() {
    silent_partition(Tls::Disabled).await;
}

/// A silent partition (the proxy frozen) with requests in flight, one of them inside its
/// transaction; then the network answers again.
async fn silent_partition(tls: Tls) {
    let started = Instant::now();
    let sandbox = Sandbox::new(Backend::Postgres);
    create_smoke_workspace(&sandbox).success();
    // A second workspace for the load, whose creates do not queue behind SMK's counter.
    sandbox
        .run(&[
            "workspace",
            "create",
            "--name",
            "Load",
            "--prefix",
            "load",
            "--admin-email",
            "a@load.test",
            "--admin-password",
            ADMIN_PASSWORD,
        ])
        .success();
    let pg = sandbox.pg.as_ref().unwrap();
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let mut cmd = sandbox.command(&["serve"]);
    let sslmode = match tls {
        Tls::Default => "prefer",
        Tls::Disabled => "disable",
    };
    let url = format!("postgres://postgres:postgres@127.0.0.1:{}/{}?sslmode={sslmode}", proxy.port, pg.name);
    cmd.env("DATABASE_URL", url)
        .env("TICKETD_REQUEST_TIMEOUT_SECONDS", REQUEST_TIMEOUT_SECS.to_string())
        .env("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", PARTITION_ACQUIRE_TIMEOUT_SECS.to_string());
    let server = sandbox.start_command(cmd, &["serve"]).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let bearer = sign_in(&client, &server).await;
    let load_bearer = login(&client, &server, "a@load.test", ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let tickets = server.url("/api/v1/tickets");
    for n in 0..3 {
        let answer =
            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("before {n}")))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }

    // A create that is inside its transaction when the network goes silent: a session of
    // the test's own (not through the proxy) holds SMK's ticket counter, so the create
    // waits on it, holding a pooled connection.
    let direct = sea_orm::Database::connect(pg.url()).await.expect("connect to PostgreSQL directly");
    let holder = direct.begin().await.expect("begin");
    holder
        .execute_unprepared("SELECT id FROM workspaces WHERE ticket_prefix = 'SMK' FOR UPDATE")
        .await
        .expect("lock SMK's ticket counter");
    let held = tokio::spawn(send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("held"))));
    let lock_wait = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'",
        pg.name
    );
    wait_until("the create waits for the counter", Duration::from_secs(10), || async {
        scalar(&direct, &lock_wait).await == 1
    })
    .await;
    // Its connection, by the port the proxy connected from.
    let held_port =
        u16::try_from(scalar(&direct, &lock_wait.replace("count(*)", "client_port::bigint")).await)
            .expect("a port");

    // And requests in flight: four clients creating (in LOAD) and listing as fast as they can.
    let load = spawn_load(&client, &tickets, &load_bearer);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Silence. Then the counter is released: the held create's statement runs, and its
    // answer is stuck in the network with everything else.
    proxy.freeze();
    let frozen_at = Instant::now();
    holder.rollback().await.expect("release the counter");
    let held = held.await.unwrap();
    assert_unavailable_within("the create inside its transaction", &held, PARTITION_REFUSAL_BOUND);
    let mut load_created = BTreeSet::new();
    for task in load {
        for (subject, answer) in task.await.unwrap() {
            match answer.status {
                StatusCode::OK => {}
                StatusCode::CREATED => {
                    load_created.insert(subject);
                }
                _ => assert_unavailable_within(
                    &format!("{subject}, in flight at the freeze"),
                    &answer,
                    PARTITION_REFUSAL_BOUND,
                ),
            }
        }
    }
    assert!(!load_created.is_empty(), "the load created nothing before the freeze");

    // New requests: 503 from the request timeout (the acquire timeout is longer),
    // readiness 503 within its own bound, liveness up.
    let mut during = Vec::new();
    for round in 0..2 {
        let (ready, list, create, health) = tokio::join!(
            send(client.get(server.url("/readyz"))),
            send(client.get(&tickets).bearer_auth(&bearer)),
            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("during {round}")))),
            send(client.get(server.url("/healthz"))),
        );
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "round {round}: {}", ready.body);
        assert_eq!(ready.body["database"], "unavailable", "{}", ready.body);
        assert!(ready.took < READINESS_BOUND, "readiness took {:?}", ready.took);
        for (what, answer) in [("GET", &list), ("POST", &create)] {
            let what = format!("round {round}: {what} /api/v1/tickets");
            assert_unavailable_within(&what, answer, PARTITION_REFUSAL_BOUND);
            let timeout = Duration::from_secs(REQUEST_TIMEOUT_SECS) - Duration::from_millis(100);
            assert!(answer.took >= timeout, "{what}: refused by something else after {:?}", answer.took);
        }
        assert_eq!(health.status, StatusCode::OK, "liveness does not depend on the database");
        assert!(health.took < Duration::from_secs(1), "liveness took {:?}", health.took);
        during.push([ready.took, list.took, create.took]);
    }

    // Nothing waits for the network to come back. PostgreSQL ends the sessions left in a
    // transaction (idle_in_transaction_session_timeout = the request timeout), so the
    // counter is free for everyone else...
    let stuck = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND state LIKE 'idle in transaction%'",
        pg.name
    );
    let freed = wait_until("PostgreSQL ends the abandoned transactions", Duration::from_secs(10), || async {
        scalar(&direct, &stuck).await == 0
    })
    .await;
    let probe = direct.begin().await.expect("begin");
    probe
        .execute_unprepared("SELECT id FROM workspaces WHERE ticket_prefix = 'SMK' FOR UPDATE NOWAIT")
        .await
        .expect("the counter is not locked by an abandoned transaction");
    probe.rollback().await.expect("rollback");
    // ...and (without TLS, see above) ticketd closes the connection of the create it gave
    // up on, whose statement was answered after the network went silent, once it does not
    // answer a ping in the acquire timeout: it is not pooled again when the network
    // answers, nor kept until TCP gives up.
    let given_up = if tls == Tls::Disabled {
        let bound = Duration::from_secs(REQUEST_TIMEOUT_SECS + PARTITION_ACQUIRE_TIMEOUT_SECS + 3);
        Some(
            wait_until("ticketd closes the held create's connection", bound, || async {
                proxy.closed_by_ticketd(held_port)
            })
            .await,
        )
    } else {
        None
    };
    let frozen_for = frozen_at.elapsed();

    // The network answers again: no restart, readiness first, then creation.
    proxy.thaw();
    let ready_after = wait_until("readiness returns", RECOVERY_BOUND, || async {
        matches!(client.get(server.url("/readyz")).send().await, Ok(r) if r.status() == StatusCode::OK)
    })
    .await;
    for n in 0..2 {
        let answer =
            send(client.post(&tickets).bearer_auth(&bearer).json(&ticket(&format!("after {n}")))).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }

    // Every 201 is stored; the held create and those refused while frozen are not. A load
    // create refused in flight may have committed (a commit whose answer was lost; a retry
    // with an Idempotency-Key would find it), but whatever is stored is whole: no ticket
    // without its `created` event and its outbox event.
    let subjects = |tickets: Vec<Value>| -> BTreeSet<String> {
        tickets.iter().map(|t| t["subject"].as_str().unwrap().to_owned()).collect()
    };
    let stored = subjects(all_tickets(&client, &server, &bearer).await);
    let expected: BTreeSet<String> =
        ["before 0", "before 1", "before 2", "after 0", "after 1"].map(String::from).into();
    assert_eq!(stored, expected, "only the 201s, not `held` nor `during`");
    let load_stored = subjects(all_tickets(&client, &server, &load_bearer).await);
    assert!(load_stored.is_superset(&load_created), "a 201 of the load lost: {load_stored:?}");
    let half_written = scalar(
        &direct,
        "SELECT count(*) FROM tickets t \
         WHERE NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created') \
            OR NOT EXISTS (SELECT 1 FROM outbox_events o \
                           WHERE o.type = 'ticket.created' AND o.data->'ticket'->>'id' = t.id::text)",
    )
    .await;
    assert_eq!(half_written, 0, "tickets without their events");
    let count = scalar(&direct, "SELECT count(*) FROM tickets").await;
    assert_eq!(count as usize, stored.len() + load_stored.len(), "the API lists every stored ticket");
    direct.close().await.expect("close");

    let log = server.terminate();
    assert!(!log.contains("internal error"), "a 500 during the partition:\n{log}");
    assert!(!log.contains("panicked"), "a panic (a transaction dropped while locked?):\n{log}");
    eprintln!(
        "silent partition ({tls:?} TLS): held create refused after {:?}; {} created by the load before \
         the freeze; refused in {during:?} (readiness, list, create); abandoned transactions ended \
         {freed:?} and the held create's connection closed {given_up:?} after that; frozen \
         {frozen_for:?}; ready {ready_after:?} after thawing; the test took {:?}",
        held.took,
        load_created.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_database_waits_then_answers_503() {
    let started = Instant::now();
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("TICKETD_SQLITE_BUSY_TIMEOUT_SECONDS", BUSY_TIMEOUT_SECS.to_string());
    let server = sandbox.start_command(cmd, &["serve"]).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let bearer = sign_in(&client, &server).await;
    let tickets = server.url("/api/v1/tickets");

    // Another program on the same file: a connection of the test's own takes the write
    // lock (BEGIN IMMEDIATE) and keeps it.
    let url = format!("sqlite://{}?mode=rw", sandbox.path("data/ticketd.sqlite").display());
    let holder = store::Store::connect(&url, store::StoreOptions::default()).await.expect("open the file");
    let immediate = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };

    // 1. A lock shorter than the busy timeout: the write waits for it, then succeeds.
    let lock = holder.connection().begin_with_options(immediate).await.expect("take the lock");
    let locked_at = Instant::now();
    let write = tokio::spawn(send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("waited"))));
    // Readers are not blocked (WAL).
    let (ready, list) = tokio::join!(
        send(client.get(server.url("/readyz"))),
        send(client.get(&tickets).bearer_auth(&bearer))
    );
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.took < Duration::from_secs(1), "a read waited for the write lock: {:?}", list.took);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!write.is_finished(), "the write did not wait for the lock");
    lock.rollback().await.expect("release the lock");
    let held = locked_at.elapsed();
    let waited = write.await.unwrap();
    assert_eq!(waited.status, StatusCode::CREATED, "{}", waited.body);
    assert!(waited.took >= Duration::from_millis(800), "{:?}", waited.took);

    // 2. A lock that outlasts the busy timeout: 503 problem+json, not 500.
    let lock = holder.connection().begin_with_options(immediate).await.expect("take the lock");
    let refused = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("refused"))).await;
    assert_unavailable("POST while locked beyond the busy timeout", &refused);
    assert!(refused.took >= Duration::from_secs(BUSY_TIMEOUT_SECS) - Duration::from_millis(100));
    lock.rollback().await.expect("release the lock");

    // 3. Released: writes work again; the refused ticket was not stored.
    let answer = send(client.post(&tickets).bearer_auth(&bearer).json(&ticket("after"))).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let stored: BTreeSet<String> = all_tickets(&client, &server, &bearer)
        .await
        .iter()
        .map(|t| t["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(stored, ["waited", "after"].map(String::from).into());
    holder.close().await.expect("close the holder");
    let log = server.terminate();
    assert!(!log.contains("internal error"), "a 500 while locked:\n{log}");
    eprintln!(
        "sqlite lock: a write waited {:?} for a {held:?} lock; refused after {:?}; the test took {:?}",
        waited.took,
        refused.took,
        started.elapsed()
    );
}
