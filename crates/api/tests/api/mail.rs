//! Outbound mail against a real SMTP server (aiosmtpd via `test_support::SmtpCatcher`):
//! replies with their thread headers, retries while the server is down, permanent refusals,
//! the 24-hour limit, `ticket.comment_updated`, and the `email` channel's pings. The tests
//! drive the mail worker themselves (`notify::run_once_at`) with a clock they move; the
//! app's own background worker sends webhooks only.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::notification::EventType;
use domain::thread::reply_message_id;
use domain::ticket::TicketKey;
use serde_json::{Value, json};
use store::Actor;
use store::thread::{CommentAuthor, NewComment};
use test_support::{CaughtMail, SmtpCatcher};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

const MAIL_FROM: &str = "Acme Support <support@acme.test>";
const MAIL_DOMAIN: &str = "acme.test";
const ARRIVAL: Duration = Duration::from_secs(10);

/// The mail worker's settings, sending through `smtp_url`.
fn mail_worker(smtp_url: &str) -> notify::DeliveryConfig {
    let config = notify::mail::MailConfig {
        smtp_url: smtp_url.to_owned(),
        from: MAIL_FROM.to_owned(),
        reply_secret: JWT_SECRET.as_bytes().to_vec(),
    };
    notify::DeliveryConfig {
        allow_private: true,
        timeout: Duration::from_secs(5),
        mail: Some(notify::mail::Mailer::new(&config, Duration::from_secs(5)).unwrap()),
        ..Default::default()
    }
}

/// A ticket of ACME for `email`; its reference.
async fn ticket_for(app: &TestApp, subject: &str, email: &str) -> Value {
    app.create_ticket(
        &app.admin,
        json!({"subject": subject, "body": "Where is it?", "requester": {"name": "Jane Doe", "email": email}}),
    )
    .await
}

/// A reply by the admin on `reference`, committed with its delivery row (as the API does).
async fn reply(app: &TestApp, reference: &str, body: &str) -> store::thread::Comment {
    let admin = domain::UserId(app.admin_id);
    let new = NewComment::reply(body.to_owned(), CommentAuthor::User(admin), Actor::User(admin), MAIL_DOMAIN);
    app.store.add_comment(app.acme.id, &TicketKey::parse(reference).unwrap(), new).await.unwrap().comment
}

/// The reply's comment as the API shows it (the store's comment serialises as the API's).
async fn comment(app: &TestApp, reference: &str, id: Uuid) -> Value {
    let comment = app.store.comment(app.acme.id, id).await.unwrap();
    assert_eq!(
        comment.ticket_id.0.to_string(),
        app.store.ticket(app.acme.id, &TicketKey::parse(reference).unwrap()).await.unwrap().id.0.to_string()
    );
    serde_json::to_value(comment).unwrap()
}

/// The `ticket.comment_updated` events of ACME about `comment`, oldest first: their delivery.
async fn comment_updates(app: &TestApp, comment: Uuid) -> Vec<Value> {
    app.store
        .events_after(app.acme.id, Uuid::nil(), 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.event_type == EventType::TicketCommentUpdated && e.data["comment"]["id"] == comment.to_string()
        })
        .map(|e| e.data["comment"]["delivery"].clone())
        .collect()
}

fn reply_to_of(mail: &CaughtMail) -> String {
    mail.header("Reply-To").unwrap().to_owned()
}

async fn deliver(app: &TestApp, worker: &notify::DeliveryConfig, at: DateTime<Utc>) -> usize {
    let client = notify::http::client(worker).unwrap();
    notify::run_once_at(&app.store, worker, &client, at).await.unwrap()
}

