//! Session tokens: HS256 JWTs carrying the user, the workspace and the role.

use chrono::Utc;
use domain::auth::Role;
use domain::{UserId, WorkspaceId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The workspace's id.
    pub ws: Uuid,
    pub role: Role,
    /// The user's session version when it was issued: a password change bumps it, and the
    /// token stops working (tokens from before this claim existed count as version 0).
    #[serde(default)]
    pub sv: i64,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn user_id(&self) -> UserId {
        UserId(self.sub)
    }
    pub fn workspace_id(&self) -> WorkspaceId {
        WorkspaceId(self.ws)
    }
    /// When the token expires.
    pub fn expires_at(&self) -> chrono::DateTime<Utc> {
        chrono::DateTime::from_timestamp(self.exp, 0).unwrap_or_default()
    }
}

/// Signs and verifies session tokens with one secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl_seconds: u64,
    /// The server secret itself: it also signs reply addresses (`domain::mail::reply_token`).
    secret: std::sync::Arc<[u8]>,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_seconds,
            secret: secret.into(),
        }
    }

    /// The server secret (`TICKETD_JWT_SECRET`, or the one generated beside the SQLite file),
    /// for the reply-address tokens of outbound and inbound mail.
    pub fn server_secret(&self) -> &[u8] {
        &self.secret
    }

    pub fn issue(
        &self,
        user: UserId,
        workspace: WorkspaceId,
        role: Role,
        session_version: i64,
    ) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.0,
            ws: workspace.0,
            role,
            sv: session_version,
            iat: now,
            exp: now + self.ttl_seconds as i64,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("cannot sign token: {e}")))
    }

    /// The claims of a valid token; 401 for a bad signature, another algorithm (`none`
    /// included), a malformed token or an expired one.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let detail = match e.kind() {
                ErrorKind::ExpiredSignature => "the session has expired: sign in again",
                _ => "the session token is invalid",
            };
            ApiError::Unauthorized(detail.into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"a secret of at least thirty-two bytes!!", 3600)
    }

    #[test]
    fn round_trip() {
        let (u, w) = (UserId::new(), WorkspaceId::new());
        let token = keys().issue(u, w, Role::Admin, 0).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!((claims.user_id(), claims.workspace_id(), claims.role), (u, w, Role::Admin));
    }

    #[test]
    fn wrong_key_expired_and_none_are_rejected() {
        let token = keys().issue(UserId::new(), WorkspaceId::new(), Role::Operator, 0).unwrap();
        let other = JwtKeys::new(b"another secret of thirty-two bytes!!!!", 3600);
        assert!(other.verify(&token).is_err());

        let expired = JwtKeys::new(b"a secret of at least thirty-two bytes!!", 0);
        let old = Claims { sub: Uuid::nil(), ws: Uuid::nil(), role: Role::Admin, sv: 0, iat: 0, exp: 1 };
        let token = encode(&Header::new(Algorithm::HS256), &old, &expired.encoding).unwrap();
        assert!(matches!(keys().verify(&token), Err(ApiError::Unauthorized(d)) if d.contains("expired")));

        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64.encode(serde_json::to_vec(&Claims { exp: i64::MAX / 2, ..old }).unwrap());
        assert!(keys().verify(&format!("{header}.{payload}.")).is_err());
    }
}
