//! Tickets: list, create, read, change, activity log.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use api_types::{
    CreateTicketRequest, List, ListMeta, Problem, Ticket, TicketDetail, TicketEvent, TicketOrReceipt,
    TicketReceipt, UpdateTicketRequest,
};
use domain::auth::{Requirement, Scope};
use domain::list::{AssigneeFilter, Paging, TicketListQuery};
use domain::thread::Requester;
use domain::ticket::{NewTicket, Source, TicketKey, TicketPatch, parse_metadata, parse_notes};
use domain::{FieldErrors, UserId};
use sha2::{Digest, Sha256};
use store::tickets::{Created, Dedupe, Idempotency, NewTicketInput};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, query_pairs};
use crate::{AppState, convert};

const READ: Requirement = Requirement::operator_or(Scope::TicketsRead);
const WRITE: Requirement = Requirement::operator_or(Scope::TicketsWrite);
const IDEMPOTENCY_KEY_MAX: usize = 255;

fn ticket_key(raw: &str) -> Result<TicketKey, ApiError> {
    TicketKey::parse(raw).ok_or(ApiError::NotFound)
}

/// What a write answers: the ticket to callers that may read tickets, only its receipt
/// (`{id, reference, updated_at}`) to a token with `tickets:write` but not `tickets:read`.
fn written(auth: &Auth, ticket: store::Ticket) -> TicketOrReceipt {
    let ticket = convert::ticket(ticket);
    if auth.principal.allows(READ) {
        TicketOrReceipt::Ticket(ticket)
    } else {
        TicketOrReceipt::Receipt(TicketReceipt::from(&ticket))
    }
}

/// List tickets, newest first by default.
///
/// Filters combine with AND; `status` and `priority` accept repeated parameters or comma
/// lists. Page with `page`/`per_page`, or walk the whole list with `cursor` (pass
/// `meta.next_cursor` back; its cost does not grow with depth). `meta.total` is exact up
/// to 1,000 matches, an estimate past that (`total_exact: false`).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("status" = Option<String>, Query, description = "open, pending, resolved, closed; repeat or comma-separate. Default: all but closed", example = "open,pending"),
        ("priority" = Option<String>, Query, description = "low, normal, high, urgent; repeat or comma-separate", example = "urgent"),
        ("assignee" = Option<String>, Query, description = "A member's id, `me` or `none`", example = "me"),
        ("q" = Option<String>, Query, description = "Case-insensitive text in subject, body or reference; 3–200 characters", example = "refund", min_length = 3, max_length = 200),
        ("sla" = Option<String>, Query, description = "`breached`: open or pending with a running SLA clock past its due time; `due_soon`: a running clock due within the next 60 minutes", example = "breached"),
        ("sort" = Option<String>, Query, description = "-created_at (default), created_at, -updated_at, -priority, due (earliest running SLA due time first; tickets with no running clock last, newest first)", example = "-created_at"),
        ("page" = Option<u64>, Query, description = "Page number, from 1", example = 1, minimum = 1, maximum = 4294967295u64),
        ("per_page" = Option<u64>, Query, description = "Rows per page, 1–100 (default 25)", example = 25, minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` of the previous page (empty to start); excludes `page`"),
    ),
    responses(
        (status = 200, description = "One page of tickets", body = List<Ticket>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, naming the parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets")]
pub async fn list_tickets(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let query = list_query(&auth, &req)?;
    let page = state.store.list_tickets(auth.workspace_id(), &query).await?;
    let meta = ListMeta {
        page: match query.paging {
            Paging::Page { page, .. } => page,
            Paging::After { .. } => 0,
        },
        per_page: query.per_page(),
        total: page.total,
        total_exact: page.total_exact,
        next_cursor: page.next_cursor,
    };
    let data = page.tickets.into_iter().map(convert::ticket).collect();
    Ok(HttpResponse::Ok().json(List { data, meta }))
}

/// Create a ticket (`metadata.source = "api"`).
///
/// Send an `Idempotency-Key` header to make retries safe: the same key with the same body
/// answers 200 with the ticket created the first time; with another body, 422. A token with
/// `tickets:write` but not `tickets:read` gets only `{id, reference, updated_at}`.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    request_body = CreateTicketRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 characters, unique per intended ticket")),
    responses(
        (status = 201, description = "Created: the ticket, or its receipt for a token without `tickets:read`", body = TicketOrReceipt, headers(("Location" = String, description = "The ticket's URL"))),
        (status = 200, description = "Replayed: this key already created this ticket", body = TicketOrReceipt),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:write`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a key reused with another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets")]
pub async fn create_ticket(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: Result<JsonBody<CreateTicketRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    // The body is judged only once the caller may send it: a reader gets 403, not 422.
    auth.require(WRITE)?;
    let body = body?;
    let idempotency = idempotency(&req, &body.0)?;
    let CreateTicketRequest { subject, body: text, priority, assigned_to_user_id, metadata, requester } =
        body.0;
    let (new, metadata) =
        match (NewTicket::parse(&subject, &text, priority), parse_metadata(metadata.unwrap_or_default())) {
            (Ok(new), Ok(metadata)) => (new, metadata),
            (new, metadata) => {
                let mut errors = new.err().map(|e| e.0).unwrap_or_default();
                if let Err(message) = metadata {
                    errors.add("metadata", message);
                }
                let _ = parse_requester(requester.as_ref(), &mut errors);
                return Err(ApiError::validation(errors));
            }
        };
    let mut errors = FieldErrors::new();
    let requester = parse_requester(requester.as_ref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let input = NewTicketInput {
        assignee: assigned_to_user_id.map(UserId),
        metadata,
        requester,
        ..NewTicketInput::new(new, Source::Api, auth.actor())
    };
    let dedupe = idempotency.map_or(Dedupe::None, Dedupe::Key);
    let (ticket, created) = state.store.create_ticket(auth.workspace_id(), input, dedupe).await?;
    let location = format!("/api/v1/tickets/{}", ticket.reference);
    let mut response = match created {
        Created::New => HttpResponse::Created(),
        Created::Replayed => HttpResponse::Ok(),
    };
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.insert_header((header::LOCATION, value));
    }
    Ok(response.json(written(&auth, ticket)))
}

/// A requester of a request body; errors under `requester.name` / `requester.email`. An
/// object with neither part is no requester.
fn parse_requester(given: Option<&api_types::Requester>, errors: &mut FieldErrors) -> Option<Requester> {
    let given = given?;
    Requester::parse(given.name.as_deref(), given.email.as_deref(), "requester", errors)
}

fn idempotency(req: &HttpRequest, body: &CreateTicketRequest) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_MAX)
        .ok_or_else(|| ApiError::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters"))?;
    let canonical = serde_json::to_vec(body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Some(Idempotency { key: key.to_owned(), request_hash: hex::encode(Sha256::digest(&canonical)) }))
}

