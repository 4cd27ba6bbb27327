//! Outbound e-mail over SMTP (`lettre`): the transport from `TICKETD_SMTP_URL`, the reply
//! mail sent to a ticket's requester and the `email` channel's pings.
//!
//! Replies and pings are queued in the `deliveries` table like webhooks and sent by the
//! same worker ([`crate::run_once`]); this module builds the messages and sends one. A
//! delivery is marked sent only once the SMTP server accepted the message; SMTP cannot
//! promise exactly once, so a retry after a lost answer sends it again with the same
//! `Message-ID`, by which mail clients show it once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::delivery::TargetKind;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where and as whom to send mail.
#[derive(Clone)]
pub struct MailConfig {
    /// `TICKETD_SMTP_URL`: `smtp://host:port`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host:465`.
    pub smtp_url: String,
    /// `TICKETD_MAIL_FROM`: `Acme Support <support@acme.test>` or a bare address.
    pub from: String,
    /// The key of the reply-address tokens ([`domain::mail::reply_token`]).
    pub reply_secret: Vec<u8>,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &redact_smtp_url(&self.smtp_url))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// The SMTP URL without its password, for logs and messages.
pub fn redact_smtp_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// Checks `TICKETD_SMTP_URL`, with a message that says what is wrong (never the password).
pub fn check_smtp_url(raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        format!("TICKETD_SMTP_URL is not a URL ({e}): expected smtp://host:port, smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465")
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(format!("TICKETD_SMTP_URL must start with smtp:// or smtps://, not {}://", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("TICKETD_SMTP_URL has no host".to_owned());
    }
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("tls", "required" | "opportunistic") if url.scheme() == "smtp" => {}
            ("tls", other) => {
                return Err(format!(
                    "TICKETD_SMTP_URL: tls={other} is not understood (smtp:// takes tls=required or tls=opportunistic; smtps:// is always TLS)"
                ));
            }
            (other, _) => return Err(format!("TICKETD_SMTP_URL: unknown parameter `{other}` (only tls=…)")),
        }
    }
    if !url.username().is_empty() && url.password().is_none() {
        return Err("TICKETD_SMTP_URL names a user without a password (smtp://user:pass@host)".to_owned());
    }
    Ok(())
}

/// Reads `TICKETD_MAIL_FROM` (`Name <local@domain>` or `local@domain`).
pub fn parse_from(raw: &str) -> Result<Mailbox, String> {
    let mailbox: Mailbox = raw.trim().parse().map_err(|e| {
        format!(
            "TICKETD_MAIL_FROM `{}` is not an address like `Acme Support <support@acme.test>` ({e})",
            raw.trim()
        )
    })?;
    if mailbox.email.user().contains('+') {
        return Err(
            "TICKETD_MAIL_FROM must not contain `+`: reply addresses add `+<reference>.<token>`".to_owned()
        );
    }
    Ok(mailbox)
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub error: String,
    /// A permanent refusal (a 5xx answer) or a message that cannot be built: no retry.
    pub permanent: bool,
    /// The SMTP reply code, when the server answered.
    pub code: Option<u16>,
}

impl SendError {
    fn permanent(error: String) -> Self {
        SendError { error, permanent: true, code: None }
    }
}

/// A configured SMTP transport (a pool of connections, so it needs a Tokio runtime) and
/// the sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    pub sender: Sender,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("sender", &self.sender).finish_non_exhaustive()
    }
}

/// Who mail comes from, and the key of its reply addresses: builds the messages.
#[derive(Clone)]
pub struct Sender {
    from: Mailbox,
    reply_secret: Vec<u8>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A transport for `config`, each SMTP exchange bounded by `timeout`. Connects lazily.
    pub fn new(config: &MailConfig, timeout: Duration) -> Result<Self, String> {
        check_smtp_url(&config.smtp_url)?;
        let sender = Sender::new(config)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(config.smtp_url.trim())
            .map_err(|e| format!("TICKETD_SMTP_URL ({}): {e}", redact_smtp_url(&config.smtp_url)))?
            .timeout(Some(timeout))
            .build();
        Ok(Mailer { transport, sender })
    }

