//! `--help` of every command: its flags, and the settings with their variables.

use super::*;

#[test]
fn help_for_every_command_mentions_its_flags() {
    let sandbox = Sandbox::new(Backend::Sqlite);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "serve",
                "migrate",
                "seed-demo",
                "workspace",
                "user",
                "token",
                "purge-expired",
                "sla-check",
                "--help",
                "--version",
                "--database-url",
                "[env: DATABASE_URL",
                "[env: TICKETD_SMTP_URL",
            ],
        ),
        (&["serve"], &["--demo", "--bind", "[env: TICKETD_BIND", "[env: TICKETD_JWT_SECRET"]),
        (&["migrate"], &["Apply pending migrations"]),
        (&["seed-demo"], &["Acme Support"]),
        (&["workspace"], &["create"]),
        (
            &["workspace", "create"],
            &["--name", "--prefix", "--admin-email", "--admin-password", "--admin-name"],
        ),
        (&["user"], &["create"]),
        (
            &["user", "create"],
            &["--workspace", "--email", "--password", "--role", "admin", "operator", "--name"],
        ),
        (&["purge-expired"], &["--as-of", "RFC 3339", "expired"]),
        (&["export"], &["--workspace", "--query", "CSV"]),
        (&["sla-check"], &["--as-of", "RFC 3339", "SLA"]),
        (&["token"], &["create"]),
        (
            &["token", "create"],
            &[
                "--workspace",
                "--name",
                "--scopes",
                "tickets:read",
                "tickets:write",
                "conversations:write",
                "tools:invoke",
            ],
        ),
    ];
    for (command, needles) in cases {
        let mut args = command.to_vec();
        args.push("--help");
        let run = sandbox.run(&args).success();
        assert!(run.stdout.contains("Usage: ticketd"), "`ticketd {}`: {}", run.args, run.stdout);
        for needle in *needles {
            assert!(
                run.stdout.contains(needle),
                "`ticketd {}` should mention {needle:?}:\n{}",
                run.args,
                run.stdout
            );
        }
    }
    // `--help` neither opens nor creates the database.
    assert!(!sandbox.path("data").exists(), "--help created data/");

    // No subcommand: usage on stderr, non-zero.
    let run = sandbox.run(&[]);
    assert!(!run.status.success());
    assert!(run.stderr.contains("Usage: ticketd"), "{}", run.stderr);
}