db_test! {
    async fn a_reply_is_mailed_to_the_requester_threaded_with_a_reply_address(app: TestApp) {
        let catcher = SmtpCatcher::start();
        let worker = mail_worker(&catcher.url());
        let ticket = ticket_for(&app, "Refund for order 1234", "jane@example.com").await;
        let reference = ticket["reference"].as_str().unwrap().to_owned();
        let ticket_id = Uuid::parse_str(ticket["id"].as_str().unwrap()).unwrap();

        let first = reply(&app, &reference, "Hello Jane,\n\nthe refund is on its way.").await;
        assert_eq!(comment(&app, &reference, first.id).await["delivery"]["status"], "queued");
        assert_eq!(deliver(&app, &worker, domain::time::now()).await, 1);
        let mails = catcher.wait_for(1, ARRIVAL).await;
        let mail = &mails[0];
        assert_eq!(mail.rcpt_tos, ["jane@example.com"]);
        assert_eq!(mail.header("To"), Some("Jane Doe <jane@example.com>"));
        assert_eq!(mail.header("From"), Some(MAIL_FROM));
        assert_eq!(mail.header("Subject"), Some(format!("[{reference}] Refund for order 1234").as_str()));
        let first_id = reply_message_id(first.id, MAIL_DOMAIN);
        assert_eq!(mail.header("Message-ID"), Some(first_id.as_str()));
        assert_eq!((mail.header("In-Reply-To"), mail.header("References")), (None, None), "the thread's first mail");
        let token = domain::mail::reply_token(JWT_SECRET.as_bytes(), ticket_id);
        assert_eq!(reply_to_of(mail), format!("Acme Support <support+{reference}.{token}@acme.test>"));
        let parsed = domain::mail::parse_reply_address(
            reply_to_of(mail).split('<').nth(1).unwrap().trim_end_matches('>'),
            "support@acme.test",
        )
        .unwrap();
        assert_eq!(parsed.reference, reference);
        assert!(domain::mail::reply_token_matches(JWT_SECRET.as_bytes(), ticket_id, &parsed.token));
        let text = mail.text.as_deref().unwrap();
        assert!(text.starts_with("Hello Jane,\n\nthe refund is on its way."), "{text}");
        assert!(text.contains(&format!("add to ticket {reference}")), "the footer: {text}");
        assert!(mail.html.as_deref().unwrap().contains("the refund is on its way."));
        assert_eq!(mail.header("Auto-Submitted"), None, "a person wrote it");

        let shown = comment(&app, &reference, first.id).await;
        assert_eq!(shown["delivery"]["status"], "sent", "{shown}");
        assert_eq!(shown["delivery"]["attempts"], 1);
        assert!(shown["delivery"]["sent_at"].is_string() && shown["delivery"]["last_error"].is_null());
        let updates = comment_updates(&app, first.id).await;
        assert_eq!(updates.len(), 1, "one ticket.comment_updated per change: {updates:?}");
        assert_eq!(updates[0]["status"], "sent");

        // The second reply answers the first: Re:, In-Reply-To, References.
        let second = reply(&app, &reference, "One more thing.").await;
        assert_eq!(deliver(&app, &worker, domain::time::now()).await, 1);
        let mails = catcher.wait_for(2, ARRIVAL).await;
        let mail = &mails[1];
        assert_eq!(mail.header("Subject"), Some(format!("Re: [{reference}] Refund for order 1234").as_str()));
        assert_eq!(mail.header("Message-ID"), Some(reply_message_id(second.id, MAIL_DOMAIN).as_str()));
        assert_eq!(mail.header("In-Reply-To"), Some(first_id.as_str()));
        assert_eq!(mail.header("References"), Some(first_id.as_str()));
        assert_eq!(reply_to_of(mail), reply_to_of(&mails[0]), "one reply address per ticket");

        // Notes are never mailed; nothing else is due.
        let admin = domain::UserId(app.admin_id);
        let note = NewComment::new(domain::thread::CommentKind::Note, "internal".into(), CommentAuthor::User(admin), Actor::User(admin));
        app.store.add_comment(app.acme.id, &TicketKey::parse(&reference).unwrap(), note).await.unwrap();
        assert_eq!(deliver(&app, &worker, domain::time::now()).await, 0);
        assert_eq!(catcher.messages().len(), 2);
    }
}

db_test! {
    async fn a_mail_server_that_is_down_gets_the_reply_once_it_is_back(app: TestApp) {
        let mut catcher = SmtpCatcher::start();
        let worker = mail_worker(&catcher.url());
        let ticket = ticket_for(&app, "Parcel", "jane@example.com").await;
        let reference = ticket["reference"].as_str().unwrap().to_owned();
        let queued = reply(&app, &reference, "It ships today.").await;
        catcher.pause();

        let now = domain::time::now();
        assert_eq!(deliver(&app, &worker, now).await, 1);
        let shown = comment(&app, &reference, queued.id).await;
        assert_eq!(shown["delivery"]["status"], "queued", "still queued while retried: {shown}");
        assert_eq!(shown["delivery"]["attempts"], 1);
        assert!(shown["delivery"]["last_error"].as_str().unwrap().contains("mail server"), "{shown}");
        // Not due again before its backoff (about 2 s) …
        assert_eq!(deliver(&app, &worker, now).await, 0);
        // … and retried after it, still failing while the server is down.
        assert_eq!(deliver(&app, &worker, now + chrono::Duration::minutes(1)).await, 1);
        assert_eq!(comment(&app, &reference, queued.id).await["delivery"]["attempts"], 2);

        catcher.resume();
        assert_eq!(deliver(&app, &worker, now + chrono::Duration::hours(1)).await, 1);
        let mails = catcher.wait_for(1, ARRIVAL).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].header("Message-ID"), Some(reply_message_id(queued.id, MAIL_DOMAIN).as_str()));
        let shown = comment(&app, &reference, queued.id).await;
        assert_eq!((shown["delivery"]["status"].clone(), shown["delivery"]["attempts"].clone()), (json!("sent"), json!(3)));
        let states: Vec<Value> = comment_updates(&app, queued.id).await.iter().map(|d| d["status"].clone()).collect();
        assert_eq!(states, [json!("queued"), json!("queued"), json!("sent")], "each change announced");
    }
}

