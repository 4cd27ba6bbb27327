//! `POST /api/v1/inbound/email`: threading by Message-ID, reply token and subject reference;
//! new tickets; duplicates; ignored mail; workspace isolation; the status effects of a
//! customer mail; trimming and charsets end to end; and the negative inputs the fuzzing pass
//! cannot generate (garbage, oversized, headers only, no From, wrong content type, wrong
//! caller).

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure message

use domain::auth::Scope;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

/// The stand-ins of the reply fixtures (crates/mail/tests/fixtures/README.md).
const FIXTURE_REFERENCE: &str = "ACME-12";
const FIXTURE_TOKEN: &str = "K3J5Q2XWZA";
const FIXTURE_REPLY_ID: &str = "0194a3f2-7b1c-7d2e-9f10-aa11bb22cc33@acme.test";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/../mail/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    // The fixtures are 8-bit clean apart from their declared charsets: read them as bytes.
    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).into_owned()
}

/// A reply fixture pointed at a real ticket: its reference, its reply token and (when
/// given) a Message-ID of its thread.
pub fn reply_fixture(name: &str, reference: &str, ticket_id: &str, reply_id: Option<&str>) -> String {
    let token = domain::mail::reply_token(JWT_SECRET.as_bytes(), Uuid::parse_str(ticket_id).unwrap());
    let raw = fixture(name).replace(FIXTURE_REFERENCE, reference).replace(FIXTURE_TOKEN, &token);
    match reply_id {
        Some(id) => raw.replace(FIXTURE_REPLY_ID, id.trim_start_matches('<').trim_end_matches('>')),
        None => raw.replace(&format!("<{FIXTURE_REPLY_ID}>"), "<unknown-thread@elsewhere.example>"),
    }
}

/// A small plain mail.
pub fn plain_mail(from: &str, subject: &str, message_id: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@acme.test\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n\
         Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

/// A fresh Message-ID.
pub fn new_id() -> String {
    format!("<{}@mail.example>", Uuid::new_v4())
}

impl TestApp {
    /// Posts a raw message as `token`, optionally with `?recipient=`.
    pub async fn mail_as(
        &self,
        token: &str,
        raw: impl Into<reqwest::Body>,
        recipient: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}/api/v1/inbound/email", self.address))
            .bearer_auth(token)
            .header("content-type", "message/rfc822")
            .body(raw);
        if let Some(recipient) = recipient {
            req = req.query(&[("recipient", recipient)]);
        }
        Self::read(req.send().await.expect("request")).await
    }

    /// An `inbound:write` token of ACME.
    pub async fn inbound_token(&self) -> String {
        self.token(&[Scope::InboundWrite]).await
    }

    /// Posts and expects 201; returns the answer.
    pub async fn mail_accepted(&self, token: &str, raw: &str, recipient: Option<&str>) -> Value {
        let r = self.mail_as(token, raw.to_owned(), recipient).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["reference"], r.body["ticket"]["reference"], "{}", r.text);
        r.body
    }

    /// Posts and expects 202 with this reason.
    pub async fn mail_ignored(&self, token: &str, raw: &str, reason: &str) {
        let r = self.mail_as(token, raw.to_owned(), None).await;
        assert_eq!((r.status.as_u16(), &r.body), (202, &json!({"ignored": reason})), "{}", r.text);
    }

    /// The thread of an ACME ticket, oldest first, as the API serialises comments (read from
    /// the store: the comments endpoints are t12-core's).
    pub async fn comments(&self, reference: &str) -> Vec<Value> {
        let key = domain::ticket::TicketKey::parse(reference).unwrap();
        let query = domain::thread::CommentListQuery { per_page: 100, cursor: None };
        let page = self.store.comments(self.acme.id, &key, &query).await.unwrap();
        page.comments.iter().map(|c| serde_json::to_value(c).unwrap()).collect()
    }

    /// How many tickets ACME has (all statuses).
    pub async fn ticket_count(&self, token: &str) -> i64 {
        let r = self.get("/api/v1/tickets?status=open,pending,resolved,closed&per_page=1", token).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["meta"]["total"].as_i64().unwrap()
    }

    /// A ticket of ACME whose requester is `email`.
    pub async fn ticket_for(&self, email: &str) -> Value {
        self.create_ticket(
            &self.admin,
            json!({"subject": "Cannot sign in", "body": "Since this morning.", "requester": {"name": "Anna Schmidt", "email": email}}),
        )
        .await
    }
}

