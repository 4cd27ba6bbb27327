//! SLA targets: `GET/PUT /sla-policy`.

use actix_web::{HttpResponse, get, put, web};
use api_types::{Problem, SlaPolicyDoc};
use domain::auth::{Requirement, Scope};
use domain::sla::SlaPolicy;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, JsonBody};

const READ: Requirement = Requirement::operator_or(Scope::TicketsRead);

/// The workspace's SLA targets (the defaults until an admin sets them).
///
/// Minutes per priority to first response and to resolution, and an optional weekly
/// business-hours calendar in an IANA time zone (null: calendar time).
#[utoipa::path(
    tag = "sla",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy", body = SlaPolicyDoc),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sla-policy")]
pub async fn get_sla_policy(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let policy = state.store.sla_policy(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(policy.doc))
}

/// Replace the SLA targets. Applies to tickets created, or recomputed (priority change,
/// reopening), from now on.
///
/// Minutes are whole numbers from 1 to 525,600. Business-hours intervals are `["HH:MM",
/// "HH:MM"]` with start < end (`24:00` ends a day) and do not overlap; a week without
/// business minutes, or a target that could not be reached within a year of business
/// time, is refused. Every failing field is named (`targets.urgent.first_response_minutes`,
/// `business_hours.timezone`, `business_hours.week.mon.0`, `business_hours.week`).
#[utoipa::path(
    tag = "sla",
    security(("bearer" = [])),
    request_body = SlaPolicyDoc,
    responses(
        (status = 200, description = "The policy as stored", body = SlaPolicyDoc),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/sla-policy")]
pub async fn put_sla_policy(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<SlaPolicyDoc>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let mut doc = body?.0;
    if let Some(hours) = &mut doc.business_hours {
        hours.timezone = hours.timezone.trim().to_owned();
    }
    let policy = SlaPolicy::parse(doc)?;
    let policy = state.store.put_sla_policy(auth.workspace_id(), &policy).await?;
    Ok(HttpResponse::Ok().json(policy.doc))
}
