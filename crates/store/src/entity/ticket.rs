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
    // SLA (see migrations/src/m20261203_000009_sla.rs).
    pub first_response_due_at: Option<DateTimeUtc>,
    pub resolution_due_at: Option<DateTimeUtc>,
    pub sla_stopped_at: Option<DateTimeUtc>,
    pub sla_next_due_at: Option<DateTimeUtc>,
    pub sla_later_due_at: Option<DateTimeUtc>,
    pub sla_alarm_at: Option<DateTimeUtc>,
    pub first_response_breach_due_at: Option<DateTimeUtc>,
    pub resolution_breach_due_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
