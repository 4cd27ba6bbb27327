//! E-mail rules shared by outbound replies and inbound mail: the reply address that routes
//! a customer's answer back to its ticket, and its token.
//!
//! A reply is sent with `Reply-To: <local>+<reference>.<token>@<domain>`, where
//! `<local>@<domain>` is the sender address (`TICKETD_MAIL_FROM`) and `<token>` the first
//! 10 characters of base32(HMAC-SHA256(server secret, ticket id)): 50 bits that nobody can
//! guess without the secret, so mail to that address threads onto the ticket without a
//! check of who sent it. The server secret is `TICKETD_JWT_SECRET` (or the one generated
//! beside the SQLite file); the ticket id is its UUID's 16 bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The length of a reply-address token, in base32 characters (50 bits).
pub const REPLY_TOKEN_LEN: usize = 10;

/// The RFC 4648 base32 alphabet, lowercased (local parts are often lowercased in transit).
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// base32 (RFC 4648, lowercase, no padding).
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The reply-address token of a ticket: the first [`REPLY_TOKEN_LEN`] characters of
/// base32(HMAC-SHA256(`server_secret`, the ticket id's 16 bytes)), lowercase.
pub fn reply_token(server_secret: &[u8], ticket_id: Uuid) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(server_secret) else { return String::new() };
    mac.update(ticket_id.as_bytes());
    let mut token = base32(&mac.finalize().into_bytes());
    token.truncate(REPLY_TOKEN_LEN);
    token
}

/// Whether `token` (any case) is the ticket's reply token. Compared in constant time.
pub fn reply_token_matches(server_secret: &[u8], ticket_id: Uuid, token: &str) -> bool {
    let expected = reply_token(server_secret, ticket_id);
    let given = token.to_ascii_lowercase();
    given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// `<local>+<reference>.<token>@<domain>` for the sender address `<local>@<domain>`.
/// `None` when `from_address` is not `local@domain`.
pub fn reply_address(from_address: &str, reference: &str, token: &str) -> Option<String> {
    let (local, domain) = from_address.trim().rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some(format!("{local}+{reference}.{token}@{domain}"))
}

/// A reply address taken apart: the ticket reference (as written, e.g. `ACME-12`) and the
/// token, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyAddress {
    pub reference: String,
    pub token: String,
}

/// Reads a reply address of the sender address `from_address` (`local@domain`; both parts
/// compared without case): `local+REF-12.token@domain` → (`REF-12`, `token`). Any other
/// address (another mailbox, no `+`, a malformed tag) is `None`. Accepts `<…>` brackets.
pub fn parse_reply_address(address: &str, from_address: &str) -> Option<ReplyAddress> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, domain) = address.rsplit_once('@')?;
    let (from_local, from_domain) = from_address.trim().rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(from_domain) {
        return None;
    }
    let (base, tag) = local.split_once('+')?;
    if !base.eq_ignore_ascii_case(from_local) {
        return None;
    }
    let (reference, token) = tag.rsplit_once('.')?;
    let well_formed = !reference.is_empty()
        && token.len() == REPLY_TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then(|| ReplyAddress { reference: reference.to_owned(), token: token.to_owned() })
}

/// The subject of a reply: `[ACME-12] <subject>`, and `Re: [ACME-12] <subject>` when it
/// answers an earlier message of the thread.
pub fn reply_subject(reference: &str, subject: &str, follows_earlier: bool) -> String {
    let subject = subject.trim();
    if follows_earlier { format!("Re: [{reference}] {subject}") } else { format!("[{reference}] {subject}") }
}

/// The footer under every reply's text.
pub fn reply_footer(reference: &str) -> String {
    format!("Reply to this e-mail to add to ticket {reference}; please keep [{reference}] in the subject.")
}

/// The `Message-ID` of a reply: `<{comment id}@{mail domain}>`, the same on every retry.
pub fn reply_message_id(comment_id: Uuid, mail_domain: &str) -> String {
    format!("<{comment_id}@{mail_domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_follows_rfc_4648() {
        // RFC 4648 section 10's vectors, lowercased and unpadded.
        for (input, expected) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn tokens_are_ten_characters_keyed_by_secret_and_ticket() {
        let ticket = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
        let token = reply_token(b"secret one", ticket);
        assert_eq!(token.len(), REPLY_TOKEN_LEN);
        assert!(token.bytes().all(|b| BASE32.contains(&b)), "{token}");
        assert_eq!(token, reply_token(b"secret one", ticket), "stable");
        assert_ne!(token, reply_token(b"secret two", ticket));
        assert_ne!(token, reply_token(b"secret one", Uuid::from_u128(2)));
        // The definition, spelled out.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret one").unwrap();
        mac.update(ticket.as_bytes());
        assert_eq!(token, base32(&mac.finalize().into_bytes())[..10]);
        assert!(reply_token_matches(b"secret one", ticket, &token.to_uppercase()));
        assert!(!reply_token_matches(b"secret one", ticket, &token[..9]));
        assert!(!reply_token_matches(b"secret two", ticket, &token));
    }

    #[test]
    fn reply_addresses_round_trip() {
        let address = reply_address("support@acme.test", "ACME-12", "abcdefgh23").unwrap();
        assert_eq!(address, "support+ACME-12.abcdefgh23@acme.test");
        let parsed = parse_reply_address(&format!("<{}>", address.to_uppercase()), "support@acme.test");
        assert_eq!(parsed, Some(ReplyAddress { reference: "ACME-12".into(), token: "ABCDEFGH23".into() }));
        for other in [
            "support@acme.test",
            "sales+ACME-12.abcdefgh23@acme.test",
            "support+ACME-12.abcdefgh23@other.test",
            "support+ACME-12@acme.test",
            "support+ACME-12.short@acme.test",
            "support+.abcdefgh23@acme.test",
            "not an address",
        ] {
            assert_eq!(parse_reply_address(other, "support@acme.test"), None, "{other}");
        }
        assert_eq!(reply_address("no-at-sign", "ACME-1", "x"), None);
    }

    #[test]
    fn subjects_and_ids() {
        assert_eq!(reply_subject("ACME-12", " Refund ", false), "[ACME-12] Refund");
        assert_eq!(reply_subject("ACME-12", "Refund", true), "Re: [ACME-12] Refund");
        assert!(reply_footer("ACME-12").contains("ticket ACME-12"));
        assert_eq!(reply_message_id(Uuid::nil(), "acme.test"), format!("<{}@acme.test>", Uuid::nil()));
    }
}
