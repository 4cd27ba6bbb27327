//! `ticketd mail-in` as an MTA runs it: the message on stdin, the answer in the exit code
//! (sysexits.h) and one line on stderr; the result read back through a running server on the
//! same database.

use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../mail/tests/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// `ticketd mail-in <args>` with `raw` on stdin.
fn mail_in(sandbox: &Sandbox, args: &[&str], raw: &[u8]) -> Run {
    let input = sandbox.path(&format!("input-{}.eml", Uuid::new_v4().simple()));
    std::fs::write(&input, raw).expect("write the message");
    let mut all = vec!["mail-in"];
    all.extend_from_slice(args);
    let mut cmd = sandbox.command(&all);
    cmd.stdin(File::open(&input).expect("open the message"));
    sandbox.run_command(cmd, &all)
}

#[track_caller]
fn assert_exit(run: &Run, code: i32, stderr_has: &str) {
    assert_eq!(run.status.code(), Some(code), "`ticketd {}`:\nstderr: {}", run.args, run.stderr);
    run.assert_no_panic();
    assert!(
        run.stderr.contains(stderr_has),
        "`ticketd {}`: stderr should mention {stderr_has:?}: {}",
        run.args,
        run.stderr
    );
    assert_eq!(run.stdout, "", "`ticketd {}` printed on stdout", run.args);
}

/// The server secret `mail-in` signs reply addresses with: the environment's on
/// PostgreSQL, the one generated beside the SQLite file otherwise.
fn server_secret(sandbox: &Sandbox) -> String {
    if sandbox.pg.is_some() {
        JWT_SECRET.to_owned()
    } else {
        read(&sandbox.path("data/ticketd.jwt-secret")).trim().to_owned()
    }
}

fn plain(from: &str, subject: &str, message_id: &str, headers: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\nTo: support@smk.test\nSubject: {subject}\nMessage-ID: {message_id}\n{headers}\n{body}\n").into_bytes()
}

/// A ticket's thread as the API serialises it, read with the store from the sandbox's
/// database (the comments endpoints are t12-core's).
async fn comments(url: &str, reference: &str) -> Vec<Value> {
    let store = store::Store::connect(url, store::StoreOptions::default()).await.expect("connect");
    let ws = store.workspace_by_prefix("SMK").await.expect("SMK");
    let key = domain::ticket::TicketKey::parse(reference).unwrap();
    let query = domain::thread::CommentListQuery { per_page: 100, cursor: None };
    let page = store.comments(ws.id, &key, &query).await.expect("comments");
    page.comments.iter().map(|c| serde_json::to_value(c).unwrap()).collect()
}

/// The database URL of a sandbox, for [`comments`].
fn database_url(sandbox: &Sandbox) -> String {
    match &sandbox.pg {
        Some(pg) => pg.url(),
        None => format!("sqlite://{}?mode=rw", sandbox.path("data/ticketd.sqlite").display()),
    }
}

