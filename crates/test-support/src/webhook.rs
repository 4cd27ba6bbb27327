//! A local webhook receiver: the one HTTP endpoint the API tests and the binary's tests point
//! notification channels at.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Received {
    /// The header's value, `""` when absent (the name in any case).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(&name.to_ascii_lowercase()).map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// `ticketd-event-id`.
    pub fn event_id(&self) -> &str {
        self.header("ticketd-event-id")
    }
}

struct State {
    requests: Mutex<Vec<Received>>,
    /// Answer 500 to this many requests first, then 200.
    fail_first: usize,
    seen: AtomicUsize,
}

/// An HTTP/1.1 server on 127.0.0.1 that records every request (method, path, headers, raw
/// body), answers 500 to the first `fail_first` requests and 200 to the others, and closes
/// each connection. Stopped on drop (the port then refuses connections).
///
/// ```no_run
/// # async fn demo() {
/// let receiver = test_support::Receiver::start().await;
/// // create a webhook channel to receiver.url …
/// let got = receiver.wait_for(1, std::time::Duration::from_secs(10)).await;
/// assert_eq!(got[0].json()["type"], "ticket.created");
/// # }
/// ```
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    pub port: u16,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// On a free port, answering 200.
    pub async fn start() -> Self {
        Self::listen(0, 0).await
    }

    /// On a free port, answering 500 to the first `fail_first` requests.
    pub async fn failing_first(fail_first: usize) -> Self {
        Self::listen(0, fail_first).await
    }

    /// On this port (e.g. the one of a receiver that was stopped), answering 200.
    pub async fn start_on(port: u16) -> Self {
        Self::listen(port, 0).await
    }

    async fn listen(port: u16, fail_first: usize) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the receiver");
        let port = listener.local_addr().expect("the receiver's address").port();
        let state =
            Arc::new(State { requests: Mutex::new(Vec::new()), fail_first, seen: AtomicUsize::new(0) });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_one(socket, shared.clone()));
            }
        });
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), port, state, task }
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Received> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (at most `timeout`) and returns them all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "{} request(s) after {timeout:?}, expected {n}: {:?}",
                requests.len(),
                requests.iter().map(|r| String::from_utf8_lossy(&r.body).into_owned()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until a request with this JSON `type` arrived (at most `timeout`) and returns it.
    pub async fn wait_for_type(&self, event_type: &str, timeout: Duration) -> Received {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.requests().into_iter().find(|r| r.json()["type"] == event_type) {
                return r;
            }
            assert!(Instant::now() < deadline, "no {event_type} delivery after {timeout:?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request (headers, then `content-length` bytes of body), answers, closes.
async fn serve_one(mut socket: tokio::net::TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end;
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let n = state.seen.fetch_add(1, Ordering::SeqCst);
    let answered = if n < state.fail_first { 500 } else { 200 };
    state.requests.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
        answered,
    });
    let reason = if answered == 200 { "OK" } else { "Internal Server Error" };
    let response =
        format!("HTTP/1.1 {answered} {reason}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}
