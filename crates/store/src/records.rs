//! What the repositories return: plain values in domain types, free of SeaORM.

use chrono::{DateTime, Utc};
use domain::auth::{Role, Scope};
use domain::ticket::{EventKind, Priority, Status};
use domain::{AgentId, ConversationId, TicketId, TokenId, UserId, WorkspaceId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub ticket_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A user in a workspace, with their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// A signed-in user's context, reloaded on every request so that a removed member or a
/// changed role takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub workspace: Workspace,
    pub role: Role,
    /// The user's session version: a JWT carrying another one is no longer valid.
    pub session_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Serialises exactly as the API's ticket (event payloads use it).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ticket {
    pub id: TicketId,
    pub workspace_id: WorkspaceId,
    pub number: i64,
    pub reference: String,
    pub agent_id: Option<AgentId>,
    pub conversation_id: Option<ConversationId>,
    pub subject: String,
    pub body: String,
    pub status: Status,
    pub priority: Priority,
    pub assigned_to_user_id: Option<UserId>,
    pub notes: Option<String>,
    pub metadata: serde_json::Value,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub requester: Option<domain::thread::Requester>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// The SLA states when the ticket was read.
    pub sla: domain::sla::SlaStates,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: uuid::Uuid,
    pub role: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub agent_id: AgentId,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub messages: Vec<Message>,
}

/// A ticket with what its page shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub conversation: Option<Conversation>,
    pub assignee: Option<User>,
    pub comments_count: u64,
}

/// Who did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    Token(TokenId),
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorName {
    pub actor: Actor,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: ActorName,
    pub at: DateTime<Utc>,
}

/// One page of tickets.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub total: u64,
    pub total_exact: bool,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
}

/// A chat bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub vertical: domain::agent::Vertical,
    pub overrides: domain::agent::VerticalOverrides,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Agent {
    /// The vertical's preset ∪ the overrides.
    pub fn capabilities(&self) -> Vec<domain::agent::Capability> {
        domain::agent::effective_capabilities(self.vertical, &self.overrides)
    }
}

/// A conversation as the Inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub agent_id: AgentId,
    pub agent_name: String,
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    pub started_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub has_ticket: bool,
}

/// A conversation with its thread, its visitor and the tickets it opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<Message>,
    /// References of the tickets linked to it, oldest first.
    pub tickets: Vec<(TicketId, String)>,
}

/// A call-to-action button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtaRule {
    pub id: uuid::Uuid,
    pub workspace_id: WorkspaceId,
    pub kind: domain::cta::CtaKind,
    pub label: String,
    pub agent_id: Option<AgentId>,
    pub subject_template: Option<String>,
    pub priority: Priority,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
