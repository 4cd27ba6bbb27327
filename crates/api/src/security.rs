//! Hardening at the HTTP layer: rate limits (sign-in per client address, failed sign-ins
//! per account and per account and address, a global sign-in ceiling, tool invocations and
//! CTA clicks per API token), a bound on concurrent password hashing, caps on open event
//! streams, the client's address behind a proxy, CORS, and the security headers of every
//! answer.
//!
//! The rate limits count in the database (`rate_counters`), so every instance on one
//! database shares them: N instances behind a load balancer do not multiply a guesser's
//! attempts. Each is a fixed one-minute window. The hashing bound and the stream caps are
//! per instance: they protect this process's CPU, memory and connections, which is what
//! they are for.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_cors::Cors;
use actix_web::HttpRequest;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use store::Store;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::error::ApiError;

/// The CSP of the API docs (`/docs/`, Swagger UI): its scripts and styles are files of its
/// own; it sets inline styles, and its icons are `data:` images. No `unsafe-eval`.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                            img-src 'self' data:; connect-src 'self'; font-src 'self' data:; \
                            object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The headers a browser may send on a cross-origin API call (the preflight's list).
pub const CORS_ALLOWED_HEADERS: [&str; 3] = ["authorization", "content-type", "idempotency-key"];

/// Rate limits (per minute; `0` disables one), hashing and stream bounds, proxy trust and
/// CORS, decided by the binary (`TICKETD_RATE_LIMIT_*`, `TICKETD_HASH_*`,
/// `TICKETD_STREAMS_*`, `TICKETD_TRUST_PROXY`, `TICKETD_CORS_ORIGINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// Sign-in attempts per client address (IPv6 addresses count by /64).
    pub login_per_ip: u32,
    /// Failed sign-ins per account from one address: past it, that address gets 429 for
    /// that account without a password check.
    pub login_per_account: u32,
    /// Failed sign-ins per account from all addresses: past it the account is locked for
    /// addresses that have failed on it; an address with no failure on it still gets its
    /// password checked, so the real user signs in through a lock that guessers caused.
    pub login_account_lock: u32,
    /// Sign-in attempts from everyone: a ceiling on the work sign-in can cause.
    pub login_global: u32,
    /// Tool invocations per API token.
    pub tool_invocations_per_token: u32,
    /// CTA clicks per API token.
    pub cta_clicks_per_token: u32,
    /// Password hashes (argon2, 19 MiB each) computed at once; default: one per core.
    pub hash_concurrency: usize,
    /// Sign-ins waiting for a hashing slot; past it, 503 with `Retry-After`.
    pub hash_queue: usize,
    /// Open event streams per credential (session, API token; a link token counts as the
    /// credential that made it).
    pub streams_per_credential: usize,
    /// Open event streams on this instance.
    pub streams_total: usize,
    /// How often an open stream sends a keep-alive comment; the server notices a client that
    /// went away (and gives its stream's place back) at a write.
    pub stream_keep_alive: Duration,
    /// How often an open stream re-checks its credential (revoked, membership removed,
    /// password changed); it also ends at the session's expiry.
    pub stream_check_interval: Duration,
    /// The clock of the rate-limit windows (tests pin it, so that no window ends mid-test).
    pub clock: RateClock,
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
            login_account_lock: 20,
            login_global: 600,
            tool_invocations_per_token: 600,
            cta_clicks_per_token: 600,
            hash_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            hash_queue: 8,
            streams_per_credential: 10,
            streams_total: 1000,
            stream_keep_alive: Duration::from_secs(15),
            stream_check_interval: Duration::from_secs(30),
            clock: RateClock::System,
            trust_proxy: false,
            cors_origins: Vec::new(),
        }
    }
}

/// What time the rate limits see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClock {
    System,
    /// Always this unix time (tests).
    Fixed(i64),
}

impl RateClock {
    /// Now, in unix seconds.
    pub fn now(self) -> i64 {
        match self {
            RateClock::System => domain::time::now().timestamp(),
            RateClock::Fixed(t) => t,
        }
    }
}

/// The length of a rate-limit window, in seconds.
const WINDOW: i64 = 60;

/// The window `now` (unix seconds) falls in: its start, and the seconds left in it.
pub fn window(now: i64) -> (i64, u64) {
    let start = now - now.rem_euclid(WINDOW);
    (start, (start + WINDOW - now).max(1) as u64)
}

