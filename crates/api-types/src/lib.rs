//! Request and response bodies of the REST API (`/api/v1`), shared by the server and the
//! admin app. Plain serde types over the domain's enums; the OpenAPI schemas are derived
//! behind the `openapi` feature. No database or web framework in this crate's tree: it
//! builds for `wasm32-unknown-unknown`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

mod team;
pub use team::{ChangePasswordRequest, CreateUserRequest, LinkToken, UpdateUserRequest};

pub use domain::agent::{Capability, Vertical, VerticalOverrides};
pub use domain::auth::{Role, Scope};
pub use domain::conversation::MessageRole;
pub use domain::cta::CtaKind;
pub use domain::delivery::DeliveryState;
pub use domain::notification::{ChannelKind, EventType, OutboxEventType};
pub use domain::ticket::{EventKind, Priority, Source, Status};
pub use sla::*;

mod sla;

mod inbound;
pub use inbound::{IgnoredReason, InboundAccepted, InboundIgnored};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

mod queue;
pub use queue::*;
pub mod thread;
pub use thread::{
    AuthorType, Comment, CommentAuthor, CommentDelivery, CommentKind, DeliveryStatus, NewComment, Requester,
};
#[cfg(feature = "openapi")]
mod list_schema;
mod receipt;
pub use receipt::{TicketOrReceipt, TicketReceipt};

/// An RFC 9457 problem (`application/problem+json`): every error the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[cfg_attr(feature = "openapi", schema(example = "https://ticketd.dev/problems/validation"))]
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary of the kind of problem.
    #[cfg_attr(feature = "openapi", schema(example = "Invalid input"))]
    pub title: String,
    /// The HTTP status code.
    #[cfg_attr(feature = "openapi", schema(example = 422))]
    pub status: u16,
    /// What went wrong with this request.
    #[cfg_attr(feature = "openapi", schema(example = "1 field is invalid"))]
    pub detail: String,
    /// Validation failures: field name (a JSON path for nested fields) → messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// Tool invocations only: a sentence the bot can say to the visitor, so that a failed
    /// handoff never leaves them without a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A workspace (tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Workspace {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Acme Support"))]
    pub name: String,
    /// Prefix of ticket references, e.g. `ACME` in `ACME-12`.
    #[cfg_attr(feature = "openapi", schema(example = "ACME"))]
    pub ticket_prefix: String,
}

/// A person, as shown beside a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct UserSummary {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Ada Operator"))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(example = "ada@acme.test"))]
    pub email: String,
}

/// A workspace member (for the assignee picker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// Credentials for `POST /auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// At most 254 characters.
    #[cfg_attr(feature = "openapi", schema(example = "admin@acme.test", min_length = 1, max_length = 254))]
    pub email: String,
    /// At most 256 characters.
    #[cfg_attr(feature = "openapi", schema(example = "admin password", min_length = 1, max_length = 256))]
    pub password: String,
    /// The workspace's ticket prefix or id; needed only when the user belongs to several.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "ACME", max_length = 36))]
    pub workspace: Option<String>,
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LoginResponse {
    /// A JWT (HS256) to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[cfg_attr(feature = "openapi", schema(example = "Bearer"))]
    pub token_type: String,
    /// Seconds until the token expires.
    #[cfg_attr(feature = "openapi", schema(example = 43200))]
    pub expires_in: u64,
    pub user: UserSummary,
    pub workspace: Workspace,
    pub role: Role,
}

/// An API token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiToken {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "chat backend"))]
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set when the token was revoked; a revoked token answers 401.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new API token, with its secret: shown this once, store it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedApiToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// `tkd_<token id>_<random>`: send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Body of `POST /api-tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiTokenRequest {
    /// 1–100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "chat backend", min_length = 1, max_length = 100))]
    pub name: String,
    /// At least one scope.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, example = json!(["conversations:write", "tools:invoke", "tickets:read"])))]
    pub scopes: Vec<Scope>,
}