    /// Sends one message; `Ok` once the server accepted it.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
                let error = if e.is_timeout() {
                    "the mail server did not answer in time".to_owned()
                } else if let Some(code) = code {
                    format!(
                        "the mail server refused the message: {}",
                        one_line(&format!("{code} {}", response_text(&e)))
                    )
                } else {
                    format!("cannot send through the mail server: {}", crate::root_cause(&e))
                };
                Err(SendError { error, permanent: e.is_permanent(), code })
            }
        }
    }
}

impl Sender {
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        Ok(Sender { from: parse_from(&config.from)?, reply_secret: config.reply_secret.clone() })
    }

    /// The domain of the sender address: the right side of generated Message-IDs.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The mail of a reply, ready to send.
    pub fn reply_message(&self, reply: &ReplyMail) -> Result<Message, SendError> {
        let to = mailbox(reply.requester_name.as_deref(), &reply.to)?;
        let token = domain::mail::reply_token(&self.reply_secret, reply.ticket_id);
        let reply_to = domain::mail::reply_address(self.from.email.as_ref(), &reply.reference, &token)
            .ok_or_else(|| SendError::permanent("TICKETD_MAIL_FROM has no domain".to_owned()))?;
        let reply_to = Mailbox::new(
            self.from.name.clone(),
            reply_to.parse().map_err(|e| {
                SendError::permanent(format!("the reply address of {} is not valid: {e}", reply.reference))
            })?,
        );
        let follows = !reply.earlier_message_ids.is_empty();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .reply_to(reply_to)
            .to(to)
            .subject(domain::mail::reply_subject(&reply.reference, &reply.subject, follows))
            .message_id(Some(reply.message_id.clone()))
            .user_agent(USER_AGENT.to_owned());
        if let Some(last) = reply.earlier_message_ids.last() {
            builder = builder
                .in_reply_to(last.clone())
                .references(references(&reply.earlier_message_ids).join(" "));
        }
        let footer = domain::mail::reply_footer(&reply.reference);
        let signature = reply.author_name.as_deref().map(|n| format!("{n}\n")).unwrap_or_default();
        let text = format!("{}\n\n-- \n{signature}{footer}\n", reply.body.trim_end());
        let html = format!(
            "<!doctype html><html><body><div style=\"white-space: pre-wrap\">{}</div>\
             <p style=\"color: #666; font-size: 12px\">-- <br>{}{}</p></body></html>",
            escape_html(reply.body.trim_end()),
            reply.author_name.as_deref().map(|n| format!("{}<br>", escape_html(n))).unwrap_or_default(),
            escape_html(&footer)
        );
        builder
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| SendError::permanent(format!("cannot build the reply mail: {e}")))
    }

    /// The mail of an `email` channel's ping: `Auto-Submitted: auto-generated`, so that a
    /// ping landing in the support mailbox is not taken in as a new ticket.
    pub fn ping_message(&self, ping: &PingMail) -> Result<Message, SendError> {
        let to = mailbox(None, &ping.to)?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(ping.subject.clone())
            .message_id(Some(ping.message_id.clone()))
            .user_agent(USER_AGENT.to_owned())
            .header(AutoSubmitted("auto-generated".to_owned()))
            .header(AutoResponseSuppress("All".to_owned()))
            .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(ping.text.clone()))
            .map_err(|e| SendError::permanent(format!("cannot build the notification mail: {e}")))
    }
}

/// Sends one claimed reply or ping; the outcome to record. A message that cannot be built
/// or a 5xx refusal fails at once; anything else is retried.
pub(crate) async fn attempt(
    store: &store::Store,
    d: &store::notifications::DueDelivery,
    mailer: Option<&Mailer>,
    now: DateTime<Utc>,
) -> store::notifications::AttemptOutcome {
    let failed = |e: SendError| crate::failure(d, now, e.code, e.error, e.permanent);
    let Some(mailer) = mailer else {
        return failed(SendError {
            error: "no mail transport is configured".into(),
            permanent: false,
            code: None,
        });
    };
    let message = match d.target_kind {
        TargetKind::Reply => match reply_of(store, d).await {
            Ok(reply) => mailer.sender.reply_message(&reply),
            Err(e) => return failed(e),
        },
        _ => mailer.sender.ping_message(&ping_of(d, mailer.sender.domain())),
    };
    match message {
        Ok(message) => match mailer.send(message).await {
            Ok(()) => store::notifications::AttemptOutcome::Delivered { status_code: 250 },
            Err(e) => failed(e),
        },
        Err(e) => failed(e),
    }
}

