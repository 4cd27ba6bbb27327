use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "link_tokens")]
pub struct Model {
    /// SHA-256 (hex) of the token; the token itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub workspace_id: Uuid,
    /// Made with a session: its user, session version and expiry.
    pub user_id: Option<Uuid>,
    pub session_version: Option<i64>,
    pub session_expires_at: Option<DateTimeUtc>,
    /// Made with an API token.
    pub api_token_id: Option<Uuid>,
    /// Names the credential that made it (for per-credential limits).
    pub credential_key: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
