//! `migrate`, `workspace create`, `user create`, `token create`: what they print, what they
//! refuse.

use super::*;

fn cli_flow(backend: Backend) {
    let sandbox = Sandbox::new(backend);
    let sqlite = sandbox.path("data/ticketd.sqlite");

    let run = sandbox.run(&["migrate"]).success();
    assert!(run.stderr.contains("migrations applied"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    match backend {
        Backend::Sqlite => {
            assert!(sqlite.is_file(), "migrate should create {}", sqlite.display());
            assert!(std::fs::metadata(&sqlite).unwrap().len() > 0);
            assert!(run.stderr.contains("sqlite://data/ticketd.sqlite"), "{}", run.stderr);
        }
        Backend::Postgres => {
            assert!(!sandbox.path("data").exists(), "PostgreSQL must not create data/");
            // The password is redacted in the message.
            assert!(run.stderr.contains("postgres:***@"), "{}", run.stderr);
            assert!(!run.stderr.contains("postgres:postgres@"), "{}", run.stderr);
        }
    }
    // Migrating again is a no-op.
    sandbox.run(&["migrate"]).success();

    // workspace create
    let run = create_smoke_workspace(&sandbox).success();
    assert!(run.stderr.contains("created workspace Smoke (SMK) with admin a@smk.test"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    create_smoke_workspace(&sandbox).failure(&["SMK", "taken"]);

    let workspace = |prefix: &str, email: &str, password: &str| {
        sandbox.run(&[
            "workspace",
            "create",
            "--name",
            "Other",
            "--prefix",
            prefix,
            "--admin-email",
            email,
            "--admin-password",
            password,
        ])
    };
    workspace("x", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("9lives", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("with-dash", "b@other.test", ADMIN_PASSWORD).failure(&["--prefix"]);
    workspace("OTH", "not-an-email", ADMIN_PASSWORD).failure(&["--admin-email"]);
    workspace("OTH", "b@other.test", "short").failure(&["--admin-password", "at least 10"]);
    let run = sandbox.run(&[
        "workspace",
        "create",
        "--name",
        "  ",
        "--prefix",
        "OTH",
        "--admin-email",
        "b@other.test",
        "--admin-password",
        ADMIN_PASSWORD,
    ]);
    run.failure(&["--name"]);
    // A missing required flag is a usage error naming it.
    sandbox.run(&["workspace", "create", "--name", "Other", "--prefix", "OTH"]).failure(&["--admin-email"]);

    // user create
    let user = |workspace: &str, email: &str, password: &str, role: &str| {
        sandbox.run(&[
            "user",
            "create",
            "--workspace",
            workspace,
            "--email",
            email,
            "--password",
            password,
            "--role",
            role,
        ])
    };
    let run = user("SMK", "op@smk.test", OPERATOR_PASSWORD, "operator").success();
    assert!(run.stderr.contains("added op@smk.test to SMK as operator"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    // The prefix is case-insensitive.
    let run = user("smk", "admin2@smk.test", OPERATOR_PASSWORD, "admin").success();
    assert!(run.stderr.contains("added admin2@smk.test to SMK as admin"), "{}", run.stderr);
    user("SMK", "op@smk.test", OPERATOR_PASSWORD, "operator").failure(&["op@smk.test", "already a member"]);
    user("NOPE", "op2@smk.test", OPERATOR_PASSWORD, "operator").failure(&["no workspace with prefix NOPE"]);
    user("SMK", "op2@smk.test", OPERATOR_PASSWORD, "owner").failure(&["--role", "owner"]);
    user("SMK", "op2@", OPERATOR_PASSWORD, "operator").failure(&["--email"]);
    user("SMK", "op2@smk.test", "short", "operator").failure(&["--password", "at least 10"]);

    // token create
    create_token(&sandbox, "SMK", "chat", CHAT_SCOPES);
    let second = create_token(&sandbox, "smk", "admin tool", "admin");
    assert!(second.starts_with("tkd_"));
    let token = |workspace: &str, scopes: &str| {
        sandbox.run(&["token", "create", "--workspace", workspace, "--name", "bad", "--scopes", scopes])
    };
    token("SMK", "tickets:read,tickets:delete").failure(&["--scopes", "tickets:delete"]);
    token("SMK", ",").failure(&["--scopes"]);
    token("NOPE", "tickets:read").failure(&["no workspace with prefix NOPE"]);
    sandbox
        .run(&["token", "create", "--workspace", "SMK", "--name", " ", "--scopes", "admin"])
        .failure(&["--name"]);

    if backend == Backend::Sqlite {
        // The one-shot commands never need (so never write) the JWT secret.
        assert!(!sandbox.path("data/ticketd.jwt-secret").exists());
    }
}

#[test]
fn sqlite_migrate_workspace_user_token() {
    cli_flow(Backend::Sqlite);
}

#[test]
fn postgres_migrate_workspace_user_token() {
    cli_flow(Backend::Postgres);
}