/// The key a client address is counted under: an IPv4 address as is (also when written as
/// an IPv4-mapped IPv6 address), an IPv6 address by its /64, the block one subscriber gets.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn too_many(what: &str, retry_after: u64) -> ApiError {
    ApiError::TooManyRequests {
        detail: format!("too many {what}; try again in {retry_after} s"),
        retry_after,
    }
}

/// The settings, the hashing slots and the stream counts, shared by all workers.
pub struct Security {
    pub settings: SecuritySettings,
    hashing: Arc<Semaphore>,
    hash_waiting: AtomicUsize,
    streams: Arc<Mutex<HashMap<String, usize>>>,
}

/// A hashing slot, held while one password hash runs.
pub struct HashPermit {
    _permit: OwnedSemaphorePermit,
}

/// An open event stream's place in the counts, given back when dropped.
pub struct StreamSlot {
    key: String,
    streams: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = streams.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                streams.remove(&self.key);
            }
        }
        if let Some(n) = streams.get_mut(TOTAL) {
            *n -= 1;
        }
    }
}

/// The key of the instance-wide stream count (no credential key starts with a space).
const TOTAL: &str = " total";

impl Security {
    pub fn new(settings: SecuritySettings) -> Self {
        Self {
            hashing: Arc::new(Semaphore::new(settings.hash_concurrency.max(1))),
            hash_waiting: AtomicUsize::new(0),
            streams: Arc::default(),
            settings,
        }
    }

    /// Counts one hit on `key` against `limit` per minute (0: no limit); 429 past it.
    async fn hit(&self, store: &Store, key: &str, limit: u32, what: &str) -> Result<(), ApiError> {
        if limit == 0 {
            return Ok(());
        }
        let (start, left) = window(self.settings.clock.now());
        let count = store.count_hits(key, start, 1).await?;
        if count > i64::from(limit) {
            return Err(too_many(what, left));
        }
        Ok(())
    }

    /// Counts a sign-in attempt (even a malformed one) against the client's address and the
    /// global ceiling.
    pub async fn check_login_address(&self, store: &Store, req: &HttpRequest) -> Result<(), ApiError> {
        let s = &self.settings;
        let address = address_key(client_ip(req, s.trust_proxy));
        self.hit(store, &format!("login:ip:{address}"), s.login_per_ip, "sign-in attempts from this address")
            .await?;
        self.hit(store, "login:all", s.login_global, "sign-in attempts on this service; the service is busy")
            .await
    }

    /// Before a password is checked: refuses an address that has failed too often on this
    /// account (or, while the account is locked, has failed on it at all).
    pub async fn check_login_account(
        &self,
        store: &Store,
        req: &HttpRequest,
        email: &str,
    ) -> Result<(), ApiError> {
        let s = &self.settings;
        let address = address_key(client_ip(req, s.trust_proxy));
        let account = email.trim().to_lowercase();
        let (start, left) = window(self.settings.clock.now());
        let here = store.peek_hits(&format!("login:fail:{account}:{address}"), start).await?;
        if s.login_per_account > 0 && here >= i64::from(s.login_per_account) {
            return Err(too_many("failed sign-ins for this account from this address", left));
        }
        if s.login_account_lock > 0 && here > 0 {
            let everywhere = store.peek_hits(&format!("login:fail:{account}"), start).await?;
            if everywhere >= i64::from(s.login_account_lock) {
                return Err(too_many("failed sign-ins for this account", left));
            }
        }
        Ok(())
    }

    /// After a wrong password: counts the failure for the account, from this address and
    /// from everywhere. Successful sign-ins count nowhere but the address's attempts.
    pub async fn login_failed(&self, store: &Store, req: &HttpRequest, email: &str) -> Result<(), ApiError> {
        let address = address_key(client_ip(req, self.settings.trust_proxy));
        let account = email.trim().to_lowercase();
        let (start, _) = window(self.settings.clock.now());
        store.count_hits(&format!("login:fail:{account}:{address}"), start, 1).await?;
        store.count_hits(&format!("login:fail:{account}"), start, 1).await?;
        Ok(())
    }

    /// Counts a tool invocation by an API token.
    pub async fn check_tool_invocation(&self, store: &Store, token: Uuid) -> Result<(), ApiError> {
        let limit = self.settings.tool_invocations_per_token;
        self.hit(store, &format!("tools:{token}"), limit, "tool invocations with this token").await
    }

    /// Counts a CTA click relayed by an API token.
    pub async fn check_cta_click(&self, store: &Store, token: Uuid) -> Result<(), ApiError> {
        let limit = self.settings.cta_clicks_per_token;
        self.hit(store, &format!("cta:{token}"), limit, "CTA clicks with this token").await
    }

