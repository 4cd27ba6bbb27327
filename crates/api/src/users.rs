//! Workspace members.

use actix_web::{HttpResponse, get, web};
use api_types::{List, Member, Problem};
use domain::auth::{Requirement, Scope};

use crate::error::ApiError;
use crate::extract::Auth;
use crate::{AppState, convert};

/// List the workspace's members (the assignee picker), by name.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The members", body = List<Member>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list_users(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::TicketsRead))?;
    let members = state.store.members(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(List::whole(members.into_iter().map(convert::member).collect())))
}
