//! Saved views of the ticket list: personal ones (seen by their owner alone) and shared ones
//! (seen by the workspace, changed by admins). For signed-in users.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use api_types::{CreateViewRequest, List, Problem, SavedView, UpdateViewRequest};
use domain::auth::{Principal, Requirement, Role};
use domain::queue::{normalise_query, parse_view_name};
use domain::{FieldErrors, UserId};
use store::bulk_edit::{parse_stored_query, resolve_me};
use store::views::ViewChange;

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, SMALL_BODY_LIMIT, query_pairs};
use crate::{AppState, parse_id};

fn view(v: store::views::SavedView) -> SavedView {
    let store::views::SavedView {
        id,
        workspace_id: _,
        owner_id,
        name,
        query,
        shared,
        created_at: _,
        updated_at: _,
    } = v;
    SavedView { id, name, query, shared, owner_id: owner_id.map(|u| u.0), total: None, total_exact: None }
}

/// The signed-in user (views are for people, not tokens) and whether they are an admin.
fn viewer(auth: &Auth) -> Result<(UserId, bool), ApiError> {
    auth.require(Requirement::USER)?;
    let me = auth.user_id().ok_or_else(|| ApiError::Forbidden("this is for signed-in users only".into()))?;
    Ok((me, auth.principal == Principal::User(Role::Admin)))
}

fn admins_only() -> ApiError {
    ApiError::Forbidden("shared views are created and changed by admins".into())
}

/// A view's name and query, checked; the query kept as sent (without `?`).
fn check(name: Option<&str>, query: Option<&str>) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut errors = FieldErrors::new();
    let name = name.and_then(|n| errors.check("name", parse_view_name(n)));
    let query = match query {
        None => None,
        Some(q) => match parse_stored_query(q) {
            Ok(_) => Some(normalise_query(q).to_owned()),
            Err(e) => {
                for (field, messages) in e.0.0 {
                    for message in messages {
                        errors.add(field.clone(), message);
                    }
                }
                None
            }
        },
    };
    if errors.is_empty() { Ok((name, query)) } else { Err(ApiError::validation(errors)) }
}

/// The caller's views and the workspace's shared ones, shared first, then by name.
///
/// With `counts=true` each view carries `total` and `total_exact`: what its list would
/// answer as `meta.total` now (exact to 1,000, then an estimate), `assignee=me` meaning
/// the caller.
#[utoipa::path(
    tag = "views",
    security(("bearer" = [])),
    params(("counts" = Option<bool>, Query, description = "Add `total` and `total_exact` to each view")),
    responses(
        (status = 200, description = "The views", body = List<SavedView>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token (views are for signed-in users)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`counts` is not true or false", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/views")]
pub async fn list_views(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (me, _) = viewer(&auth)?;
    let mut counts = false;
    for (key, value) in query_pairs(&req)? {
        if key == "counts" {
            counts = match value.as_str() {
                "true" | "1" => true,
                "false" | "0" | "" => false,
                _ => return Err(ApiError::field("counts", "must be true or false")),
            };
        }
    }
    let views = state.store.list_views(auth.workspace_id(), me).await?;
    let mut data = Vec::with_capacity(views.len());
    for v in views {
        let query = v.query.clone();
        let mut dto = view(v);
        if counts {
            // A view saved under older rules than today's is listed without a count.
            if let Ok(query) = parse_stored_query(&query).and_then(|q| resolve_me(q, Some(me))) {
                let (total, exact) = state.store.count_tickets(auth.workspace_id(), &query).await?;
                dto.total = Some(total);
                dto.total_exact = Some(exact);
            }
        }
        data.push(dto);
    }
    Ok(HttpResponse::Ok().json(List::whole(data)))
}

/// Save a view: personal by default; `shared: true` is for admins.
#[utoipa::path(
    tag = "views",
    security(("bearer" = [])),
    request_body = CreateViewRequest,
    responses(
        (status = 201, description = "Created", body = SavedView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A shared view by a non-admin, or an API token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or query (`query.<param>`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/views")]
pub async fn create_view(
    state: web::Data<AppState>,
    auth: Auth,
    body: Result<JsonBody<CreateViewRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (me, admin) = viewer(&auth)?;
    let CreateViewRequest { name, query, shared } = body?.0;
    if shared && !admin {
        return Err(admins_only());
    }
    let (name, query) = check(Some(&name), Some(&query))?;
    let (Some(name), Some(query)) = (name, query) else {
        return Err(ApiError::Internal("checked view fields missing".into()));
    };
    let created = state.store.create_view(auth.workspace_id(), me, name, query, shared).await?;
    Ok(HttpResponse::Created().json(view(created)))
}

/// One view (bare).
#[utoipa::path(
    tag = "views",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The view's id")),
    responses(
        (status = 200, description = "The view", body = SavedView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such view here, or someone else's personal view", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/views/{id}")]
pub async fn get_view(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (me, _) = viewer(&auth)?;
    let found = state.store.view(auth.workspace_id(), me, parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(view(found)))
}

/// Change a view's name, query or sharing. Shared views, and sharing itself, are for admins.
#[utoipa::path(
    tag = "views",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The view's id")),
    request_body = UpdateViewRequest,
    responses(
        (status = 200, description = "The view after the change", body = SavedView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A shared view (or sharing) by a non-admin, or an API token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such view here, or someone else's personal view", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or query (`query.<param>`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/views/{id}")]
pub async fn update_view(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
    body: Result<JsonBody<UpdateViewRequest, SMALL_BODY_LIMIT>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (me, admin) = viewer(&auth)?;
    let id = parse_id(&id)?;
    let current = state.store.view(auth.workspace_id(), me, id).await?;
    let UpdateViewRequest { name, query, shared } = body?.0;
    if !admin && (current.shared || shared.is_some_and(|s| s != current.shared)) {
        return Err(admins_only());
    }
    let (name, query) = check(name.as_deref(), query.as_deref())?;
    let updated =
        state.store.update_view(auth.workspace_id(), me, id, ViewChange { name, query, shared }).await?;
    Ok(HttpResponse::Ok().json(view(updated)))
}

/// Delete a view. Shared views are for admins.
#[utoipa::path(
    tag = "views",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The view's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A shared view by a non-admin, or an API token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such view here, or someone else's personal view", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/views/{id}")]
pub async fn delete_view(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (me, admin) = viewer(&auth)?;
    let id = parse_id(&id)?;
    let current = state.store.view(auth.workspace_id(), me, id).await?;
    if current.shared && !admin {
        return Err(admins_only());
    }
    state.store.delete_view(auth.workspace_id(), me, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
