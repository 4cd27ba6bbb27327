//! Bodies of team management (`/users`), password changes (`/me/password`) and link tokens
//! (`/auth/link-tokens`).

use serde::{Deserialize, Serialize};
#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::Role;

/// A member to add: `POST /users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 1–100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Nina Newcomer", min_length = 1, max_length = 100))]
    pub name: String,
    /// An address that has no account yet (409 otherwise).
    #[cfg_attr(feature = "openapi", schema(example = "nina@acme.test", min_length = 1, max_length = 254))]
    pub email: String,
    pub role: Role,
    /// The initial password, 12–256 characters; the member can change it.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "a long initial password", min_length = 12, max_length = 256)
    )]
    pub password: String,
}

/// A member's new role: `PATCH /users/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Role,
}

/// `POST /me/password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "the current password", min_length = 1, max_length = 256)
    )]
    pub current_password: String,
    /// 12–256 characters, not the current one.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "a brand new password", min_length = 12, max_length = 256)
    )]
    pub new_password: String,
}

/// A single-use token for one URL that cannot carry a header: `GET /events?link_token=…`
/// (`EventSource`) or `GET /tickets/export.csv?link_token=…` (a download link).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LinkToken {
    /// Good for one request, within `expires_in` seconds.
    #[cfg_attr(feature = "openapi", schema(example = "tkl_3q2-7wFh0vW1Qe0yTqG5Zb3f9nN4xP8sR6uL2mK1cJ0"))]
    pub link_token: String,
    /// Seconds until it expires unused.
    #[cfg_attr(feature = "openapi", schema(example = 60))]
    pub expires_in: u64,
}