/// The token part of `GET /me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenSummary {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// `GET /me`: who is calling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    /// The signed-in user, or null for an API token.
    pub user: Option<UserSummary>,
    /// The API token, or null for a signed-in user.
    pub token: Option<TokenSummary>,
    pub workspace: Workspace,
    /// The user's role, or null for an API token.
    pub role: Option<Role>,
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Ticket {
    pub id: Uuid,
    /// Per-workspace sequence number: 1, 2, 3 … never reused.
    #[cfg_attr(feature = "openapi", schema(example = 1234))]
    pub number: i64,
    /// `{ticket_prefix}-{number}`.
    #[cfg_attr(feature = "openapi", schema(example = "ACME-1234"))]
    pub reference: String,
    pub workspace_id: Uuid,
    pub agent_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(example = "Refund for order #5521 not received"))]
    pub subject: String,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Visitor paid twice for order #5521 and asked for a refund on May 2.")
    )]
    pub body: String,
    pub status: Status,
    pub priority: Priority,
    pub assigned_to_user_id: Option<Uuid>,
    /// Operator notes.
    pub notes: Option<String>,
    /// Free-form context; `source` tells how the ticket was created.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"source": "api"})))]
    pub metadata: serde_json::Value,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the first response is due (null for tickets created before SLA targets).
    #[serde(default)]
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// When the resolution is due; counted from the reopening after a reopen.
    #[serde(default)]
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// Each SLA clock's state when the ticket was read.
    #[serde(default)]
    pub sla: SlaStates,
    /// Who the ticket is for (replies are mailed to them); null when unknown.
    pub requester: Option<Requester>,
    /// When the first reply was posted; null until then.
    pub first_responded_at: Option<DateTime<Utc>>,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Message {
    pub id: Uuid,
    /// `visitor`, `assistant`, `operator`, `tool` or `system`.
    #[cfg_attr(feature = "openapi", schema(example = "visitor"))]
    pub role: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A conversation with its full, ordered message thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConversationThread {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub messages: Vec<Message>,
}

/// A ticket with its chat transcript and assignee (`GET /tickets/{id-or-reference}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// The linked conversation, or null when the ticket was opened without a chat.
    pub conversation: Option<ConversationThread>,
    /// The assigned member, or null.
    pub assignee: Option<UserSummary>,
    /// Comments in its thread.
    pub comments_count: u64,
}

/// Body of `POST /tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTicketRequest {
    /// 1–120 characters, trimmed.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Refund for order #5521 not received", min_length = 1, max_length = 120)
    )]
    pub subject: String,
    /// Required, at most 20,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Paid twice on May 2; asked for a refund.", min_length = 1, max_length = 20000)
    )]
    pub body: String,
    /// Defaults to `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// A member to assign; the ticket then starts `pending`.
    #[serde(default)]
    pub assigned_to_user_id: Option<Uuid>,
    /// Your own context, kept on the ticket; `source` is always set to `api`. At most 50
    /// keys of 1–100 characters, and 16 KiB of JSON.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>, example = json!({"crm_id": "C-88"})))]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Who the ticket is for; replies are mailed to its `email`.
    #[serde(
        default,
        deserialize_with = "thread::optional_requester",
        skip_serializing_if = "Option::is_none"
    )]
    pub requester: Option<Requester>,
}

/// Body of `PATCH /tickets/{id-or-reference}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketRequest {
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Status))]
    pub status: Option<Status>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Priority))]
    pub priority: Option<Priority>,
    /// A member's id, or null to unassign. Assigning an open ticket makes it `pending`;
    /// unassigning a pending one makes it `open` (unless `status` is also given).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>, nullable))]
    pub assigned_to_user_id: Option<Option<Uuid>>,
    /// Operator notes, at most 20,000 characters; null or blank clears them.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable, max_length = 20000))]
    pub notes: Option<Option<String>>,
    /// Replaces the requester (both parts); null clears it. A bad address is 422
    /// `requester.email`.
    #[serde(default, deserialize_with = "thread::requester_patch", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Requester>, nullable))]
    pub requester: Option<Option<Requester>>,
}

/// A field that may be absent but, when present, may not be `null`.
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// serde's derived structs also read JSON arrays (`"visitor": ["Jane", null]` fills the
/// fields in order); the API's objects are objects. A nested struct goes through one of
/// these so that an array is a type error (422) like any other.
struct ObjectOnly<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
}

impl<'de, T: Deserialize<'de>> serde::de::DeserializeSeed<'de> for ObjectOnly<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

fn object_only<T>() -> ObjectOnly<T> {
    ObjectOnly(std::marker::PhantomData)
}