/// Every exit code, the threading rules through the pipe, and the tickets and comments it
/// made as the API shows them.
async fn mail_in_pipe(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();

    // 0: a new request opens SMK-1.
    let run = mail_in(&sandbox, &["--workspace", "smk"], &fixture("multipart_alternative.eml"));
    assert_exit(&run, 0, "opened SMK-1");
    // 0: the same Message-ID again, an auto-reply, a newsletter, a bounce: ignored.
    let run = mail_in(&sandbox, &["--workspace", "SMK"], &fixture("multipart_alternative.eml"));
    assert_exit(&run, 0, "ignored: duplicate");
    for (file, reason) in
        [("auto_reply.eml", "auto_submitted"), ("bulk.eml", "bulk"), ("bounce.eml", "bounce")]
    {
        assert_exit(
            &mail_in(&sandbox, &["--workspace", "SMK"], &fixture(file)),
            0,
            &format!("ignored: {reason}"),
        );
    }

    // The reply address token, from --recipient (Postfix's ${recipient}), threads onto
    // SMK-1 whoever sends it; the Gmail reply's quote is trimmed.
    let secret = server_secret(&sandbox);
    assert!(secret.len() >= 32, "secret {secret:?}");
    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();
    let (_, first) = get(&client, &server, "/api/v1/tickets/SMK-1", &bearer).await;
    let id = Uuid::parse_str(first["id"].as_str().unwrap()).unwrap();
    assert_eq!(first["metadata"]["source"], "email");
    assert_eq!(first["requester"], json!({"name": "Anna Schmidt", "email": "anna.schmidt@example.org"}));
    let token = domain::mail::reply_token(secret.as_bytes(), id);
    let gmail = String::from_utf8(fixture("gmail_quote.eml"))
        .unwrap()
        .replace("ACME-12", "SMK-1")
        .replace("K3J5Q2XWZA", "NOTATOKEN2")
        .replace("Subject: Re: [SMK-1]", "Subject: Re:");
    let recipient = format!("support+SMK-1.{token}@smk.test");
    let run = mail_in(&sandbox, &["--workspace", "SMK", "--recipient", &recipient], gmail.as_bytes());
    assert_exit(&run, 0, "added to SMK-1");

    // A subject reference from the requester threads; In-Reply-To of a known mail threads.
    let run = mail_in(
        &sandbox,
        &["--workspace", "SMK"],
        &plain("anna.schmidt@example.org", "Re: [SMK-1] invoice", "<s1@x.example>", "", "by subject"),
    );
    assert_exit(&run, 0, "added to SMK-1");
    let headers = "In-Reply-To: <0b6f7c1e-3d0a-4b8e-9f3a-2c1d5e7f9a10@example.org>\n";
    let run = mail_in(
        &sandbox,
        &["--workspace", "SMK"],
        &plain("accounts@example.org", "Re: invoice", "<s2@x.example>", headers, "by id"),
    );
    assert_exit(&run, 0, "added to SMK-1");
    // The subject reference from a stranger opens a ticket of its own.
    let run = mail_in(
        &sandbox,
        &["--workspace", "SMK"],
        &plain("mallory@evil.example", "Re: [SMK-1] invoice", "<s3@x.example>", "", "not Anna"),
    );
    assert_exit(&run, 0, "opened SMK-2");

    let thread = comments(&database_url(&sandbox), "SMK-1").await;
    let bodies: Vec<&str> = thread.iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies[1..], ["Yes, that fixed it. Thank you!\n\nAnna", "by subject", "by id"]);
    assert!(thread.iter().all(|c| c["kind"] == "customer"));

    // 65: garbage, headers only, no From, over 10 MiB. Nothing is written.
    for (what, raw) in [
        ("garbage", b"\x00\x01 definitely not mail".to_vec()),
        ("headers only", b"From: a@x.example\nSubject: cut".to_vec()),
        ("no From", b"Subject: hi\n\nhello\n".to_vec()),
        ("empty", Vec::new()),
    ] {
        let run = mail_in(&sandbox, &["--workspace", "SMK"], &raw);
        assert_exit(&run, 65, "error");
        assert!(run.stderr.contains("not taken"), "{what}: {}", run.stderr);
    }
    let mut big = plain("a@x.example", "big", "<big@x.example>", "", "");
    big.resize(10 * 1024 * 1024 + 1, b'x');
    assert_exit(&mail_in(&sandbox, &["--workspace", "SMK"], &big), 65, "10 MiB");
    // 67: no such workspace.
    assert_exit(
        &mail_in(&sandbox, &["--workspace", "NOPE"], &fixture("html_only.eml")),
        67,
        "no workspace with prefix NOPE",
    );

    let (_, list) =
        get(&client, &server, "/api/v1/tickets?status=open,pending,resolved,closed", &bearer).await;
    assert_eq!(list["meta"]["total"], 2, "{list}");
    drop(client);
    server.terminate();

    // 75: the database cannot be reached; the MTA keeps the mail and retries.
    let mut cmd = sandbox.command(&["mail-in", "--workspace", "SMK"]);
    let input = sandbox.path("unreachable.eml");
    std::fs::write(&input, fixture("html_only.eml")).unwrap();
    cmd.env("DATABASE_URL", format!("postgres://postgres:postgres@127.0.0.1:{}/nowhere", free_port()))
        .env("TICKETD_JWT_SECRET", JWT_SECRET)
        .env("TICKETD_DB_ACQUIRE_TIMEOUT_SECONDS", "1")
        .stdin(File::open(&input).unwrap());
    let run = sandbox.run_command(cmd, &["mail-in", "--workspace", "SMK (database down)"]);
    assert_exit(&run, 75, "will retry");
}

