//! Hardening at the HTTP layer: rate limits (sign-in per client address and per account,
//! tool invocations and CTA clicks per API token), the client's address behind a proxy,
//! CORS, and the security headers of every answer.
//!
//! Limits are kept in memory, per instance: behind N instances a client gets up to N times
//! the configured rate. Each limit is a GCRA bucket (`governor`): a burst of the per-minute
//! number, refilled evenly over the minute.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;

use actix_cors::Cors;
use actix_web::HttpRequest;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::error::ApiError;

/// The CSP of the API docs (`/docs/`, Swagger UI): its scripts and styles are files of its
/// own; it sets inline styles, and its icons are `data:` images. No `unsafe-eval`.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; connect-src 'self'; font-src 'self' data:; \
                            object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The headers a browser may send on a cross-origin API call (the preflight's list).
pub const CORS_ALLOWED_HEADERS: [&str; 3] = ["authorization", "content-type", "idempotency-key"];

/// Rate limits (per minute; `0` disables one), proxy trust and CORS, decided by the binary
/// (`TICKETD_RATE_LIMIT_*`, `TICKETD_TRUST_PROXY`, `TICKETD_CORS_ORIGINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// Sign-in attempts per client address.
    pub login_per_ip: u32,
    /// Sign-in attempts per account (the e-mail, trimmed and lowercased), from any address.
    pub login_per_account: u32,
    /// Tool invocations per API token.
    pub tool_invocations_per_token: u32,
    /// CTA clicks per API token.
    pub cta_clicks_per_token: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (the one the reverse
    /// proxy in front of us added) instead of the connection's peer address.
    pub trust_proxy: bool,
    /// Origins (`https://admin.example`) allowed to call `/api/v1` from a browser; none by
    /// default.
    pub cors_origins: Vec<String>,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            login_per_ip: 20,
            login_per_account: 5,
            tool_invocations_per_token: 600,
            cta_clicks_per_token: 600,
            trust_proxy: false,
            cors_origins: Vec::new(),
        }
    }
}

/// Past this many tracked keys, buckets that are full again are dropped before a check.
const PRUNE_AT: usize = 10_000;

/// One keyed limit, or none when configured to 0.
struct Limit<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    what: &'static str,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn per_minute(n: u32, what: &'static str) -> Self {
        Self { limiter: NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n))), what }
    }

    fn check(&self, key: &K) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > PRUNE_AT {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            // Whole seconds, rounded up: retrying after `Retry-After` must succeed.
            let retry_after = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            ApiError::TooManyRequests {
                detail: format!("too many {}; try again in {retry_after} s", self.what),
                retry_after,
            }
        })
    }
}

/// The settings and the limiters built from them, shared by all workers.
pub struct Security {
    pub settings: SecuritySettings,
    login_ip: Limit<IpAddr>,
    login_account: Limit<String>,
    tools: Limit<Uuid>,
    cta: Limit<Uuid>,
}

impl Security {
    pub fn new(settings: SecuritySettings) -> Self {
        Self {
            login_ip: Limit::per_minute(settings.login_per_ip, "sign-in attempts from this address"),
            login_account: Limit::per_minute(settings.login_per_account, "sign-in attempts for this account"),
            tools: Limit::per_minute(settings.tool_invocations_per_token, "tool invocations with this token"),
            cta: Limit::per_minute(settings.cta_clicks_per_token, "CTA clicks with this token"),
            settings,
        }
    }

    /// Counts a sign-in attempt from the request's client address.
    pub fn check_login_ip(&self, req: &HttpRequest) -> Result<(), ApiError> {
        self.login_ip.check(&client_ip(req, self.settings.trust_proxy))
    }

    /// Counts a sign-in attempt for an account, whatever the address it comes from.
    pub fn check_login_account(&self, email: &str) -> Result<(), ApiError> {
        self.login_account.check(&email.trim().to_lowercase())
    }

