//! Notification channels (admin), their deliveries, and lead events from the chat backend.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use api_types::{
    CreateNotificationChannelRequest, CreatedNotificationChannel, Delivery, EventAccepted, LeadEventRequest,
    List, NotificationChannel, Problem, UpdateNotificationChannelRequest,
};
use domain::auth::{Requirement, Scope};
use domain::notification::{
    ChannelKind, EventType, LeadDetails, parse_channel_address, parse_channel_secret, parse_webhook_url,
};
use domain::{AgentId, ConversationId, FieldErrors};
use store::notifications::ChannelPatch;

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, parse_id};

const DELIVERIES_SHOWN: u64 = 100;

fn channel(c: store::notifications::Channel) -> NotificationChannel {
    let store::notifications::Channel {
        id,
        workspace_id: _,
        kind,
        url,
        address,
        events,
        enabled,
        created_at,
        updated_at,
    } = c;
    NotificationChannel { id, kind, url, address, events, enabled, created_at, updated_at }
}

fn delivery(d: store::notifications::Delivery) -> Delivery {
    let store::notifications::Delivery {
        id,
        event_id,
        event_type,
        channel_id: _,
        target,
        status,
        attempts,
        next_attempt_at,
        last_attempt_at,
        last_status_code,
        last_error,
        delivered_at,
        created_at,
    } = d;
    Delivery {
        id,
        event_id,
        event_type,
        target,
        status,
        attempts,
        next_attempt_at,
        last_attempt_at,
        last_status_code,
        last_error,
        delivered_at,
        created_at,
    }
}

fn check_url(errors: &mut FieldErrors, url: &str, allow_private: bool) -> Option<String> {
    errors.check("url", parse_webhook_url(url, allow_private).map(|u| u.to_string()))
}

/// Where a channel of `kind` delivers: the `url` of a webhook or Slack channel, the
/// `address` of an e-mail channel (the other field must be absent).
fn check_target(
    errors: &mut FieldErrors,
    kind: ChannelKind,
    url: Option<String>,
    address: Option<String>,
    allow_private: bool,
) -> Option<String> {
    match kind {
        ChannelKind::Email => {
            if url.is_some() {
                errors.add("url", "an e-mail channel has no url: give its `address`");
            }
            address.and_then(|a| errors.check("address", parse_channel_address(&a)))
        }
        ChannelKind::Webhook | ChannelKind::Slack => {
            if address.is_some() {
                errors.add(
                    "address",
                    format!("a {kind} channel has no address: give its `url`", kind = kind.as_str()),
                );
            }
            url.and_then(|u| check_url(errors, &u, allow_private))
        }
    }
}

/// The field that names where a channel of `kind` delivers.
fn target_field(kind: ChannelKind) -> &'static str {
    if kind == ChannelKind::Email { "address" } else { "url" }
}

fn check_events(errors: &mut FieldErrors, events: Vec<EventType>) -> Vec<EventType> {
    if events.is_empty() {
        errors.add("events", "subscribe to at least one event type");
    }
    events
}

/// List the workspace's notification channels.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channels", body = List<NotificationChannel>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notification-channels")]
pub async fn list_notification_channels(
    state: web::Data<AppState>,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let channels = state.store.channels(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(List::whole(channels.into_iter().map(channel).collect())))
}

