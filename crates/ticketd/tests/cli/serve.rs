//! `serve` on SQLite (JWT secret file, sign-in, API tokens, SIGTERM, restart); `serve --demo`
//! on SQLite and PostgreSQL (users, tickets, agents, chats, expiry); `seed-demo` and
//! `purge-expired`; `serve` on PostgreSQL without `TICKETD_JWT_SECRET`.

use super::*;

#[tokio::test]
async fn sqlite_serve_keeps_its_jwt_secret_and_stops_on_sigterm() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    create_smoke_workspace(&sandbox).success();
    create_operator(&sandbox, "op@smk.test");
    let token = create_token(&sandbox, "SMK", "chat", CHAT_SCOPES);
    let secret_path = sandbox.path("data/ticketd.jwt-secret");
    assert!(!secret_path.exists());

    let server = sandbox.start(&["serve"]).await;
    let secret = std::fs::read_to_string(&secret_path).expect("serve writes data/ticketd.jwt-secret");
    assert!(secret.trim().len() >= 32, "secret {secret:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the secret file must be private, mode {mode:o}");
    }

    let client = reqwest::Client::new();
    let admin = login(&client, &server, "a@smk.test", ADMIN_PASSWORD).await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["workspace"]["ticket_prefix"], "SMK");
    assert_eq!(admin["workspace"]["name"], "Smoke");
    let session = admin["access_token"].as_str().unwrap().to_owned();
    let operator = login(&client, &server, "op@smk.test", OPERATOR_PASSWORD).await;
    assert_eq!(operator["role"], "operator");

    let (status, me) = get(&client, &server, "/api/v1/me", &session).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], "a@smk.test");
    assert_eq!(me["role"], "admin");

    // The token printed by `token create` authenticates.
    let (status, me) = get(&client, &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["token"]["name"], "chat");
    assert_eq!(me["user"], Value::Null);
    assert_eq!(me["workspace"]["ticket_prefix"], "SMK");
    let scopes: BTreeSet<&str> =
        me["token"]["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(scopes, BTreeSet::from(["conversations:write", "tools:invoke", "tickets:read"]));
    let (status, body) = get(&client, &server, "/api/v1/tickets", &token).await;
    assert_eq!(status, StatusCode::OK, "tickets:read lets the token list tickets: {body}");
    let (status, _) = get(&client, &server, "/api/v1/me", "tkd_not-a-real-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // SIGTERM, with the client's keep-alive connection still open.
    let log = server.terminate();
    assert!(log.contains("ticketd is listening on http://127.0.0.1:"), "{log}");
    drop(client);

    // Second start: the same secret, so sessions issued before the restart still work.
    let server = sandbox.start(&["serve"]).await;
    assert_eq!(std::fs::read_to_string(&secret_path).unwrap(), secret, "the secret must be reused");
    let client = reqwest::Client::new();
    let (status, me) = get(&client, &server, "/api/v1/me", &session).await;
    assert_eq!(status, StatusCode::OK, "a session from before the restart: {me}");
    assert_eq!(me["user"]["email"], "a@smk.test");
    let (status, _) = get(&client, &server, "/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    server.terminate();
}

// ---------------------------------------------------------------------------------------
// 4. serve --demo, on SQLite and PostgreSQL: users, tickets, agents, chats, expiry
// ---------------------------------------------------------------------------------------

/// The demo's chats as the API showed them before a purge.
#[derive(Debug)]
struct DemoChats {
    help_center: String,
    sales: String,
    /// Tickets opened from a chat: (reference, conversation id, messages in its transcript).
    linked: Vec<(String, String, usize)>,
    /// Live conversations that no ticket links.
    unlinked: Vec<String>,
}

fn names(list: &Value) -> Vec<&str> {
    list["data"].as_array().expect("data array").iter().map(|t| str_of(t, "name")).collect()
}

/// The chat part of the demo (`serve --demo`), through the API: two agents that may open
/// tickets (one by its preset, one by its override), the `open_ticket` tool, the "Talk to a
/// human" button, one ticket per creation path with its transcript, and live conversations in
/// the Inbox. `chat` is a chat backend token (`CHAT_SCOPES`), if there is one.
async fn check_demo_chats(
    client: &reqwest::Client,
    server: &Server,
    admin: &Value,
    operator: &Value,
    chat: Option<&str>,
) -> DemoChats {
    let admin_bearer = str_of(admin, "access_token");
    let operator_bearer = str_of(operator, "access_token");
    let chat_bearer = chat.unwrap_or(admin_bearer);

    // Agents: help_center ships `ticketing`; the sales bot has it through its override.
    let (status, agents) = get(client, server, "/api/v1/agents", admin_bearer).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    let agents = agents["data"].as_array().expect("data array").clone();
    assert_eq!(agents.len(), 2, "{agents:?}");
    let find = |vertical: &str| {
        agents.iter().find(|a| a["vertical"] == vertical).unwrap_or_else(|| panic!("no {vertical} agent"))
    };
    let (help, sales) = (find("help_center"), find("sales"));
    assert_eq!(help["name"], "Helpdesk Bot");
    assert_eq!(sales["name"], "Sales Bot");
    for agent in [help, sales] {
        let capabilities = agent["capabilities"].as_array().expect("capabilities");
        assert!(capabilities.contains(&json!("ticketing")), "{agent}");
    }
    assert_eq!(sales["vertical_overrides"]["capabilities"], json!(["ticketing"]), "{sales}");
    let (help_id, sales_id) = (str_of(help, "id"), str_of(sales, "id"));

    // The tool list a chat backend hands to its LLM: open_ticket, for both bots.
    for id in [sales_id, help_id] {
        let (status, tools) = get(client, server, &format!("/api/v1/agents/{id}/tools"), chat_bearer).await;
        assert_eq!(status, StatusCode::OK, "{tools}");
        assert_eq!(names(&tools), ["open_ticket"], "{tools}");
        let tool = &tools["data"][0];
        assert!(str_of(tool, "description").len() > 50, "{tool}");
        assert_eq!(tool["input_schema"]["required"], json!(["subject", "body"]), "{tool}");
        assert_eq!(tool["input_schema"]["properties"]["subject"]["maxLength"], 120, "{tool}");
    }

    // The "Talk to a human" button of the help center bot.
    let (status, rules) = get(client, server, "/api/v1/cta-rules", admin_bearer).await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(rules["data"].as_array().expect("data array").len(), 1, "{rules}");
    let rule = &rules["data"][0];
    assert_eq!(rule["kind"], "open_ticket", "{rule}");
    assert_eq!(rule["label"], "Talk to a human", "{rule}");
    assert_eq!(rule["agent_id"], help_id, "{rule}");
    assert_eq!(rule["priority"], "high", "{rule}");
    assert_eq!(rule["enabled"], true, "{rule}");
    assert!(rule["subject_template"].as_str().is_some_and(|t| t.contains('{')), "{rule}");
    let rule_id = str_of(rule, "id");
    let buttons = |agent: &str| format!("/api/v1/agents/{agent}/cta-rules");
    let (status, shown) = get(client, server, &buttons(help_id), chat_bearer).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"][0]["id"], rule_id, "{shown}");
    let (status, shown) = get(client, server, &buttons(sales_id), chat_bearer).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["data"], json!([]), "the button is the help center bot's only: {shown}");

    // One ticket per creation path, each with its conversation and the path's metadata.
    let tickets = all_tickets(client, server, admin_bearer).await;
    let operator_id = str_of(&operator["user"], "id");
    let expected = [
        ("open_ticket_tool", "tool_call_id", None, "tool"),
        ("cta", "rule_id", Some(rule_id), "system"),
        ("human_escalation", "operator_id", Some(operator_id), "system"),
    ];
    let mut linked = Vec::new();
    for (source, key, value, role) in expected {
        let of_source: Vec<&Value> = tickets.iter().filter(|t| t["metadata"]["source"] == source).collect();
        assert_eq!(of_source.len(), 1, "one demo ticket with source {source}: {of_source:?}");
        let ticket = of_source[0];
        let metadata = &ticket["metadata"];
        assert!(metadata[key].as_str().is_some_and(|v| !v.is_empty()), "{source}: {metadata}");
        if let Some(value) = value {
            assert_eq!(metadata[key], value, "{source}: {metadata}");
        }
        assert!(ticket["agent_id"] == help_id || ticket["agent_id"] == sales_id, "{ticket}");
        let reference = str_of(ticket, "reference");
        let conversation_id = str_of(ticket, "conversation_id");
        // The chat backend's token reads the ticket with its transcript (tickets:read).
        let (status, detail) =
            get(client, server, &format!("/api/v1/tickets/{reference}"), chat_bearer).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let thread = &detail["conversation"];
        assert_eq!(thread["id"], conversation_id, "{detail}");
        let messages = thread["messages"].as_array().expect("a thread");
        let roles: BTreeSet<&str> = messages.iter().map(|m| str_of(m, "role")).collect();
        assert!(roles.is_superset(&BTreeSet::from(["visitor", "assistant", role])), "{source}: {roles:?}");
        // The path's own entry in the transcript names the ticket.
        let entry = messages.iter().find(|m| m["role"] == role).unwrap();
        assert!(str_of(entry, "content").contains(&format!("#{reference}")), "{source}: {entry}");
        if source == "open_ticket_tool" {
            let call: Value = serde_json::from_str(str_of(entry, "content")).expect("a JSON tool message");
            assert_eq!(call["tool"], "open_ticket", "{call}");
            assert_eq!(call["tool_call_id"], metadata["tool_call_id"], "{call}");
            assert_eq!(call["result"]["reference"], reference, "{call}");
            // ... and the bot then said the tool's confirmation.
            let last = messages.last().unwrap();
            assert_eq!(last["role"], "assistant", "{last}");
            assert!(
                str_of(last, "content").starts_with(&format!("I've opened ticket #{reference}")),
                "{last}"
            );
        }
        linked.push((reference.to_owned(), conversation_id.to_owned(), messages.len()));
    }

    // The Inbox: the live chats, and the linked ones (not expired yet either).
    let (status, inbox) = get(client, server, "/api/v1/conversations", operator_bearer).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let rows = inbox["data"].as_array().expect("data array");
    assert_eq!(inbox["meta"]["total"], rows.len(), "{inbox}");
    let unlinked: Vec<String> =
        rows.iter().filter(|c| c["has_ticket"] == false).map(|c| str_of(c, "id").to_owned()).collect();
    let linked_ids: BTreeSet<&str> =
        rows.iter().filter(|c| c["has_ticket"] == true).map(|c| str_of(c, "id")).collect();
    assert!(!unlinked.is_empty(), "no live, unlinked conversation in the Inbox: {inbox}");
    assert_eq!(linked_ids, linked.iter().map(|(_, c, _)| c.as_str()).collect(), "{inbox}");
    for id in &unlinked {
        let (status, conversation) =
            get(client, server, &format!("/api/v1/conversations/{id}"), operator_bearer).await;
        assert_eq!(status, StatusCode::OK, "{conversation}");
        assert!(conversation["messages"].as_array().is_some_and(|m| m.len() >= 2), "{conversation}");
        assert_eq!(conversation["tickets"], json!([]), "{conversation}");
    }
    DemoChats { help_center: help_id.to_owned(), sales: sales_id.to_owned(), linked, unlinked }
}

/// The summary `seed-demo` and `serve --demo` print names what the API shows.
fn check_demo_summary(log: &str, demo: &DemoChats) {
    assert!(log.contains("demo workspace: Acme Support (prefix ACME), 11 tickets"), "{log}");
    assert!(log.contains("admin@acme.test / acme-admin-pass"), "{log}");
    assert!(log.contains("operator@acme.test / acme-operator-pass"), "{log}");
    assert!(log.contains(&format!("agent Helpdesk Bot (help_center): {}", demo.help_center)), "{log}");
    assert!(log.contains(&format!("agent Sales Bot (sales): {}", demo.sales)), "{log}");
    assert!(log.contains("CTA rule \"Talk to a human\""), "{log}");
    for id in &demo.unlinked {
        assert!(log.contains(id.as_str()), "live conversation {id} is not in the summary: {log}");
    }
    for (reference, conversation, _) in &demo.linked {
        assert!(log.contains(&format!("ticket {reference} (")), "{log}");
        assert!(log.contains(conversation.as_str()), "{log}");
    }
    for source in ["(open_ticket_tool)", "(cta)", "(human_escalation)"] {
        assert!(log.contains(source), "{log}");
    }
    assert!(log.contains("ticketd token create --workspace ACME --name chat --scopes"), "{log}");
}

/// `ticketd purge-expired --as-of <now + 25 h>`: purges exactly the unlinked chats.
fn purge_a_day_later(sandbox: &Sandbox, demo: &DemoChats) {
    let later = chrono::Utc::now() + chrono::Duration::hours(25);
    let as_of = later.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = sandbox.run(&["purge-expired", "--as-of", &as_of]).success();
    assert_eq!(run.stdout, "", "the report goes to stderr");
    assert!(
        run.stderr.contains(&format!("purged {} expired conversation(s)", demo.unlinked.len())),
        "{}",
        run.stderr
    );
}

/// After the purge: the unlinked chats are gone; the linked ones keep their transcripts.
async fn check_purged(client: &reqwest::Client, server: &Server, operator: &Value, demo: &DemoChats) {
    let bearer = str_of(operator, "access_token");
    for id in &demo.unlinked {
        let (status, body) = get(client, server, &format!("/api/v1/conversations/{id}"), bearer).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "purged conversation {id}: {body}");
    }
    let (status, inbox) = get(client, server, "/api/v1/conversations", bearer).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    let ids: BTreeSet<&str> = inbox["data"].as_array().unwrap().iter().map(|c| str_of(c, "id")).collect();
    assert!(demo.unlinked.iter().all(|id| !ids.contains(id.as_str())), "{inbox}");
    for (reference, conversation, count) in &demo.linked {
        let (status, body) =
            get(client, server, &format!("/api/v1/conversations/{conversation}"), bearer).await;
        assert_eq!(status, StatusCode::OK, "linked conversation {conversation} of {reference}: {body}");
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(*count), "{body}");
        assert_eq!(body["tickets"][0]["reference"], reference.as_str(), "{body}");
        let (status, ticket) = get(client, server, &format!("/api/v1/tickets/{reference}"), bearer).await;
        assert_eq!(status, StatusCode::OK, "{ticket}");
        assert_eq!(ticket["conversation"]["id"], conversation.as_str(), "{ticket}");
        assert_eq!(ticket["conversation"]["messages"].as_array().map(Vec::len), Some(*count), "{ticket}");
    }
}