/// Posts `body` with `Transfer-Encoding: chunked` (no Content-Length: the server learns the
/// size only while reading), over a plain socket; the status and the response text.
async fn post_chunked(app: &TestApp, token: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /api/v1/inbound/email HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: message/rfc822\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(64 * 1024) {
        // The server may answer and close before everything is sent.
        if socket.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.is_err()
            || socket.write_all(chunk).await.is_err()
            || socket.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

db_test! {
    async fn a_new_mail_opens_a_ticket_with_the_requester_and_a_customer_comment(app: TestApp) {
        let token = app.inbound_token().await;
        let raw = fixture("multipart_alternative.eml");
        let r = app.mail_accepted(&token, &raw, None).await;
        assert_eq!(r["created_ticket"], true);
        let ticket = &r["ticket"];
        assert_eq!(ticket["subject"], "Invoice for order #5521 shows the wrong amount");
        assert_eq!(ticket["status"], "open");
        assert_eq!(ticket["metadata"]["source"], "email");
        assert_eq!(ticket["metadata"]["message_id"], "<0b6f7c1e-3d0a-4b8e-9f3a-2c1d5e7f9a10@example.org>");
        assert_eq!(ticket["requester"], json!({"name": "Anna Schmidt", "email": "anna.schmidt@example.org"}));
        assert!(s(&ticket["body"]).starts_with("Hello,\n\nsince this morning the invoice PDF for order #5521 shows 0,00 €"), "{ticket}");

        let comments = app.comments(s(&r["reference"])).await;
        assert_eq!(comments.len(), 1, "{comments:?}");
        let c = &comments[0];
        assert_eq!(c["id"], r["comment_id"]);
        assert_eq!(c["kind"], "customer");
        assert_eq!(c["author"], json!({"type": "requester", "id": null, "name": "Anna Schmidt", "email": "anna.schmidt@example.org"}));
        assert_eq!(c["body"], ticket["body"]);
        assert_eq!(c["delivery"], Value::Null);

        // The activity log says who handed it in (the token).
        let events = app.get(&format!("/api/v1/tickets/{}/events", s(&r["reference"])), &app.admin).await;
        assert_eq!(events.status, 200, "{}", events.text);
        assert_eq!(events.body["data"][0]["kind"], "created", "{}", events.text);
    }
}

db_test! {
    async fn subject_and_body_are_cut_and_an_empty_subject_gets_a_placeholder(app: TestApp) {
        let token = app.inbound_token().await;
        let long = plain_mail("a@x.example", &"S".repeat(300), &new_id(), "", &"word ".repeat(5000));
        let r = app.mail_accepted(&token, &long, None).await;
        assert_eq!(s(&r["ticket"]["subject"]).chars().count(), 120);
        assert!(s(&r["ticket"]["body"]).chars().count() <= 20_000);
        assert!(s(&r["ticket"]["body"]).ends_with('…'));

        let raw = format!("From: b@x.example\r\nMessage-ID: {}\r\n\r\nNo subject line at all.\r\n", new_id());
        let r = app.mail_accepted(&token, &raw, None).await;
        assert_eq!(r["ticket"]["subject"], "(no subject)");
        assert_eq!(r["ticket"]["body"], "No subject line at all.");
        assert_eq!(r["ticket"]["requester"], json!({"name": null, "email": "b@x.example"}));
    }
}

db_test! {
    async fn in_reply_to_or_references_thread_onto_the_ticket(app: TestApp) {
        let token = app.inbound_token().await;
        let first_id = new_id();
        let first = app.mail_accepted(&token, &plain_mail("anna@x.example", "Printer on fire", &first_id, "", "Help!"), None).await;
        let reference = s(&first["reference"]).to_owned();

        // In-Reply-To, from someone else (a colleague in Cc answering): threads all the same.
        let headers = format!("In-Reply-To: {first_id}\r\nReferences: {first_id}\r\n");
        let second = app.mail_accepted(&token, &plain_mail("bob@x.example", "Re: Printer on fire", &new_id(), &headers, "It is out now."), None).await;
        assert_eq!((second["reference"].as_str(), second["created_ticket"].as_bool()), (Some(reference.as_str()), Some(false)));

        // Only in References, behind an id nobody knows.
        let headers = format!("References: {first_id} <unknown@elsewhere.example>\r\n");
        let third = app.mail_accepted(&token, &plain_mail("anna@x.example", "Again", &new_id(), &headers, "Thanks."), None).await;
        assert_eq!(third["reference"], reference.as_str());
        assert_eq!(third["created_ticket"], false);

        let comments = app.comments(&reference).await;
        let bodies: Vec<&str> = comments.iter().map(|c| s(&c["body"])).collect();
        assert_eq!(bodies, ["Help!", "It is out now.", "Thanks."]);
        assert_eq!(comments[1]["author"]["email"], "bob@x.example");
        assert_eq!(app.ticket_count(&app.admin).await, 1);
    }
}

db_test! {
    async fn the_reply_token_threads_from_recipient_delivered_to_to_or_cc(app: TestApp) {
        let token = app.inbound_token().await;
        let ticket = app.ticket_for("anna@x.example").await;
        let (reference, id) = (s(&ticket["reference"]), s(&ticket["id"]));
        let reply_token = domain::mail::reply_token(JWT_SECRET.as_bytes(), Uuid::parse_str(id).unwrap());
        let address = format!("support+{reference}.{reply_token}@acme.test");
        // Lower-cased by an MTA: still the ticket's.
        let lower = address.to_lowercase();
        // No sender check: the token is the proof (a forwarded mail from another address).
        let cases = [
            ("envelope recipient", String::new(), Some(address.as_str())),
            ("Delivered-To", format!("Delivered-To: {lower}\r\n"), None),
            ("To", format!("To: Support <{address}>\r\n"), None),
            ("Cc", format!("Cc: someone@else.example, {address}\r\n"), None),
        ];
        for (place, header, recipient) in cases {
            let raw = plain_mail("colleague@x.example", "no reference here", &new_id(), &header, place);
            let r = app.mail_accepted(&token, &raw, recipient).await;
            assert_eq!((r["reference"].as_str(), r["created_ticket"].as_bool()), (Some(reference), Some(false)), "{place}");
        }
        let bodies: Vec<String> = app.comments(reference).await.iter().map(|c| s(&c["body"]).to_owned()).collect();
        assert_eq!(bodies, ["envelope recipient", "Delivered-To", "To", "Cc"]);

        // A wrong token (or another ticket's) threads nowhere: a new ticket.
        let other = app.ticket("Another").await;
        let other_token = domain::mail::reply_token(JWT_SECRET.as_bytes(), Uuid::parse_str(s(&other["id"])).unwrap());
        for bad in [format!("support+{reference}.AAAAAAAAAA@acme.test"), format!("support+{reference}.{other_token}@acme.test")] {
            let raw = plain_mail("colleague@x.example", "no reference here", &new_id(), "", "wrong token");
            let r = app.mail_accepted(&token, &raw, Some(&bad)).await;
            assert_eq!(r["created_ticket"], true, "{bad}");
            assert_ne!(r["reference"], reference);
        }
    }
}

db_test! {
    async fn a_subject_reference_threads_only_from_the_requester(app: TestApp) {
        let token = app.inbound_token().await;
        let ticket = app.ticket_for("anna@x.example").await;
        let reference = s(&ticket["reference"]);
        let subject = format!("Re: [{reference}] Cannot sign in");

        let r = app.mail_accepted(&token, &plain_mail("Anna <ANNA@x.example>", &subject, &new_id(), "", "from Anna"), None).await;
        assert_eq!((r["reference"].as_str(), r["created_ticket"].as_bool()), (Some(reference), Some(false)));

        // Anyone else naming the ticket opens a new one (a guessable reference is no proof).
        let r = app.mail_accepted(&token, &plain_mail("mallory@evil.example", &subject, &new_id(), "", "let me in"), None).await;
        assert_eq!(r["created_ticket"], true);
        assert_ne!(r["reference"], reference);
        assert_eq!(r["ticket"]["subject"], subject.as_str());

        let bodies: Vec<String> = app.comments(reference).await.iter().map(|c| s(&c["body"]).to_owned()).collect();
        assert_eq!(bodies, ["from Anna"]);
    }
}

db_test! {
    async fn the_same_message_id_is_taken_once_even_concurrently(app: TestApp) {
        let token = app.inbound_token().await;
        let raw = fixture("iso_8859_1.eml");
        app.mail_accepted(&token, &raw, None).await;
        app.mail_ignored(&token, &raw, "duplicate").await;

        // Five deliveries of one message at once: one ticket, the others duplicates.
        let raw = plain_mail("c@x.example", "Race", &new_id(), "", "once");
        let answers = futures_util::future::join_all((0..5).map(|_| app.mail_as(&token, raw.clone(), None))).await;
        let mut statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 202, 202, 202, 202], "{:?}", answers.iter().map(|r| &r.text).collect::<Vec<_>>());
        for r in answers.iter().filter(|r| r.status == 202) {
            assert_eq!(r.body, json!({"ignored": "duplicate"}));
        }
        assert_eq!(app.ticket_count(&app.admin).await, 2);

        // A duplicate of a mail that threaded onto a ticket adds nothing either.
        let first = app.mail_accepted(&token, &plain_mail("d@x.example", "Thread", &new_id(), "", "first"), None).await;
        let first_id = first["ticket"]["metadata"]["message_id"].as_str().unwrap().to_owned();
        let reply = plain_mail("d@x.example", "Re: Thread", &new_id(), &format!("In-Reply-To: {first_id}\r\n"), "second");
        app.mail_accepted(&token, &reply, None).await;
        app.mail_ignored(&token, &reply, "duplicate").await;
        assert_eq!(app.comments(s(&first["reference"])).await.len(), 2);
    }
}

