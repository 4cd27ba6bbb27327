//! Single-use link tokens: a short-lived credential for one URL that cannot carry an
//! `Authorization` header, so that no long-lived credential ever appears in a URL or a log.

use actix_web::{HttpResponse, post, web};
use api_types::{LinkToken, Problem};
use domain::auth::Requirement;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;

/// How long a link token stays good, unused.
pub const LINK_TOKEN_TTL_SECONDS: u64 = 60;

/// Get a single-use link token.
///
/// Good for one `GET /events?link_token=…` (`EventSource` cannot send headers) or one
/// `GET /tickets/export.csv?link_token=…` (a download link), within 60 s; on any other path it
/// is not accepted. The request it opens acts with the rights of the credential that made it,
/// and an event stream ends when that credential stops working. `?access_token=` is never
/// accepted: credentials in URLs end up in logs and browser history.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "A new link token", body = LinkToken),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/link-tokens")]
pub async fn create_link_token(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::ANY)?;
    let expires_at = domain::time::now() + chrono::Duration::seconds(LINK_TOKEN_TTL_SECONDS as i64);
    let link_token = state.store.create_link_token(&auth.credential, expires_at).await?;
    Ok(HttpResponse::Created().json(LinkToken { link_token, expires_in: LINK_TOKEN_TTL_SECONDS }))
}
