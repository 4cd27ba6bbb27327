//! `ApiError`: every failure a handler can answer, rendered as `application/problem+json`
//! (RFC 9457). A 500 says nothing internal; its cause goes to the log.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use api_types::Problem;
use domain::{FieldErrors, ValidationError};
use store::StoreError;

const PROBLEM_BASE: &str = "https://ticketd.dev/problems/";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    Validation { detail: String, errors: FieldErrors },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// A documented path called with a method it does not have.
    #[error("this resource answers {}", .0.join(", "))]
    MethodNotAllowed(Vec<String>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A body in a media type the endpoint does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A rate limit: retry after this many seconds (`Retry-After`).
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable(String),
    /// Too much work of one kind at once (password hashing): 503, retry after this many
    /// seconds (`Retry-After`).
    #[error("{detail}")]
    Busy { detail: String, retry_after: u64 },
    #[error("internal error: {0}")]
    Internal(String),
    /// Any of the above, with a sentence the bot can say to the visitor.
    #[error("{inner}")]
    ForBot { inner: Box<ApiError>, message: String },
}

impl ApiError {
    pub fn validation(errors: FieldErrors) -> Self {
        let n = errors.0.len();
        let detail = if n == 1 { "1 field is invalid".to_owned() } else { format!("{n} fields are invalid") };
        ApiError::Validation { detail, errors }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::single(field, message))
    }

    /// Adds the sentence a bot can say to the visitor when its request failed.
    pub fn for_bot(self, message: String) -> Self {
        match self {
            ApiError::ForBot { inner, .. } => ApiError::ForBot { inner, message },
            inner => ApiError::ForBot { inner: Box::new(inner), message },
        }
    }

    fn parts(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation { .. } => ("validation", "Invalid input"),
            ApiError::BadRequest(_) => ("bad-request", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            ApiError::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Busy { .. } => ("busy", "Service busy"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
            ApiError::ForBot { inner, .. } => inner.parts(),
        }
    }

    pub fn problem(&self) -> Problem {
        if let ApiError::ForBot { inner, message } = self {
            return Problem { message: Some(message.clone()), ..inner.problem() };
        }
        let (slug, title) = self.parts();
        let detail = match self {
            ApiError::NotFound => "no such resource in this workspace".to_owned(),
            ApiError::Internal(_) => "something went wrong on our side; it has been logged".to_owned(),
            ApiError::Unavailable(_) => "the database is unavailable; try again shortly".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation { errors, .. } => {
                Some(errors.0.clone().into_iter().collect::<BTreeMap<_, _>>())
            }
            _ => None,
        };
        Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            message: None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ForBot { inner, .. } => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let root = match self {
            ApiError::ForBot { inner, .. } => inner.as_ref(),
            other => other,
        };
        match root {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if matches!(root, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let ApiError::MethodNotAllowed(allowed) = root
            && let Ok(value) = HeaderValue::from_str(&allowed.join(", "))
        {
            response.insert_header((header::ALLOW, value));
        }
        if matches!(root, ApiError::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        if let ApiError::TooManyRequests { retry_after, .. } | ApiError::Busy { retry_after, .. } = root {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(*retry_after)));
        }
        response.json(self.problem())
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        ApiError::validation(err.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            StoreError::Validation(v) => v.into(),
            StoreError::IdempotencyMismatch => ApiError::field(
                "Idempotency-Key",
                "this key was already used with a different request; use a new key for a new request",
            ),
            StoreError::Unavailable(e) => ApiError::Unavailable(e.to_string()),
            StoreError::Config(e) => ApiError::Internal(e),
            e @ (StoreError::CorruptRow(_)
            | StoreError::Hashing(_)
            | StoreError::Encoding(_)
            | StoreError::InvalidCall(_)) => ApiError::Internal(e.to_string()),
            StoreError::Db(e) => ApiError::Internal(e.to_string()),
        }
    }
}

/// The documented paths (templates split into segments, `None` for a `{parameter}`) and
/// the methods each answers, from the OpenAPI document.
type Routes = Vec<(Vec<Option<String>>, Vec<String>)>;

fn documented_routes() -> &'static Routes {
    static ROUTES: std::sync::OnceLock<Routes> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| {
        crate::openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let json = serde_json::to_value(item).unwrap_or_default();
                let mut methods: Vec<String> =
                    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]
                        .into_iter()
                        .filter(|m| json.get(m.to_ascii_lowercase()).is_some())
                        .map(str::to_owned)
                        .collect();
                methods.sort();
                (segments, methods)
            })
            .collect()
    })
}

/// What a request no route took answers: 405 with `Allow` when its path is a documented one
/// (the method is the problem), else 404.
pub fn unmatched(path: &str) -> ApiError {
    let parts: Vec<&str> = path.split('/').collect();
    let found = documented_routes().iter().find(|(segments, _)| {
        segments.len() == parts.len()
            && segments.iter().zip(&parts).all(|(s, p)| match s {
                Some(literal) => literal == p,
                None => !p.is_empty(),
            })
    });
    match found {
        Some((_, methods)) => ApiError::MethodNotAllowed(methods.clone()),
        None => ApiError::NotFound,
    }
}
