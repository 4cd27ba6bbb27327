//! The request span (and so the request log line): tracing-actix-web's fields, but with the
//! target's credential parameters (`access_token`, `link_token`, `token`) redacted, so that
//! no credential sent in a URL lands in a log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use crate::extract::redact_query;

/// Builds each request's root span with a redacted `http.target`.
pub struct RedactedRootSpan;

/// `path?query` with credential values replaced by `REDACTED`.
pub fn log_target(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_owned() } else { format!("{path}?{}", redact_query(query)) }
}

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // Where no subscriber records request spans (`RUST_LOG=warn`), nothing to compute.
        if !tracing::span_enabled!(tracing::Level::INFO) {
            return Span::none();
        }
        let method = request.method().as_str().to_owned();
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let target = log_target(request.path(), request.query_string());
        let request_id = request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default();
        let user_agent =
            request.headers().get("User-Agent").and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
        let connection = request.connection_info();
        let client_ip = connection.realip_remote_addr().unwrap_or("").to_owned();
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.target = %target,
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_query_are_redacted() {
        assert_eq!(log_target("/api/v1/tickets", ""), "/api/v1/tickets");
        assert_eq!(log_target("/api/v1/tickets", "q=abc&page=2"), "/api/v1/tickets?q=abc&page=2");
        assert_eq!(
            log_target("/api/v1/events", "access_token=eyJsecret&x=1"),
            "/api/v1/events?access_token=REDACTED&x=1"
        );
        assert_eq!(log_target("/e", "link_token=tkl_abc"), "/e?link_token=REDACTED");
        assert_eq!(
            log_target("/e", "a=1&token=tkd_x&Access%5Ftoken=y"),
            "/e?a=1&token=REDACTED&Access%5Ftoken=REDACTED"
        );
    }
}
