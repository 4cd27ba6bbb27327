//! Agents (chat bots), their tools, and tool invocations.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use api_types::{
    Agent, CreateAgentRequest, CtaRule, InvokeToolRequest, List, Problem, TicketOpened, Tool,
    UpdateAgentRequest,
};
use domain::agent::parse_agent_name;
use domain::auth::{Requirement, Scope};
use domain::tool::{self, ticket_failed_message, ticket_opened_message};
use domain::{AgentId, ConversationId, FieldErrors};
use store::agents::AgentPatch;
use store::tickets::Created;

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, convert, parse_id};

async fn find_agent(state: &AppState, auth: &Auth, id: &str) -> Result<store::Agent, ApiError> {
    Ok(state.store.agent(auth.workspace_id(), AgentId(parse_id(id)?)).await?)
}

/// List the workspace's agents.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agents, oldest first", body = List<Agent>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `admin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents")]
pub async fn list_agents(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::Admin))?;
    let agents = state.store.agents(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(List::whole(agents.into_iter().map(convert::agent).collect())))
}

/// One agent, with its effective capabilities.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent", body = Agent),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `admin`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents/{id}")]
pub async fn get_agent(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::Admin))?;
    Ok(HttpResponse::Ok().json(convert::agent(find_agent(&state, &auth, &id).await?)))
}