/// What a claimed reply says, read from its comment and ticket.
async fn reply_of(
    store: &store::Store,
    d: &store::notifications::DueDelivery,
) -> Result<ReplyMail, SendError> {
    let Some(comment_id) = d.comment_id else {
        return Err(SendError::permanent("the reply's comment is gone".into()));
    };
    let thread = match store.reply_thread(d.event.workspace_id, comment_id).await {
        Ok(thread) => thread,
        Err(store::StoreError::NotFound) => {
            return Err(SendError::permanent("the reply's comment is gone".into()));
        }
        Err(e) => {
            return Err(SendError {
                error: format!("cannot read the reply: {e}"),
                permanent: false,
                code: None,
            });
        }
    };
    let store::outbound::ReplyThread {
        ticket_id,
        reference,
        subject,
        requester_name,
        body,
        author_name,
        message_id,
        earlier_message_ids,
    } = thread;
    Ok(ReplyMail {
        ticket_id,
        reference,
        subject,
        to: d.target.clone(),
        requester_name,
        body,
        author_name,
        message_id: d.message_id.clone().or(message_id).unwrap_or_default(),
        earlier_message_ids,
    })
}

/// The ping of an `email` channel for a claimed delivery. Its Message-ID is made of the
/// delivery's id, so every retry carries the same.
pub fn ping_of(d: &store::notifications::DueDelivery, domain: &str) -> PingMail {
    let subject = crate::event_summary(&d.event, str::to_owned);
    let mut text = format!("{subject}\n\n");
    for (label, value) in ping_details(&d.event.data) {
        text.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(excerpt) = ping_excerpt(&d.event.data) {
        text.push_str(&format!("\n{excerpt}\n"));
    }
    text.push_str("\n-- \nticketd: this mailbox is a notification channel of your helpdesk.\n");
    PingMail {
        to: d.target.clone(),
        subject,
        text,
        message_id: d.message_id.clone().unwrap_or_else(|| format!("<ping.{}@{domain}>", d.id)),
    }
}

fn ping_details(data: &serde_json::Value) -> Vec<(&'static str, String)> {
    let s = |v: &serde_json::Value| v.as_str().filter(|x| !x.is_empty()).map(str::to_owned);
    let ticket = &data["ticket"];
    let mut rows = Vec::new();
    if ticket.is_object() {
        for (label, key) in
            [("Ticket", "reference"), ("Subject", "subject"), ("Status", "status"), ("Priority", "priority")]
        {
            if let Some(v) = s(&ticket[key]) {
                rows.push((label, v));
            }
        }
        let requester = &ticket["requester"];
        let who: Vec<String> = [s(&requester["name"]), s(&requester["email"]).map(|e| format!("<{e}>"))]
            .into_iter()
            .flatten()
            .collect();
        if !who.is_empty() {
            rows.push(("Requester", who.join(" ")));
        }
    } else {
        for (label, key) in
            [("Name", "name"), ("E-mail", "email"), ("Phone", "phone"), ("Summary", "summary")]
        {
            if let Some(v) = s(&data[key]) {
                rows.push((label, v));
            }
        }
    }
    rows
}

/// The first 1,000 characters of the comment or ticket the ping is about.
fn ping_excerpt(data: &serde_json::Value) -> Option<String> {
    let text = data["comment"]["body"].as_str().or(data["ticket"]["body"].as_str())?;
    let mut excerpt: String = text.chars().take(1000).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    Some(excerpt)
}

const USER_AGENT: &str = concat!("ticketd/", env!("CARGO_PKG_VERSION"));

/// At most this many ids in `References` (RFC 5322 allows any; long threads make long
/// headers): the thread's first and its latest.
const REFERENCES_MAX: usize = 20;

fn references(ids: &[String]) -> Vec<String> {
    if ids.len() <= REFERENCES_MAX {
        return ids.to_vec();
    }
    let mut kept = vec![ids[0].clone()];
    kept.extend_from_slice(&ids[ids.len() - (REFERENCES_MAX - 1)..]);
    kept
}

fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, SendError> {
    let address = address.parse().map_err(|e| {
        SendError::permanent(format!("`{address}` is not an address mail can be sent to ({e})"))
    })?;
    Ok(Mailbox::new(name.map(str::to_owned).filter(|n| !n.trim().is_empty()), address))
}

fn response_text(e: &lettre::transport::smtp::Error) -> String {
    // lettre's Display reads "permanent error (550): <text>"; keep the server's words.
    let shown = e.to_string();
    shown.split_once("): ").map(|(_, text)| text.to_owned()).unwrap_or(shown)
}

fn one_line(s: &str) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(300).collect()
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What a reply mail says: the comment, its ticket and the thread before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMail {
    pub ticket_id: uuid::Uuid,
    /// `ACME-12`.
    pub reference: String,
    pub subject: String,
    /// The requester's address (the delivery's target) and name.
    pub to: String,
    pub requester_name: Option<String>,
    pub body: String,
    /// The operator who wrote the reply (a signature line).
    pub author_name: Option<String>,
    /// The reply's own `Message-ID`, kept on its comment and delivery.
    pub message_id: String,
    /// The Message-IDs of the ticket's earlier mails (replies sent, customer mails
    /// received), oldest first: `In-Reply-To` is the last, `References` all of them.
    pub earlier_message_ids: Vec<String>,
}

/// What an `email` channel's ping says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub message_id: String,
}

