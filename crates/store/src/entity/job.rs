use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    /// `bulk_update`.
    pub kind: String,
    pub actor_user_id: Option<Uuid>,
    pub actor_token_id: Option<Uuid>,
    /// The list query string of the tickets to change.
    pub query: String,
    /// What to set: `{status?, priority?, assigned_to_user_id?}`.
    pub params: Json,
    /// queued, running, succeeded or failed.
    pub status: String,
    pub total: i64,
    pub processed: i64,
    pub updated: i64,
    /// `[{reference, detail}]`.
    pub errors: Json,
    /// The keyset cursor of the last processed ticket.
    pub position: Option<String>,
    pub lease_id: Option<Uuid>,
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
