//! Inbound e-mail: why a received mail was ignored, and the two pure rules that thread a mail
//! without its Message-ID — the reply address (`<local>+<REFERENCE>.<token>@<domain>`, made
//! by [`crate::mail`]) and a `[PREFIX-123]` reference in the subject. The reply address is
//! read whatever its `<local>@<domain>` (mail may arrive through an alias or another domain):
//! the token is the proof. The MIME parsing itself is the `mail` crate's (it needs
//! `mail-parser`, which the admin app has no use for).

use std::fmt;

/// The largest raw message accepted, in bytes (10 MiB): past it, 413 or EX_DATAERR.
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

use crate::mail::REPLY_TOKEN_LEN;

/// Why an inbound mail was taken no further (answered 202, exit code 0: the MTA must not
/// retry or bounce it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IgnoredReason {
    /// `Auto-Submitted` other than `no` (RFC 3834: auto-replies, vacation notices, pings).
    AutoSubmitted,
    /// `Precedence: bulk`, `list`, `junk` or `auto_reply` (newsletters, mailing lists).
    Bulk,
    /// A delivery status notification: from `MAILER-DAEMON`, or `multipart/report`.
    Bounce,
    /// Its `Message-ID` was already taken in this workspace.
    Duplicate,
}

impl IgnoredReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoredReason::AutoSubmitted => "auto_submitted",
            IgnoredReason::Bulk => "bulk",
            IgnoredReason::Bounce => "bounce",
            IgnoredReason::Duplicate => "duplicate",
        }
    }
}

impl fmt::Display for IgnoredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ticket reference as mail carries it: prefix (upper-case) and number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailReference {
    pub prefix: String,
    pub number: i64,
}

impl MailReference {
    /// `ACME-12` (any case) → prefix `ACME`, number 12; the prefix follows
    /// [`crate::workspace::TicketPrefix`]'s shape (2–10 letters or digits, a letter first).
    pub fn parse(raw: &str) -> Option<Self> {
        let (prefix, number) = raw.rsplit_once('-')?;
        let prefix = crate::workspace::TicketPrefix::parse(prefix).ok()?;
        if prefix.as_str().len() != prefix_len(raw)
            || number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
        Some(Self { prefix: prefix.as_str().to_owned(), number })
    }

    pub fn reference(&self) -> String {
        format!("{}-{}", self.prefix, self.number)
    }
}

/// The untrimmed prefix's length, so that `" ACME-1"` (which `TicketPrefix::parse` would trim)
/// is not a reference.
fn prefix_len(raw: &str) -> usize {
    raw.rsplit_once('-').map_or(0, |(p, _)| p.len())
}

/// A reply address's ticket and token: `support+ACME-12.K3J5Q2XWZA@acme.test` →
/// (`ACME-12`, `K3J5Q2XWZA`). MTAs may lower-case addresses, so both come back upper-case;
/// the token is only shaped here (10 base32 characters), checked against the ticket by the
/// caller.
pub fn parse_reply_address(address: &str) -> Option<(MailReference, String)> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, _domain) = address.rsplit_once('@')?;
    let (_, tag) = local.rsplit_once('+')?;
    let (reference, token) = tag.rsplit_once('.')?;
    let token = token.to_ascii_uppercase();
    let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    if token.chars().count() != REPLY_TOKEN_LEN || !token.chars().all(base32) {
        return None;
    }
    Some((MailReference::parse(reference)?, token))
}

/// Every `[PREFIX-123]` in a subject, in order (`Re: [ACME-12] Refund` → `ACME-12`).
pub fn subject_references(subject: &str) -> Vec<MailReference> {
    let mut found = Vec::new();
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        if let Some(reference) = MailReference::parse(rest[..close].trim())
            && !found.contains(&reference)
        {
            found.push(reference);
        }
        rest = &rest[close + 1..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(prefix: &str, number: i64) -> MailReference {
        MailReference { prefix: prefix.into(), number }
    }

    #[test]
    fn references_parse() {
        let cases: &[(&str, Option<MailReference>)] = &[
            ("ACME-12", Some(r("ACME", 12))),
            ("acme-12", Some(r("ACME", 12))),
            ("AB2-1", Some(r("AB2", 1))),
            ("ACME-0", None),
            ("ACME--1", None),
            ("ACME-1x", None),
            ("ACME-+1", None),
            ("A-1", None),
            ("1ACME-1", None),
            (" ACME-1", None),
            ("ACME", None),
            ("ACMEACMEACME-1", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(&MailReference::parse(raw), expected, "{raw}");
        }
        assert_eq!(r("ACME", 7).reference(), "ACME-7");
    }

    #[test]
    fn reply_addresses() {
        let ok = |addr: &str, reference: &str, token: &str| {
            let (got_ref, got_token) = parse_reply_address(addr).unwrap_or_else(|| panic!("{addr}"));
            assert_eq!((got_ref.reference().as_str(), got_token.as_str()), (reference, token), "{addr}");
        };
        ok("support+ACME-12.K3J5Q2XWZA@acme.test", "ACME-12", "K3J5Q2XWZA");
        ok("<support+ACME-12.K3J5Q2XWZA@acme.test>", "ACME-12", "K3J5Q2XWZA");
        ok("support+acme-12.k3j5q2xwza@acme.test", "ACME-12", "K3J5Q2XWZA");
        ok("help+desk+ACME-3.AAAAAAAAAA@x.example", "ACME-3", "AAAAAAAAAA");
        for bad in [
            "support@acme.test",
            "support+ACME-12@acme.test",
            "support+ACME-12.K3J5Q2XWZ@acme.test",
            "support+ACME-12.K3J5Q2XWZAB@acme.test",
            "support+ACME-12.K3J5Q2XWZ1@acme.test",
            "support+ACME.K3J5Q2XWZA@acme.test",
            "support+ACME-12.K3J5Q2XWZA",
            "",
        ] {
            assert_eq!(parse_reply_address(bad), None, "{bad}");
        }
    }

    #[test]
    fn subject_reference_extraction() {
        let cases: &[(&str, Vec<MailReference>)] = &[
            ("Re: [ACME-12] Refund", vec![r("ACME", 12)]),
            ("Re: [acme-12] Refund", vec![r("ACME", 12)]),
            ("AW: Re: [ ACME-12 ] Refund [ACME-12] [BETA-3]", vec![r("ACME", 12), r("BETA", 3)]),
            ("ACME-12 without brackets", vec![]),
            ("[not a ref] and [ACME-x]", vec![]),
            ("[ACME-12", vec![]),
            ("", vec![]),
        ];
        for (subject, expected) in cases {
            assert_eq!(&subject_references(subject), expected, "{subject}");
        }
    }

    #[test]
    fn reply_addresses_of_the_outbound_side_parse_back() {
        let id = uuid::Uuid::parse_str("0194a3f2-7b1c-7d2e-9f10-aa11bb22cc33").unwrap();
        let token = crate::mail::reply_token(b"server secret", id);
        let address = crate::mail::reply_address("support@acme.test", "ACME-12", &token).unwrap();
        let (reference, parsed) = parse_reply_address(&address).unwrap();
        assert_eq!(reference.reference(), "ACME-12");
        assert!(crate::mail::reply_token_matches(b"server secret", id, &parsed));
    }

    #[test]
    fn ignored_reasons_serialise_as_documented() {
        for reason in [
            IgnoredReason::AutoSubmitted,
            IgnoredReason::Bulk,
            IgnoredReason::Bounce,
            IgnoredReason::Duplicate,
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), serde_json::json!(reason.as_str()));
        }
    }
}
