//! Inbound e-mail, parsed: a raw RFC 5322 message (as an MTA pipes it to `ticketd mail-in`
//! or a provider posts it to `POST /api/v1/inbound/email`) becomes what the service needs —
//! the sender, subject, Message-ID and thread ids, the recipients that may carry a reply
//! token, and the customer's own words as plain text (HTML turned to text, quoted history
//! trimmed, attachments listed by name and size) — or the reason it is ignored
//! (auto-replies, bulk mail and bounces, so that two robots never answer each other).
//!
//! MIME, charsets and encoded words are `mail-parser`'s. This crate does no I/O; threading
//! (which needs the database) is `store::inbound`'s.

mod quote;

use std::fmt::Write as _;

use domain::inbound::{IgnoredReason, MAX_MESSAGE_BYTES};
use domain::ticket::{BODY_MAX, SUBJECT_MAX};
use mail_parser::{Address, HeaderName, Message, MessageParser, MimeHeaders};

pub use quote::trim_quoted;

/// The subject of a ticket opened by a mail without one.
pub const NO_SUBJECT: &str = "(no subject)";
/// The text of a mail with no words in it (nothing but quoted history, or nothing at all).
pub const NO_TEXT: &str = "(no text)";

/// Why a message cannot be taken (422 problem+json, or exit code 65 for the MTA).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is {size} bytes; at most {max} are accepted", max = MAX_MESSAGE_BYTES)]
    TooLarge { size: usize },
    #[error(
        "the message has no header block: an RFC 5322 message starts with header fields such as `From: …`"
    )]
    NoHeaderBlock,
    #[error("the message ends inside its header block: there is no blank line and no body (was it cut off?)")]
    HeadersOnly,
    #[error("the message has no `From` address")]
    NoFrom,
}

/// The sender, from `From`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The display name, decoded (`=?ISO-8859-1?Q?J=F6rg?=` → `Jörg`); `None` when absent.
    pub name: Option<String>,
    /// The address, lower-cased.
    pub address: String,
}

/// An attachment, listed in the text (not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// A message worth a comment or a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub from: Sender,
    /// The decoded subject, trimmed; empty when there is none.
    pub subject: String,
    /// `<id@host>`, angle brackets included (the form ticketd stores and sends).
    pub message_id: Option<String>,
    /// `In-Reply-To` then `References` (newest first), each `<id@host>`, without repeats.
    pub thread_ids: Vec<String>,
    /// Addresses that may carry a reply token, lower-cased, in the order they are tried:
    /// `Delivered-To`, `X-Original-To`, `Envelope-To`, `To`, `Cc`.
    pub recipients: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// The customer's words: text (HTML turned to text), quoted history trimmed, the
    /// attachments listed at the end; 1–20,000 characters ([`NO_TEXT`] when there are none).
    pub body: String,
}

impl InboundMail {
    /// The subject for a ticket opened by this mail: cut to 120 characters, [`NO_SUBJECT`]
    /// when empty.
    pub fn ticket_subject(&self) -> String {
        if self.subject.is_empty() { NO_SUBJECT.to_owned() } else { cut(&self.subject, SUBJECT_MAX) }
    }
}

/// What a message turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Mail(Box<InboundMail>),
    /// Not to be answered or threaded (no mail loops with auto-responders).
    Ignored(IgnoredReason),
}

/// Parses a raw message. The size limit and the header-block check come first, so that
/// garbage never reaches the MIME parser's guesses.
pub fn parse(raw: &[u8]) -> Result<Parsed, ParseError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge { size: raw.len() });
    }
    let raw = skip_mbox_line(raw);
    check_header_block(raw)?;
    let message = MessageParser::default().parse(raw).ok_or(ParseError::NoHeaderBlock)?;
    if let Some(reason) = ignored(&message) {
        return Ok(Parsed::Ignored(reason));
    }
    let from = sender(&message).ok_or(ParseError::NoFrom)?;
    let subject = clean_line(message.subject().unwrap_or_default());
    let message_id = message.message_id().and_then(bracketed);
    let mut thread_ids: Vec<String> = Vec::new();
    let references = ids(message.references()).into_iter().rev();
    for id in ids(message.in_reply_to()).into_iter().chain(references) {
        if !thread_ids.contains(&id) {
            thread_ids.push(id);
        }
    }
    let attachments = attachments(&message);
    let body = body(&message, &attachments);
    Ok(Parsed::Mail(Box::new(InboundMail {
        from,
        subject,
        message_id,
        thread_ids,
        recipients: recipients(&message),
        attachments,
        body,
    })))
}