    /// Waits for a hashing slot: at most `hash_concurrency` hashes run at once and
    /// `hash_queue` requests wait; past that, 503 with `Retry-After` at once (a flood of
    /// sign-ins cannot pile up memory and CPU).
    pub async fn hash_permit(&self) -> Result<HashPermit, ApiError> {
        if let Ok(permit) = self.hashing.clone().try_acquire_owned() {
            return Ok(HashPermit { _permit: permit });
        }
        let waiting = self.hash_waiting.fetch_add(1, Ordering::SeqCst);
        let _leave = scopeguard_dec(&self.hash_waiting);
        if waiting >= self.settings.hash_queue {
            return Err(ApiError::Busy {
                detail: "too many sign-ins are being checked right now; try again shortly".into(),
                retry_after: 1,
            });
        }
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("the hashing slots are closed".into()))?;
        Ok(HashPermit { _permit: permit })
    }

    /// Takes a place for an event stream of the credential `key`: 429 past
    /// `streams_per_credential` for it or `streams_total` on this instance.
    pub fn open_stream(&self, key: &str) -> Result<StreamSlot, ApiError> {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let total = streams.get(TOTAL).copied().unwrap_or(0);
        if total >= self.settings.streams_total {
            return Err(too_many("open event streams on this server", 5));
        }
        let mine = streams.get(key).copied().unwrap_or(0);
        if mine >= self.settings.streams_per_credential {
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "at most {} event streams may be open per credential: close one first",
                    self.settings.streams_per_credential
                ),
                retry_after: 5,
            });
        }
        *streams.entry(key.to_owned()).or_default() += 1;
        *streams.entry(TOTAL.to_owned()).or_default() += 1;
        Ok(StreamSlot { key: key.to_owned(), streams: self.streams.clone() })
    }

    /// CORS for `/api/v1`: only the configured origins, with the API's methods and headers.
    /// With none configured no answer carries CORS headers and every preflight is refused;
    /// same-origin calls (the admin app) never need CORS.
    pub fn cors(&self) -> Cors {
        cors(&self.settings.cors_origins)
    }
}

/// Decrements `counter` when dropped.
fn scopeguard_dec(counter: &AtomicUsize) -> impl Drop + '_ {
    struct Dec<'a>(&'a AtomicUsize);
    impl Drop for Dec<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Dec(counter)
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
    use std::net::Ipv6Addr;

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b), "one /64, one key");
        assert_ne!(address_key(a), address_key(other), "the next /64 is another subscriber");
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(address_key(v4), "192.0.2.7");
        assert_ne!(address_key(v4), address_key("192.0.2.8".parse().unwrap()));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), "192.0.2.7", "an IPv4-mapped address is its IPv4 address");
        assert_eq!(address_key(IpAddr::V6(Ipv6Addr::LOCALHOST)), "0:0:0:0::/64");
    }

    #[test]
    fn windows_are_whole_minutes() {
        assert_eq!(window(120), (120, 60));
        assert_eq!(window(179), (120, 1));
        assert_eq!(window(150), (120, 30));
    }

    #[test]
    fn stream_slots_are_capped_per_credential_and_in_total() {
        let security = Security::new(SecuritySettings {
            streams_per_credential: 2,
            streams_total: 3,
            ..Default::default()
        });
        let a1 = security.open_stream("a").unwrap();
        let _a2 = security.open_stream("a").unwrap();
        assert!(matches!(security.open_stream("a"), Err(ApiError::TooManyRequests { .. })));
        let _b1 = security.open_stream("b").unwrap();
        assert!(security.open_stream("c").is_err(), "the instance-wide cap");
        drop(a1);
        assert!(security.open_stream("a").is_ok(), "a closed stream gives its place back");
    }

    #[tokio::test]
    async fn hashing_is_bounded_then_refused() {
        let security =
            Security::new(SecuritySettings { hash_concurrency: 1, hash_queue: 1, ..Default::default() });
        let first = security.hash_permit().await.unwrap();
        let security = Arc::new(security);
        let queued = {
            let security = security.clone();
            tokio::spawn(async move { security.hash_permit().await.map(|_| ()) })
        };
        while security.hash_waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        match security.hash_permit().await {
            Err(ApiError::Busy { retry_after, .. }) => assert!(retry_after >= 1),
            other => panic!("expected 503, got {:?}", other.map(|_| ())),
        }
        drop(first);
        queued.await.unwrap().unwrap();
    }
}