/// An optional object: absent or `null` is `None`, an array is an error.
fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OptionVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for OptionVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            d.deserialize_map(object_only()).map(Some)
        }
    }
    deserializer.deserialize_option(OptionVisitor(std::marker::PhantomData))
}

/// An object that may be absent but, when present, is neither `null` nor an array.
fn not_null_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_map(object_only()).map(Some)
}

/// An optional array of objects.
fn optional_objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct SeqVisitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for SeqVisitor<T> {
        type Value = Option<Vec<T>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of JSON objects, or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
            while let Some(item) = seq.next_element_seed(object_only())? {
                items.push(item);
            }
            Ok(Some(items))
        }
    }
    deserializer.deserialize_option(SeqVisitor(std::marker::PhantomData))
}

/// Tells a field that is present (even as `null`) from one that is absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Who did something on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Actor {
    /// `user`, `token` or `system`.
    #[cfg_attr(feature = "openapi", schema(example = "user"))]
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

/// One entry of a ticket's activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketEvent {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub kind: EventKind,
    /// The value before (null on creation or when unset).
    pub from: Option<String>,
    /// The value after.
    pub to: Option<String>,
    pub actor: Actor,
    pub at: DateTime<Utc>,
}

/// Pagination and totals of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ListMeta {
    /// The page number; 0 when walking by cursor (the depth is not known).
    pub page: u64,
    pub per_page: u64,
    /// Matching rows: exact up to 1,000, then an estimate unless `total_exact`.
    pub total: u64,
    /// Whether `total` is an exact count.
    pub total_exact: bool,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl ListMeta {
    /// The meta of a list returned whole.
    pub fn whole(len: usize) -> Self {
        let len = len as u64;
        ListMeta { page: 1, per_page: len, total: len, total_exact: true, next_cursor: None }
    }
}

/// A list: `{data, meta}`. Its OpenAPI schema is in `list_schema.rs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub meta: ListMeta,
}

impl<T> List<T> {
    pub fn whole(data: Vec<T>) -> Self {
        let meta = ListMeta::whole(data.len());
        List { data, meta }
    }
}

/// `GET /healthz` and `GET /readyz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Health {
    /// `ok`, or `unavailable` when a dependency is down.
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub status: String,
    /// `ok` / `unavailable` for the database (readiness only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// A chat bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Agent {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "Helpdesk Bot"))]
    pub name: String,
    pub vertical: Vertical,
    /// Capabilities added to the vertical's preset.
    pub vertical_overrides: VerticalOverrides,
    /// What the agent can do: the vertical's preset ∪ the overrides.
    pub capabilities: Vec<Capability>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    /// 1–100 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Sales Bot", min_length = 1, max_length = 100))]
    pub name: String,
    pub vertical: Vertical,
    /// e.g. `{"capabilities": ["ticketing"]}` to let a sales agent open tickets.
    #[serde(default, deserialize_with = "optional_object")]
    pub vertical_overrides: Option<VerticalOverrides>,
}

/// Body of `PATCH /agents/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAgentRequest {
    /// 1–100 characters.
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vertical))]
    pub vertical: Option<Vertical>,
    #[serde(default, deserialize_with = "not_null_object", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = VerticalOverrides))]
    pub vertical_overrides: Option<VerticalOverrides>,
}

/// A tool definition, ready to hand to an LLM (the shape of OpenAI and Anthropic tools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Tool {
    #[cfg_attr(feature = "openapi", schema(example = "open_ticket"))]
    pub name: String,
    /// When and how the model should use the tool.
    pub description: String,
    /// JSON Schema of the tool's input.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub input_schema: serde_json::Value,
}

/// Body of `POST /agents/{id}/tools/{name}/invocations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvokeToolRequest {
    /// The conversation the bot is in (it must be this agent's).
    pub conversation_id: Uuid,
    /// The LLM's id for this call (1–200 characters): retries with the same id return the
    /// same ticket.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "toolu_01A09q90qw90lq917835lq9", min_length = 1, max_length = 200)
    )]
    pub tool_call_id: String,
    /// The tool's input, as the model produced it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, example = json!({"subject": "Refund for order #5521", "body": "Paid twice on May 2 (order #5521); card ending 4242. Wants the duplicate refunded.", "priority": "high"})))]
    pub input: serde_json::Value,
}