/// Create a channel: a webhook (signed JSON events), a Slack-compatible incoming webhook,
/// or a mailbox (`kind: "email"` with an `address`, no `url` or `secret`).
///
/// New tickets, ticket changes and new leads are delivered to it (by default all three);
/// webhooks are signed with the channel's secret — shown in this answer only. E-mail pings
/// are sent with `Auto-Submitted: auto-generated`.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = CreateNotificationChannelRequest,
    responses(
        (status = 201, description = "Created; store the `secret` now", body = CreatedNotificationChannel),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (e.g. a private URL)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notification-channels")]
pub async fn create_notification_channel(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateNotificationChannelRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let CreateNotificationChannelRequest { kind, url, address, events, secret, enabled } = body?.0;
    let mut errors = FieldErrors::new();
    let (url_given, address_given) = (url.is_some(), address.is_some());
    let target = check_target(&mut errors, kind, url, address, state.webhooks_allow_private);
    if !(url_given || address_given) {
        errors.add(target_field(kind), format!("required for a {} channel", kind.as_str()));
    }
    let events =
        check_events(&mut errors, events.unwrap_or_else(|| EventType::DEFAULT_SUBSCRIPTION.to_vec()));
    let secret = match (secret, kind) {
        (Some(_), ChannelKind::Email) => {
            errors.add("secret", "an e-mail channel has no secret (mail is not signed)");
            None
        }
        (Some(s), _) => errors.check("secret", parse_channel_secret(&s)),
        (None, _) => None,
    };
    let (Some(target), true) = (target, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let (created, secret) = state
        .store
        .create_channel(auth.workspace_id(), kind, &target, &events, secret, enabled.unwrap_or(true))
        .await?;
    Ok(HttpResponse::Created().json(CreatedNotificationChannel { channel: channel(created), secret }))
}

/// One channel.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The channel", body = NotificationChannel),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notification-channels/{id}")]
pub async fn get_notification_channel(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    Ok(HttpResponse::Ok().json(channel(state.store.channel(auth.workspace_id(), parse_id(&id)?).await?)))
}

/// Change a channel's URL (or an e-mail channel's address), events or enabled flag.
///
/// Deliveries already queued still go where they were queued for; disabling a channel
/// marks its queued deliveries `failed` ("the channel was disabled").
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The channel's id")),
    request_body = UpdateNotificationChannelRequest,
    responses(
        (status = 200, description = "The channel after the change", body = NotificationChannel),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/notification-channels/{id}")]
pub async fn update_notification_channel(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<UpdateNotificationChannelRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = parse_id(&id)?;
    let UpdateNotificationChannelRequest { url, address, events, enabled } = body?.0;
    let kind = state.store.channel(auth.workspace_id(), id).await?.kind;
    let mut errors = FieldErrors::new();
    let target = check_target(&mut errors, kind, url, address, state.webhooks_allow_private);
    let events = events.map(|e| check_events(&mut errors, e));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let patch = ChannelPatch { target, events, enabled };
    let updated = state.store.update_channel(auth.workspace_id(), id, patch).await?;
    Ok(HttpResponse::Ok().json(channel(updated)))
}

/// Delete a channel (and its pending deliveries).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The channel's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/notification-channels/{id}")]
pub async fn delete_notification_channel(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    state.store.delete_channel(auth.workspace_id(), parse_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a `test` event to this channel only (delivered like any other, within seconds).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The channel's id")),
    responses(
        (status = 202, description = "Queued; see its delivery under /deliveries", body = EventAccepted),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The channel is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notification-channels/{id}/test")]
pub async fn test_notification_channel(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = parse_id(&id)?;
    if !state.store.channel(auth.workspace_id(), id).await?.enabled {
        return Err(ApiError::Conflict("the channel is disabled: enable it to send a test".into()));
    }
    let data = serde_json::json!({ "message": "Test notification from ticketd: this channel works." });
    let event = state.store.emit_test_event(auth.workspace_id(), id, data).await?;
    Ok(HttpResponse::Accepted().json(EventAccepted { event_id: event.id }))
}

/// The channel's latest deliveries (100), newest first, with their state and last error.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The channel's id")),
    responses(
        (status = 200, description = "The deliveries", body = List<Delivery>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such channel in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notification-channels/{id}/deliveries")]
pub async fn list_channel_deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let rows = state.store.deliveries(auth.workspace_id(), parse_id(&id)?, DELIVERIES_SHOWN).await?;
    Ok(HttpResponse::Ok().json(List::whole(rows.into_iter().map(delivery).collect())))
}

/// Report a new lead captured in a chat; it is announced as `lead.created` on the same
/// channels as tickets.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = LeadEventRequest,
    responses(
        (status = 202, description = "Accepted for delivery", body = EventAccepted),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a `conversations:write` token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/events")]
pub async fn create_lead_event(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<LeadEventRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::token_only(Scope::ConversationsWrite))?;
    let LeadEventRequest { name, email, phone, conversation_id, agent_id, summary } = body?.0;
    let mut errors = FieldErrors::new();
    let LeadDetails { name, email, phone, summary } = LeadDetails::parse(
        name.as_deref(),
        email.as_deref(),
        phone.as_deref(),
        summary.as_deref(),
        &mut errors,
    );
    let ws = auth.workspace_id();
    if let Some(id) = conversation_id
        && matches!(
            state.store.conversation_agent(ws, ConversationId(id)).await,
            Err(store::StoreError::NotFound)
        )
    {
        errors.add("conversation_id", "no such conversation in this workspace");
    }
    if let Some(id) = agent_id
        && matches!(state.store.agent(ws, AgentId(id)).await, Err(store::StoreError::NotFound))
    {
        errors.add("agent_id", "no such agent in this workspace");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let data = serde_json::json!({
        "name": name, "email": email, "phone": phone,
        "conversation_id": conversation_id, "agent_id": agent_id, "summary": summary,
    });
    let event = state.store.emit_event(ws, EventType::LeadCreated, data).await?;
    Ok(HttpResponse::Accepted().json(EventAccepted { event_id: event.id }))
}
