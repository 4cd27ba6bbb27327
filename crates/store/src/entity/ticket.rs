use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub number: i64,
    pub reference: String,
    pub agent_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub status: String,
    /// The priority's rank: 0 low … 3 urgent.
    pub priority: i16,
    pub assigned_to_user_id: Option<Uuid>,
    pub notes: Option<String>,
    pub metadata: Json,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub requester_name: Option<String>,
    pub requester_email: Option<String>,
    pub first_responded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
