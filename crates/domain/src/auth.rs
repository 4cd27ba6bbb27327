//! Who may do what: operator roles, API token scopes, and the permission check that the
//! API applies to every endpoint: each endpoint has a `Requirement` naming the least member
//! role and the token scope it needs (an admin passes any role check, a token holding
//! `admin` any scope check); `None` for either shuts that kind of caller out, except that
//! `Requirement::ANY` admits every token.

use std::fmt;
use std::str::FromStr;

/// A member's role in a workspace. An admin may do everything an operator may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Operator, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}`: expected one of admin, operator"))
    }
}

/// What an API token may do. `admin` implies every other scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    #[serde(rename = "tickets:read")]
    TicketsRead,
    #[serde(rename = "tickets:write")]
    TicketsWrite,
    #[serde(rename = "conversations:write")]
    ConversationsWrite,
    #[serde(rename = "tools:invoke")]
    ToolsInvoke,
    /// An MTA or a mail provider's webhook handing in raw mail (`POST /inbound/email`).
    #[serde(rename = "inbound:write")]
    InboundWrite,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::TicketsRead,
        Scope::TicketsWrite,
        Scope::ConversationsWrite,
        Scope::ToolsInvoke,
        Scope::InboundWrite,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TicketsRead => "tickets:read",
            Scope::TicketsWrite => "tickets:write",
            Scope::ConversationsWrite => "conversations:write",
            Scope::ToolsInvoke => "tools:invoke",
            Scope::InboundWrite => "inbound:write",
            Scope::Admin => "admin",
        }
    }

    /// Parses a comma-separated list (`tickets:read,tickets:write`); at least one scope,
    /// duplicates removed, order canonical.
    pub fn parse_list(raw: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Scope::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Self::normalise(&mut scopes)?;
        Ok(scopes)
    }

    /// Sorts and de-duplicates; an empty list is an error.
    pub fn normalise(scopes: &mut Vec<Scope>) -> Result<(), String> {
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err("at least one scope is required".into());
        }
        Ok(())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            format!("unknown scope `{s}`: expected one of {}", Scope::ALL.map(Scope::as_str).join(", "))
        })
    }
}

/// The longest API token name, in characters.
pub const TOKEN_NAME_MAX: usize = 100;

/// An API token's name ("chat backend"): 1–100 characters, trimmed.
pub fn parse_token_name(raw: &str) -> Result<String, String> {
    crate::validation::trimmed_text(raw, "the name", 1, TOKEN_NAME_MAX)
}

/// The authenticated caller, as far as permissions go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A signed-in member with a role.
    User(Role),
    /// An API token with its scopes.
    Token(Vec<Scope>),
}

/// What an endpoint asks of its caller: a role for users, a scope for tokens. `None`
/// means that kind of caller may not call it at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub role: Option<Role>,
    pub scope: Option<Scope>,
    /// Every token may call, whatever its scopes.
    pub any_token: bool,
}

impl Requirement {
    /// Operators (and admins), or tokens holding `scope`.
    pub const fn operator_or(scope: Scope) -> Self {
        Self { role: Some(Role::Operator), scope: Some(scope), any_token: false }
    }
    /// Admins only; tokens need the `admin` scope.
    pub const ADMIN: Self = Self { role: Some(Role::Admin), scope: Some(Scope::Admin), any_token: false };
    /// API tokens holding `scope` only (signed-in users may not).
    pub const fn token_only(scope: Scope) -> Self {
        Self { role: None, scope: Some(scope), any_token: false }
    }
    /// Admins, or tokens holding `scope`.
    pub const fn admin_or(scope: Scope) -> Self {
        Self { role: Some(Role::Admin), scope: Some(scope), any_token: false }
    }
    /// Signed-in operators (and admins) only; no token may.
    pub const USER: Self = Self { role: Some(Role::Operator), scope: None, any_token: false };
    /// Any authenticated caller.
    pub const ANY: Self = Self { role: Some(Role::Operator), scope: None, any_token: true };
}

impl Principal {
    /// Whether this caller meets `req`. `Requirement::ANY` admits every token too.
    pub fn allows(&self, req: Requirement) -> bool {
        match self {
            Principal::User(role) => match req.role {
                Some(Role::Operator) => true,
                Some(Role::Admin) => *role == Role::Admin,
                None => false,
            },
            Principal::Token(scopes) => {
                if req.any_token {
                    return true;
                }
                match req.scope {
                    Some(needed) => scopes.contains(&Scope::Admin) || scopes.contains(&needed),
                    None => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_sorted_and_deduplicated() {
        assert_eq!(
            Scope::parse_list("tickets:write, tickets:read,tickets:read").unwrap(),
            vec![Scope::TicketsRead, Scope::TicketsWrite]
        );
        assert!(Scope::parse_list("").is_err());
        assert!(Scope::parse_list("tickets:delete").unwrap_err().contains("tickets:delete"));
    }

    #[test]
    fn token_names() {
        assert_eq!(parse_token_name(" chat ").unwrap(), "chat");
        assert!(parse_token_name(" ").is_err());
        assert!(parse_token_name(&"n".repeat(TOKEN_NAME_MAX)).is_ok());
        assert!(parse_token_name(&"n".repeat(TOKEN_NAME_MAX + 1)).is_err());
    }

    #[test]
    fn permission_table() {
        let read = Requirement::operator_or(Scope::TicketsRead);
        let cases: &[(Principal, Requirement, bool)] = &[
            (Principal::User(Role::Operator), read, true),
            (Principal::User(Role::Admin), read, true),
            (Principal::User(Role::Operator), Requirement::ADMIN, false),
            (Principal::User(Role::Admin), Requirement::ADMIN, true),
            (Principal::Token(vec![Scope::TicketsRead]), read, true),
            (Principal::Token(vec![Scope::TicketsWrite]), read, false),
            (Principal::Token(vec![Scope::Admin]), read, true),
            (Principal::Token(vec![Scope::TicketsRead]), Requirement::ADMIN, false),
            (Principal::Token(vec![Scope::Admin]), Requirement::ADMIN, true),
            (Principal::Token(vec![Scope::ToolsInvoke]), Requirement::ANY, true),
            (Principal::User(Role::Operator), Requirement::ANY, true),
            (Principal::User(Role::Operator), Requirement::USER, true),
            (Principal::Token(vec![Scope::Admin]), Requirement::USER, false),
            (Principal::Token(vec![Scope::ToolsInvoke]), Requirement::token_only(Scope::ToolsInvoke), true),
            (Principal::Token(vec![Scope::Admin]), Requirement::token_only(Scope::ToolsInvoke), true),
            (Principal::User(Role::Admin), Requirement::token_only(Scope::ToolsInvoke), false),
            (Principal::Token(vec![Scope::InboundWrite]), Requirement::token_only(Scope::InboundWrite), true),
            (
                Principal::Token(vec![Scope::TicketsWrite]),
                Requirement::token_only(Scope::InboundWrite),
                false,
            ),
            (Principal::User(Role::Admin), Requirement::token_only(Scope::InboundWrite), false),
            (Principal::User(Role::Operator), Requirement::admin_or(Scope::ToolsInvoke), false),
            (Principal::User(Role::Admin), Requirement::admin_or(Scope::ToolsInvoke), true),
            (Principal::Token(vec![Scope::ToolsInvoke]), Requirement::admin_or(Scope::ToolsInvoke), true),
        ];
        for (principal, req, expected) in cases {
            assert_eq!(principal.allows(*req), *expected, "{principal:?} {req:?}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("owner".parse::<Role>().is_err());
    }
}
