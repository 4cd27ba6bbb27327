use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub agent_id: Uuid,
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    pub started_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
    /// A ticket links this conversation: it is never purged.
    pub has_ticket: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