    /// Counts a tool invocation by an API token.
    pub fn check_tool_invocation(&self, token: Uuid) -> Result<(), ApiError> {
        self.tools.check(&token)
    }

    /// Counts a CTA click relayed by an API token.
    pub fn check_cta_click(&self, token: Uuid) -> Result<(), ApiError> {
        self.cta.check(&token)
    }

    /// CORS for `/api/v1`: only the configured origins, with the API's methods and headers.
    /// With none configured no answer carries CORS headers and every preflight is refused;
    /// same-origin calls (the admin app) never need CORS.
    pub fn cors(&self) -> Cors {
        cors(&self.settings.cors_origins)
    }
}

impl Default for Security {
    fn default() -> Self {
        Self::new(SecuritySettings::default())
    }
}

pub fn cors(origins: &[String]) -> Cors {
    let cors = origins.iter().fold(Cors::default(), |cors, origin| cors.allowed_origin(origin));
    cors.allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers(CORS_ALLOWED_HEADERS)
        .expose_headers([header::RETRY_AFTER, header::LOCATION, HeaderName::from_static("x-request-id")])
        .max_age(3600)
        // Requests from other origins pass without CORS headers (the browser then withholds
        // the answer); the admin app's same-origin POSTs carry an `Origin` too.
        .block_on_origin_mismatch(false)
}

/// A request refused by the CORS middleware (an origin, method or header not allowed)
/// answers problem+json like every other error, not actix-cors' plain text. (A refused
/// preflight comes back as a response carrying the error; other refusals as the error.)
pub async fn cors_refusal_as_problem<B: actix_web::body::MessageBody>(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    use actix_web::ResponseError;
    let problem = |refused: &actix_cors::CorsError| {
        ApiError::BadRequest(format!("cross-origin request refused: {refused}"))
    };
    let res = next.call(req).await.map_err(|err| match err.as_error::<actix_cors::CorsError>() {
        Some(refused) => problem(refused).into(),
        None => err,
    })?;
    let refused = res.response().error().and_then(|e| e.as_error::<actix_cors::CorsError>()).map(problem);
    Ok(match refused {
        Some(problem) => res.into_response(problem.error_response()).map_into_right_body(),
        None => res.map_into_left_body(),
    })
}

/// The client's address: the connection's peer, or behind a trusted reverse proxy the last
/// `X-Forwarded-For` entry (earlier entries are whatever the client sent).
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| req.headers().get_all("x-forwarded-for").last())
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    forwarded.or_else(|| req.peer_addr().map(|a| a.ip())).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers to an answer: nosniff everywhere; on the API, `no-store`
/// (answers carry workspace data and tokens) and no framing; on the docs, a CSP and no
/// framing. The admin app's files set their own (`spa.rs`).
pub fn secure_headers(path: &str, headers: &mut HeaderMap) {
    set_default(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(headers, header::REFERRER_POLICY, "no-referrer");
    if path.starts_with("/docs") {
        set_default(headers, header::CONTENT_SECURITY_POLICY, DOCS_CSP);
        set_default(headers, header::X_FRAME_OPTIONS, "DENY");
    } else if !path.starts_with("/app") {
        set_default(headers, header::CACHE_CONTROL, "no-store");
        set_default(headers, header::X_FRAME_OPTIONS, "DENY");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_disables_a_limit() {
        let security = Security::new(SecuritySettings { login_per_account: 0, ..Default::default() });
        for _ in 0..100 {
            assert!(security.check_login_account("a@b.test").is_ok());
        }
    }

    #[test]
    fn a_limit_counts_per_key_and_tells_when_to_retry() {
        let security = Security::new(SecuritySettings { login_per_account: 2, ..Default::default() });
        assert!(security.check_login_account("a@b.test").is_ok());
        assert!(security.check_login_account(" A@B.test ").is_ok());
        match security.check_login_account("a@b.TEST") {
            Err(ApiError::TooManyRequests { retry_after, .. }) => assert!((1..=30).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(security.check_login_account("c@b.test").is_ok(), "another account has its own bucket");
    }
}
