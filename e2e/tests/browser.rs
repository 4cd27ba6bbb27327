//! The admin app in a real browser: the real `ticketd serve --demo` on a fresh SQLite
//! database and a free port, Debian's Chromium headless through chromedriver.
//!
//! Needs the built app (`./scripts/build-frontend.sh`), the `ticketd` binary of this
//! profile (`cargo build -p ticketd`; `TICKETD_BIN` overrides) and `chromium` +
//! `chromium-driver`. `./scripts/test.sh` does all that and runs these with `--ignored`,
//! which is why a plain `cargo test --workspace` skips them.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should panic right there

// Journeys in their own files (they use the helpers below).
#[path = "journeys/thread.rs"]
mod thread;

#[path = "journeys/queue.rs"]
mod queue;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

const ADMIN_EMAIL: &str = "admin@acme.test";
const ADMIN_PASSWORD: &str = "acme-admin-pass";
const WAIT: Duration = Duration::from_secs(20);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `target/<profile>/ticketd`, beside this test's own `deps/` directory.
fn ticketd_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("TICKETD_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let bin = profile_dir.join("ticketd");
    assert!(bin.is_file(), "{} is missing: run `cargo build -p ticketd` first", bin.display());
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("ticketd-e2e-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A child process killed on drop, and its scratch directory removed.
struct Running {
    child: Child,
    dir: Option<PathBuf>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `ticketd serve --demo` on a fresh database; answers its base URL.
fn start_ticketd() -> (Running, String) {
    start_ticketd_with(&[])
}

/// [`start_ticketd`] with more environment (e.g. the mail transport).
fn start_ticketd_with(env: &[(&str, &str)]) -> (Running, String) {
    let dist = repo_root().join("frontend/dist/index.html");
    assert!(dist.is_file(), "{} is missing: run ./scripts/build-frontend.sh first", dist.display());
    let dir = temp_dir("server");
    let mut child = Command::new(ticketd_bin())
        .args(["serve", "--demo"])
        .current_dir(&dir)
        .env("DATABASE_URL", format!("sqlite://{}/ticketd.sqlite?mode=rwc", dir.display()))
        .env("TICKETD_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env_remove("TICKETD_STATIC_DIR")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ticketd");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("ticketd is listening on ") {
                let _ = tx.send(addr.trim().to_owned());
            }
        }
    });
    let running = Running { child, dir: Some(dir) };
    let base = rx.recv_timeout(Duration::from_secs(60)).expect("ticketd did not start listening");
    (running, base)
}

async fn start_browser() -> (Running, WebDriver) {
    start_browser_with(None).await
}

/// [`start_browser`], saving downloads into `downloads` without asking.
async fn start_browser_downloading_to(downloads: &Path) -> (Running, WebDriver) {
    start_browser_with(Some(downloads)).await
}

async fn start_browser_with(downloads: Option<&Path>) -> (Running, WebDriver) {
    let port = free_port();
    let dir = temp_dir("chrome");
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver (apt-get install chromium chromium-driver)");
    let running = Running { child, dir: Some(dir.clone()) };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary("/usr/bin/chromium").unwrap();
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
    ] {
        caps.add_arg(arg).unwrap();
    }
    caps.add_arg(&format!("--user-data-dir={}", dir.display())).unwrap();
    if let Some(downloads) = downloads {
        let prefs = serde_json::json!({
            "download.default_directory": downloads.display().to_string(),
            "download.prompt_for_download": false,
        });
        caps.add_experimental_option("prefs", prefs).unwrap();
    }
    // Console output and uncaught errors, read back through chromedriver's `/se/log`.
    caps.set_browser_log_level(thirtyfour::LoggingPrefsLogLevel::All).unwrap();
    let driver = WebDriver::new(url, caps).await.expect("a browser session");
    (running, driver)
}

/// Polls `check` until it answers true (a WebDriver wait for conditions that are not one
/// element's presence).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fails on any error the page logged since the last call (console errors, uncaught
/// exceptions, failed resource loads), except messages containing one of `allowed`.
/// chromedriver drains the log on each read.
async fn assert_no_console_errors(driver: &WebDriver, allowed: &[&str]) {
    let entries = driver.browser_log().await.expect("the browser log (goog:loggingPrefs)");
    let errors: Vec<_> = entries
        .iter()
        .filter(|e| e.level == "SEVERE" && !allowed.iter().any(|a| e.message.contains(a)))
        .map(|e| e.message.as_str())
        .collect();
    assert!(errors.is_empty(), "console errors in the browser: {errors:#?}");
}

