//! The harness of the binary's integration tests (`tests/cli`, `tests/mail.rs`): every test
//! runs `ticketd` as a child process in a temp dir of its own (the working directory, so the
//! default `data/ticketd.sqlite` lands there) and, for PostgreSQL, against a database of its
//! own. Inherited configuration (`DATABASE_URL`, `TICKETD_*`, `RUST_LOG`) is removed; spawned
//! servers are killed and databases dropped by guards, also when a test fails.

// Each test target uses a part of it.
#![allow(dead_code)]

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

pub const BIN: &str = env!("CARGO_BIN_EXE_ticketd");
pub const PG_BASE: &str = "postgres://postgres:postgres@127.0.0.1:5432";
pub const JWT_SECRET: &str = "cli-test-secret-cli-test-secret-0123456789";
/// How long a one-shot command may take before the test gives up on it.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to answer `/healthz`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit after SIGTERM.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn psql(sql: &str) -> std::process::Output {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", "postgres")
        .stdin(Stdio::null())
        .output()
        .expect("run psql")
}

/// A PostgreSQL database of the test's own, dropped with the guard.
pub struct PgDb {
    pub name: String,
}

impl PgDb {
    pub fn create() -> Self {
        let name = format!("t_{}", Uuid::new_v4().simple());
        let out = psql(&format!("CREATE DATABASE {name}"));
        assert!(out.status.success(), "CREATE DATABASE {name}: {}", String::from_utf8_lossy(&out.stderr));
        PgDb { name }
    }