/// A ticket opened from a chat, with the sentence to show or say to the visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketOpened {
    pub ticket: Ticket,
    #[cfg_attr(feature = "openapi", schema(example = "ACME-1234"))]
    pub reference: String,
    /// e.g. "I've opened ticket #ACME-1234 for our team. …"
    pub message: String,
}

/// The visitor of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Visitor {
    /// At most 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Jane Doe", max_length = 100))]
    pub name: Option<String>,
    /// At most 254 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "jane@example.com", max_length = 254))]
    pub email: Option<String>,
}

/// A message to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub role: MessageRole,
    /// 1–20,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "My order never arrived.", min_length = 1, max_length = 20000)
    )]
    pub content: String,
}

/// Body of `POST /conversations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateConversationRequest {
    pub agent_id: Uuid,
    #[serde(default, deserialize_with = "optional_object")]
    pub visitor: Option<Visitor>,
    /// The first messages, oldest first (at most 200).
    #[serde(default, deserialize_with = "optional_objects")]
    pub messages: Option<Vec<NewMessage>>,
}

/// A ticket linked to a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TicketRef {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "ACME-12"))]
    pub reference: String,
}

/// A conversation as the Inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConversationSummary {
    pub id: Uuid,
    pub agent_id: Uuid,
    pub agent_name: String,
    pub visitor: Visitor,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// 24 hours after the last message; a conversation linked to a ticket is kept anyway.
    pub expires_at: DateTime<Utc>,
    /// Whether a ticket links this conversation (its transcript is then kept).
    pub has_ticket: bool,
}

/// A conversation with its whole thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Conversation {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Tickets opened from this conversation, oldest first.
    pub tickets: Vec<TicketRef>,
    /// The messages, oldest first: the whole thread, or one page of it when
    /// `GET /conversations/{id}` is paged (`per_page`, `cursor`).
    pub messages: Vec<Message>,
    /// Pass as `cursor` for the messages after these; null when `messages` ends the thread.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// Body of `POST /conversations/{id}/escalate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Visitor needs a refund for order #5521", min_length = 1, max_length = 120)
    )]
    pub subject: String,
    /// 1–20,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "Left the chat before we could confirm the refund; call back.",
            min_length = 1,
            max_length = 20000
        )
    )]
    pub body: String,
    #[serde(default)]
    pub priority: Option<Priority>,
}

/// A call-to-action button in the chat widget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CtaRule {
    pub id: Uuid,
    pub kind: CtaKind,
    #[cfg_attr(feature = "openapi", schema(example = "Talk to a human"))]
    pub label: String,
    /// The agent whose widget shows it; null for every agent.
    pub agent_id: Option<Uuid>,
    /// Subject of the tickets it opens; placeholders `{visitor_name}`, `{visitor_email}`,
    /// `{agent_name}`, `{first_message}`. Null: the visitor's first message.
    #[cfg_attr(feature = "openapi", schema(example = "Callback request from {visitor_name}"))]
    pub subject_template: Option<String>,
    pub priority: Priority,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /cta-rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCtaRuleRequest {
    pub kind: CtaKind,
    /// The button's text, 1–60 characters.
    #[cfg_attr(feature = "openapi", schema(example = "Talk to a human", min_length = 1, max_length = 60))]
    pub label: String,
    #[serde(default)]
    pub agent_id: Option<Uuid>,
    /// At most 200 characters; placeholders `{visitor_name}`, `{visitor_email}`,
    /// `{agent_name}`, `{first_message}`.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Callback request from {visitor_name}", max_length = 200)
    )]
    pub subject_template: Option<String>,
    /// Defaults to `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Defaults to true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Body of `PATCH /cta-rules/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCtaRuleRequest {
    /// 1–60 characters.
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, min_length = 1, max_length = 60))]
    pub label: Option<String>,
    /// An agent's id, or null for every agent.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Uuid>, nullable))]
    pub agent_id: Option<Option<Uuid>>,
    /// A template (at most 200 characters), or null for none.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable, max_length = 200))]
    pub subject_template: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Priority))]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = bool))]
    pub enabled: Option<bool>,
}

