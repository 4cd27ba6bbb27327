//! Workspaces and their members: names, ticket prefixes, e-mail addresses, passwords.

use crate::validation::trimmed_text;

/// The prefix of a workspace's ticket references (`ACME` in `ACME-1234`): 2–10 characters,
/// ASCII letters and digits, starting with a letter, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketPrefix(String);

impl TicketPrefix {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_ascii_uppercase();
        let ok_len = (2..=10).contains(&value.len());
        let ok_chars = value.chars().all(|c| c.is_ascii_alphanumeric());
        let starts_alpha = value.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if ok_len && ok_chars && starts_alpha {
            Ok(Self(value))
        } else {
            Err("the prefix must be 2 to 10 letters or digits, starting with a letter".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ACME-12` for ticket number 12.
    pub fn reference(&self, number: i64) -> String {
        format!("{}-{number}", self.0)
    }
}

/// A workspace's display name, 1–100 characters.
pub fn parse_workspace_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, 100)
}

/// A person's display name, 1–100 characters.
pub fn parse_person_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, 100)
}

/// An e-mail address, trimmed and lower-cased; a deliberately simple shape check
/// (`local@domain.tld`), at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let invalid = || Err(format!("`{}` is not an e-mail address", raw.trim()));
        if value.len() > 254 || value.chars().any(char::is_whitespace) {
            return invalid();
        }
        let Some((local, domain)) = value.split_once('@') else {
            return invalid();
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return invalid();
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new password: 10 to 256 characters (NIST 800-63B favours length over composition).
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if len < Self::MIN {
            return Err(format!("the password must be at least {} characters", Self::MIN));
        }
        if len > 256 {
            return Err("the password must be at most 256 characters".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(TicketPrefix::parse(" acme ").unwrap().as_str(), "ACME");
        assert_eq!(TicketPrefix::parse("AC2").unwrap().reference(7), "AC2-7");
        for bad in ["A", "", "1AB", "AC-ME", "ABCDEFGHIJK", "ÄBC"] {
            assert!(TicketPrefix::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Admin@Acme.Test ").unwrap().as_str(), "admin@acme.test");
        for bad in ["", "a", "a@b", "@b.c", "a@.c", "a b@c.d", "a@b.c."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("long enough pass").unwrap()), "NewPassword(***)");
    }
}
