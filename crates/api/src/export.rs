//! `GET /tickets/export.csv`: every ticket of a list query as CSV, streamed batch by batch.

use actix_web::http::header::{CONTENT_DISPOSITION, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use api_types::Problem;
use domain::auth::{Requirement, Scope};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;

/// Export the tickets of a list query as CSV.
///
/// Takes the list's filters and sort (`status`, `priority`, `assignee`, `q`, `sort`; paging
/// is ignored: every matching ticket is written, closed ones only when asked for). RFC 4180
/// with a header row and CRLF line ends; columns: `reference, subject, status, priority,
/// assignee_email, requester_email, source, created_at, updated_at, first_responded_at,
/// resolved_at, first_response_due_at, resolution_due_at`. A cell that begins with `=`, `+`,
/// `-` or `@` is prefixed with `'` so that a spreadsheet shows it as text. The file is
/// streamed: memory stays the same whatever its size.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query, description = "As for `GET /tickets`. Default: all but closed", example = "open,pending"),
        ("priority" = Option<String>, Query, description = "As for `GET /tickets`"),
        ("assignee" = Option<String>, Query, description = "A member's id, `me` or `none`"),
        ("q" = Option<String>, Query, description = "As for `GET /tickets`"),
        ("sort" = Option<String>, Query, description = "The rows' order, as for `GET /tickets`"),
    ),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv", body = String,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"tickets-ACME-….csv\""))),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, naming the parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/export.csv")]
pub async fn export_tickets(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::operator_or(Scope::TicketsRead))?;
    let query = crate::tickets::list_query(&auth, &req)?;
    let mut walk = state.store.export_walk(auth.workspace_id(), &query)?;
    // The first batch before the answer's head: a failure then is still a problem+json.
    let first = walk.next_chunk().await?.unwrap_or_default();
    let rest = futures_util::stream::try_unfold(walk, |mut walk| async move {
        match walk.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((web::Bytes::from(chunk), walk))),
            Ok(None) => Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, rows = walk.rows(), "the CSV export stopped early");
                Err(ApiError::from(e))
            }
        }
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, ApiError>(web::Bytes::from(first)) }),
        rest,
    );
    let filename = format!(
        "attachment; filename=\"tickets-{}-{}.csv\"",
        auth.workspace.ticket_prefix,
        domain::time::now().format("%Y%m%d-%H%M%S")
    );
    let mut response = HttpResponse::Ok();
    response.content_type("text/csv; charset=utf-8");
    if let Ok(value) = HeaderValue::from_str(&filename) {
        response.insert_header((CONTENT_DISPOSITION, value));
    }
    Ok(response.streaming(body))
}
