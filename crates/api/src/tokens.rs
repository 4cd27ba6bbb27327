//! Integration tokens (admin).

use actix_web::{HttpResponse, delete, get, post, web};
use api_types::{ApiToken, CreateApiTokenRequest, CreatedApiToken, List, Problem};
use domain::auth::{Requirement, Scope, parse_token_name};
use domain::{FieldErrors, TokenId};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, convert, parse_id};

/// List the workspace's API tokens (secrets are never shown again).
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tokens, newest first", body = List<ApiToken>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api-tokens")]
pub async fn list_api_tokens(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let tokens = state.store.tokens(auth.workspace_id()).await?;
    Ok(HttpResponse::Ok().json(List::whole(tokens.into_iter().map(convert::api_token).collect())))
}

/// Create an API token; the answer holds its secret, shown this once.
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = [])),
    request_body = CreateApiTokenRequest,
    responses(
        (status = 201, description = "Created; store the `secret` now", body = CreatedApiToken),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name or scopes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-tokens")]
pub async fn create_api_token(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateApiTokenRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    // The body is judged only once the caller may send it: a non-admin gets 403, not 400/422.
    auth.require(Requirement::ADMIN)?;
    let CreateApiTokenRequest { name, mut scopes } = body?.0;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", parse_token_name(&name));
    errors.check("scopes", Scope::normalise(&mut scopes));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (token, secret) = state
        .store
        .create_token(auth.workspace_id(), &name.unwrap_or_default(), &scopes, auth.user_id())
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiToken { token: convert::api_token(token), secret }))
}

/// Revoke an API token; it answers 401 from then on.
#[utoipa::path(
    tag = "api-tokens",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked (also when it already was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api-tokens/{id}")]
pub async fn revoke_api_token(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ADMIN)?;
    let id = TokenId(parse_id(&id)?);
    state.store.revoke_token(auth.workspace_id(), id).await?;
    Ok(HttpResponse::NoContent().finish())
}