/// Exim's pipe transport (and `formail`, procmail) put an mbox `From sender date` line
/// before the headers; it is not a header field.
fn skip_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|b| *b == b'\n') {
            Some(end) => &raw[end + 1..],
            None => &raw[raw.len()..],
        }
    } else {
        raw
    }
}

/// A header field line: a name of printable ASCII without `:` nor space, then `:`.
fn is_field(line: &[u8]) -> bool {
    match line.iter().position(|b| *b == b':') {
        Some(colon) if colon > 0 => line[..colon].iter().all(|b| (33..=126).contains(b)),
        _ => false,
    }
}

/// The message must open with header fields and leave them by a blank line.
fn check_header_block(raw: &[u8]) -> Result<(), ParseError> {
    let mut lines = raw.split(|b| *b == b'\n').peekable();
    let first = lines.next().map(|l| l.strip_suffix(b"\r").unwrap_or(l)).unwrap_or_default();
    if !is_field(first) {
        return Err(ParseError::NoHeaderBlock);
    }
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let last = lines.peek().is_none();
        if line.is_empty() {
            // `a: b\n` splits into `a: b` and a final empty piece: that is the end of the
            // last header line, not the blank line that opens a body.
            return if last { Err(ParseError::HeadersOnly) } else { Ok(()) };
        }
        let folded = line.starts_with(b" ") || line.starts_with(b"\t");
        if !folded && !is_field(line) {
            // Not a header: the parser takes it as the start of the body.
            return Ok(());
        }
    }
    Err(ParseError::HeadersOnly)
}

fn header_text<'a>(message: &'a Message<'_>, name: &'static str) -> Option<&'a str> {
    message.header_raw(name).map(str::trim).filter(|v| !v.is_empty())
}

/// Why a mail must not be answered, if it must not: a bounce when from `MAILER-DAEMON` or a
/// `multipart/report`; auto-submitted when `Auto-Submitted` is other than `no`; bulk when
/// `Precedence: bulk | list | auto_reply` (and `junk`, RFC 3834's other "do not answer").
/// Old autoresponders that only say `X-Autoreply`/`X-Autorespond` count as auto-submitted.
fn ignored(message: &Message<'_>) -> Option<IgnoredReason> {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let from_daemon = message.from().and_then(Address::first).and_then(|a| a.address()).is_some_and(|a| {
        let local = a.rsplit_once('@').map_or(a, |(local, _)| local);
        local.eq_ignore_ascii_case("mailer-daemon")
    });
    if is_report || from_daemon {
        return Some(IgnoredReason::Bounce);
    }
    let keyword = |raw: &str| raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if header_text(message, "Auto-Submitted").is_some_and(|v| keyword(v) != "no")
        || header_text(message, "X-Autoreply").is_some()
        || header_text(message, "X-Autorespond").is_some()
    {
        return Some(IgnoredReason::AutoSubmitted);
    }
    if header_text(message, "Precedence")
        .is_some_and(|v| ["bulk", "list", "junk", "auto_reply"].contains(&keyword(v).as_str()))
    {
        return Some(IgnoredReason::Bulk);
    }
    None
}

fn sender(message: &Message<'_>) -> Option<Sender> {
    let addr = message.from()?.iter().find(|a| a.address().is_some_and(|x| x.contains('@')))?;
    let address = addr.address()?.trim().to_lowercase();
    let name = addr.name().map(clean_line).filter(|n| !n.is_empty() && *n != address);
    Some(Sender { name, address })
}

/// `id@host` → `<id@host>`; empty → none.
fn bracketed(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty() && !id.contains('\0')).then(|| format!("<{id}>"))
}

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(id) => bracketed(id).into_iter().collect(),
        mail_parser::HeaderValue::TextList(list) => list.iter().filter_map(|id| bracketed(id)).collect(),
        _ => Vec::new(),
    }
}

fn recipients(message: &Message<'_>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |raw: &str| {
        let address = raw.trim().trim_start_matches('<').trim_end_matches('>').trim().to_lowercase();
        if address.contains('@') && !found.contains(&address) {
            found.push(address);
        }
    };
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for (header, value) in message.headers_raw() {
            if header.eq_ignore_ascii_case(name) {
                value.split(',').for_each(&mut add);
            }
        }
    }
    let lists = message.header_values(HeaderName::To).chain(message.header_values(HeaderName::Cc));
    for address in lists.filter_map(|v| v.as_address()) {
        address.iter().filter_map(|a| a.address()).for_each(&mut add);
    }
    found
}

