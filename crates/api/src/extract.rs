//! Extractors: `JsonBody` (JSON with field-level 422s, 400 for malformed JSON, 413 past the
//! size limit) and `Auth` (the caller, from a JWT or an API token).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use domain::FieldErrors;
use domain::auth::{Principal, Requirement, Role, Scope};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::Digest;
use store::security::{Credential, CredentialKind};
use store::{ApiToken, Session, Workspace};

use crate::AppState;
use crate::error::ApiError;

/// The default body limit: tickets, conversations, messages, tool invocations.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// The limit of small bodies: sign-in, API tokens, agents, CTA buttons and clicks,
/// notification channels.
pub const SMALL_BODY_LIMIT: usize = 16 * 1024;

/// How deep a JSON body may nest (the body object itself is level 1). serde_json stops at
/// 128 with a syntax error; free-form fields (ticket `metadata`, tool `input`) get a clear
/// 422 well before that.
pub const MAX_JSON_DEPTH: usize = 32;

/// A JSON request body of at most `LIMIT` bytes. Wrong types, missing fields, unknown enum
/// values and nesting deeper than [`MAX_JSON_DEPTH`] answer 422 naming the field; malformed
/// JSON answers 400; a body over the limit answers 413.
pub struct JsonBody<T, const LIMIT: usize = DEFAULT_BODY_LIMIT>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for JsonBody<T, LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = LIMIT;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let too_large = || ApiError::PayloadTooLarge(format!("the body must be at most {limit} bytes"));
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    tracing::debug!(error = %e, "cannot read a request body");
                    ApiError::BadRequest(
                        "cannot read the body: it ended early or its encoding is invalid".into(),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

/// Parses a JSON document into `T`, classifying errors as 400 (syntax) or 422 (data).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("the request body is empty: send a JSON object".into()));
    }
    check_depth(body)?;
    // serde's structs also read arrays (`[null, null]` fills the fields in order), and a body
    // whose fields are all optional would be accepted: the API takes objects only.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
    {
        return Err(ApiError::validation(FieldErrors::single("body", "expected a JSON object")));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(value) => {
            de.end().map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let (field, message) = describe_data_error(&path, &inner.to_string());
                    Err(ApiError::validation(FieldErrors::single(field, message)))
                }
                // serde_json reports a non-string where an enum is expected (`"priority": 5`)
                // as a syntax error; on a well-formed document it is a wrong type: 422.
                serde_json::error::Category::Syntax
                    if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() =>
                {
                    let (field, _) = describe_data_error(&path, "");
                    let message = "invalid type: expected one of the allowed string values";
                    Err(ApiError::validation(FieldErrors::single(field, message)))
                }
                _ => Err(ApiError::BadRequest(format!("malformed JSON: {inner}"))),
            }
        }
    }
}

/// 422 for a document nested deeper than [`MAX_JSON_DEPTH`], naming the top-level field
/// whose value is too deep. Scans the bytes without parsing them; a document that is not
/// JSON at all passes through to the parser's 400.
fn check_depth(body: &[u8]) -> Result<(), ApiError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    // The last string read at depth 1 and whether it was followed by `:` (a key).
    let (mut string_start, mut last_string, mut key) = (0, (0, 0), None::<(usize, usize)>);
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    last_string = (string_start, i);
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_start = i + 1;
            }
            b':' if depth == 1 => key = Some(last_string),
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    let field = key
                        .and_then(|(a, b)| std::str::from_utf8(&body[a..b]).ok())
                        .filter(|k| !k.is_empty() && !k.contains('\\'))
                        .unwrap_or("body");
                    return Err(ApiError::field(
                        field,
                        format!("nested too deeply: at most {MAX_JSON_DEPTH} levels of objects and arrays"),
                    ));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Turns serde's message into a field name and a readable message. serde reports a