/// Every form control on the page has an accessible name: a `<label>`, `aria-label(ledby)`
/// or `title`, or (buttons) its text.
async fn assert_controls_labelled(driver: &WebDriver, page: &str) {
    let unlabelled = driver
        .execute(
            "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')] \
               .filter(el => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') \
                 || el.title || (el.labels && el.labels.length > 0) \
                 || (el.tagName === 'BUTTON' && el.textContent.trim()))) \
               .map(el => el.outerHTML.slice(0, 160));",
            vec![],
        )
        .await
        .unwrap();
    let unlabelled: Vec<String> = unlabelled.convert().unwrap();
    assert!(unlabelled.is_empty(), "controls without a label on {page}: {unlabelled:#?}");
}

/// First contentful paint of the current page in milliseconds (Paint Timing API). The
/// browser records the entry after the frame is presented, which on a busy machine can be a
/// moment after the content is in the DOM: it is polled for, up to 10 s.
async fn first_contentful_paint(driver: &WebDriver) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let fcp = driver
            .execute(
                "const e = performance.getEntriesByType('paint') \
                   .find(p => p.name === 'first-contentful-paint'); \
                 return e ? e.startTime : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some(fcp) = fcp.json().as_f64() {
            return fcp;
        }
        assert!(Instant::now() < deadline, "no first-contentful-paint entry within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(driver: &WebDriver, by: By) -> String {
    match driver.query(by).nowait().first_opt().await {
        Ok(Some(el)) => el.text().await.unwrap_or_default(),
        _ => String::new(),
    }
}

async fn wait_text(driver: &WebDriver, by: By, needle: &str) {
    eventually(&format!("{by:?} to contain {needle:?}"), || {
        let by = by.clone();
        async move { text_of(driver, by).await.contains(needle) }
    })
    .await;
}

