//! State that every instance must share for sign-in and URL credentials to hold behind a
//! load balancer: single-use link tokens and rate-limit counters, both in the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::{TokenId, UserId, WorkspaceId};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement,
};
use sha2::{Digest, Sha256};

use crate::entity::{api_token, link_token};
use crate::{ApiToken, Backend, Store, StoreError, Workspace};

/// What a link token was made with: it acts with that credential's rights, and a stream it
/// opens ends when that credential stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialKind {
    /// A session (JWT): its user, the session version it carries and its expiry.
    Session { user: UserId, session_version: i64, expires_at: DateTime<Utc> },
    /// An API token.
    ApiToken(TokenId),
}

/// A credential (what a request or a link token acts with): the workspace, the kind, and a
/// key naming that credential
/// (per-credential limits count a link token's streams with the credential's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub workspace_id: WorkspaceId,
    pub kind: CredentialKind,
    pub key: String,
}

fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Counters of windows that started this long before the current one are deleted.
const COUNTER_KEEP_SECONDS: i64 = 3600;

/// One in this many counter writes also deletes counters of past windows.
const COUNTER_SWEEP_ONE_IN: u32 = 256;

impl Store {
    /// Stores a new single-use link token (its SHA-256 only) valid until `expires_at`, and
    /// returns the token. Expired ones are deleted on the way.
    pub async fn create_link_token(
        &self,
        grant: &Credential,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let mut random = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut random);
        let secret = format!("tkl_{}", URL_SAFE_NO_PAD.encode(random));
        let now = domain::time::now();
        link_token::Entity::delete_many()
            .filter(link_token::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?;
        let (user_id, session_version, session_expires_at, api_token_id) = match &grant.kind {
            CredentialKind::Session { user, session_version, expires_at } => {
                (Some(user.0), Some(*session_version), Some(*expires_at), None)
            }
            CredentialKind::ApiToken(id) => (None, None, None, Some(id.0)),
        };
        let model = link_token::ActiveModel {
            token_hash: Set(sha256_hex(&secret)),
            workspace_id: Set(grant.workspace_id.0),
            user_id: Set(user_id),
            session_version: Set(session_version),
            session_expires_at: Set(session_expires_at),
            api_token_id: Set(api_token_id),
            credential_key: Set(grant.key.clone()),
            expires_at: Set(expires_at),
            created_at: Set(now),
        };
        link_token::Entity::insert(model).exec_without_returning(&self.db).await?;
        Ok(secret)
    }

    /// Uses up a link token: its grant, or `NotFound` when it is unknown, expired or already
    /// used. The conditional `DELETE` makes it single-use across instances: of two requests
    /// racing with one token, one deletes the row and the other finds nothing to delete.
    pub async fn consume_link_token(&self, secret: &str) -> Result<Credential, StoreError> {
        if !secret.starts_with("tkl_") {
            return Err(StoreError::NotFound);
        }
        let hash = sha256_hex(secret);
        let now = domain::time::now();
        let found = link_token::Entity::find_by_id(hash.clone())
            .filter(link_token::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let deleted = link_token::Entity::delete_many()
            .filter(link_token::Column::TokenHash.eq(hash))
            .filter(link_token::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        let link_token::Model {
            token_hash: _,
            workspace_id,
            user_id,
            session_version,
            session_expires_at,
            api_token_id,
            credential_key,
            expires_at: _,
            created_at: _,
        } = found;
        let credential = match (user_id, session_version, session_expires_at, api_token_id) {
            (Some(user), Some(session_version), Some(expires_at), None) => {
                CredentialKind::Session { user: UserId(user), session_version, expires_at }
            }
            (None, None, None, Some(token)) => CredentialKind::ApiToken(TokenId(token)),
            _ => return Err(StoreError::CorruptRow("link token: neither a session nor an API token".into())),
        };
        Ok(Credential { workspace_id: WorkspaceId(workspace_id), kind: credential, key: credential_key })
    }

    /// A live (not revoked) API token by id, read from the database (not the cache): the
    /// periodic check of a long-lived stream must see a revocation by any instance.
    pub async fn live_token(&self, id: TokenId) -> Result<(ApiToken, Workspace), StoreError> {
        let model = api_token::Entity::find_by_id(id.0)
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let token = ApiToken::try_from(model)?;
        let ws = self.workspace(token.workspace_id).await?;
        Ok((token, ws))
    }

    /// Adds `n` to the counter `key` for the fixed window starting at `window_start` (unix
    /// seconds) and returns the window's total. A counter of an earlier window restarts.
    /// Every instance on the database shares the counters.
    pub async fn count_hits(&self, key: &str, window_start: i64, n: i64) -> Result<i64, StoreError> {
        let (backend, sql) = match self.backend {
            Backend::Postgres => (
                DbBackend::Postgres,
                "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN rate_counters.window_start = excluded.window_start \
                           THEN rate_counters.count + excluded.count ELSE excluded.count END, \
                   window_start = excluded.window_start \
                 RETURNING count",
            ),
            Backend::Sqlite => (
                DbBackend::Sqlite,
                "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, ?) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN rate_counters.window_start = excluded.window_start \
                           THEN rate_counters.count + excluded.count ELSE excluded.count END, \
                   window_start = excluded.window_start \
                 RETURNING count",
            ),
        };
        let statement =
            Statement::from_sql_and_values(backend, sql, [key.into(), window_start.into(), n.into()]);
        let row = self.db.query_one_raw(statement).await?.ok_or(StoreError::NotFound)?;
        let count: i64 = row.try_get_by_index(0)?;
        if rand::random::<u32>().is_multiple_of(COUNTER_SWEEP_ONE_IN) {
            self.sweep_counters(window_start - COUNTER_KEEP_SECONDS).await?;
        }
        Ok(count)
    }

    /// The counter `key` in the window starting at `window_start` (0 when none).
    pub async fn peek_hits(&self, key: &str, window_start: i64) -> Result<i64, StoreError> {
        let (backend, sql) = match self.backend {
            Backend::Postgres => {
                (DbBackend::Postgres, "SELECT count FROM rate_counters WHERE key = $1 AND window_start = $2")
            }
            Backend::Sqlite => {
                (DbBackend::Sqlite, "SELECT count FROM rate_counters WHERE key = ? AND window_start = ?")
            }
        };
        let statement = Statement::from_sql_and_values(backend, sql, [key.into(), window_start.into()]);
        match self.db.query_one_raw(statement).await? {
            Some(row) => Ok(row.try_get_by_index(0)?),
            None => Ok(0),
        }
    }

    /// Deletes counters of windows that started before `before`.
    async fn sweep_counters(&self, before: i64) -> Result<(), StoreError> {
        let (backend, sql) = match self.backend {
            Backend::Postgres => (DbBackend::Postgres, "DELETE FROM rate_counters WHERE window_start < $1"),
            Backend::Sqlite => (DbBackend::Sqlite, "DELETE FROM rate_counters WHERE window_start < ?"),
        };
        self.db.execute_raw(Statement::from_sql_and_values(backend, sql, [before.into()])).await?;
        Ok(())
    }
}