async fn serve_demo(sandbox: &Sandbox) {
    let server = sandbox.start(&["serve", "--demo"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    assert_eq!(admin["role"], "admin");
    assert_eq!(admin["workspace"]["ticket_prefix"], "ACME");
    assert_eq!(admin["workspace"]["name"], "Acme Support");
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    assert_eq!(operator["role"], "operator");

    let admin_token = admin["access_token"].as_str().unwrap();
    let tickets = all_tickets(&client, &server, admin_token).await;
    assert_eq!(
        statuses(&tickets),
        BTreeSet::from(["open", "pending", "resolved", "closed"].map(String::from)),
        "the demo has tickets in every status"
    );
    assert!(tickets.iter().all(|t| { t["reference"].as_str().is_some_and(|r| r.starts_with("ACME-")) }));
    // The operator sees them too.
    let operator_token = operator["access_token"].as_str().unwrap();
    assert_eq!(all_tickets(&client, &server, operator_token).await.len(), tickets.len());
    let demo = check_demo_chats(&client, &server, &admin, &operator, None).await;
    drop(client);
    let log = server.terminate();
    check_demo_summary(&log, &demo);

    // A day later, the live chats are purged; the tickets' transcripts are kept.
    purge_a_day_later(sandbox, &demo);

    // Again on the same database: no second seeding, no failure.
    let server = sandbox.start(&["serve", "--demo"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    let again = all_tickets(&client, &server, admin["access_token"].as_str().unwrap()).await;
    assert_eq!(again.len(), tickets.len(), "serve --demo must not seed twice");
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    check_purged(&client, &server, &operator, &demo).await;
    drop(client);
    let log = server.terminate();
    assert!(log.contains("already has a workspace"), "{log}");
    assert!(!log.contains("demo workspace: Acme Support (prefix ACME)"), "{log}");
}

#[tokio::test]
async fn sqlite_serve_demo_seeds_once() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    serve_demo(&sandbox).await;
    assert!(sandbox.path("data/ticketd.sqlite").is_file());
    assert!(sandbox.path("data/ticketd.jwt-secret").is_file());
}

#[tokio::test]
async fn postgres_serve_demo_seeds_once() {
    let sandbox = Sandbox::new(Backend::Postgres);
    // Without the required secret, `serve --demo` fails before seeding anything...
    let mut cmd = sandbox.command(&["serve", "--demo"]);
    cmd.env_remove("TICKETD_JWT_SECRET").env("TICKETD_BIND", format!("127.0.0.1:{}", free_port()));
    sandbox.run_command(cmd, &["serve", "--demo"]).failure(&["TICKETD_JWT_SECRET"]);
    // ... so that the first real start seeds (and prints the credentials).
    serve_demo(&sandbox).await;
    assert!(!sandbox.path("data").exists(), "PostgreSQL must not create data/");
}

// ---------------------------------------------------------------------------------------
// 5. seed-demo and purge-expired; serve on PostgreSQL without TICKETD_JWT_SECRET
// ---------------------------------------------------------------------------------------

/// `seed-demo`, then a chat backend token, `serve`, and `purge-expired` while it runs.
async fn seed_demo_then_purge(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    let seeded = sandbox.run(&["seed-demo"]).success();
    assert_eq!(seeded.stdout, "", "credentials go to stderr");
    if backend == Backend::Sqlite {
        assert!(sandbox.path("data/ticketd.sqlite").is_file());
    }
    // A second run cannot create ACME again and says so, without a panic.
    sandbox.run(&["seed-demo"]).failure(&["ACME"]);
    let chat = create_token(&sandbox, "ACME", "chat", CHAT_SCOPES);

    // A bad --as-of is a usage error naming the flag; a pass now purges nothing (fresh chats).
    sandbox.run(&["purge-expired", "--as-of", "garbage"]).failure(&["--as-of", "RFC 3339"]);
    sandbox.run(&["purge-expired", "--as-of", "2026-13-01T00:00:00Z"]).failure(&["--as-of"]);
    let run = sandbox.run(&["purge-expired"]).success();
    assert!(run.stderr.contains("purged 0 expired conversation(s) as of "), "{}", run.stderr);

    let server = sandbox.start(&["serve"]).await;
    let client = reqwest::Client::new();
    let admin = login(&client, &server, DEMO_ADMIN.0, DEMO_ADMIN.1).await;
    let operator = login(&client, &server, DEMO_OPERATOR.0, DEMO_OPERATOR.1).await;
    let demo = check_demo_chats(&client, &server, &admin, &operator, Some(&chat)).await;
    check_demo_summary(&seeded.stderr, &demo);

    // The purge runs beside the server, as a cron job would.
    purge_a_day_later(&sandbox, &demo);
    check_purged(&client, &server, &operator, &demo).await;
    // A second pass finds nothing more: linked transcripts are kept however late it is.
    let much_later = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();
    let run = sandbox.run(&["purge-expired", "--as-of", &much_later]).success();
    assert!(run.stderr.contains("purged 0 expired conversation(s)"), "{}", run.stderr);
    check_purged(&client, &server, &operator, &demo).await;

    // The SLA breach pass beside the server: nothing is due yet; a year on, every running
    // clock of the open and pending demo tickets has breached, announced once.
    sandbox.run(&["sla-check", "--as-of", "garbage"]).failure(&["--as-of", "RFC 3339"]);
    let run = sandbox.run(&["sla-check"]).success();
    assert!(run.stderr.contains("announced 0 SLA breach(es) as of "), "{}", run.stderr);
    let tickets = all_tickets(&client, &server, str_of(&operator, "access_token")).await;
    let running: usize = tickets
        .iter()
        .map(|t| ["first_response", "resolution"].iter().filter(|c| t["sla"][**c] == "running").count())
        .sum();
    assert!(running > 0, "the demo has running SLA clocks");
    let year_later = (chrono::Utc::now() + chrono::Duration::days(365)).to_rfc3339();
    let run = sandbox.run(&["sla-check", "--as-of", &year_later]).success();
    assert_eq!(run.stdout, "", "the report goes to stderr");
    assert!(run.stderr.contains(&format!("announced {running} SLA breach(es)")), "{}", run.stderr);
    let run = sandbox.run(&["sla-check", "--as-of", &year_later]).success();
    assert!(run.stderr.contains("announced 0 SLA breach(es)"), "{}", run.stderr);
    drop(client);
    server.terminate();
}

#[tokio::test]
async fn sqlite_seed_demo_then_purge_expired() {
    seed_demo_then_purge(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_seed_demo_then_purge_expired() {
    seed_demo_then_purge(Backend::Postgres).await;
}

#[test]
fn postgres_serve_requires_a_jwt_secret() {
    let sandbox = Sandbox::new(Backend::Postgres);
    let serve = |secret: Option<&str>| {
        let mut cmd = sandbox.command(&["serve"]);
        cmd.env_remove("TICKETD_JWT_SECRET").env("TICKETD_BIND", format!("127.0.0.1:{}", free_port()));
        if let Some(secret) = secret {
            cmd.env("TICKETD_JWT_SECRET", secret);
        }
        sandbox.run_command(cmd, &["serve"])
    };
    serve(None).failure(&["TICKETD_JWT_SECRET", "PostgreSQL"]);
    serve(Some("   ")).failure(&["TICKETD_JWT_SECRET"]);
    serve(Some("too-short")).failure(&["TICKETD_JWT_SECRET", "32"]);
    assert!(!sandbox.path("data").exists(), "no secret file is written for PostgreSQL");
    // The configuration error came before the database was touched: nothing migrated.
    let pg = sandbox.pg.as_ref().unwrap();
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", &pg.name, "-tA", "-c"])
        .arg("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        .env("PGPASSWORD", "postgres")
        .output()
        .expect("run psql");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "serve without a secret must not migrate");
}