/// One ticket, by id or reference, with its chat transcript and assignee.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The ticket's id or reference (`ACME-12`)", example = "ACME-12")),
    responses(
        (status = 200, description = "The ticket", body = TicketDetail),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{key}")]
pub async fn get_ticket(
    state: web::Data<AppState>,
    auth: Auth,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let detail = state.store.ticket_detail(auth.workspace_id(), &ticket_key(&key)?).await?;
    Ok(HttpResponse::Ok().json(convert::ticket_detail(detail)))
}

/// Change a ticket's status, priority, assignee or notes.
///
/// Only the fields present change. Assigning an open ticket makes it `pending`;
/// unassigning a pending one makes it `open` — unless the same request sets `status`.
/// Resolving stamps `resolved_at`; reopening clears it. Every change is logged. A token with
/// `tickets:write` but not `tickets:read` gets only `{id, reference, updated_at}`: a change
/// is no way to read a ticket.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The ticket's id or reference (`ACME-12`)", example = "ACME-12")),
    request_body = UpdateTicketRequest,
    responses(
        (status = 200, description = "The ticket after the change, or its receipt for a token without `tickets:read`", body = TicketOrReceipt),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (e.g. an assignee who is not a member)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/tickets/{key}")]
pub async fn update_ticket(
    state: web::Data<AppState>,
    auth: Auth,
    key: web::Path<String>,
    body: Result<JsonBody<UpdateTicketRequest>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let key = ticket_key(&key)?;
    let UpdateTicketRequest { status, priority, assigned_to_user_id, notes, requester } = body?.0;
    let mut errors = FieldErrors::new();
    let notes = match notes {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => errors.check("notes", parse_notes(&text)),
    };
    let requester = requester.map(|r| parse_requester(r.as_ref(), &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let patch = TicketPatch {
        status,
        priority,
        assignee: assigned_to_user_id.map(|a| a.map(UserId)),
        notes,
        requester,
    };
    let ticket = state.store.update_ticket(auth.workspace_id(), &key, &patch, auth.actor()).await?;
    Ok(HttpResponse::Ok().json(written(&auth, ticket)))
}

/// A ticket's activity log, oldest first.
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The ticket's id or reference (`ACME-12`)", example = "ACME-12")),
    responses(
        (status = 200, description = "The events", body = List<TicketEvent>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in this workspace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{key}/events")]
pub async fn list_ticket_events(
    state: web::Data<AppState>,
    auth: Auth,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let events = state.store.ticket_events(auth.workspace_id(), &ticket_key(&key)?).await?;
    Ok(HttpResponse::Ok().json(List::whole(events.into_iter().map(convert::ticket_event).collect())))
}

/// The list query of a request: its parameters checked, `assignee=me` resolved to the
/// signed-in user (a token has no "me": 422).
pub(crate) fn list_query(auth: &Auth, req: &HttpRequest) -> Result<TicketListQuery, ApiError> {
    let mut query = TicketListQuery::parse(&query_pairs(req)?)?;
    if query.assignee == Some(AssigneeFilter::Me) {
        let me = auth
            .user_id()
            .ok_or_else(|| ApiError::field("assignee", "`me` needs a signed-in user; pass a user id"))?;
        query.assignee = Some(AssigneeFilter::User(me));
    }
    Ok(query)
}
