//! Workspaces and their members: names, ticket prefixes, e-mail addresses, passwords.

use crate::validation::{FieldErrors, ValidationError, trimmed_text};

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

/// The longest workspace or person name, in characters.
pub const NAME_MAX: usize = 100;
/// The longest e-mail address (RFC 5321's path limit), in characters.
pub const EMAIL_MAX: usize = 254;
/// The longest password, in characters.
pub const PASSWORD_MAX: usize = 256;
/// The longest `workspace` of a sign-in (a ticket prefix or a workspace id).
pub const WORKSPACE_KEY_MAX: usize = 36;

/// A workspace's display name, 1–100 characters.
pub fn parse_workspace_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, NAME_MAX)
}

/// A person's display name, 1–100 characters.
pub fn parse_person_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, NAME_MAX)
}

/// An e-mail address, trimmed and lower-cased; a deliberately simple shape check
/// (`local@domain.tld`), at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_lowercase();
        let invalid = || Err(format!("`{}` is not an e-mail address", raw.trim()));
        let len = raw.chars().count();
        if len > EMAIL_MAX {
            return Err(format!("an e-mail address must be at most {EMAIL_MAX} characters (got {len})"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
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
        if len > PASSWORD_MAX {
            return Err(format!("the password must be at most {PASSWORD_MAX} characters"));
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

/// Validated sign-in fields. Only lengths and presence are checked: whether the e-mail and
/// password match is the store's business (and an unknown e-mail answers like a wrong
/// password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    pub workspace: Option<String>,
}

impl LoginInput {
    pub fn parse(email: &str, password: &str, workspace: Option<&str>) -> Result<Self, ValidationError> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", trimmed_text(email, "the e-mail address", 1, EMAIL_MAX));
        if password.is_empty() {
            errors.add("password", "this field is required");
        } else if password.chars().count() > PASSWORD_MAX {
            errors.add("password", format!("the password must be at most {PASSWORD_MAX} characters"));
        }
        let workspace = workspace
            .filter(|w| !w.trim().is_empty())
            .and_then(|w| errors.check("workspace", trimmed_text(w, "the workspace", 1, WORKSPACE_KEY_MAX)));
        errors.into_result(|| LoginInput {
            email: email.unwrap_or_default(),
            password: password.to_owned(),
            workspace,
        })
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
    fn lengths() {
        let local = "a".repeat(EMAIL_MAX - "@b.co".len());
        assert!(Email::parse(&format!("{local}@b.co")).is_ok());
        assert!(Email::parse(&format!("{local}x@b.co")).unwrap_err().contains("at most 254"));
        assert!(NewPassword::parse(&"p".repeat(PASSWORD_MAX)).is_ok());
        assert!(NewPassword::parse(&"p".repeat(PASSWORD_MAX + 1)).is_err());
        assert!(parse_person_name(&"é".repeat(NAME_MAX)).is_ok());
        assert!(parse_workspace_name(&"é".repeat(NAME_MAX + 1)).is_err());
    }

    #[test]
    fn login_inputs() {
        let ok = LoginInput::parse(" a@b.co ", "pw", Some(" ")).unwrap();
        assert_eq!((ok.email.as_str(), ok.workspace), ("a@b.co", None));
        let fields = |e: &str, p: &str, w: Option<&str>| -> Vec<String> {
            LoginInput::parse(e, p, w).unwrap_err().0.0.into_keys().collect()
        };
        assert_eq!(fields("", "", None), ["email", "password"]);
        let long_email = "a".repeat(EMAIL_MAX + 1);
        let long_password = "p".repeat(PASSWORD_MAX + 1);
        let long_workspace = "W".repeat(WORKSPACE_KEY_MAX + 1);
        assert_eq!(
            fields(&long_email, &long_password, Some(&long_workspace)),
            ["email", "password", "workspace"]
        );
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert_eq!(format!("{:?}", NewPassword::parse("long enough pass").unwrap()), "NewPassword(***)");
    }
}
