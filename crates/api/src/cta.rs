//! Call-to-action buttons (admin) and the clicks the chat backend relays.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use api_types::{
    CreateCtaRuleRequest, CtaClickRequest, CtaRule, List, Problem, TicketOpened, UpdateCtaRuleRequest,
};
use domain::auth::{Requirement, Scope};
use domain::cta::{self};
use domain::{AgentId, ConversationId, FieldErrors};
use store::cta::{CtaRulePatch, NewCtaRule};

use crate::agents::opened;
use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, convert, parse_id};

/// List the workspace's CTA buttons.
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The buttons, oldest first", body = List<CtaRule>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/cta-rules")]
pub async fn list_cta_rules(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let rules = state.store.cta_rules(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(List::whole(rules.into_iter().map(convert::cta_rule).collect())))
}

/// Create a CTA button of kind `open_ticket`.
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    request_body = CreateCtaRuleRequest,
    responses(
        (status = 201, description = "Created", body = CtaRule),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/cta-rules")]
pub async fn create_cta_rule(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateCtaRuleRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let CreateCtaRuleRequest { kind, label, agent_id, subject_template, priority, enabled } = body?.0;
    let mut errors = FieldErrors::new();
    let label = errors.check("label", cta::parse_label(&label));
    let template = match subject_template {
        Some(t) => errors.check("subject_template", cta::parse_subject_template(&t)).flatten(),
        None => None,
    };
    let (Some(label), true) = (label, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let rule = NewCtaRule {
        kind,
        label,
        agent_id: agent_id.map(AgentId),
        subject_template: template,
        priority: priority.unwrap_or_default(),
        enabled: enabled.unwrap_or(true),
    };
    let rule = state.store.create_cta_rule(auth.workspace_id(), rule).await?;
    Ok(HttpResponse::Created().json(convert::cta_rule(rule)))
}

/// One CTA button.
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The button's id")),
    responses(
        (status = 200, description = "The button", body = CtaRule),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such button in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/cta-rules/{id}")]
pub async fn get_cta_rule(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let rule = state.store.cta_rule(auth.workspace_id(), parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(convert::cta_rule(rule)))
}

/// Change a CTA button.
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The button's id")),
    request_body = UpdateCtaRuleRequest,
    responses(
        (status = 200, description = "The button after the change", body = CtaRule),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such button in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/cta-rules/{id}")]
pub async fn update_cta_rule(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<UpdateCtaRuleRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = parse_id(&id)?;
    let UpdateCtaRuleRequest { label, agent_id, subject_template, priority, enabled } = body?.0;
    let mut errors = FieldErrors::new();
    let label = match label {
        Some(l) => errors.check("label", cta::parse_label(&l)),
        None => None,
    };
    let subject_template = match subject_template {
        Some(Some(t)) => errors.check("subject_template", cta::parse_subject_template(&t)),
        Some(None) => Some(None),
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let patch = CtaRulePatch {
        label,
        agent_id: agent_id.map(|a| a.map(AgentId)),
        subject_template,
        priority,
        enabled,
    };
    let rule = state.store.update_cta_rule(auth.workspace_id(), id, patch).await?;
    Ok(HttpResponse::Ok().json(convert::cta_rule(rule)))
}

/// Delete a CTA button (tickets it opened keep its id in their metadata).
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The button's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such button in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/cta-rules/{id}")]
pub async fn delete_cta_rule(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    state.store.delete_cta_rule(auth.workspace_id(), parse_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A visitor clicked the button: open a ticket from the conversation.
///
/// The ticket gets `metadata = {source: "cta", rule_id}`, the rule's priority, a subject from
/// the rule's template (or the visitor's first message) and a body quoting the visitor's
/// recent messages. Clicking again on the same conversation answers the ticket already open
/// (200) instead of a duplicate. A disabled button opens nothing (409).
#[utoipa::path(
    tag = "cta-rules",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The button's id")),
    request_body = CtaClickRequest,
    responses(
        (status = 201, description = "The ticket was opened", body = TicketOpened),
        (status = 200, description = "The ticket this button already opened on this conversation", body = TicketOpened),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a `conversations:write` token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such button in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The button is disabled, or the conversation holds 1,000 messages already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown conversation, or one of another agent", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many clicks with this token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/cta-rules/{id}/clicks")]
pub async fn click_cta_rule(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<CtaClickRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::token_only(Scope::ConversationsWrite))?;
    if let Some(token) = &auth.token {
        state.security.check_cta_click(&state.store, token.id.0).await?;
    }
    let rule = state.store.cta_rule(auth.workspace_id(), parse_id(&id)?).await?;
    let CtaClickRequest { conversation_id } = body?.0;
    if !rule.enabled {
        return Err(ApiError::Conflict("this button is disabled: it opens no tickets".into()));
    }
    let conversation =
        match state.store.conversation(auth.workspace_id(), ConversationId(conversation_id)).await {
            Ok(c) => c,
            Err(store::StoreError::NotFound) => {
                return Err(ApiError::field(
                    "conversation_id",
                    "no such conversation in this workspace (it may have expired)",
                ));
            }
            Err(e) => return Err(e.into()),
        };
    if rule.agent_id.is_some_and(|a| a != conversation.summary.agent_id) {
        return Err(ApiError::field("conversation_id", "this button belongs to another agent"));
    }
    let (input, dedupe) = store::paths::cta_click(&rule, &conversation, auth.actor())?;
    let (ticket, created) = state.store.create_ticket(auth.workspace_id(), input, dedupe).await?;
    Ok(opened(ticket, created, cta::click_message))
}