db_test! {
    async fn auto_replies_bulk_and_bounces_are_ignored_and_change_nothing(app: TestApp) {
        let token = app.inbound_token().await;
        let ticket = app.ticket_for("bob.carter@contoso.example").await;
        let id = s(&ticket["id"]).to_owned();
        let reference = s(&ticket["reference"]).to_owned();
        // The auto-reply names the ticket every way it can: still ignored (no mail loops).
        let auto = reply_fixture("auto_reply.eml", &reference, &id, None);
        app.mail_ignored(&token, &auto, "auto_submitted").await;
        app.mail_ignored(&token, &fixture("bulk.eml"), "bulk").await;
        app.mail_ignored(&token, &fixture("bounce.eml"), "bounce").await;
        assert_eq!(app.ticket_count(&app.admin).await, 1);
        assert!(app.comments(&reference).await.is_empty());
        // Ignoring is not remembering: the same auto-reply again is ignored as such.
        app.mail_ignored(&token, &auto, "auto_submitted").await;
    }
}

db_test! {
    async fn mail_never_crosses_workspaces(app: TestApp) {
        let acme_token = app.inbound_token().await;
        let other_token = app.other_token(&[Scope::InboundWrite]).await;
        let other_reader = app.other_token(&[Scope::TicketsRead]).await;
        let ticket = app.ticket_for("anna@x.example").await;
        let (reference, id) = (s(&ticket["reference"]).to_owned(), s(&ticket["id"]).to_owned());
        let first_id = new_id();
        let first = plain_mail("anna@x.example", &format!("Re: [{reference}] x"), &first_id, "", "to ACME");
        app.mail_accepted(&acme_token, &first, None).await;

        // OTHER receives mail that names ACME's ticket by Message-ID, reply token and
        // subject reference (from its requester): each opens a ticket of OTHER's own.
        let token = domain::mail::reply_token(JWT_SECRET.as_bytes(), Uuid::parse_str(&id).unwrap());
        let address = format!("support+{reference}.{token}@acme.test");
        let mails = [
            plain_mail("anna@x.example", "a", &new_id(), &format!("In-Reply-To: {first_id}\r\n"), "by id"),
            plain_mail("anna@x.example", "b", &new_id(), &format!("Delivered-To: {address}\r\n"), "by token"),
            plain_mail("anna@x.example", &format!("[{reference}] c"), &new_id(), "", "by subject"),
        ];
        for raw in &mails {
            let r = app.mail_accepted(&other_token, raw, None).await;
            assert_eq!(r["created_ticket"], true, "{}", r);
            assert!(s(&r["reference"]).starts_with("OTHER-"), "{r}");
        }
        // The same Message-ID in another workspace is not a duplicate there.
        let r = app.mail_accepted(&other_token, &first, None).await;
        assert!(s(&r["reference"]).starts_with("OTHER-"), "{r}");

        assert_eq!(app.comments(&reference).await.len(), 1);
        assert_eq!(app.ticket_count(&app.admin).await, 1);
        assert_eq!(app.ticket_count(&other_reader).await, 4);
    }
}

