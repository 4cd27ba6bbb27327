//! The ticket thread: the requester, comments and the delivery of replies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

pub use domain::thread::{AuthorType, CommentKind, DeliveryStatus};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Who a ticket is for: replies are mailed to `email`. On a ticket it is null when both
/// parts are unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Requester {
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Jane Doe", max_length = 200))]
    pub name: Option<String>,
    /// An e-mail address, at most 254 characters (an empty string means none).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "jane@example.com", max_length = 254))]
    pub email: Option<String>,
}

/// Who wrote a comment. For `customer` comments it is the requester (`id` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommentAuthor {
    #[serde(rename = "type")]
    pub kind: AuthorType,
    /// The user's or token's id; null for the requester.
    pub id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(example = "Ada Operator"))]
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The e-mail of a reply: `queued` while waiting or retrying (`last_error` says why the last
/// try failed), `sent`, or `failed` when retries ended after 24 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CommentDelivery {
    pub status: DeliveryStatus,
    /// Tries so far.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// One comment of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Comment {
    pub id: Uuid,
    /// The ticket it belongs to (for a customer comment on a closed ticket, the follow-up).
    pub ticket_id: Uuid,
    pub kind: CommentKind,
    pub author: CommentAuthor,
    /// Plain text; line breaks are part of it.
    #[cfg_attr(feature = "openapi", schema(example = "Hi Jane, the refund went out today."))]
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Replies only: the e-mail's delivery; null for notes and customer comments.
    pub delivery: Option<CommentDelivery>,
}

/// Body of `POST /tickets/{id-or-reference}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub kind: CommentKind,
    /// Plain text, 1–20,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Hi Jane, the refund went out today.", min_length = 1, max_length = 20000)
    )]
    pub body: String,
}

/// A requester field of a request: absent leaves it, `null` clears it, an object sets it
/// (an array is a type error, like everywhere else).
pub(crate) fn requester_patch<'de, D>(deserializer: D) -> Result<Option<Option<Requester>>, D::Error>
where
    D: Deserializer<'de>,
{
    super::optional_object(deserializer).map(Some)
}

/// An optional requester object.
pub(crate) fn optional_requester<'de, D>(deserializer: D) -> Result<Option<Requester>, D::Error>
where
    D: Deserializer<'de>,
{
    super::optional_object(deserializer)
}