/// missing field at the parent's path, with the name only in the text.
fn describe_data_error(path: &str, message: &str) -> (String, String) {
    let message = message.split(" at line ").next().unwrap_or(message).to_owned();
    if path.starts_with('[') {
        // A top-level array: serde reads structs from sequences, but the API takes objects.
        return ("body".to_owned(), "expected a JSON object".to_owned());
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        let field = if path == "." || path.is_empty() { name.to_owned() } else { format!("{path}.{name}") };
        return (field, "this field is required".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(name) = rest.split('`').next()
    {
        // Unlike a missing field, an unknown one is reported at its own path.
        let field = if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return (field, "unknown field".into());
    }
    let field = if path == "." || path.is_empty() { "body".to_owned() } else { path.to_owned() };
    (field, message)
}

/// The authenticated caller: a signed-in member or an API token, and its workspace.
#[derive(Debug, Clone)]
pub struct Auth {
    pub workspace: Workspace,
    pub principal: Principal,
    pub session: Option<Session>,
    pub token: Option<ApiToken>,
    /// The credential the request acts with (through a link token: the one that made it).
    pub credential: Credential,
}

impl Auth {
    /// 403 unless the caller meets `req`.
    pub fn require(&self, req: Requirement) -> Result<(), ApiError> {
        if self.principal.allows(req) {
            return Ok(());
        }
        let detail = match (&self.principal, req) {
            (Principal::User(_), Requirement { role: Some(Role::Admin), .. }) => {
                "this needs the admin role".to_owned()
            }
            (Principal::User(_), _) => "this is for API tokens only".to_owned(),
            (Principal::Token(_), Requirement { scope: Some(scope), .. }) => {
                format!("this token lacks the `{scope}` scope")
            }
            (Principal::Token(_), _) => "this is for signed-in users only".to_owned(),
        };
        Err(ApiError::Forbidden(detail))
    }

    pub fn workspace_id(&self) -> domain::WorkspaceId {
        self.workspace.id
    }

    pub fn user_id(&self) -> Option<domain::UserId> {
        self.session.as_ref().map(|s| s.user.id)
    }

    /// Who to record in the activity log.
    pub fn actor(&self) -> store::Actor {
        match (&self.session, &self.token) {
            (Some(s), _) => store::Actor::User(s.user.id),
            (None, Some(t)) => store::Actor::Token(t.id),
            (None, None) => store::Actor::System,
        }
    }

    pub fn scopes(&self) -> Option<&[Scope]> {
        self.token.as_ref().map(|t| t.scopes.as_slice())
    }
}

/// The paths a `?link_token=` may open (GET only): what a browser opens by URL, without
/// headers — the event stream (`EventSource`) and downloads.
pub const LINK_TOKEN_PATHS: [&str; 2] = ["/api/v1/events", "/api/v1/tickets/export.csv"];

/// The query parameters that carry credentials: never logged, never accepted elsewhere.
pub const CREDENTIAL_PARAMS: [&str; 3] = ["access_token", "link_token", "token"];

/// The bearer credential of a request, from the `Authorization` header.
fn bearer(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    None
}

/// Where a request's credential comes from.
enum Presented {
    Bearer(String),
    LinkToken(String),
    /// `?access_token=`: refused, with a sentence saying what to do instead.
    AccessTokenInUrl,
    Nothing,
}

fn presented(req: &HttpRequest) -> Presented {
    if let Some(token) = bearer(req) {
        return Presented::Bearer(token);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let link = req.method() == actix_web::http::Method::GET && LINK_TOKEN_PATHS.contains(&req.path());
    if link && let Some((_, v)) = pairs.iter().find(|(k, _)| k == "link_token") {
        return Presented::LinkToken(v.clone());
    }
    if pairs.iter().any(|(k, _)| k == "access_token") {
        return Presented::AccessTokenInUrl;
    }
    Presented::Nothing
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(auth) = req.extensions().get::<Auth>() {
            let auth = auth.clone();
            return Box::pin(async move { Ok(auth) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = presented(req);
        let req = req.clone();
        // A bot's tool call must always get a sentence to say, even when the chat backend's
        // token is wrong: the handler never runs then, so the sentence is added here.
        let for_bot = req.path().starts_with("/api/v1/agents/") && req.path().ends_with("/invocations");
        Box::pin(async move {
            let result: Result<Auth, ApiError> = async {
                let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
                let auth = match presented {
                    Presented::Bearer(credential) => authenticate(&state, &credential).await?,
                    Presented::LinkToken(link) => authenticate_link(&state, &link).await?,
                    Presented::AccessTokenInUrl => {
                        return Err(ApiError::Unauthorized(
                            "credentials in the URL (`?access_token=`) are not accepted: send \
                             `Authorization: Bearer <token>`, or for an event stream or a download \
                             get a single-use `link_token` from `POST /api/v1/auth/link-tokens`"
                                .into(),
                        ));
                    }
                    Presented::Nothing => {
                        return Err(ApiError::Unauthorized(
                            "send `Authorization: Bearer <token>` (a session token or an API token)".into(),
                        ));
                    }
                };
                req.extensions_mut().insert(auth.clone());
                Ok(auth)
            }
            .await;
            result.map_err(
                |e: ApiError| if for_bot { e.for_bot(domain::tool::ticket_failed_message()) } else { e },
            )
        })
    }
}

async fn authenticate(state: &AppState, credential: &str) -> Result<Auth, ApiError> {
    if credential.starts_with("tkd_") {
        let (token, workspace) = match state.store.token_by_secret(credential).await {
            Ok(found) => found,
            Err(store::StoreError::NotFound) => {
                return Err(ApiError::Unauthorized("the API token is unknown or revoked".into()));
            }
            Err(e) => return Err(e.into()),
        };
        let now = domain::time::now();
        if token.last_used_at.is_none_or(|t| now - t >= store::tokens::LAST_USED_GRANULARITY) {
            let store = state.store.clone();
            let id = token.id;
            // Off the request's critical path; a lost update only delays `last_used_at`.
            actix_web::rt::spawn(async move {
                if let Err(e) = store.touch_token(id, now).await {
                    tracing::warn!(error = %e, "cannot record token use");
                }
            });
        }
        return Ok(token_auth(token, workspace));
    }
    let claims = state.jwt.verify(credential)?;
    let session = member_session(state, claims.user_id(), claims.workspace_id(), claims.sv).await?;
    let credential = Credential {
        workspace_id: session.workspace.id,
        kind: CredentialKind::Session {
            user: session.user.id,
            session_version: claims.sv,
            expires_at: claims.expires_at(),
        },
        key: format!("jwt:{}", &hex::encode(sha2::Sha256::digest(credential.as_bytes()))[..32]),
    };
    Ok(session_auth(session, credential))
}

fn token_auth(token: ApiToken, workspace: Workspace) -> Auth {
    let credential = Credential {
        workspace_id: workspace.id,
        kind: CredentialKind::ApiToken(token.id),
        key: format!("token:{}", token.id.0),
    };
    Auth {
        workspace,
        principal: Principal::Token(token.scopes.clone()),
        session: None,
        token: Some(token),
        credential,
    }
}

fn session_auth(session: Session, credential: Credential) -> Auth {
    Auth {
        workspace: session.workspace.clone(),
        principal: Principal::User(session.role),
        session: Some(session),
        token: None,
        credential,
    }
}

/// The member's session, if they are still a member and `session_version` is still theirs.
pub(crate) async fn member_session(
    state: &AppState,
    user: domain::UserId,
    workspace: domain::WorkspaceId,
    session_version: i64,
) -> Result<Session, ApiError> {
    let session = match state.store.session(user, workspace).await {
        Ok(session) => session,
        Err(store::StoreError::NotFound) => {
            return Err(ApiError::Unauthorized(
                "this session's user is no longer a member of the workspace".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if session.session_version != session_version {
        return Err(ApiError::Unauthorized(
            "this session ended when the password was changed: sign in again".into(),
        ));
    }
    Ok(session)
}

/// A link token, used up: the request acts with the credential that made it, if that still
/// works (not expired, revoked, removed from the workspace or ended by a password change).
async fn authenticate_link(state: &AppState, link: &str) -> Result<Auth, ApiError> {
    let unusable = || ApiError::Unauthorized("the link token is unknown, expired or already used".into());
    let credential = match state.store.consume_link_token(link).await {
        Ok(credential) => credential,
        Err(store::StoreError::NotFound) => return Err(unusable()),
        Err(e) => return Err(e.into()),
    };
    match credential.kind {
        CredentialKind::Session { user, session_version, expires_at } => {
            if expires_at <= domain::time::now() {
                return Err(ApiError::Unauthorized("the session has expired: sign in again".into()));
            }
            let session = member_session(state, user, credential.workspace_id, session_version).await?;
            Ok(session_auth(session, credential))
        }
        CredentialKind::ApiToken(id) => match state.store.live_token(id).await {
            Ok((token, workspace)) => {
                let mut auth = token_auth(token, workspace);
                auth.credential = credential;
                Ok(auth)
            }
            Err(store::StoreError::NotFound) => {
                Err(ApiError::Unauthorized("the API token is unknown or revoked".into()))
            }
            Err(e) => Err(e.into()),
        },
    }
}

/// A query string with the values of credential parameters replaced by `REDACTED`, for
/// logs; the rest is kept as sent.
pub fn redact_query(query: &str) -> std::borrow::Cow<'_, str> {
    if query.is_empty() {
        return std::borrow::Cow::Borrowed(query);
    }
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            let key = pair.split('=').next().unwrap_or("");
            let decoded = serde_urlencoded::from_str::<Vec<(String, String)>>(pair)
                .ok()
                .and_then(|v| v.into_iter().next().map(|(k, _)| k))
                .unwrap_or_else(|| key.to_owned());
            if CREDENTIAL_PARAMS.iter().any(|p| decoded.eq_ignore_ascii_case(p)) {
                format!("{key}=REDACTED")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    std::borrow::Cow::Owned(redacted.join("&"))
}

/// Raw query-string pairs (repeated keys kept); 400 for an undecodable query string.
pub fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::CreateTicketRequest;

    fn err(body: &str) -> ApiError {
        match parse_json::<CreateTicketRequest>(body.as_bytes()) {
            Ok(_) => panic!("{body} parsed"),
            Err(e) => e,
        }
    }

    fn fields(e: &ApiError) -> Vec<String> {
        match e {
            ApiError::Validation { errors, .. } => errors.0.keys().cloned().collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn data_errors_name_the_field() {
        assert_eq!(fields(&err(r#"{"subject": "s", "body": "b", "priority": "extreme"}"#)), ["priority"]);
        assert_eq!(fields(&err(r#"{"subject": 5, "body": "b"}"#)), ["subject"]);
        assert_eq!(fields(&err(r#"{"subject": "s"}"#)), ["body"]);
        assert_eq!(fields(&err(r#"{"subject": "s", "body": "b", "colour": 1}"#)), ["colour"]);
        assert_eq!(fields(&err(r#"[1]"#)), ["body"]);
        // Every field of a lead is optional: an array would fill them in order.
        assert!(matches!(
            parse_json::<api_types::LeadEventRequest>(b" [null, null]"),
            Err(ApiError::Validation { .. })
        ));
        for priority in ["5", "true", "[]", "{}"] {
            let body = format!(r#"{{"subject": "s", "body": "b", "priority": {priority}}}"#);
            assert_eq!(fields(&err(&body)), ["priority"], "{body}");
        }
    }

    #[test]
    fn deep_nesting_names_the_top_level_field() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        // The body object is level 1: metadata may nest 31 levels.
        let ok = format!(r#"{{"subject": "s", "body": "b", "metadata": {{"a": {}}}}}"#, nested(30));
        assert!(parse_json::<CreateTicketRequest>(ok.as_bytes()).is_ok(), "{ok}");
        let deep = format!(r#"{{"subject": "s{{[", "body": "b\"[", "metadata": {{"a": {}}}}}"#, nested(31));
        assert_eq!(fields(&err(&deep)), ["metadata"]);
        // Far past serde_json's own limit (128) it is still a 422, not a parser error.
        let deeper = format!(r#"{{"subject": "s", "metadata": {}}}"#, nested(5000));
        assert_eq!(fields(&err(&deeper)), ["metadata"]);
        assert_eq!(fields(&err(&nested(40))), ["body"]);
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        for body in [r#"{"subject": "#, "{,}", "", "  ", r#"{"subject": "s", "body": "b"} x"#] {
            assert!(matches!(err(body), ApiError::BadRequest(_)), "{body}");
        }
    }
}
