//! The request timeout: how long an API request may take to produce its answer before it
//! answers 503 problem+json with `Retry-After`, as when the database is unreachable.
//!
//! A database that stops answering without closing anything (packets dropped: a failover,
//! a dead NAT) leaves a statement waiting for TCP to give up, which takes minutes; the pool's
//! acquire timeout only bounds the wait for a connection, not a statement already sent on
//! one. This bound covers everything a request does: extractors (authentication reads the
//! database), the handler and its statements.
//!
//! It bounds the response *head* only (status and headers), not the body: a Server-Sent
//! Events stream answers its head at once and then streams for as long as the client
//! listens. When the time is up, the handler's future is dropped wherever it waits. The store
//! is built for that: a dropped transaction rolls back, `BEGIN` cannot be interrupted, and a
//! connection that does not answer when handed back to the pool is closed, not reused.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::ApiError;

/// Runs `next` for at most `limit` (no limit with `None`); after that, 503.
///
/// The 503 is returned as an error, not a response: a response needs the request, and a
/// clone of it held here would break the routing below (actix mutates the request while
/// routing, which it can only do while nobody else holds it). The middlewares outside add
/// their headers to an error's response (`actix_web::Error::add_response_mapper`).
pub async fn bound<B: MessageBody>(
    limit: Option<Duration>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let Some(limit) = limit else {
        return next.call(req).await;
    };
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(answered) => answered,
        Err(_) => Err(ApiError::Unavailable(format!(
            "no answer within the request timeout ({limit:?}, TICKETD_REQUEST_TIMEOUT_SECONDS)"
        ))
        .into()),
    }
}
