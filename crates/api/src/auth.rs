//! Sign-in and the caller's identity.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use api_types::{LoginRequest, LoginResponse, Me, Problem, TokenSummary};
use domain::auth::Requirement;
use domain::workspace::LoginInput;
use store::accounts::LoginError;

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT};
use crate::{AppState, convert};

/// Sign in with e-mail and password.
///
/// Answers a session token (JWT, HS256) for the `Authorization: Bearer` header. The same
/// 401 answers an unknown e-mail and a wrong password, in about the same time. Attempts are
/// rate-limited per client address (IPv6: per /64) and overall; failed attempts per account
/// and address, and per account (a locked account still lets a correct password through
/// from an address that has not failed on it) — 429 with `Retry-After`. Password checks run
/// a few at a time; past a short queue the answer is 503 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Invalid e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields, or a workspace must be chosen", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or for this account; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "Too many sign-ins being checked at once; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Result<JsonBody<LoginRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    // Every attempt counts against the address, even a malformed one.
    state.security.check_login_address(&state.store, &req).await?;
    let LoginRequest { email, password, workspace } = body?.0;
    let LoginInput { email, password, workspace } =
        LoginInput::parse(&email, &password, workspace.as_deref())?;
    state.security.check_login_account(&state.store, &req, &email).await?;
    let session = {
        let _hashing = state.security.hash_permit().await?;
        state.store.authenticate(&email, &password, workspace.as_deref()).await
    };
    let session = match session {
        Ok(session) => session,
        Err(LoginError::InvalidCredentials) => {
            state.security.login_failed(&state.store, &req, &email).await?;
            return Err(ApiError::Unauthorized("invalid e-mail or password".into()));
        }
        Err(LoginError::ChooseWorkspace(v)) => return Err(v.into()),
        Err(LoginError::Store(e)) => return Err(e.into()),
    };
    let access_token =
        state.jwt.issue(session.user.id, session.workspace.id, session.role, session.session_version)?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_seconds,
        user: convert::user(session.user),
        workspace: convert::workspace(session.workspace),
        role: session.role,
    }))
}

/// Who is calling: the signed-in user or the API token, with the workspace.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Missing or invalid credentials", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn get_me(auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ANY)?;
    let Auth { workspace, principal: _, session, token, credential: _ } = auth;
    let (user, role) = match session {
        Some(s) => (Some(convert::user(s.user)), Some(s.role)),
        None => (None, None),
    };
    let token = token.map(|t| TokenSummary { id: t.id.0, name: t.name, scopes: t.scopes });
    Ok(HttpResponse::Ok().json(Me { user, token, workspace: convert::workspace(workspace), role }))
}
