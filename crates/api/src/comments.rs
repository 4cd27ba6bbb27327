//! The ticket thread: `GET/POST /tickets/{id-or-reference}/comments`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use api_types::{Comment, CommentKind, List, ListMeta, NewComment, Problem};
use domain::auth::{Requirement, Scope};
use domain::thread::{CommentListQuery, MailFrom, parse_comment_body};
use domain::ticket::TicketKey;
use store::Actor;
use store::thread::{CommentAuthor, NewComment as StoreComment};

use crate::error::ApiError;
use crate::extract::{Auth, JsonBody, query_pairs};
use crate::{AppState, convert};

const READ: Requirement = Requirement::operator_or(Scope::TicketsRead);
const WRITE: Requirement = Requirement::operator_or(Scope::TicketsWrite);

/// The outgoing mail the API needs to know of (`TICKETD_SMTP_URL` and `TICKETD_MAIL_FROM`
/// set): replies are accepted only with a transport, and their Message-IDs carry the
/// sender's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub from: MailFrom,
}

fn ticket_key(raw: &str) -> Result<TicketKey, ApiError> {
    TicketKey::parse(raw).ok_or(ApiError::NotFound)
}

/// A ticket's thread, oldest first.
///
/// Walk it with `cursor` (pass `meta.next_cursor` back; null on the last page).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(
        ("key" = String, Path, description = "The ticket's id or reference (`ACME-12`)", example = "ACME-12"),
        ("per_page" = Option<u64>, Query, description = "Comments per page, 1–100 (default 50)", example = 50, minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page of the thread", body = List<Comment>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `per_page` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tickets/{key}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    auth: Auth,
    key: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    auth.require(READ)?;
    let key = ticket_key(&key)?;
    let query = CommentListQuery::parse(&query_pairs(&req)?)?;
    let page = state.store.comments(auth.workspace_id(), &key, &query).await?;
    let meta = ListMeta {
        page: if query.cursor.is_some() { 0 } else { 1 },
        per_page: query.per_page,
        total: page.total,
        total_exact: true,
        next_cursor: page.next_cursor,
    };
    Ok(HttpResponse::Ok()
        .json(List { data: page.comments.into_iter().map(convert::comment).collect(), meta }))
}

/// Add a comment: an internal `note`, a `reply` e-mailed to the requester, or a `customer`
/// message (the requester's words, e.g. a phone call or a web form).
///
/// A reply needs the requester's e-mail (else 422 `requester`) and a mail transport on the
/// server (else 409; nothing is saved). A customer comment reopens a resolved ticket; on a
/// closed one it opens a follow-up ticket and the comment lands there (its `ticket_id`).
#[utoipa::path(
    tag = "tickets",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "The ticket's id or reference (`ACME-12`)", example = "ACME-12")),
    request_body = NewComment,
    responses(
        (status = 201, description = "Created", body = Comment),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Token lacks `tickets:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A reply, but no mail transport is configured", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a reply to a ticket whose requester has no e-mail", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tickets/{key}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    auth: Auth,
    key: web::Path<String>,
    body: Result<JsonBody<NewComment>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    auth.require(WRITE)?;
    let key = ticket_key(&key)?;
    let NewComment { kind, body } = body?.0;
    let body = parse_comment_body(&body).map_err(|e| ApiError::field("body", e))?;
    let recorded_by = auth.actor();
    let author = match (kind, recorded_by) {
        (CommentKind::Customer, _) => CommentAuthor::Requester,
        (_, Actor::User(user)) => CommentAuthor::User(user),
        (_, Actor::Token(token)) => CommentAuthor::Token(token),
        (_, Actor::System) => return Err(ApiError::Internal("a request without a caller".into())),
    };
    let new = match kind {
        CommentKind::Reply => {
            let Some(mail) = &state.mail else {
                return Err(ApiError::Conflict(
                    "Replies cannot be e-mailed: this server has no mail transport (set TICKETD_SMTP_URL and TICKETD_MAIL_FROM). Nothing was saved; add an internal note instead, or ask an administrator to configure outgoing mail.".into(),
                ));
            };
            StoreComment::reply(body, author, recorded_by, mail.from.domain())
        }
        _ => StoreComment::new(kind, body, author, recorded_by),
    };
    let outcome = state.store.add_comment(auth.workspace_id(), &key, new).await?;
    Ok(HttpResponse::Created().json(convert::comment(outcome.comment)))
}