fn attachments(message: &Message<'_>) -> Vec<Attachment> {
    message
        .attachments()
        .map(|part| {
            let name = part.attachment_name().map(clean_line).filter(|n| !n.is_empty());
            let name = name
                .or_else(|| {
                    part.message().and_then(|m| m.subject()).map(|s| format!("{}.eml", clean_line(s)))
                })
                .unwrap_or_else(|| match part.content_type() {
                    Some(ct) => format!("unnamed {}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")),
                    None => "unnamed".to_owned(),
                });
            Attachment { name, size: part.len() }
        })
        .collect()
}

/// The text parts (HTML turned to text when there is no plain part), joined, quoted
/// history trimmed, the attachments listed; cut to fit 20,000 characters.
fn body(message: &Message<'_>, attachments: &[Attachment]) -> String {
    let text = (0..message.text_body_count())
        .filter_map(|i| message.body_text(i))
        .map(|t| normalise(&t))
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let text = trim_quoted(&text);
    let mut listing = String::new();
    if !attachments.is_empty() {
        listing.push_str("Attachments (not stored):");
        for a in attachments {
            let _ = write!(listing, "\n- {} ({})", a.name, human_size(a.size));
        }
    }
    let listing = cut(&listing, BODY_MAX / 4);
    let room = BODY_MAX - listing.chars().count() - if listing.is_empty() { 0 } else { 2 };
    let text = if text.is_empty() && listing.is_empty() { NO_TEXT.to_owned() } else { cut(&text, room) };
    match (text.is_empty(), listing.is_empty()) {
        (_, true) => text,
        (true, false) => listing,
        (false, false) => format!("{text}\n\n{listing}"),
    }
}

/// Line ends as `\n`, no NUL (no database column stores it), no-break spaces (HTML's
/// `&nbsp;`) as spaces, no trailing spaces, no leading or trailing blank lines, at most one
/// blank line in a row.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.replace("\r\n", "\n").replace(['\r', '\0'], "").replace('\u{a0}', " ").split('\n') {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// A header's text on one line, without control characters.
fn clean_line(raw: &str) -> String {
    let line: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, the last one `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `532 bytes`, `12.4 KB`, `3.1 MB` (decimal units, as mail clients show them).
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_block_rules() {
        let cases: &[(&[u8], Result<(), ParseError>)] = &[
            (b"From: a@b.example\r\n\r\nhi", Ok(())),
            (b"From: a@b.example\n\nhi", Ok(())),
            (b"From: a@b.example\nSubject: x\n  folded\n\n", Ok(())),
            (b"From: a@b.example\nnot a header line\n", Ok(())),
            (b"From: a@b.example\nSubject: x\n", Err(ParseError::HeadersOnly)),
            (b"From: a@b.example", Err(ParseError::HeadersOnly)),
            (b"", Err(ParseError::NoHeaderBlock)),
            (b"\n\nFrom: a@b.example\n\nhi", Err(ParseError::NoHeaderBlock)),
            (b"hello there, this is not mail", Err(ParseError::NoHeaderBlock)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Err(ParseError::NoHeaderBlock)),
            (b": no name\n\nx", Err(ParseError::NoHeaderBlock)),
            (b"Bad Name: x\n\nx", Err(ParseError::NoHeaderBlock)),
        ];
        for (raw, expected) in cases {
            assert_eq!(&check_header_block(raw), expected, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn mbox_line_is_skipped() {
        assert_eq!(skip_mbox_line(b"From a@b Thu Dec  3 09:00:00 2026\nFrom: a@b\n"), b"From: a@b\n");
        assert_eq!(skip_mbox_line(b"From: a@b\n"), b"From: a@b\n");
    }

    #[test]
    fn sizes_and_cuts() {
        assert_eq!(human_size(532), "532 bytes");
        assert_eq!(human_size(12_400), "12.4 KB");
        assert_eq!(human_size(3_100_000), "3.1 MB");
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("ab  cdef", 4), "ab…");
        assert_eq!(cut(&"é".repeat(200), 120).chars().count(), 120);
    }

    #[test]
    fn normalising_text() {
        assert_eq!(normalise("\r\n\r\nHi  \r\n\r\n\r\n\r\nthere\0\r\n\r\n"), "Hi\n\nthere");
        assert_eq!(clean_line("  Re:\t[ACME-1]\r\n  Refund  "), "Re: [ACME-1] Refund");
    }

    #[test]
    fn too_large_before_anything_else() {
        let raw = vec![b'x'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(parse(&raw), Err(ParseError::TooLarge { size: MAX_MESSAGE_BYTES + 1 }));
    }
}