db_test! {
    async fn a_permanent_refusal_fails_at_once_and_retries_end_after_24_hours(app: TestApp) {
        let catcher = SmtpCatcher::start();
        let worker = mail_worker(&catcher.url());
        let rejected = ticket_for(&app, "Unknown mailbox", "reject-me@example.com").await;
        let rejected_ref = rejected["reference"].as_str().unwrap().to_owned();
        let refused = reply(&app, &rejected_ref, "This address does not exist.").await;
        let now = domain::time::now();
        assert_eq!(deliver(&app, &worker, now).await, 1);
        let shown = comment(&app, &rejected_ref, refused.id).await;
        assert_eq!(shown["delivery"]["status"], "failed", "a 5xx is not retried: {shown}");
        assert!(shown["delivery"]["last_error"].as_str().unwrap().contains("550"), "{shown}");
        assert_eq!(comment_updates(&app, refused.id).await.last().unwrap()["status"], "failed");

        // A temporary refusal (451) is retried, until 24 hours after the reply.
        let later = ticket_for(&app, "Greylisted", "tempfail-me@example.com").await;
        let later_ref = later["reference"].as_str().unwrap().to_owned();
        let retried = reply(&app, &later_ref, "Try again.").await;
        let now = domain::time::now();
        assert_eq!(deliver(&app, &worker, now).await, 1);
        let shown = comment(&app, &later_ref, retried.id).await;
        assert_eq!(shown["delivery"]["status"], "queued", "{shown}");
        assert!(shown["delivery"]["last_error"].as_str().unwrap().contains("451"), "{shown}");
        assert_eq!(deliver(&app, &worker, now + chrono::Duration::hours(25)).await, 1);
        let shown = comment(&app, &later_ref, retried.id).await;
        assert_eq!(shown["delivery"]["status"], "failed", "given up after 24 h: {shown}");
        assert_eq!(catcher.messages().len(), 0);
    }
}

db_test! {
    async fn email_channels_get_auto_submitted_pings(app: TestApp) {
        let catcher = SmtpCatcher::start();
        let worker = mail_worker(&catcher.url());
        let r = app
            .post(
                "/api/v1/notification-channels",
                &app.admin,
                json!({"kind": "email", "address": "team@acme.test", "events": ["ticket.created", "lead.created"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let channel = r.body;
        // Not sent by the app's own worker, which has no mail transport.
        let ticket = ticket_for(&app, "Printer on fire", "jane@example.com").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(catcher.messages().is_empty());
        let deliveries = app.get(&format!("/api/v1/notification-channels/{}/deliveries", channel["id"].as_str().unwrap()), &app.admin).await;
        let rows = deliveries.body["data"].as_array().unwrap().clone();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0]["status"].clone(), rows[0]["target"].clone()), (json!("pending"), json!("team@acme.test")));

        assert_eq!(deliver(&app, &worker, domain::time::now()).await, 1);
        let mails = catcher.wait_for(1, ARRIVAL).await;
        let ping = &mails[0];
        let reference = ticket["reference"].as_str().unwrap();
        assert_eq!(ping.rcpt_tos, ["team@acme.test"]);
        assert_eq!(ping.header("Auto-Submitted"), Some("auto-generated"));
        let subject = ping.header("Subject").unwrap();
        assert!(subject.starts_with(&format!("New ticket {reference} ")) && subject.ends_with(": Printer on fire"), "{subject}");
        let text = ping.text.as_deref().unwrap();
        assert!(text.contains(&format!("Ticket: {reference}")) && text.contains("Requester: Jane Doe <jane@example.com>"), "{text}");
        assert!(ping.header("Message-ID").unwrap().ends_with("@acme.test>"));

        let lead = app.token(&[domain::auth::Scope::ConversationsWrite]).await;
        let r = app.post("/api/v1/leads/events", &lead, json!({"name": "Jo", "email": "jo@example.com", "summary": "Wants a demo"})).await;
        assert_eq!(r.status, 202, "{}", r.text);
        assert_eq!(deliver(&app, &worker, domain::time::now()).await, 1);
        let mails = catcher.wait_for(2, ARRIVAL).await;
        assert_eq!(mails[1].header("Subject"), Some("New lead: Jo, jo@example.com — Wants a demo"));
        assert_eq!(mails[1].header("Auto-Submitted"), Some("auto-generated"));
        let rows = app.get(&format!("/api/v1/notification-channels/{}/deliveries", channel["id"].as_str().unwrap()), &app.admin).await.body["data"].clone();
        assert!(rows.as_array().unwrap().iter().all(|d| d["status"] == "delivered" && d["last_status_code"] == 250), "{rows}");
    }
}
