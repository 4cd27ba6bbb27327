//! Outgoing-mail rules shared by the sender (notify) and the receiver (inbound threading):
//! the reply-address token (SPEC section 8).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The token in a reply address (`support+ACME-12.<token>@acme.test`): the first 10
/// characters of base32(HMAC-SHA256(server secret, ticket id)), the id in its hyphenated
/// lower-case form. Unguessable without the secret, so mail to the address threads onto
/// the ticket without a sender check.
pub fn reply_token(secret: &[u8], ticket_id: Uuid) -> String {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(ticket_id.to_string().as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut token = base32(&digest);
    token.truncate(crate::inbound::REPLY_TOKEN_LEN);
    token
}

/// RFC 4648 base32 (upper-case alphabet), no padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn reply_tokens_are_stable_secret_and_ticket_bound() {
        let id = Uuid::parse_str("0194a3f2-7b1c-7d2e-9f10-aa11bb22cc33").unwrap();
        let token = reply_token(b"server secret", id);
        assert_eq!(token.len(), 10);
        assert!(token.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)), "{token}");
        assert_eq!(token, reply_token(b"server secret", id));
        assert_ne!(token, reply_token(b"another secret", id));
        assert_ne!(token, reply_token(b"server secret", Uuid::nil()));
        // The shape the inbound side parses back.
        let address = format!("support+ACME-12.{token}@acme.test");
        let (_, parsed) = crate::inbound::parse_reply_address(&address).unwrap();
        assert_eq!(parsed, token);
    }
}
