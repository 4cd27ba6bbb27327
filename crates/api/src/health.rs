//! Liveness and readiness probes.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use api_types::Health;

use crate::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into(), database: None })
}

/// How long readiness waits for the database to answer. Load balancers give their probes a
/// few seconds; a database that does not answer at all (packets dropped) must not make the
/// probe itself time out, which some balancers read as "no change".
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness: the database answers.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable or did not answer within 2 s", body = Health),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let failure = match tokio::time::timeout(READINESS_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => {
            return HttpResponse::Ok().json(Health { status: "ok".into(), database: Some("ok".into()) });
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {READINESS_TIMEOUT:?}"),
    };
    tracing::warn!(error = %failure, "readiness check failed");
    HttpResponse::ServiceUnavailable()
        .json(Health { status: "unavailable".into(), database: Some("unavailable".into()) })
}
