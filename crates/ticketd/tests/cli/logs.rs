//! JSON logs on stderr, `x-request-id` in the response and in the request's log lines; and
//! credentials never reach the logs.

use super::*;

#[tokio::test]
async fn json_logs_carry_the_response_request_id() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("RUST_LOG", "info").env("TICKETD_LOG_FORMAT", "json");
    let server = sandbox.start_command(cmd, &["serve"]).await;

    let client = reqwest::Client::new();
    let request_id = |resp: &reqwest::Response| {
        let value = resp
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id header: {:?}", resp.headers()));
        let value = value.to_str().expect("an ASCII x-request-id").to_owned();
        assert!(!value.trim().is_empty(), "empty x-request-id");
        value
    };
    let resp = client
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({ "email": "a@smk.test", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("login request");
    assert_eq!(resp.status(), StatusCode::OK);
    let login_id = request_id(&resp);
    let session: Value = resp.json().await.unwrap();
    let bearer = session["access_token"].as_str().unwrap();
    let resp = client
        .post(server.url("/api/v1/tickets"))
        .bearer_auth(bearer)
        .json(&json!({ "subject": "Logged", "body": "A request to find in the logs." }))
        .send()
        .await
        .expect("create request");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let create_id = request_id(&resp);
    let resp = client.get(server.url("/api/v1/me")).send().await.expect("unauthenticated request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let denied_id = request_id(&resp);
    let ids = BTreeSet::from([&login_id, &create_id, &denied_id]);
    assert_eq!(ids.len(), 3, "request ids must differ: {ids:?}");
    drop(client);
    // After the exit, every line the server will ever write is in the file.
    let log = server.terminate();

    // The tracing output is JSON, one object per line (the startup banner is plain text).
    let events: Vec<(&str, Value)> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
            assert!(value.is_object(), "{line}");
            (line, value)
        })
        .collect();
    assert!(
        events.iter().any(|(_, e)| e["level"] == "INFO"
            && e["fields"]["message"] == "ticketd listening"
            && e["timestamp"].is_string()),
        "no JSON `ticketd listening` event at INFO:\n{log}"
    );
    for line in log.lines().filter(|l| !l.starts_with('{')) {
        assert!(
            !line.contains(" INFO ") && !line.contains(" WARN ") && !line.contains(" ERROR "),
            "a plain-text log line with TICKETD_LOG_FORMAT=json: {line}"
        );
    }
    for (what, id) in [("login", &login_id), ("ticket creation", &create_id), ("401", &denied_id)] {
        assert!(
            log.contains(id.as_str()),
            "the {what} request's x-request-id {id} is in no log line:\n{log}"
        );
        assert!(
            events.iter().any(|(line, _)| line.contains(id.as_str())),
            "the {what} request's x-request-id {id} is only in non-JSON lines:\n{log}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Credentials never reach the logs: the request log, at debug level too, shows paths with
// credential parameters redacted, and the app's stream uses link tokens.
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_urls_never_reach_the_request_log() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    let api_token = create_token(&sandbox, "SMK", "reader", "tickets:read");
    let mut cmd = sandbox.command(&["serve"]);
    cmd.env("RUST_LOG", "debug");
    let server = sandbox.start_command(cmd, &["serve"]).await;
    let client = reqwest::Client::new();
    let session = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    let jwt = str_of(&session, "access_token").to_owned();

    // Refused credentials in URLs: a JWT, an API token, garbage under other names.
    for (name, value) in
        [("access_token", jwt.as_str()), ("access_token", api_token.as_str()), ("token", api_token.as_str())]
    {
        let resp = client
            .get(server.url("/api/v1/events"))
            .query(&[(name, value), ("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let resp = client.get(server.url("/api/v1/tickets")).query(&[(name, value)]).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // A link token opens the stream once; a second use is refused (and logged, redacted).
    let resp = client.post(server.url("/api/v1/auth/link-tokens")).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let link: Value = resp.json().await.unwrap();
    let link = str_of(&link, "link_token").to_owned();
    let mut stream =
        client.get(server.url("/api/v1/events")).query(&[("link_token", &link)]).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.chunk().await.unwrap().is_some());
    drop(stream);
    let again =
        client.get(server.url("/api/v1/events")).query(&[("link_token", &link)]).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    drop(client);
    let log = server.terminate();

    for (what, secret) in
        [("session token", jwt.as_str()), ("API token", api_token.as_str()), ("link token", link.as_str())]
    {
        // Also no long piece of it (a log might cut or encode it).
        let piece = &secret[secret.len() - 24..];
        assert!(!log.contains(piece), "the {what} is in the log:\n{log}");
    }
    assert!(
        log.contains("/api/v1/events?access_token=REDACTED&x=1"),
        "the request log still names the path:\n{log}"
    );
    assert!(log.contains("link_token=REDACTED"), "{log}");
    assert!(log.contains("token=REDACTED"), "{log}");
}