#[tokio::test]
async fn sqlite_mail_in_takes_mail_from_a_pipe_with_sysexits_codes() {
    mail_in_pipe(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_mail_in_takes_mail_from_a_pipe_with_sysexits_codes() {
    mail_in_pipe(Backend::Postgres).await;
}

/// The round trip through a real SMTP server: an operator replies on a resolved-then-answered
/// ticket → the mail reaches the SMTP catcher (aiosmtpd) → the customer answers that very
/// mail (Gmail style: `Re:`, In-Reply-To, quoted history) → `mail-in` → a customer comment on
/// the same ticket, which reopens.
async fn round_trip(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    create_smoke_workspace(&sandbox).success();
    let catcher = test_support::SmtpCatcher::start();
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("TICKETD_SMTP_URL", catcher.url()).env("TICKETD_MAIL_FROM", "Smoke Support <support@smk.test>");
    let server = sandbox.start_command(cmd, &["serve (with SMTP)"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let bearer = admin["access_token"].as_str().unwrap().to_owned();

    // The customer's first mail opens SMK-1 (requester Anna).
    assert_exit(
        &mail_in(&sandbox, &["--workspace", "SMK"], &fixture("multipart_alternative.eml")),
        0,
        "opened SMK-1",
    );
    let reply = client
        .post(server.url("/api/v1/tickets/SMK-1/comments"))
        .bearer_auth(&bearer)
        .json(&json!({"kind": "reply", "body": "Hello Anna,\n\nwe have corrected the invoice: 49,90 €.\n\nSmoke Support"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED, "{}", reply.text().await.unwrap_or_default());
    let patch = client
        .patch(server.url("/api/v1/tickets/SMK-1"))
        .bearer_auth(&bearer)
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::OK);

    let sent = catcher.wait_for(1, Duration::from_secs(20)).await;
    let sent = &sent[0];
    assert_eq!(sent.rcpt_tos, ["anna.schmidt@example.org"]);
    let message_id = sent.header("Message-ID").expect("Message-ID").to_owned();
    let reply_to = sent.header("Reply-To").expect("Reply-To").to_owned();
    let subject = sent.header("Subject").expect("Subject").to_owned();
    assert!(subject.contains("[SMK-1]"), "{subject}");
    let quoted: String =
        sent.text.as_deref().unwrap_or_default().lines().map(|l| format!("> {l}\n")).collect();

    // Anna answers from her phone: to the Reply-To, In-Reply-To the reply, quoting it.
    let answer = format!(
        "From: Anna Schmidt <anna.schmidt@example.org>\nTo: {reply_to}\nSubject: Re: {subject}\n\
         Message-ID: <answer-1@mail.example.org>\nIn-Reply-To: {message_id}\nReferences: {message_id}\n\
         Date: Thu, 3 Dec 2026 12:00:00 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
         Thanks, but the PDF still says 0,00 €.\n\nOn Thu, Dec 3, 2026 at 11:05 AM Smoke Support <support@smk.test> wrote:\n{quoted}"
    );
    let run = mail_in(&sandbox, &["--workspace", "SMK"], answer.as_bytes());
    assert_exit(&run, 0, "added to SMK-1");

    let (_, ticket) = get(&client, &server, "/api/v1/tickets/SMK-1", &bearer).await;
    assert_eq!(ticket["status"], "open", "a customer mail reopens a resolved ticket: {ticket}");
    let thread = comments(&database_url(&sandbox), "SMK-1").await;
    let kinds: Vec<&str> = thread.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customer", "reply", "customer"]);
    assert_eq!(thread[2]["body"], "Thanks, but the PDF still says 0,00 €.");
    assert_eq!(thread[2]["author"]["email"], "anna.schmidt@example.org");
    drop(client);
    server.terminate();
}

#[tokio::test]
async fn sqlite_reply_round_trip_through_smtp_and_mail_in() {
    round_trip(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_reply_round_trip_through_smtp_and_mail_in() {
    round_trip(Backend::Postgres).await;
}
