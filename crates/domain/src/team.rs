//! Team management input: a new member added by an admin, a role change, a password change.

use crate::auth::Role;
use crate::validation::{FieldErrors, ValidationError};
use crate::workspace::{Email, NewPassword, PASSWORD_MAX, parse_person_name};

/// The shortest password a member may be given or choose through the API.
pub const TEAM_PASSWORD_MIN: usize = 12;

/// A password set through the API: 12 to 256 characters.
pub fn parse_team_password(raw: &str) -> Result<NewPassword, String> {
    let len = raw.chars().count();
    if len < TEAM_PASSWORD_MIN {
        return Err(format!("the password must be at least {TEAM_PASSWORD_MIN} characters"));
    }
    if len > PASSWORD_MAX {
        return Err(format!("the password must be at most {PASSWORD_MAX} characters"));
    }
    NewPassword::parse(raw)
}

/// A member an admin adds: name, e-mail, role and initial password.
#[derive(Debug)]
pub struct NewMember {
    pub name: String,
    pub email: Email,
    pub role: Role,
    pub password: NewPassword,
}

impl NewMember {
    /// Every failing field at once.
    pub fn parse(name: &str, email: &str, role: Role, password: &str) -> Result<Self, ValidationError> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", parse_person_name(name));
        let email = errors.check("email", Email::parse(email));
        let password = errors.check("password", parse_team_password(password));
        match (name, email, password) {
            (Some(name), Some(email), Some(password)) if errors.is_empty() => {
                Ok(NewMember { name, email, role, password })
            }
            _ => Err(ValidationError(errors)),
        }
    }
}

/// A password change: the current password (checked by the store) and the new one.
#[derive(Debug)]
pub struct PasswordChange {
    pub current: String,
    pub new: NewPassword,
}

impl PasswordChange {
    pub fn parse(current: &str, new: &str) -> Result<Self, ValidationError> {
        let mut errors = FieldErrors::new();
        if current.is_empty() {
            errors.add("current_password", "this field is required");
        } else if current.chars().count() > PASSWORD_MAX {
            errors.add("current_password", format!("the password must be at most {PASSWORD_MAX} characters"));
        }
        let new = errors.check("new_password", parse_team_password(new));
        if errors.is_empty() && new.as_ref().is_some_and(|n| n.expose() == current) {
            errors.add("new_password", "the new password must differ from the current one");
        }
        match new {
            Some(new) if errors.is_empty() => Ok(PasswordChange { current: current.to_owned(), new }),
            _ => Err(ValidationError(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: ValidationError) -> Vec<String> {
        e.0.0.into_keys().collect()
    }

    #[test]
    fn new_members_are_checked_field_by_field() {
        let ok = NewMember::parse(" Nina ", " Nina@Acme.Test ", Role::Operator, "twelve chars").unwrap();
        assert_eq!((ok.name.as_str(), ok.email.as_str()), ("Nina", "nina@acme.test"));
        let err = NewMember::parse("", "nope", Role::Admin, "eleven char").unwrap_err();
        assert_eq!(fields(err), ["email", "name", "password"]);
        assert!(NewMember::parse("N", "n@a.test", Role::Admin, &"p".repeat(PASSWORD_MAX + 1)).is_err());
    }

    #[test]
    fn password_changes() {
        assert!(PasswordChange::parse("old one", "a new password").is_ok());
        assert_eq!(
            fields(PasswordChange::parse("", "short").unwrap_err()),
            ["current_password", "new_password"]
        );
        let same = "the same password";
        assert_eq!(fields(PasswordChange::parse(same, same).unwrap_err()), ["new_password"]);
    }
}