/// Body of `POST /cta-rules/{id}/clicks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtaClickRequest {
    /// The conversation whose visitor clicked.
    pub conversation_id: Uuid,
}

/// Where operators get new-lead and ticket notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NotificationChannel {
    pub id: Uuid,
    pub kind: ChannelKind,
    /// Where a `webhook` or `slack` channel posts; null for `email`.
    #[cfg_attr(feature = "openapi", schema(example = "https://hooks.example.com/ticketd"))]
    pub url: Option<String>,
    /// Where an `email` channel mails its pings; null for the others.
    #[cfg_attr(feature = "openapi", schema(example = json!(null)))]
    pub address: Option<String>,
    /// The event types delivered to it.
    pub events: Vec<EventType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new channel, with its signing secret: shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedNotificationChannel {
    #[serde(flatten)]
    pub channel: NotificationChannel,
    /// The HMAC-SHA256 key of the `Ticketd-Signature` header; null for an `email` channel
    /// (mail is not signed).
    pub secret: Option<String>,
}

/// Body of `POST /notification-channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateNotificationChannelRequest {
    pub kind: ChannelKind,
    /// `webhook` and `slack` only (required): http(s), at most 2048 characters; loopback and
    /// private addresses are refused unless the server allows them.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(example = "https://hooks.example.com/ticketd", max_length = 2048)
    )]
    pub url: Option<String>,
    /// `email` only (required): the mailbox that gets the pings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(null), max_length = 254))]
    pub address: Option<String>,
    /// Defaults to `lead.created`, `ticket.created` and `ticket.updated`; at least one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub events: Option<Vec<EventType>>,
    /// `webhook` and `slack` only: 16–200 characters; generated when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 16, max_length = 200))]
    pub secret: Option<String>,
    /// Defaults to true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Body of `PATCH /notification-channels/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateNotificationChannelRequest {
    /// A `webhook` or `slack` channel's new URL: http(s), at most 2048 characters. Events
    /// already queued still go to the URL they were queued for.
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, max_length = 2048))]
    pub url: Option<String>,
    /// An `email` channel's new address (pings already queued keep theirs).
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, max_length = 254))]
    pub address: Option<String>,
    /// At least one event type.
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<EventType>, min_items = 1))]
    pub events: Option<Vec<EventType>>,
    #[serde(default, deserialize_with = "not_null", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = bool))]
    pub enabled: Option<bool>,
}

