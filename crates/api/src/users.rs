//! Workspace members: the list, team management by admins, and password changes.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use api_types::{ChangePasswordRequest, CreateUserRequest, List, Member, Problem, UpdateUserRequest};
use domain::UserId;
use domain::auth::{Requirement, Scope};
use domain::team::{NewMember, PasswordChange};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, convert, parse_id};

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

/// Add a member: a new account with an initial password.
///
/// The e-mail must not have an account yet (409). The password is 12 to 256 characters.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "The new member", body = Member),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail already has an account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many passwords being hashed; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateUserRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let CreateUserRequest { name, email, role, password } = body?.0;
    let new = NewMember::parse(&name, &email, role, &password)?;
    let _hashing = state.security.hash_permit().await?;
    let member = state.store.add_member(auth.workspace_id(), &new).await?;
    Ok(HttpResponse::Created().json(convert::member(member)))
}

/// Change a member's role.
///
/// The last admin of the workspace cannot be made an operator (409).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member's user id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The member", body = Member),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid role", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<UpdateUserRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = UserId(parse_id(&id)?);
    let UpdateUserRequest { role } = body?.0;
    let member = state.store.change_role(auth.workspace_id(), id, role).await?;
    Ok(HttpResponse::Ok().json(convert::member(member)))
}

/// Remove a member from the workspace.
///
/// Their sessions stop working at once and their event streams end; their tickets are
/// unassigned (each change in the activity log and announced as `ticket.updated`); their
/// comments and activity keep their name. The last admin cannot be removed (409).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The member's user id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = UserId(parse_id(&id)?);
    state.store.remove_member(auth.workspace_id(), id, auth.actor()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change your own password.
///
/// Every session issued before the change, this one included, stops working (in every
/// workspace of the account): sign in again with the new password. Wrong current passwords
/// count as failed sign-ins for the account.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; sign in again"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (this is for signed-in users)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The password changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or `current_password` is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "Too many passwords being hashed; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<ChangePasswordRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::USER)?;
    let Some(session) = auth.session else {
        return Err(ApiError::Forbidden("this is for signed-in users only".into()));
    };
    let ChangePasswordRequest { current_password, new_password } = body?.0;
    let change = PasswordChange::parse(&current_password, &new_password)?;
    let email = session.user.email.clone();
    state.security.check_login_account(&state.store, &req, &email).await?;
    let _hashing = state.security.hash_permit().await?;
    match state.store.change_password(session.user.id, &change).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(store::StoreError::Validation(e)) => {
            state.security.login_failed(&state.store, &req, &email).await?;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}
