//! `ticketd mail-in`: one inbound mail on stdin, from an MTA's pipe (Postfix `pipe(8)`, an
//! Exim `pipe` transport, an alias `|ticketd mail-in …`). The same code path as
//! `POST /api/v1/inbound/email` (`Store::receive_mail`); the exit code tells the MTA what
//! to do with the message, per sysexits.h.

use std::io::Read;
use std::process::ExitCode;

use domain::inbound::MAX_MESSAGE_BYTES;
use store::inbound::{InboundError, InboundMessage, Received};
use store::{Actor, StoreError};

use crate::config::Config;

/// Accepted or ignored: the MTA is done with it.
pub const EX_OK: u8 = 0;
/// Unparsable or too big: the MTA bounces it (retrying cannot help).
pub const EX_DATAERR: u8 = 65;
/// No such workspace: the MTA bounces it ("unknown user").
pub const EX_NOUSER: u8 = 67;
/// Could not read standard input.
pub const EX_IOERR: u8 = 74;
/// The database is unavailable (or another transient failure): the MTA keeps the message
/// and retries later.
pub const EX_TEMPFAIL: u8 = 75;
/// ticketd is misconfigured (e.g. no `TICKETD_JWT_SECRET` with PostgreSQL): Postfix defers.
pub const EX_CONFIG: u8 = 78;

/// What the process says and how it exits.
struct Outcome {
    code: u8,
    message: String,
}

impl Outcome {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Outcome { code, message: message.into() }
    }
}

/// Reads stdin (at most 10 MiB), hands the message to the store, reports one line on
/// stderr (the MTA logs it, and puts it into a bounce) and returns the sysexits code.
pub fn run(
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    workspace: &str,
    recipient: Option<&str>,
) -> ExitCode {
    let outcome = match read_stdin() {
        Ok(raw) => runtime.block_on(deliver(config, workspace, recipient, &raw)),
        Err(outcome) => outcome,
    };
    if outcome.code == EX_OK {
        eprintln!("{}", outcome.message);
    } else {
        eprintln!("error: {}", outcome.message);
    }
    ExitCode::from(outcome.code)
}

fn read_stdin() -> Result<Vec<u8>, Outcome> {
    let mut raw = Vec::new();
    // One byte past the limit is enough to know it is too big.
    let limit = MAX_MESSAGE_BYTES as u64 + 1;
    std::io::stdin()
        .lock()
        .take(limit)
        .read_to_end(&mut raw)
        .map_err(|e| Outcome::new(EX_IOERR, format!("cannot read the message from standard input: {e}")))?;
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(Outcome::new(
            EX_DATAERR,
            format!("the message is larger than {MAX_MESSAGE_BYTES} bytes (10 MiB); not taken"),
        ));
    }
    Ok(raw)
}

async fn deliver(config: &Config, workspace: &str, recipient: Option<&str>, raw: &[u8]) -> Outcome {
    let secret = match config.jwt_secret() {
        Ok(secret) => secret,
        Err(e) => return Outcome::new(EX_CONFIG, format!("{e:#}")),
    };
    let store = match crate::open_store(config).await {
        Ok(store) => store,
        Err(e) => return Outcome::new(EX_TEMPFAIL, format!("{e:#} (the MTA will retry)")),
    };
    let ws = match store.workspace_by_prefix(workspace).await {
        Ok(ws) => ws,
        Err(StoreError::NotFound) => {
            return Outcome::new(
                EX_NOUSER,
                format!("no workspace with prefix {}", workspace.to_ascii_uppercase()),
            );
        }
        Err(e) => return store_failure(e),
    };
    let message = InboundMessage { raw, recipient, secret: secret.as_bytes(), recorded_by: Actor::System };
    let outcome = match store.receive_mail(ws.id, message).await {
        Ok(Received::Accepted { ticket, comment_id, created_ticket }) => {
            let what = if created_ticket { "opened" } else { "added to" };
            Outcome::new(EX_OK, format!("{what} {} (comment {comment_id})", ticket.reference))
        }
        Ok(Received::Ignored(reason)) => Outcome::new(EX_OK, format!("ignored: {reason}")),
        Err(InboundError::Unparsable(e)) => Outcome::new(EX_DATAERR, format!("{e}; not taken")),
        Err(InboundError::Store(e)) => store_failure(e),
    };
    let _ = store.close().await;
    outcome
}

/// The database is unavailable — or something else broke, which is no reason to bounce a
/// customer's mail either: the MTA keeps it queued and retries.
fn store_failure(e: StoreError) -> Outcome {
    Outcome::new(EX_TEMPFAIL, format!("{e} (the MTA will retry)"))
}