/// One event's delivery to one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    /// The event's id, also sent as `Ticketd-Event-Id`.
    pub event_id: Uuid,
    /// The event's type: one the channel subscribes to, or `test` (a channel test).
    pub event_type: OutboxEventType,
    /// The URL or address it was queued for (a channel pointed elsewhere since keeps
    /// delivering what was queued to where it was queued for).
    #[cfg_attr(feature = "openapi", schema(example = "https://hooks.example.com/ticketd"))]
    pub target: String,
    /// `pending` (waiting or retrying), `delivered`, or `failed` (given up after 24 hours).
    pub status: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /leads/events`: a new lead captured by the chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeadEventRequest {
    /// At most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Jane Doe", max_length = 200))]
    pub name: Option<String>,
    /// At most 254 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "jane@example.com", max_length = 254))]
    pub email: Option<String>,
    /// At most 50 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "+1 555 0100", max_length = 50))]
    pub phone: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<Uuid>,
    #[serde(default)]
    pub agent_id: Option<Uuid>,
    #[serde(default)]
    /// At most 2,000 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Wants a demo for 20 seats next week", max_length = 2000)
    )]
    pub summary: Option<String>,
}

/// An event accepted for delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct EventAccepted {
    pub event_id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_null_from_absent() {
        let patch: UpdateTicketRequest = serde_json::from_str(r#"{"assigned_to_user_id": null}"#).unwrap();
        assert_eq!(patch.assigned_to_user_id, Some(None));
        let patch: UpdateTicketRequest = serde_json::from_str(r#"{"notes": "x"}"#).unwrap();
        assert_eq!(patch.assigned_to_user_id, None);
        assert_eq!(patch.notes, Some(Some("x".into())));
        assert!(serde_json::from_str::<UpdateTicketRequest>(r#"{"assignee": null}"#).is_err());
        assert!(serde_json::from_str::<UpdateTicketRequest>(r#"{"status": null}"#).is_err());
        assert_eq!(
            serde_json::from_str::<UpdateTicketRequest>("{}").unwrap(),
            UpdateTicketRequest::default()
        );
    }

    #[test]
    fn nested_objects_must_be_objects() {
        let ok: CreateConversationRequest = serde_json::from_str(
            r#"{"agent_id": "00000000-0000-0000-0000-000000000000", "visitor": {"name": "Jo"}, "messages": [{"role": "visitor", "content": "hi"}]}"#,
        )
        .unwrap();
        assert_eq!(ok.visitor.unwrap().name.as_deref(), Some("Jo"));
        assert_eq!(ok.messages.unwrap().len(), 1);
        let none: CreateConversationRequest = serde_json::from_str(
            r#"{"agent_id": "00000000-0000-0000-0000-000000000000", "visitor": null, "messages": null}"#,
        )
        .unwrap();
        assert_eq!((none.visitor, none.messages), (None, None));
        for bad in [
            r#""visitor": [null, null]"#,
            r#""visitor": ["Jo", "jo@example.com"]"#,
            r#""messages": [["visitor", "hi"]]"#,
            r#""messages": {"role": "visitor"}"#,
        ] {
            let json = format!(r#"{{"agent_id": "00000000-0000-0000-0000-000000000000", {bad}}}"#);
            assert!(serde_json::from_str::<CreateConversationRequest>(&json).is_err(), "{bad}");
        }
        assert!(
            serde_json::from_str::<CreateAgentRequest>(
                r#"{"name": "a", "vertical": "sales", "vertical_overrides": [[]]}"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<UpdateAgentRequest>(r#"{"vertical_overrides": [[]]}"#).is_err());
        assert!(serde_json::from_str::<UpdateAgentRequest>(r#"{"vertical_overrides": null}"#).is_err());
        let patch: UpdateAgentRequest =
            serde_json::from_str(r#"{"vertical_overrides": {"capabilities": []}}"#).unwrap();
        assert_eq!(patch.vertical_overrides, Some(VerticalOverrides::default()));
    }

    #[test]
    fn requester_fields_tell_absent_from_null() {
        let patch: UpdateTicketRequest = serde_json::from_str(r#"{"status": "open"}"#).unwrap();
        assert_eq!(patch.requester, None);
        let patch: UpdateTicketRequest = serde_json::from_str(r#"{"requester": null}"#).unwrap();
        assert_eq!(patch.requester, Some(None));
        let patch: UpdateTicketRequest =
            serde_json::from_str(r#"{"requester": {"email": "jo@example.com"}}"#).unwrap();
        assert_eq!(
            patch.requester,
            Some(Some(Requester { name: None, email: Some("jo@example.com".into()) }))
        );
        assert!(serde_json::from_str::<UpdateTicketRequest>(r#"{"requester": ["Jo"]}"#).is_err());
        assert!(serde_json::from_str::<UpdateTicketRequest>(r#"{"requester": {"phone": "1"}}"#).is_err());
        let create: CreateTicketRequest =
            serde_json::from_str(r#"{"subject": "s", "body": "b", "requester": null}"#).unwrap();
        assert_eq!(create.requester, None);
        assert!(
            serde_json::from_str::<CreateTicketRequest>(r#"{"subject": "s", "body": "b", "requester": "x"}"#)
                .is_err()
        );
    }

    #[test]
    fn detail_flattens_the_ticket() {
        let ticket = Ticket {
            id: Uuid::nil(),
            number: 1,
            reference: "ACME-1".into(),
            workspace_id: Uuid::nil(),
            agent_id: None,
            conversation_id: None,
            subject: "s".into(),
            body: "b".into(),
            status: Status::Open,
            priority: Priority::Normal,
            assigned_to_user_id: None,
            notes: None,
            metadata: serde_json::json!({"source": "api"}),
            resolved_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            first_response_due_at: None,
            resolution_due_at: None,
            sla: Default::default(),
            requester: None,
            first_responded_at: None,
        };
        let json = serde_json::to_value(TicketDetail {
            ticket,
            conversation: None,
            assignee: None,
            comments_count: 0,
        })
        .unwrap();
        assert_eq!(json["reference"], "ACME-1");
        assert!(json["conversation"].is_null() && json["assignee"].is_null());
    }
}
