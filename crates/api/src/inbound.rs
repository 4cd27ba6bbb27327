//! `POST /inbound/email`: an MTA or a mail provider's inbound webhook hands in one raw
//! RFC 5322 message. The same code path as `ticketd mail-in` (`Store::receive_mail`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use api_types::{InboundAccepted, InboundIgnored, Problem};
use domain::auth::{Requirement, Scope};
use domain::inbound::MAX_MESSAGE_BYTES;
use futures_util::StreamExt;
use serde::Deserialize;
use store::inbound::{InboundError, InboundMessage, Received};

use crate::error::ApiError;
use crate::extract::Auth;
use crate::{AppState, convert};

/// The media type of the request body.
pub const RFC822: &str = "message/rfc822";

/// Where the mail was delivered, when the body's headers do not say it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundQuery {
    /// The envelope recipient (e.g. Postfix's `${recipient}`): read first for a reply
    /// address token (`support+ACME-12.K3J5Q2XWZA@acme.test`).
    pub recipient: Option<String>,
}

/// Hand in a raw inbound e-mail.
///
/// The body is the whole message (`Content-Type: message/rfc822`, at most 10 MiB). It
/// threads onto a ticket of this token's workspace by, in order: `In-Reply-To`/`References`
/// naming a Message-ID of the ticket's thread; the reply address token in `recipient`,
/// `Delivered-To`, `To` or `Cc`; `[ACME-12]` in the subject when the sender is the ticket's
/// requester. Otherwise it opens a ticket (`metadata.source = "email"`). The text is kept
/// without quoted history, attachments listed by name and size. Auto-replies, bulk mail,
/// bounces and a Message-ID already taken answer 202 and change nothing.
#[utoipa::path(
    tag = "inbound",
    security(("bearer" = [])),
    params(InboundQuery),
    request_body(content = String, content_type = "message/rfc822", description = "The raw RFC 5322 message, headers and body"),
    responses(
        (status = 201, description = "Taken: a customer comment on a ticket, or a new ticket", body = InboundAccepted),
        (status = 202, description = "Ignored (auto-reply, bulk, bounce, or a Message-ID already taken); nothing changed", body = InboundIgnored),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a token with `inbound:write` (signed-in users may not)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 10 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not message/rfc822", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a mail: no header block, cut off inside it, or no From address", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable; retry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/inbound/email")]
pub async fn receive_inbound_email(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    query: web::Query<InboundQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    auth.require(Requirement::token_only(Scope::InboundWrite))?;
    check_content_type(&req)?;
    let raw = read_limited(&req, payload).await?;
    let message = InboundMessage {
        raw: &raw,
        recipient: query.recipient.as_deref(),
        secret: state.jwt.server_secret(),
        recorded_by: auth.actor(),
    };
    match state.store.receive_mail(auth.workspace_id(), message).await {
        Ok(Received::Accepted { ticket, comment_id, created_ticket }) => {
            let ticket = convert::ticket(*ticket);
            let reference = ticket.reference.clone();
            Ok(HttpResponse::Created().json(InboundAccepted {
                ticket,
                reference,
                comment_id,
                created_ticket,
            }))
        }
        Ok(Received::Ignored(ignored)) => Ok(HttpResponse::Accepted().json(InboundIgnored { ignored })),
        Err(InboundError::Unparsable(e)) => Err(ApiError::field("message", e.to_string())),
        Err(InboundError::Store(e)) => Err(e.into()),
    }
}

fn check_content_type(req: &HttpRequest) -> Result<(), ApiError> {
    let given = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case(RFC822) {
        return Ok(());
    }
    let given = if given.is_empty() { "none".to_owned() } else { format!("`{given}`") };
    Err(ApiError::UnsupportedMediaType(format!(
        "send the raw message with `Content-Type: {RFC822}` (got {given})"
    )))
}

/// The body, at most [`MAX_MESSAGE_BYTES`]: 413 as soon as it is known to be larger.
async fn read_limited(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let too_large =
        || ApiError::PayloadTooLarge(format!("a message must be at most {MAX_MESSAGE_BYTES} bytes (10 MiB)"));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_MESSAGE_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::debug!(error = %e, "cannot read a request body");
            ApiError::BadRequest("cannot read the body: it ended early or its encoding is invalid".into())
        })?;
        if body.len() + chunk.len() > MAX_MESSAGE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