/// `Auto-Submitted` (RFC 3834).
#[derive(Debug, Clone)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `X-Auto-Response-Suppress`: asks Exchange/Outlook not to answer with out-of-office mail.
#[derive(Debug, Clone)]
struct AutoResponseSuppress(String);

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoResponseSuppress(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Sender {
        let config = MailConfig {
            smtp_url: "smtp://127.0.0.1:2525".into(),
            from: "Acme Support <support@acme.test>".into(),
            reply_secret: b"secret".to_vec(),
        };
        Sender::new(&config).unwrap()
    }

    fn formatted(message: &Message) -> String {
        String::from_utf8(message.formatted()).unwrap()
    }

    #[tokio::test]
    async fn smtp_urls_are_checked_with_readable_errors() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com",
            "smtp://user:pa%40ss@mail.example.com:587?tls=required",
            "smtp://mail.example.com:587?tls=opportunistic",
            "smtps://user:pass@mail.example.com:465",
        ] {
            assert_eq!(check_smtp_url(good), Ok(()), "{good}");
        }
        for (bad, needle) in [
            ("mail.example.com", "not a URL"),
            ("mail.example.com:25", "smtp:// or smtps://"),
            ("http://mail.example.com", "smtp:// or smtps://"),
            ("smtp://mail.example.com?tls=maybe", "tls=maybe"),
            ("smtps://mail.example.com?tls=required", "tls=required"),
            ("smtp://mail.example.com?ssl=1", "unknown parameter `ssl`"),
            ("smtp://user@mail.example.com", "without a password"),
        ] {
            let error = check_smtp_url(bad).unwrap_err();
            assert!(error.contains(needle), "{bad}: {error}");
        }
        assert_eq!(
            redact_smtp_url("smtp://user:hunter2@mail.example.com:587?tls=required"),
            "smtp://user:***@mail.example.com:587?tls=required"
        );
        let config = MailConfig {
            smtp_url: "smtps://u:p@mail.example.com".into(),
            from: "support@acme.test".into(),
            reply_secret: vec![],
        };
        assert!(!format!("{config:?}").contains(":p@"));
        assert!(Mailer::new(&config, Duration::from_secs(1)).is_ok());
        assert!(parse_from("Acme <support+x@acme.test>").unwrap_err().contains('+'));
        assert!(parse_from("not an address").is_err());
    }

    fn reply(earlier: Vec<String>) -> ReplyMail {
        ReplyMail {
            ticket_id: uuid::Uuid::nil(),
            reference: "ACME-12".into(),
            subject: "Refund for order 1234".into(),
            to: "jane@example.com".into(),
            requester_name: Some("Jane Doe".into()),
            body: "Hello Jane,\n\nthe refund is on its way <today>.".into(),
            author_name: Some("Olivia".into()),
            message_id: "<c1@acme.test>".into(),
            earlier_message_ids: earlier,
        }
    }

    #[test]
    fn a_first_reply_has_the_documented_headers_and_footer() {
        let mailer = mailer();
        let mail = formatted(&mailer.reply_message(&reply(vec![])).unwrap());
        let token = domain::mail::reply_token(b"secret", uuid::Uuid::nil());
        assert!(mail.contains("From: \"Acme Support\" <support@acme.test>\r\n"), "{mail}");
        assert!(mail.contains("To: \"Jane Doe\" <jane@example.com>\r\n"), "{mail}");
        assert!(mail.contains("Subject: [ACME-12] Refund for order 1234\r\n"), "{mail}");
        assert!(mail.contains("Message-ID: <c1@acme.test>\r\n"), "{mail}");
        assert!(
            mail.contains(&format!("Reply-To: \"Acme Support\" <support+ACME-12.{token}@acme.test>")),
            "{mail}"
        );
        assert!(!mail.contains("In-Reply-To") && !mail.contains("References"), "{mail}");
        assert!(mail.contains("multipart/alternative"), "{mail}");
        assert!(mail.contains("add to ticket ACME-12"), "{mail}");
        assert!(mail.contains("&lt;today&gt;"), "the HTML part escapes the text: {mail}");
        assert!(!mail.contains("Auto-Submitted"), "a reply is written by a person: {mail}");
    }

    #[test]
    fn a_later_reply_chains_the_thread() {
        let ids: Vec<String> = (0..30).map(|n| format!("<m{n}@example.com>")).collect();
        let mail = formatted(&mailer().reply_message(&reply(ids.clone())).unwrap());
        assert!(mail.contains("Subject: Re: [ACME-12] Refund for order 1234\r\n"), "{mail}");
        assert!(mail.contains("In-Reply-To: <m29@example.com>\r\n"), "{mail}");
        let references = mail.split("References: ").nth(1).unwrap().split("\r\n").fold(
            (String::new(), true),
            |(acc, open), line| {
                if !open {
                    (acc, false)
                } else if acc.is_empty() || line.starts_with(' ') {
                    (acc + line, true)
                } else {
                    (acc, false)
                }
            },
        );
        let listed: Vec<&str> = references.0.split_whitespace().collect();
        assert_eq!(listed.len(), REFERENCES_MAX);
        assert_eq!(listed[0], "<m0@example.com>");
        assert_eq!(listed[REFERENCES_MAX - 1], "<m29@example.com>");
    }

    #[test]
    fn a_bad_recipient_is_a_permanent_error() {
        let mut bad = reply(vec![]);
        bad.to = "not an address".into();
        assert!(mailer().reply_message(&bad).unwrap_err().permanent);
    }

    #[test]
    fn pings_are_auto_submitted() {
        let ping = PingMail {
            to: "team@acme.test".into(),
            subject: "New ticket ACME-7: Refund".into(),
            text: "New ticket ACME-7".into(),
            message_id: "<ping.1@acme.test>".into(),
        };
        let mail = formatted(&mailer().ping_message(&ping).unwrap());
        assert!(mail.contains("Auto-Submitted: auto-generated\r\n"), "{mail}");
        assert!(mail.contains("X-Auto-Response-Suppress: All\r\n"), "{mail}");
        assert!(mail.contains("Message-ID: <ping.1@acme.test>\r\n"), "{mail}");
        assert!(mail.contains("Subject: New ticket ACME-7: Refund\r\n"), "{mail}");
    }
}