    pub fn url(&self) -> String {
        format!("{PG_BASE}/{}", self.name)
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// The test's working directory (removed with the guard) and, for PostgreSQL, its database.
pub struct Sandbox {
    pub dir: PathBuf,
    pub pg: Option<PgDb>,
    pub runs: AtomicU32,
}

impl Sandbox {
    pub fn new(backend: Backend) -> Self {
        let dir = std::env::temp_dir().join(format!("ticketd-test-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create the temp dir");
        let pg = (backend == Backend::Postgres).then(PgDb::create);
        Sandbox { dir, pg, runs: AtomicU32::new(0) }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// `ticketd <args>` in the sandbox with a clean environment: nothing inherited that
    /// configures ticketd; for PostgreSQL, the database URL and a JWT secret.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.dir).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TICKETD_") {
                cmd.env_remove(&key);
            }
        }
        cmd.env_remove("DATABASE_URL").env_remove("RUST_LOG").env("RUST_BACKTRACE", "1");
        if let Some(pg) = &self.pg {
            cmd.env("DATABASE_URL", pg.url()).env("TICKETD_JWT_SECRET", JWT_SECRET);
        }
        cmd
    }

    /// Files for a child's stdout and stderr (files, not pipes: nothing can block).
    pub fn output_files(&self) -> (PathBuf, PathBuf) {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        (self.dir.join(format!("run-{n}.stdout")), self.dir.join(format!("run-{n}.stderr")))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_command(self.command(args), args)
    }

    pub fn run_command(&self, mut cmd: Command, args: &[&str]) -> Run {
        let (out_path, err_path) = self.output_files();
        cmd.stdout(File::create(&out_path).expect("stdout file"));
        cmd.stderr(File::create(&err_path).expect("stderr file"));
        let mut child = ChildGuard(cmd.spawn().expect("spawn ticketd"));
        let status = child.wait_for(COMMAND_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "`ticketd {}` still running after {COMMAND_TIMEOUT:?}:\n{}",
                args.join(" "),
                read(&err_path)
            )
        });
        Run { args: args.join(" "), status, stdout: read(&out_path), stderr: read(&err_path) }
    }

    /// Starts `ticketd <args>` on a free port and waits until `/healthz` answers.
    pub async fn start(&self, args: &[&str]) -> Server {
        self.start_command(self.command(args), args).await
    }

    pub async fn start_command(&self, mut cmd: Command, args: &[&str]) -> Server {
        let port = free_port();
        let (out_path, err_path) = self.output_files();
        cmd.env("TICKETD_BIND", format!("127.0.0.1:{port}"));
        cmd.stdout(File::create(&out_path).expect("stdout file"));
        cmd.stderr(File::create(&err_path).expect("stderr file"));
        let child = ChildGuard(cmd.spawn().expect("spawn ticketd"));
        let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), stderr: err_path };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = server.child.0.try_wait().expect("try_wait") {
                panic!("`ticketd {}` exited early ({status}):\n{}", args.join(" "), server.stderr());
            }
            if let Ok(resp) = client.get(format!("{}/healthz", server.base)).send().await
                && resp.status() == StatusCode::OK
            {
                let body: Value = resp.json().await.expect("healthz JSON");
                assert_eq!(body["status"], "ok");
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "`ticketd {}` did not answer /healthz within {STARTUP_TIMEOUT:?}:\n{}",
                args.join(" "),
                server.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// A child process killed (and reaped) on drop, unless it has exited already.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn wait_for(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A finished one-shot command.
#[derive(Debug)]
pub struct Run {
    pub args: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn success(self) -> Self {
        assert!(
            self.status.success(),
            "`ticketd {}` failed ({}):\nstdout: {}\nstderr: {}",
            self.args,
            self.status,
            self.stdout,
            self.stderr
        );
        self.assert_no_panic();
        self
    }

    /// A failure with a readable message on stderr (no panic, no backtrace, nothing on
    /// stdout) that contains every one of `needles`.
    #[track_caller]
    pub fn failure(self, needles: &[&str]) -> Self {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "`ticketd {}` should fail with an exit code, got {}:\nstdout: {}\nstderr: {}",
            self.args,
            self.status,
            self.stdout,
            self.stderr
        );
        self.assert_no_panic();
        assert!(
            self.stderr.contains("error"),
            "`ticketd {}`: no error message on stderr: {}",
            self.args,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "`ticketd {}`: stderr should mention {needle:?}: {}",
                self.args,
                self.stderr
            );
        }
        assert_eq!(self.stdout, "", "`ticketd {}` printed on stdout", self.args);
        self
    }

    #[track_caller]
    pub fn assert_no_panic(&self) {
        let lower = self.stderr.to_lowercase();
        assert!(
            !lower.contains("panicked") && !lower.contains("backtrace"),
            "`ticketd {}` panicked or printed a backtrace: {}",
            self.args,
            self.stderr
        );
    }
}

/// A running server, killed on drop unless stopped with SIGTERM.
pub struct Server {
    pub child: ChildGuard,
    pub base: String,
    pub stderr: PathBuf,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn stderr(&self) -> String {
        read(&self.stderr)
    }

    /// SIGTERM; asserts a clean exit (status 0) within `SHUTDOWN_TIMEOUT`. Returns stderr.
    pub fn terminate(mut self) -> String {
        let pid = self.child.0.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let started = Instant::now();
        let status = self.child.wait_for(SHUTDOWN_TIMEOUT).unwrap_or_else(|| {
            panic!("ticketd did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM:\n{}", self.stderr())
        });
        assert!(status.success(), "ticketd exited with {status} after SIGTERM:\n{}", self.stderr());
        assert!(started.elapsed() < SHUTDOWN_TIMEOUT);
        self.stderr()
    }
}

impl Server {
    /// SIGKILL: no shutdown, no draining, nothing flushed: a crash.
    pub fn kill_hard(mut self) {
        use std::os::unix::process::ExitStatusExt;
        let pid = self.child.0.id().to_string();
        let kill = Command::new("kill").args(["-KILL", &pid]).status().expect("run kill");
        assert!(kill.success(), "kill -KILL {pid} failed");
        let status = self.child.wait_for(SHUTDOWN_TIMEOUT).expect("ticketd exits on SIGKILL");
        assert_eq!(status.signal(), Some(9), "{status}");
    }
}
