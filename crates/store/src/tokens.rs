//! API tokens: `tkd_<id>_<secret>`, stored as the SHA-256 of the whole string.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::auth::Scope;
use domain::{TokenId, UserId, WorkspaceId};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};

use crate::entity::api_token;
use crate::{ApiToken, Store, StoreError, Workspace};

/// How often `last_used_at` is written at most, per token.
pub const LAST_USED_GRANULARITY: Duration = Duration::minutes(1);

/// How long a token looked up by its secret is kept in memory. A revocation through one
/// instance takes effect there at once and on the others within this time.
pub const TOKEN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl TryFrom<api_token::Model> for ApiToken {
    type Error = StoreError;
    fn try_from(m: api_token::Model) -> Result<Self, StoreError> {
        let api_token::Model {
            id,
            workspace_id,
            name,
            secret_hash: _,
            scopes,
            created_by_user_id: _,
            created_at,
            last_used_at,
            revoked_at,
        } = m;
        let scopes =
            Scope::parse_list(&scopes).map_err(|e| StoreError::CorruptRow(format!("token scopes: {e}")))?;
        Ok(ApiToken {
            id: TokenId(id),
            workspace_id: WorkspaceId(workspace_id),
            name,
            scopes,
            created_at,
            last_used_at,
            revoked_at,
        })
    }
}

impl Store {
    /// Creates a token and returns it with its secret (the only time the secret exists).
    pub async fn create_token(
        &self,
        ws: WorkspaceId,
        name: &str,
        scopes: &[Scope],
        created_by: Option<UserId>,
    ) -> Result<(ApiToken, String), StoreError> {
        let id = TokenId::new();
        let mut random = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut random);
        let secret = format!("tkd_{}_{}", id.0.simple(), URL_SAFE_NO_PAD.encode(random));
        let scopes_text = scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
        let model = api_token::ActiveModel {
            id: Set(id.0),
            workspace_id: Set(ws.0),
            name: Set(name.to_owned()),
            secret_hash: Set(hash_secret(&secret)),
            scopes: Set(scopes_text),
            created_by_user_id: Set(created_by.map(|u| u.0)),
            created_at: Set(domain::time::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        };
        let model = api_token::Entity::insert(model).exec_with_returning(&self.db).await?;
        Ok((model.try_into()?, secret))
    }

    /// The live (not revoked) token with this secret, with its workspace.
    pub async fn token_by_secret(&self, secret: &str) -> Result<(ApiToken, Workspace), StoreError> {
        if !secret.starts_with("tkd_") {
            return Err(StoreError::NotFound);
        }
        let hash = hash_secret(secret);
        if let Some(found) = self.tokens.get(&hash) {
            return Ok(found);
        }
        let model = api_token::Entity::find()
            .filter(api_token::Column::SecretHash.eq(&hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let token = ApiToken::try_from(model)?;
        let ws = self.workspace(token.workspace_id).await?;
        self.tokens.insert(hash, (token.clone(), ws.clone()));
        Ok((token, ws))
    }

    /// Records a use of the token, unless one was recorded less than a minute before `now`.
    pub async fn touch_token(&self, id: TokenId, now: DateTime<Utc>) -> Result<(), StoreError> {
        // Cached copies learn the new time too, so the next minute's requests skip this.
        for (hash, (mut token, ws)) in self.tokens.iter().filter(|(_, (t, _))| t.id == id) {
            token.last_used_at = Some(now);
            self.tokens.insert(hash.as_ref().clone(), (token, ws));
        }
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(id.0))
            .filter(
                Condition::any()
                    .add(api_token::Column::LastUsedAt.is_null())
                    .add(api_token::Column::LastUsedAt.lt(now - LAST_USED_GRANULARITY)),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    pub async fn tokens(&self, ws: WorkspaceId) -> Result<Vec<ApiToken>, StoreError> {
        api_token::Entity::find()
            .filter(api_token::Column::WorkspaceId.eq(ws.0))
            .order_by_desc(api_token::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(ApiToken::try_from)
            .collect()
    }

    /// Revokes a token (idempotent); `NotFound` for another workspace's token.
    pub async fn revoke_token(&self, ws: WorkspaceId, id: TokenId) -> Result<(), StoreError> {
        let found = api_token::Entity::find_by_id(id.0)
            .filter(api_token::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        if found.revoked_at.is_none() {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::RevokedAt, Expr::value(domain::time::now()))
                .filter(api_token::Column::Id.eq(id.0))
                .exec(&self.db)
                .await?;
        }
        self.evict_token(id);
        Ok(())
    }

    fn evict_token(&self, id: TokenId) {
        let hashes: Vec<_> =
            self.tokens.iter().filter(|(_, (t, _))| t.id == id).map(|(hash, _)| hash).collect();
        for hash in hashes {
            self.tokens.invalidate(hash.as_ref());
        }
    }
}