db_test! {
    async fn a_mail_reopens_a_resolved_ticket_and_follows_up_a_closed_one(app: TestApp) {
        let token = app.inbound_token().await;
        let ticket = app.ticket_for("anna@x.example").await;
        let reference = s(&ticket["reference"]).to_owned();
        let subject = format!("Re: [{reference}] Cannot sign in");
        let r = app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "resolved"})).await;
        assert_eq!(r.status, 200, "{}", r.text);

        let r = app.mail_accepted(&token, &plain_mail("anna@x.example", &subject, &new_id(), "", "Broken again."), None).await;
        assert_eq!((r["reference"].as_str(), r["created_ticket"].as_bool()), (Some(reference.as_str()), Some(false)));
        assert_eq!(r["ticket"]["status"], "open", "{r}");
        assert_eq!(r["ticket"]["resolved_at"], Value::Null);

        let r = app.patch(&format!("/api/v1/tickets/{reference}"), &app.admin, json!({"status": "closed"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.mail_accepted(&token, &plain_mail("anna@x.example", &subject, &new_id(), "", "And again!"), None).await;
        assert_eq!(r["created_ticket"], true);
        assert_ne!(r["reference"], reference.as_str());
        assert_eq!(r["ticket"]["metadata"]["follow_up_of"], reference.as_str());
        assert_eq!(r["ticket"]["body"], "And again!");
        let old = app.get(&format!("/api/v1/tickets/{reference}"), &app.admin).await;
        assert_eq!(old.body["status"], "closed");
        let follow_up = app.comments(s(&r["reference"])).await;
        assert_eq!(follow_up.len(), 1);
        assert_eq!(follow_up[0]["id"], r["comment_id"]);
    }
}

db_test! {
    async fn quoted_history_is_trimmed_and_charsets_decoded_end_to_end(app: TestApp) {
        let token = app.inbound_token().await;
        let ticket = app.ticket_for("anna.schmidt@example.org").await;
        let (reference, id) = (s(&ticket["reference"]).to_owned(), s(&ticket["id"]).to_owned());

        // Gmail and Outlook replies by reply token (their In-Reply-To names no known mail).
        let gmail = app.mail_accepted(&token, &reply_fixture("gmail_quote.eml", &reference, &id, None), None).await;
        assert_eq!(gmail["reference"], reference.as_str());
        let outlook = app.mail_accepted(&token, &reply_fixture("outlook_quote.eml", &reference, &id, None), None).await;
        assert_eq!(outlook["reference"], reference.as_str());
        let thread = app.comments(&reference).await;
        assert_eq!(thread[0]["body"], "Yes, that fixed it. Thank you!\n\nAnna");
        assert_eq!(
            thread[1]["body"],
            "The new password works, but the app still says \"session expired\" after a minute.\n\nRegards\nBob Carter\nIT Operations, Contoso Ltd."
        );
        assert_eq!(thread[1]["author"]["name"], "Bob Carter");

        let cases = [
            ("iso_8859_1.eml", "Rückerstattung für Bestellung #5521", "Mit freundlichen Grüßen\nJörg Müller", "Jörg Müller"),
            ("utf8_base64.eml", "Заказ №8812 не пришёл — помогите", "Спасибо,\nОльга", "Ольга Смирнова"),
            ("html_only.eml", "Export button does nothing", "Kind regards,\nMarco Rossi\nRossi & Figli S.r.l.", "Marco Rossi"),
            ("attachment.eml", "Wrong VAT on invoice INV-2026-1187", "Attachments (not stored):\n- INV-2026-1187.pdf (2.8 KB)\n- 账户.png (70 bytes)", "Li Wei"),
        ];
        for (file, subject, body_end, name) in cases {
            let r = app.mail_accepted(&token, &fixture(file), None).await;
            assert_eq!(r["ticket"]["subject"], subject, "{file}");
            assert!(s(&r["ticket"]["body"]).ends_with(body_end), "{file}: {}", r["ticket"]["body"]);
            assert_eq!(r["ticket"]["requester"]["name"], name, "{file}");
            let comment = &app.comments(s(&r["reference"])).await[0];
            assert_eq!(comment["body"], r["ticket"]["body"], "{file}");
        }
    }
}

db_test! {
    async fn bad_messages_and_callers_get_clear_errors_and_change_nothing(app: TestApp) {
        let token = app.inbound_token().await;
        let cases: [(&str, Vec<u8>); 6] = [
            ("garbage", b"\x89PNG\r\n\x1a\n this is not an e-mail".to_vec()),
            ("text without headers", b"Hello, I need help with my order.\n\nThanks".to_vec()),
            ("empty", Vec::new()),
            ("headers only", b"From: anna@x.example\r\nSubject: cut off\r\n".to_vec()),
            ("no From", b"To: support@acme.test\r\nSubject: who am I\r\n\r\nhello\r\n".to_vec()),
            ("From without an address", b"From: Anna Schmidt\r\nSubject: hi\r\n\r\nhello\r\n".to_vec()),
        ];
        for (what, raw) in cases {
            let r = app.mail_as(&token, raw, None).await;
            assert_eq!(r.status, 422, "{what}: {}", r.text);
            assert_eq!(r.assert_problem(422), ["message"], "{what}");
            assert!(!s(&r.body["errors"]["message"][0]).is_empty(), "{what}");
        }

        // Over 10 MiB: 413, announced or streamed.
        let big = plain_mail("a@x.example", "big", &new_id(), "", &"x".repeat(10 * 1024 * 1024));
        let r = app.mail_as(&token, big.clone(), None).await;
        assert_eq!(r.status, 413, "{}", r.text);
        r.assert_problem(413);
        let (status, text) = post_chunked(&app, &token, big.as_bytes()).await;
        assert_eq!(status, 413, "{text}");

        // Not message/rfc822: 415.
        let raw = fixture("multipart_alternative.eml");
        for content_type in [Some("application/json"), Some("text/plain"), None] {
            let mut req = app.client.post(format!("{}/api/v1/inbound/email", app.address)).bearer_auth(&token).body(raw.clone());
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let r = TestApp::read(req.send().await.unwrap()).await;
            assert_eq!(r.status, 415, "{content_type:?}: {}", r.text);
            r.assert_problem(415);
            assert!(s(&r.body["detail"]).contains("message/rfc822"), "{}", r.text);
        }
        // With parameters it is fine.
        let req = app.client.post(format!("{}/api/v1/inbound/email", app.address)).bearer_auth(&token)
            .header("content-type", "Message/RFC822; charset=utf-8").body(raw.clone());
        assert_eq!(TestApp::read(req.send().await.unwrap()).await.status, 201);

        // Tokens with `inbound:write` only: users (admins too) and other scopes get 403.
        for (who, caller) in [("admin", app.admin.clone()), ("operator", app.operator.clone()), ("tickets:write", app.token(&[Scope::TicketsWrite]).await)] {
            let r = app.mail_as(&caller, fixture("html_only.eml"), None).await;
            assert_eq!(r.status, 403, "{who}: {}", r.text);
            r.assert_problem(403);
        }
        let admin_token = app.token(&[Scope::Admin]).await;
        assert_eq!(app.mail_as(&admin_token, fixture("html_only.eml"), None).await.status, 201);
        let r = app.request(Method::POST, "/api/v1/inbound/email", None, None).await;
        assert_eq!(r.status, 401, "{}", r.text);

        // Only the two accepted mails made tickets.
        assert_eq!(app.ticket_count(&app.admin).await, 2);
    }
}
