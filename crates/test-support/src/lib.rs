//! Helpers shared by the test suites (API, binary, browser): a real SMTP server process that
//! keeps every message it receives ([`SmtpCatcher`], `scripts/smtp-catcher.sh` on aiosmtpd),
//! a TCP server that accepts connections and never answers ([`SilentServer`]), for a mail
//! server that hangs, and a webhook receiver that records what it is sent ([`Receiver`]).
//!
//! ```no_run
//! # async fn demo() {
//! let catcher = test_support::SmtpCatcher::start();
//! // run ticketd with TICKETD_SMTP_URL=catcher.url() …
//! let mails = catcher.wait_for(1, std::time::Duration::from_secs(10)).await;
//! assert_eq!(mails[0].header("Subject"), Some("[ACME-1] Refund"));
//! # }
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod webhook;

pub use webhook::{Received, Receiver};

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The script that installs aiosmtpd (once, in a virtualenv under ~/.cache/ticketd/) and
/// starts the catcher.
pub const CATCHER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp-catcher.sh");

/// How long the catcher may take to listen (the first run installs aiosmtpd).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// A real SMTP server (aiosmtpd) on 127.0.0.1, started on a free port. Every message it
/// accepts is kept in its directory (`NNNNNN.eml`, and `NNNNNN.json` with the envelope,
/// the decoded headers and text parts). Recipients whose local part starts with `reject`
/// are refused with 550, with `tempfail` with 451. Stopped (and its directory removed) on
/// drop.
pub struct SmtpCatcher {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl SmtpCatcher {
    /// Starts a catcher on a free port with a fresh directory.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("ticketd-smtp-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir).expect("create the catcher's directory");
        let mut catcher = SmtpCatcher { child: None, port: 0, dir };
        catcher.spawn(0);
        catcher
    }

    /// Stops the server (the port then refuses connections: a mail server that is down);
    /// the messages received so far stay readable.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, keeping the messages.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "the catcher is running");
        self.spawn(self.port);
    }

    fn spawn(&mut self, port: u16) {
        let log = std::fs::File::create(self.dir.join("catcher.log")).expect("catcher log");
        let mut child = Command::new(CATCHER_SCRIPT)
            .args(["--dir", &self.dir.to_string_lossy(), "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start scripts/smtp-catcher.sh (needs python3 with venv)");
        let stdout = child.stdout.take().expect("catcher stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(STARTUP_TIMEOUT).unwrap_or_default();
        let listening = line.trim().rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
        let Some(listening) = listening.filter(|p| *p != 0) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the SMTP catcher did not start (stdout: {line:?}); its log:\n{}",
                std::fs::read_to_string(self.dir.join("catcher.log")).unwrap_or_default()
            );
        };
        self.port = listening;
        self.child = Some(child);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`: the value for `TICKETD_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Where the messages are written.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The messages received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<CaughtMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("read the catcher's directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.'))
            })
            .collect();
        names.sort();
        names.iter().map(|p| CaughtMail::read(p)).collect()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<CaughtMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP catcher got {} of {n} messages within {timeout:?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpCatcher {
    fn drop(&mut self) {
        self.pause();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn unique() -> u64 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (NEXT.fetch_add(1, Ordering::Relaxed) as u64) << 32 | u64::from(nanos)
}

/// One message the catcher received.
#[derive(Debug, Clone)]
pub struct CaughtMail {
    /// The envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`) that were accepted.
    pub rcpt_tos: Vec<String>,
    /// Every header in order, values decoded (encoded words) and unfolded.
    pub headers: Vec<(String, String)>,
    /// The top-level content type, e.g. `text/plain` or `multipart/alternative`.
    pub content_type: String,
    /// The first text/plain part, decoded, with `\n` line ends.
    pub text: Option<String>,
    /// The first text/html part, decoded.
    pub html: Option<String>,
    /// The raw message as received.
    pub raw: String,
}

impl CaughtMail {
    fn read(json_path: &Path) -> Self {
        let text = std::fs::read_to_string(json_path).expect("read a caught message");
        let v: serde_json::Value = serde_json::from_str(&text).expect("the catcher's JSON");
        let s = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        CaughtMail {
            mail_from: s(&v["mail_from"]).unwrap_or_default(),
            rcpt_tos: v["rcpt_tos"].as_array().into_iter().flatten().filter_map(s).collect(),
            headers: v["headers"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| (s(&h[0]).unwrap_or_default(), s(&h[1]).unwrap_or_default()))
                .collect(),
            content_type: s(&v["content_type"]).unwrap_or_default(),
            text: s(&v["text"]),
            html: s(&v["html"]),
            raw: String::from_utf8_lossy(&std::fs::read(json_path.with_extension("eml")).unwrap_or_default())
                .into_owned(),
        }
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header of that name, in order.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

/// A TCP server on a free port of 127.0.0.1 that accepts connections and never sends a byte
/// (an SMTP server that hangs before its greeting). Counts the connections it accepted.
pub struct SilentServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl SilentServer {
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// On a given port (e.g. one a catcher will take over afterwards).
    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the silent server");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, stopping) = (accepted.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((socket, _)) => {
                        held.push(socket);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        SilentServer { port, accepted, stop }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        // The accept loop notices within 10 ms and drops the listener and its connections.
        self.stop.store(true, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(30));
    }
}
