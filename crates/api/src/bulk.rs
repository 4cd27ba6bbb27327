//! Bulk edits: by ids in one transaction, or by query as a job whose progress
//! `GET /jobs/{id}` reports.

use actix_web::{HttpResponse, get, post, web};
use api_types::{BulkUpdateRequest, BulkUpdated, Job, JobAccepted, JobError, Problem};
use domain::UserId;
use domain::auth::{Requirement, Scope};
use domain::queue::{BULK_IDS_MAX, BulkSet};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody};
use crate::{AppState, parse_id};

const WRITE: Requirement = Requirement::operator_or(Scope::TicketsWrite);
const READ: Requirement = Requirement::operator_or(Scope::TicketsRead);

fn job(j: store::bulk_edit::Job) -> Job {
    let store::bulk_edit::Job {
        id,
        workspace_id: _,
        status,
        processed,
        total,
        updated,
        errors,
        created_at: _,
        finished_at: _,
    } = j;
    let errors = errors.into_iter().map(|e| JobError { reference: e.reference, detail: e.detail }).collect();
    Job { id, status, processed, total, updated, errors }
}

/// Change many tickets at once: `status`, `priority`, `assigned_to_user_id`.
///
/// Send exactly one of `ids` (1–500 ids or references: one transaction, all or nothing,
/// 200) or `query` (a list query string: a job, 202, that changes every matching ticket in
/// batches; needs `tickets:read` too). Each changed ticket gets the activity-log events and
/// the `ticket.updated` event that a `PATCH` would write; a ticket that already has the
/// values is left alone (`unchanged`).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    request_body = BulkUpdateRequest,
    responses(
        (status = 200, description = "By ids: every named ticket changed (or already so)", body = BulkUpdated),
        (status = 202, description = "By query: the job, queued", body = JobAccepted),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:write` (or, by query, `tickets:read`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Both or neither of `ids` and `query`, an empty `set`, an unknown or foreign ticket (`ids[i]`), a bad query (`query.<param>`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/bulk")]
pub async fn bulk_update_tickets(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<BulkUpdateRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let BulkUpdateRequest { ids, query, set } = body?.0;
    let api_types::BulkSet { status, priority, assigned_to_user_id } = set;
    let set = BulkSet::parse(status, priority, assigned_to_user_id.map(|a| a.map(UserId)))?;
    match (ids, query) {
        (Some(_), Some(_)) | (None, None) => {
            Err(ApiError::field("ids", "send exactly one of `ids` and `query`"))
        }
        (Some(ids), None) => {
            if ids.is_empty() || ids.len() > BULK_IDS_MAX {
                return Err(ApiError::field("ids", format!("name 1 to {BULK_IDS_MAX} tickets")));
            }
            let outcome = state.store.bulk_update(auth.workspace_id(), &ids, &set, auth.actor()).await?;
            let store::bulk_edit::BulkOutcome { updated, unchanged, references } = outcome;
            Ok(HttpResponse::Ok().json(BulkUpdated { updated, unchanged, references }))
        }
        (None, Some(query)) => {
            auth.require(READ)?;
            let created =
                state.store.create_bulk_job(auth.workspace_id(), &query, &set, auth.actor()).await?;
            Ok(HttpResponse::Accepted().json(JobAccepted { job: job(created) }))
        }
    }
}

/// A bulk job's progress (bare).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = Job),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let found = state.store.job(auth.workspace_id(), parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(job(found)))
}
