//! Conversations: the chat backend records them; operators read them in the Inbox and
//! turn them into tickets.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use api_types::{
    Conversation, ConversationSummary, CreateConversationRequest, EscalateRequest, List, ListMeta, Message,
    NewMessage, Problem, Ticket,
};
use domain::auth::{Requirement, Scope};
use domain::conversation::{INITIAL_MESSAGES_MAX, MESSAGES_MAX, MessageRole, Visitor, parse_message};
use domain::list::{PER_PAGE_DEFAULT, PER_PAGE_MAX};
use domain::ticket::NewTicket;
use domain::{AgentId, ConversationId, FieldErrors};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, query_pairs};
use crate::{AppState, convert, parse_id};

const WRITE: Requirement = Requirement::token_only(Scope::ConversationsWrite);
const READ: Requirement = Requirement::operator_or(Scope::ConversationsWrite);

/// Record a new conversation, with its first messages.
#[utoipa::path(
    tag = "conversations",
    security(("bearer" = [])),
    request_body = CreateConversationRequest,
    responses(
        (status = 201, description = "Recorded", body = Conversation),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a `conversations:write` token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an unknown agent, an empty message…)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/conversations")]
pub async fn create_conversation(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateConversationRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let CreateConversationRequest { agent_id, visitor, messages } = body?.0;
    let mut errors = FieldErrors::new();
    let visitor = visitor.unwrap_or_default();
    let visitor = Visitor::parse(visitor.name.as_deref(), visitor.email.as_deref(), &mut errors);
    let messages = messages.unwrap_or_default();
    if messages.len() > INITIAL_MESSAGES_MAX {
        errors.add("messages", format!("at most {INITIAL_MESSAGES_MAX} messages at once"));
    }
    let messages: Vec<(MessageRole, String)> = messages
        .into_iter()
        .enumerate()
        .filter_map(|(i, NewMessage { role, content })| {
            errors.check(&format!("messages[{i}].content"), parse_message(&content)).map(|c| (role, c))
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let created =
        state.store.create_conversation(auth.workspace_id(), AgentId(agent_id), visitor, messages).await?;
    Ok(HttpResponse::Created().json(convert::conversation_detail(created)))
}

/// Append a message to a conversation (which must not have expired, and holds at most
/// 1,000 messages: past that, 409 — start a new conversation).
#[utoipa::path(
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The conversation's id")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "Recorded", body = Message),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a `conversations:write` token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The conversation has expired, or holds 1,000 messages already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/conversations/{id}/messages")]
pub async fn add_message(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<NewMessage>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let id = ConversationId(parse_id(&id)?);
    let NewMessage { role, content } = body?.0;
    let content = parse_message(&content).map_err(|e| ApiError::field("content", e))?;
    let message = state.store.add_message(auth.workspace_id(), id, role, content).await?;
    Ok(HttpResponse::Created().json(convert::message(message)))
}

/// The live conversations (the Inbox): not expired, newest activity first.
#[utoipa::path(
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("page" = Option<u64>, Query, description = "Page number, from 1", example = 1, minimum = 1, maximum = 4294967295u64),
        ("per_page" = Option<u64>, Query, description = "Rows per page, 1–100 (default 25)", example = 25, minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "One page of live conversations", body = List<ConversationSummary>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `conversations:write`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/conversations")]
pub async fn list_conversations(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let mut errors = FieldErrors::new();
    let (mut page, mut per_page) = (1, PER_PAGE_DEFAULT);
    for (key, value) in query_pairs(&req)? {
        let parsed = value.trim().parse::<u64>().ok();
        match key.as_str() {
            "page" => match parsed.filter(|p| (1..=u64::from(u32::MAX)).contains(p)) {
                Some(p) => page = p,
                None => errors.add("page", "must be a whole number from 1"),
            },
            "per_page" => match parsed.filter(|p| (1..=PER_PAGE_MAX).contains(p)) {
                Some(p) => per_page = p,
                None => errors.add("per_page", format!("must be a whole number from 1 to {PER_PAGE_MAX}")),
            },
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = domain::time::now();
    let (rows, total) = state.store.live_conversations(auth.workspace_id(), now, page, per_page).await?;
    let data: Vec<_> = rows.into_iter().map(convert::conversation_summary).collect();
    let meta = ListMeta { page, per_page, total, total_exact: true, next_cursor: None };
    Ok(HttpResponse::Ok().json(List { data, meta }))
}

/// One conversation with its thread and the tickets it opened.
///
/// Without parameters the whole thread comes back (a conversation holds at most 1,000
/// messages). To page a long thread, pass `per_page` and then each answer's `next_cursor`
/// as `cursor` (empty to start); `next_cursor` is null on the last page.
#[utoipa::path(
    tag = "conversations",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The conversation's id"),
        ("per_page" = Option<u64>, Query, description = "Messages per page, 1–1,000 (default 1,000)", example = 100, minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page (empty to start)"),
    ),
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `conversations:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation in this workspace (or purged)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `per_page` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/conversations/{id}")]
pub async fn get_conversation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let id = ConversationId(parse_id(&id)?);
    let mut errors = FieldErrors::new();
    let (mut per_page, mut cursor) = (MESSAGES_MAX, None);
    for (key, value) in query_pairs(&req)? {
        let value = value.trim();
        match key.as_str() {
            "per_page" => match value.parse::<u64>().ok().filter(|p| (1..=MESSAGES_MAX).contains(p)) {
                Some(p) => per_page = p,
                None => errors.add("per_page", format!("must be a whole number from 1 to {MESSAGES_MAX}")),
            },
            "cursor" if value.is_empty() => {}
            "cursor" => match uuid::Uuid::parse_str(value) {
                Ok(after) => cursor = Some(after),
                Err(_) => errors.add("cursor", "not a cursor of this conversation's thread"),
            },
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (detail, next) =
        state.store.conversation_page(auth.workspace_id(), id, cursor, Some(per_page)).await?;
    let mut conversation = convert::conversation_detail(detail);
    conversation.next_cursor = next.map(|n| n.to_string());
    Ok(HttpResponse::Ok().json(conversation))
}

/// Convert a conversation into a ticket (operator handoff from the Inbox).
///
/// The ticket is tied to the conversation (whose transcript is then kept), with
/// `metadata = {source: "human_escalation", operator_id}`.
#[utoipa::path(
    tag = "conversations",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The conversation's id")),
    request_body = EscalateRequest,
    responses(
        (status = 201, description = "The ticket", body = Ticket),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a signed-in operator (tokens may not)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such conversation in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The conversation holds 1,000 messages already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/conversations/{id}/escalate")]
pub async fn escalate_conversation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<EscalateRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::USER)?;
    let id = ConversationId(parse_id(&id)?);
    let EscalateRequest { subject, body: text, priority } = body?.0;
    let conversation = state.store.conversation(auth.workspace_id(), id).await?;
    let new = NewTicket::parse(&subject, &text, priority)?;
    let operator =
        auth.session.as_ref().map(|s| s.user.clone()).ok_or_else(|| ApiError::Forbidden("sign in".into()))?;
    let (input, dedupe) = store::paths::escalation(new, &conversation, &operator);
    let (ticket, _) = state.store.create_ticket(auth.workspace_id(), input, dedupe).await?;
    let location = format!("/api/v1/tickets/{}", ticket.reference);
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(convert::ticket(ticket)))
}
