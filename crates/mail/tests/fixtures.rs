//! Real-world messages (tests/fixtures/*.eml) through `mail::parse`, one row each: what the
//! service takes from them, or why it ignores them.

use domain::inbound::IgnoredReason;
use mail::{Attachment, InboundMail, Parsed, Sender};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn mail(name: &str) -> InboundMail {
    match mail::parse(&fixture(name)) {
        Ok(Parsed::Mail(mail)) => *mail,
        other => panic!("{name}: {other:?}"),
    }
}

/// What each accepted fixture must give: sender, subject, Message-ID, thread ids, the
/// first recipients, and text that must / must not be in the body.
struct Expect {
    file: &'static str,
    from: (Option<&'static str>, &'static str),
    subject: &'static str,
    message_id: &'static str,
    thread_ids: &'static [&'static str],
    recipients: &'static [&'static str],
    body_has: &'static [&'static str],
    body_lacks: &'static [&'static str],
}

const REPLY_ID: &str = "<0194a3f2-7b1c-7d2e-9f10-aa11bb22cc33@acme.test>";
const REPLY_ADDRESS: &str = "support+acme-12.k3j5q2xwza@acme.test";

#[test]
fn accepted_fixtures() {
    let rows = [
        Expect {
            file: "multipart_alternative.eml",
            from: (Some("Anna Schmidt"), "anna.schmidt@example.org"),
            subject: "Invoice for order #5521 shows the wrong amount",
            message_id: "<0b6f7c1e-3d0a-4b8e-9f3a-2c1d5e7f9a10@example.org>",
            thread_ids: &[],
            recipients: &["support@acme.test"],
            // The plain part is taken (not the HTML one): no tags, the euro sign decoded.
            body_has: &[
                "Hello,\n\nsince this morning the invoice PDF for order #5521 shows 0,00 €",
                "Thanks,\nAnna Schmidt",
            ],
            body_lacks: &["<p>", "&nbsp;", "=E2=82=AC"],
        },
        Expect {
            file: "iso_8859_1.eml",
            from: (Some("Jörg Müller"), "joerg.mueller@example.de"),
            subject: "Rückerstattung für Bestellung #5521",
            message_id: "<20261203092009.4711@example.de>",
            thread_ids: &[],
            recipients: &["support@acme.test"],
            body_has: &["den doppelten Betrag von 49,90 EUR zurück.", "Mit freundlichen Grüßen\nJörg Müller"],
            body_lacks: &["=FC", "\u{fffd}"],
        },
        Expect {
            file: "utf8_base64.eml",
            from: (Some("Ольга Смирнова"), "olga.smirnova@example.ru"),
            subject: "Заказ №8812 не пришёл — помогите",
            message_id: "<1764750698.381920@example.ru>",
            thread_ids: &[],
            recipients: &["support@acme.test"],
            body_has: &[
                "Здравствуйте!\n\nЯ заказала чайник 28 ноября (заказ №8812)",
                "«доставлено»",
                "Спасибо,\nОльга",
            ],
            body_lacks: &["0JfQ"],
        },
        Expect {
            file: "html_only.eml",
            from: (Some("Marco Rossi"), "marco@rossi-figli.example"),
            subject: "Export button does nothing",
            message_id: "<CAF=ZxQ0r9Lr8m1XW3@webmail.example>",
            thread_ids: &[],
            recipients: &["support@acme.test"],
            body_has: &["Hi team,", "export button", "Firefox 133", "Rossi & Figli S.r.l."],
            body_lacks: &["<p>", "<b>", "margin: 0", "&amp;"],
        },
        Expect {
            file: "outlook_quote.eml",
            from: (Some("Bob Carter"), "bob.carter@contoso.example"),
            subject: "RE: [ACME-12] Cannot sign in",
            message_id: "<AM9PR03MB7201C3E1F0A5B2D4E6C8A9B1C2D3@AM9PR03MB7201.eurprd03.prod.outlook.example>",
            thread_ids: &[REPLY_ID],
            recipients: &[REPLY_ADDRESS],
            body_has: &[
                "The new password works, but the app still says \"session expired\" after a minute.",
                "Regards\nBob Carter\nIT Operations, Contoso Ltd.",
            ],
            body_lacks: &[
                "________",
                "From: Acme Support",
                "Sent:",
                "we have reset your password",
                "adds to ticket",
            ],
        },
        Expect {
            file: "gmail_quote.eml",
            from: (Some("Anna Schmidt"), "anna.schmidt@example.org"),
            subject: "Re: [ACME-12] Invoice for order #5521 shows the wrong amount",
            message_id: "<CAKq9+Ys3dVb7nQ0pX1m=Zr8T5fL2wHc4uJ6eGk9aB0cD1eF2gH@mail.gmail.example>",
            thread_ids: &[REPLY_ID],
            recipients: &[REPLY_ADDRESS],
            body_has: &["Yes, that fixed it. Thank you!\n\nAnna"],
            body_lacks: &["wrote:", "> Hello Anna", "clear the browser cache", "adds to ticket"],
        },
        Expect {
            file: "attachment.eml",
            from: (Some("Li Wei"), "li.wei@example.cn"),
            subject: "Wrong VAT on invoice INV-2026-1187",
            message_id: "<5e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7@example.cn>",
            thread_ids: &[],
            recipients: &["support@acme.test", "accounts@example.cn"],
            body_has: &[
                "the attached invoice charges 19% VAT",
                "Li Wei\n\nAttachments (not stored):\n- INV-2026-1187.pdf (2.8 KB)\n- 账户.png (70 bytes)",
            ],
            body_lacks: &["JVBERi0", "iVBORw0K"],
        },
    ];
    for row in rows {
        let got = mail(row.file);
        let file = row.file;
        assert_eq!(
            got.from,
            Sender { name: row.from.0.map(str::to_owned), address: row.from.1.to_owned() },
            "{file}: from"
        );
        assert_eq!(got.subject, row.subject, "{file}: subject");
        assert_eq!(got.message_id.as_deref(), Some(row.message_id), "{file}: message id");
        assert_eq!(got.thread_ids, row.thread_ids, "{file}: thread ids");
        assert!(
            got.recipients.starts_with(&row.recipients.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            "{file}: recipients {:?}",
            got.recipients
        );
        for has in row.body_has {
            assert!(got.body.contains(has), "{file}: body lacks {has:?}:\n{}", got.body);
        }
        for lacks in row.body_lacks {
            assert!(!got.body.contains(lacks), "{file}: body has {lacks:?}:\n{}", got.body);
        }
        assert!(
            !got.body.starts_with(char::is_whitespace) && !got.body.ends_with(char::is_whitespace),
            "{file}: {:?}",
            got.body
        );
    }
}

#[test]
fn ignored_fixtures() {
    let rows = [
        ("auto_reply.eml", IgnoredReason::AutoSubmitted),
        ("bulk.eml", IgnoredReason::Bulk),
        ("bounce.eml", IgnoredReason::Bounce),
    ];
    for (file, reason) in rows {
        assert_eq!(mail::parse(&fixture(file)), Ok(Parsed::Ignored(reason)), "{file}");
    }
}

#[test]
fn attachments_are_listed_with_decoded_names_and_sizes() {
    let got = mail("attachment.eml");
    assert_eq!(
        got.attachments,
        vec![
            Attachment { name: "INV-2026-1187.pdf".into(), size: 2840 },
            Attachment { name: "账户.png".into(), size: 70 },
        ]
    );
}

#[test]
fn gmail_thread_ids_and_reply_token_recipients() {
    let got = mail("gmail_quote.eml");
    // Delivered-To first (what the MTA delivered to), then To.
    assert_eq!(got.recipients, vec![REPLY_ADDRESS.to_owned()]);
    let (reference, token) =
        domain::inbound::parse_reply_address(&got.recipients[0]).expect("a reply address");
    assert_eq!((reference.reference().as_str(), token.as_str()), ("ACME-12", "K3J5Q2XWZA"));
}

/// Hand-written edge cases next to the fixtures: headers, classification and the errors.
#[test]
fn edge_cases() {
    let parse = |raw: &str| mail::parse(raw.as_bytes());
    let accepted = |raw: &str| match parse(raw) {
        Ok(Parsed::Mail(m)) => *m,
        other => panic!("{raw}: {other:?}"),
    };

    // No subject, no text: placeholders; an mbox `From ` line (Exim's pipe) is skipped.
    let m = accepted("From bob@x.example Thu Dec  3 10:00:00 2026\nFrom: bob@x.example\n\n\n");
    assert_eq!(
        (m.subject.as_str(), m.ticket_subject().as_str(), m.body.as_str()),
        ("", mail::NO_SUBJECT, mail::NO_TEXT)
    );
    assert_eq!(m.message_id, None);
    assert_eq!(m.from, Sender { name: None, address: "bob@x.example".into() });

    // A long subject is cut to 120 characters for a ticket, a long body to 20,000.
    let long = format!("From: a@x.example\nSubject: {}\n\n{}", "s".repeat(300), "word ".repeat(6000));
    let m = accepted(&long);
    assert_eq!(m.ticket_subject().chars().count(), 120);
    assert!(m.ticket_subject().ends_with('…'));
    assert!(m.body.chars().count() <= 20_000 && m.body.ends_with('…'));

    // In-Reply-To then References newest first, no repeats; ids keep their brackets.
    let m = accepted("From: a@x.example\nIn-Reply-To: <c@h>\nReferences: <a@h> <b@h>\n <c@h>\n\nhi");
    assert_eq!(m.thread_ids, vec!["<c@h>", "<b@h>", "<a@h>"]);

    // Auto-Submitted: no is an ordinary mail; any other value, or an X-Autoreply, is not.
    assert!(matches!(parse("From: a@x.example\nAuto-Submitted: no\n\nhi"), Ok(Parsed::Mail(_))));
    for header in [
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: Auto-Replied; owner-email=\"a@x\"",
        "X-Autoreply: yes",
    ] {
        assert_eq!(
            parse(&format!("From: a@x.example\n{header}\n\nhi")),
            Ok(Parsed::Ignored(IgnoredReason::AutoSubmitted)),
            "{header}"
        );
    }
    for precedence in ["bulk", "list", "junk", "auto_reply", "BULK"] {
        let raw = format!("From: a@x.example\nPrecedence: {precedence}\n\nhi");
        assert_eq!(parse(&raw), Ok(Parsed::Ignored(IgnoredReason::Bulk)), "{precedence}");
    }
    assert!(matches!(parse("From: a@x.example\nPrecedence: first-class\n\nhi"), Ok(Parsed::Mail(_))));
    assert_eq!(
        parse("From: Mailer-Daemon@mx.example\n\nbounced"),
        Ok(Parsed::Ignored(IgnoredReason::Bounce))
    );
    assert_eq!(
        parse(
            "From: a@x.example\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\n\nread\n--b--\n"
        ),
        Ok(Parsed::Ignored(IgnoredReason::Bounce))
    );

    // An HTML-only reply (Gmail's markup) is trimmed at its "On … wrote:" like a plain one.
    let html = "<div dir=\"ltr\">Works now, thanks!</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Thu, Dec 3, 2026 at 11:05 AM Acme Support &lt;support@acme.test&gt; wrote:<br></div><blockquote class=\"gmail_quote\">Hello Anna,<br><br>please clear the cache.</blockquote></div>";
    let m = accepted(&format!("From: a@x.example\nContent-Type: text/html; charset=utf-8\n\n{html}"));
    assert_eq!(m.body, "Works now, thanks!");

    // Errors: garbage, headers only, no From address.
    assert_eq!(parse("this is not an e-mail\n\nat all"), Err(mail::ParseError::NoHeaderBlock));
    assert_eq!(parse("From: a@x.example\nSubject: cut off\n"), Err(mail::ParseError::HeadersOnly));
    assert_eq!(parse("Subject: who sent this?\n\nhi"), Err(mail::ParseError::NoFrom));
    assert_eq!(parse("From: undisclosed-recipients:;\n\nhi"), Err(mail::ParseError::NoFrom));
    assert_eq!(parse("From: Just A Name\n\nhi"), Err(mail::ParseError::NoFrom));
}