/// Create an agent.
///
/// Its capabilities are its vertical's preset plus `vertical_overrides.capabilities`:
/// `help_center` agents get `ticketing` (the `open_ticket` tool); others can opt in with
/// `{"capabilities": ["ticketing"]}`.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    request_body = CreateAgentRequest,
    responses(
        (status = 201, description = "Created", body = Agent),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/agents")]
pub async fn create_agent(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateAgentRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let CreateAgentRequest { name, vertical, vertical_overrides } = body?.0;
    let name = parse_agent_name(&name).map_err(|e| ApiError::field("name", e))?;
    let overrides = vertical_overrides.unwrap_or_default();
    let agent = state.store.create_agent(auth.workspace_id(), &name, vertical, &overrides).await?;
    Ok(HttpResponse::Created().json(convert::agent(agent)))
}

/// Change an agent's name, vertical or overrides.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    request_body = UpdateAgentRequest,
    responses(
        (status = 200, description = "The agent after the change", body = Agent),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/agents/{id}")]
pub async fn update_agent(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<UpdateAgentRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = AgentId(parse_id(&id)?);
    let UpdateAgentRequest { name, vertical, vertical_overrides } = body?.0;
    let name = name.map(|n| parse_agent_name(&n).map_err(|e| ApiError::field("name", e))).transpose()?;
    let patch = AgentPatch { name, vertical, overrides: vertical_overrides };
    let agent = state.store.update_agent(auth.workspace_id(), id, patch).await?;
    Ok(HttpResponse::Ok().json(convert::agent(agent)))
}

/// Delete an agent; its conversations and tickets stay, its CTA buttons go.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/agents/{id}")]
pub async fn delete_agent(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    state.store.delete_agent(auth.workspace_id(), AgentId(parse_id(&id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The tools this agent may call, ready to hand to an LLM.
///
/// Each has `name`, `description` and a JSON-Schema `input_schema` — the shape OpenAI's and
/// Anthropic's tool definitions take. `open_ticket` is there while the agent has `ticketing`.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent's tools", body = List<Tool>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor a `tools:invoke` token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents/{id}/tools")]
pub async fn list_agent_tools(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::admin_or(Scope::ToolsInvoke))?;
    let agent = find_agent(&state, &auth, &id).await?;
    let tools = tool::tools_for(&agent.capabilities()).into_iter().map(convert::tool).collect();
    Ok(HttpResponse::Ok().json(List::whole(tools)))
}

/// The enabled CTA buttons the chat widget should render for this agent.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent's buttons and the workspace-wide ones", body = List<CtaRule>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither an admin nor a `conversations:write` token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents/{id}/cta-rules")]
pub async fn list_agent_cta_rules(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::admin_or(Scope::ConversationsWrite))?;
    let agent = find_agent(&state, &auth, &id).await?;
    let rules = state.store.enabled_cta_rules_for(auth.workspace_id(), agent.id).await?;
    Ok(HttpResponse::Ok().json(List::whole(rules.into_iter().map(convert::cta_rule).collect())))
}

/// Invoke a tool on behalf of the agent's LLM (the chat backend relays the call).
///
/// `open_ticket` opens a ticket tied to the conversation (`metadata.source =
/// "open_ticket_tool"`), appends the call and its result to the conversation as a `tool`
/// message, and answers `{ticket, reference, message}`: `message` is the sentence the bot
/// says next. Retries with the same `tool_call_id` — even concurrent ones — answer the same
/// ticket (200). Every error answer also carries a `message` for the bot to say.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The agent's id"),
        ("name" = String, Path, description = "The tool's name", example = "open_ticket"),
    ),
    request_body = InvokeToolRequest,
    responses(
        (status = 201, description = "The ticket was opened", body = TicketOpened),
        (status = 200, description = "A retry of an earlier call: the same ticket", body = TicketOpened),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tools:invoke`, or the agent lacks the tool's capability", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent or tool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The conversation holds 1,000 messages already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, naming the field (`input.subject`…)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invocations with this token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/agents/{id}/tools/{name}/invocations")]
pub async fn invoke_tool(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    body: Result<JsonBody<InvokeToolRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (agent_id, name) = path.into_inner();
    // The scope check too answers with a sentence for the bot.
    let result = match auth.require(Requirement::token_only(Scope::ToolsInvoke)) {
        Ok(()) => {
            let limited = match auth.token.as_ref() {
                Some(t) => state.security.check_tool_invocation(&state.store, t.id.0).await,
                None => Ok(()),
            };
            match limited {
                Ok(()) => invoke(&state, &auth, &agent_id, &name, body).await,
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    result.map_err(|e| e.for_bot(ticket_failed_message()))
}

async fn invoke(
    state: &AppState,
    auth: &Auth,
    agent_id: &str,
    name: &str,
    body: Result<JsonBody<InvokeToolRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let agent = find_agent(state, auth, agent_id).await?;
    let definition = tool::find(name).ok_or(ApiError::NotFound)?;
    if !agent.capabilities().contains(&definition.capability) {
        return Err(ApiError::Forbidden(format!(
            "agent {} lacks the `{}` capability that `{}` needs",
            agent.name, definition.capability, definition.name
        )));
    }
    let InvokeToolRequest { conversation_id, tool_call_id, input } = body?.0;
    let mut errors = FieldErrors::new();
    let tool_call_id =
        errors.check("tool_call_id", tool::parse_tool_call_id(&tool_call_id)).unwrap_or_default();
    let conversation_id = ConversationId(conversation_id);
    let conversation = match state.store.conversation_agent(auth.workspace_id(), conversation_id).await {
        Ok(owner) if owner == agent.id => Some(conversation_id),
        Ok(_) => {
            errors.add("conversation_id", "this conversation belongs to another agent");
            None
        }
        Err(store::StoreError::NotFound) => {
            errors.add("conversation_id", "no such conversation in this workspace (it may have expired)");
            None
        }
        Err(e) => return Err(e.into()),
    };
    // One arm per tool: its input parser and its handler.
    let new_ticket = match definition.name {
        "open_ticket" => match tool::parse_open_ticket(&input) {
            Ok(t) => Some(t),
            Err(e) => {
                e.0.0.into_iter().for_each(|(f, ms)| ms.into_iter().for_each(|m| errors.add(f.clone(), m)));
                None
            }
        },
        _ => return Err(ApiError::NotFound),
    };
    let (Some(conversation), Some(new_ticket), true) = (conversation, new_ticket, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };

    let (input, dedupe) = store::paths::tool_call(
        definition,
        new_ticket,
        agent.id,
        conversation,
        &tool_call_id,
        &input,
        auth.actor(),
    );
    let (ticket, created) = state.store.create_ticket(auth.workspace_id(), input, dedupe).await?;
    Ok(opened(ticket, created, ticket_opened_message))
}

/// `{ticket, reference, message}` with 201 for a new ticket and 200 for a replay.
pub fn opened(ticket: store::Ticket, created: Created, message: fn(&str) -> String) -> HttpResponse {
    let reference = ticket.reference.clone();
    let body = TicketOpened { message: message(&reference), reference, ticket: convert::ticket(ticket) };
    match created {
        Created::New => HttpResponse::Created().json(body),
        Created::Replayed => HttpResponse::Ok().json(body),
    }
}