async fn sign_in(driver: &WebDriver, base: &str) {
    driver.goto(format!("{base}/app/")).await.unwrap();
    let email = driver.query(By::Id("email")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    email.send_keys(ADMIN_EMAIL).await.unwrap();
    let password = driver.find(By::Id("password")).await.unwrap();
    password.send_keys(ADMIN_PASSWORD).await.unwrap();
    // Enter submits the form.
    password.send_keys(Key::Enter).await.unwrap();
    driver
        .query(By::Css("table.ticket-table"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .expect("the ticket list after signing in");
}

async fn api_token(base: &str) -> String {
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

async fn current_url(driver: &WebDriver) -> String {
    driver.current_url().await.map(|u| u.to_string()).unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs the built app and Chromium: run ./scripts/test.sh"]
async fn operator_works_the_ticket_list_and_a_ticket() {
    let (_server, base) = start_ticketd();
    let (_chromedriver, driver) = start_browser().await;

    // The server side of the SPA: CSP, wasm MIME type, deep links, `/` redirect.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(root.headers()["location"], "/app/");
    let deep = http.get(format!("{base}/app/tickets/ACME-12")).send().await.unwrap();
    assert_eq!(deep.status(), 200);
    assert!(deep.headers()["content-security-policy"].to_str().unwrap().contains("'wasm-unsafe-eval'"));
    assert!(deep.text().await.unwrap().contains("/app/boot.js"));
    let wasm = http.get(format!("{base}/app/frontend_bg.wasm")).send().await.unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    let api_404 = http.get(format!("{base}/api/v1/nope")).send().await.unwrap();
    assert_eq!(api_404.headers()["content-type"], "application/problem+json");

    // Log in (Enter submits); the list shows the open tickets, not the closed ones.
    sign_in(&driver, &base).await;
    wait_text(&driver, By::Id("total"), "9 tickets").await;
    assert_no_console_errors(&driver, &[]).await;

    // First paint of a fresh load of the list (signed in, so the app goes straight to it).
    driver.goto(format!("{base}/app/tickets")).await.unwrap();
    wait_text(&driver, By::Id("total"), "9 tickets").await;
    let fcp = first_contentful_paint(&driver).await;
    eprintln!("first contentful paint: {fcp:.0} ms");
    assert!(fcp < 5000.0, "first contentful paint took {fcp} ms");
    assert_controls_labelled(&driver, "the ticket list").await;
    let rows = driver.find_all(By::Css("table.ticket-table tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 9);
    assert!(!text_of(&driver, By::Css("table.ticket-table")).await.contains("Closed"));

    // Filter by status with the native select: the URL keeps the filter.
    let status = driver.find(By::Id("f-status")).await.unwrap();
    SelectElement::new(&status).await.unwrap().select_by_value("closed").await.unwrap();
    eventually("the URL to carry status=closed", || async {
        current_url(&driver).await.contains("status=closed")
    })
    .await;
    wait_text(&driver, By::Id("total"), "2 tickets").await;
    // Back goes to the default list.
    driver.back().await.unwrap();
    wait_text(&driver, By::Id("total"), "9 tickets").await;

    // The list's order, for `j`/`k` on the ticket page.
    let mut order = Vec::new();
    for row in driver.find_all(By::Css("table.ticket-table tbody tr")).await.unwrap() {
        order.push(row.attr("data-reference").await.unwrap().unwrap_or_default());
    }
    // Open ACME-9 (opened by the bot's tool) by clicking its reference.
    driver
        .query(By::LinkText("ACME-9"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the ticket URL", || async { current_url(&driver).await.ends_with("/app/tickets/ACME-9") })
        .await;
    wait_text(&driver, By::Id("fact-source"), "open_ticket tool").await;
    // `j` / `k` step through the list just shown, and back.
    let at = order.iter().position(|r| r == "ACME-9").expect("ACME-9 in the list");
    let (there, back) = if at + 1 < order.len() { ("j", "k") } else { ("k", "j") };
    let neighbour = if there == "j" { &order[at + 1] } else { &order[at - 1] };
    driver.action_chain().send_keys(there).perform().await.unwrap();
    wait_text(&driver, By::Id("fact-reference"), neighbour).await;
    assert!(current_url(&driver).await.ends_with(&format!("/app/tickets/{neighbour}")));
    driver.action_chain().send_keys(back).perform().await.unwrap();
    wait_text(&driver, By::Id("fact-reference"), "ACME-9").await;
    wait_text(&driver, By::Id("fact-source"), "open_ticket tool").await;
    // The transcript beside the ticket: visitor, bot and tool messages styled apart.
    let transcript =
        driver.query(By::Css("#chat .transcript")).wait(WAIT, Duration::from_millis(100)).first().await;
    assert!(transcript.is_ok(), "a transcript for ACME-9");
    for role in ["visitor", "assistant"] {
        assert!(
            driver.query(By::Css(format!("#chat .msg-{role}"))).nowait().exists().await.unwrap(),
            "a {role} message"
        );
    }
    // The tool call reads as what it did; the raw JSON is one click away.
    wait_text(&driver, By::Css("#chat .msg-tool .tool-headline"), "open_ticket \u{2192} ACME-9").await;
    assert!(driver.query(By::Css("#chat .msg-tool details pre")).nowait().exists().await.unwrap());
    let ticket_pane = driver.find(By::Css(".ticket-pane")).await.unwrap().rect().await.unwrap();
    let chat_pane = driver.find(By::Css(".chat-pane")).await.unwrap().rect().await.unwrap();
    assert!(
        chat_pane.x > ticket_pane.x + ticket_pane.width - 1.0,
        "side by side: {ticket_pane:?} {chat_pane:?}"
    );
    assert!((chat_pane.y - ticket_pane.y).abs() < 5.0, "side by side: {ticket_pane:?} {chat_pane:?}");
    let shot_dir = repo_root().join("target/e2e");
    std::fs::create_dir_all(&shot_dir).unwrap();
    driver.screenshot(&shot_dir.join("ticket-page.png")).await.unwrap();
    assert_controls_labelled(&driver, "the ticket page").await;

    // Change status and assignee; "Saved"; it persists after a reload (still signed in).
    let select = SelectElement::new(&driver.find(By::Id("e-status")).await.unwrap()).await.unwrap();
    select.select_by_value("resolved").await.unwrap();
    let assignee = SelectElement::new(&driver.find(By::Id("e-assignee")).await.unwrap()).await.unwrap();
    assignee.select_by_visible_text("Olivia Operator").await.unwrap();
    driver.find(By::Id("save")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("save-state"), "Saved").await;
    wait_text(&driver, By::Id("fact-status"), "Resolved").await;
    wait_text(&driver, By::Id("activity"), "changed the status").await;
    driver.refresh().await.unwrap();
    wait_text(&driver, By::Id("fact-status"), "Resolved").await;
    wait_text(&driver, By::Id("fact-assignee"), "Olivia Operator").await;
    assert!(!driver.query(By::Id("email")).nowait().exists().await.unwrap(), "still signed in after reload");

    // A deep link loads directly; a ticket with no chat says so.
    driver.goto(format!("{base}/app/tickets/ACME-1")).await.unwrap();
    wait_text(&driver, By::Id("fact-reference"), "ACME-1").await;
    wait_text(&driver, By::Id("no-conversation"), "No conversation").await;

    // A ticket created through the API appears in the open list without a reload.
    driver.goto(format!("{base}/app/tickets")).await.unwrap();
    wait_text(&driver, By::Id("total"), "tickets").await;
    eventually("the live stream to be open", || async {
        match driver.query(By::Id("live-status")).nowait().first_opt().await {
            Ok(Some(e)) => e.attr("data-live").await.ok().flatten().as_deref() == Some("true"),
            _ => false,
        }
    })
    .await;
    let token = api_token(&base).await;
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"subject": "Printer on fire in aisle 3", "body": "Live from the API."}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = created["reference"].as_str().unwrap().to_owned();
    wait_text(&driver, By::Css("table.ticket-table"), &reference).await;
    wait_text(&driver, By::Css("table.ticket-table"), "Printer on fire in aisle 3").await;

    // Sign out: back to the form.
    driver.find(By::XPath("//button[text()='Sign out']")).await.unwrap().click().await.unwrap();
    driver.query(By::Id("email")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    assert_no_console_errors(&driver, &[]).await;
    driver.quit().await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built app and Chromium: run ./scripts/test.sh"]
async fn operator_converts_an_inbox_conversation_and_expired_sessions_return_to_login() {
    let (_server, base) = start_ticketd();
    let (_chromedriver, driver) = start_browser().await;
    sign_in(&driver, &base).await;

    driver.goto(format!("{base}/app/inbox")).await.unwrap();
    let first = driver
        .query(By::Css(".conversations a.conversation-link"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .expect("live conversations in the Inbox");
    first.click().await.unwrap();
    eventually("the conversation in the URL", || async {
        current_url(&driver).await.contains("/app/inbox?c=")
    })
    .await;
    driver
        .query(By::Css(".chat-pane .transcript"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .unwrap();
    assert_controls_labelled(&driver, "the Inbox").await;
    let subject = driver.find(By::Id("c-subject")).await.unwrap();
    subject.clear().await.unwrap();
    subject.send_keys("Call back about the invoice").await.unwrap();
    driver
        .find(By::Id("c-body"))
        .await
        .unwrap()
        .send_keys("Visitor left before we could answer.")
        .await
        .unwrap();
    driver.find(By::Id("convert")).await.unwrap().click().await.unwrap();
    eventually("the new ticket's page", || async {
        current_url(&driver).await.contains("/app/tickets/ACME-")
    })
    .await;
    wait_text(&driver, By::Id("ticket-title"), "Call back about the invoice").await;
    wait_text(&driver, By::Id("fact-source"), "converted a live chat").await;
    driver.query(By::Css("#chat .transcript")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();

    assert_no_console_errors(&driver, &[]).await;

    // Settings → Agents: the Sales Bot's tools, then drop its `ticketing` override (PATCH).
    driver.goto(format!("{base}/app/settings")).await.unwrap();
    let sales = By::XPath("//li[contains(@class,'agent')][strong[text()='Sales Bot']]");
    let agent = driver.query(sales.clone()).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    assert!(agent.find(By::Css(".agent-caps")).await.unwrap().text().await.unwrap().contains("ticketing"));
    agent.find(By::XPath(".//button[text()='Tools']")).await.unwrap().click().await.unwrap();
    let tools =
        agent.query(By::Css("ul.tools")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    assert!(tools.text().await.unwrap().contains("open_ticket"), "the Sales Bot opens tickets");
    agent.find(By::Css("input[type=checkbox][value=ticketing]")).await.unwrap().click().await.unwrap();
    agent.find(By::XPath(".//button[text()='Save agent']")).await.unwrap().click().await.unwrap();
    eventually("the Sales Bot without ticketing", || async {
        match driver.query(sales.clone()).nowait().first_opt().await {
            Ok(Some(li)) => match li.find(By::Css(".agent-caps")).await {
                Ok(caps) => !caps.text().await.unwrap_or_default().contains("ticketing"),
                Err(_) => false,
            },
            _ => false,
        }
    })
    .await;

    assert_controls_labelled(&driver, "the settings").await;

    // CTA rules: disable, then delete after confirming.
    let rule = By::XPath("//li[contains(@class,'cta-rule')][strong[text()='Talk to a human']]");
    wait_text(&driver, rule.clone(), "enabled").await;
    driver
        .find(rule.clone())
        .await
        .unwrap()
        .find(By::Css("button.toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&driver, rule.clone(), "disabled").await;
    driver.execute("window.confirm = () => true;", vec![]).await.unwrap();
    driver
        .find(rule.clone())
        .await
        .unwrap()
        .find(By::Css("button.delete"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the CTA rule to be gone", || async {
        !driver.query(rule.clone()).nowait().exists().await.unwrap_or(true)
    })
    .await;

    // Notification channels: create, disable, see its deliveries, delete after confirming.
    driver
        .find(By::Id("ch-url"))
        .await
        .unwrap()
        .send_keys("https://hooks.example.com/ticketd")
        .await
        .unwrap();
    driver.find(By::XPath("//button[text()='Create channel']")).await.unwrap().click().await.unwrap();
    let channel = By::XPath("//li[contains(@class,'channel')][contains(., 'hooks.example.com')]");
    wait_text(&driver, channel.clone(), "enabled").await;
    driver
        .find(channel.clone())
        .await
        .unwrap()
        .find(By::Css("button.toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&driver, channel.clone(), "disabled").await;
    driver
        .find(channel.clone())
        .await
        .unwrap()
        .find(By::XPath(".//button[text()='Deliveries']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the channel's deliveries", || async {
        let text = text_of(&driver, channel.clone()).await;
        text.contains("No deliveries yet") || text.contains("attempt(s)")
    })
    .await;
    driver
        .find(channel.clone())
        .await
        .unwrap()
        .find(By::Css("button.delete"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    eventually("the channel to be gone", || async {
        !driver.query(channel.clone()).nowait().exists().await.unwrap_or(true)
    })
    .await;
    // An e-mail channel: the team's mailbox gets the pings (no signing secret to show).
    let kind = SelectElement::new(&driver.find(By::Id("ch-kind")).await.unwrap()).await.unwrap();
    kind.select_by_value("email").await.unwrap();
    wait_text(&driver, By::Css("label[for='ch-url']"), "Address").await;
    driver.find(By::Id("ch-url")).await.unwrap().send_keys("team@acme.test").await.unwrap();
    driver.find(By::XPath("//button[text()='Create channel']")).await.unwrap().click().await.unwrap();
    let mailbox = By::XPath("//li[contains(@class,'channel')][contains(., 'team@acme.test')]");
    wait_text(&driver, mailbox, "email").await;

    // API tokens: a new token's secret is shown once; revoking it marks it revoked.
    driver.find(By::Id("t-name")).await.unwrap().send_keys("browser token").await.unwrap();
    driver.find(By::XPath("//button[text()='Create token']")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("token-secret"), "tkd_").await;
    let token = By::XPath("//section[@aria-labelledby='tokens-title']//li[strong[text()='browser token']]");
    wait_text(&driver, token.clone(), "tickets:read").await;
    driver
        .find(token.clone())
        .await
        .unwrap()
        .find(By::XPath(".//button[text()='Revoke']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&driver, token, "revoked").await;
    assert_no_console_errors(&driver, &[]).await;

    // A token the server no longer accepts: the next call answers 401 and the app asks to
    // sign in again, saying why.
    driver
        .execute(
            "const s = JSON.parse(localStorage.getItem('ticketd.session')); s.token = 'expired'; \
             localStorage.setItem('ticketd.session', JSON.stringify(s));",
            vec![],
        )
        .await
        .unwrap();
    driver.goto(format!("{base}/app/tickets")).await.unwrap();
    wait_text(&driver, By::Id("flash"), "Your session expired, please sign in again").await;
    // Chromium logs the refused request itself; nothing else may go wrong.
    assert_no_console_errors(&driver, &["status of 401"]).await;

    // Settings → Team: add a member; then change the password, which ends the session.
    sign_in(&driver, &base).await;
    driver.goto(format!("{base}/app/settings")).await.unwrap();
    driver.query(By::Id("team-members")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    driver.find(By::Id("m-name")).await.unwrap().send_keys("Tess Team").await.unwrap();
    driver.find(By::Id("m-email")).await.unwrap().send_keys("tess@acme.test").await.unwrap();
    driver.find(By::Id("m-password")).await.unwrap().send_keys("a long first password").await.unwrap();
    driver.find(By::XPath("//button[text()='Add member']")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("team-members"), "tess@acme.test").await;
    driver.find(By::Id("p-current")).await.unwrap().send_keys(ADMIN_PASSWORD).await.unwrap();
    driver.find(By::Id("p-new")).await.unwrap().send_keys("a brand new admin password").await.unwrap();
    driver.find(By::XPath("//button[text()='Change password']")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("flash"), "Your password was changed").await;
    assert_no_console_errors(&driver, &["status of 401"]).await;
    driver.quit().await.unwrap();
}
