use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub event_id: Uuid,
    /// The channel of a webhook, Slack or e-mail ping; null for a reply.
    pub channel_id: Option<Uuid>,
    /// The comment of a reply.
    pub comment_id: Option<Uuid>,
    /// webhook, slack, email or reply (`domain::delivery::TargetKind`).
    pub target_kind: String,
    /// The URL or e-mail address it was queued for.
    pub target: String,
    /// The Message-ID of a mail, the same on every retry.
    pub message_id: Option<String>,
    /// pending, delivered or failed (given up): `domain::delivery::DeliveryState`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
