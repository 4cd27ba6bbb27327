//! Helpers for the demo data only (`ticketd seed-demo`, `serve --demo`).

use domain::delivery::DeliveryState;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entity::delivery;
use crate::{Store, StoreError};

impl Store {
    /// Records the mail of a reply as sent now, without sending it: the demo's history,
    /// so that a server with a mail transport never writes to the demo's made-up customer.
    /// Nothing else may call it.
    pub async fn demo_mark_reply_sent(&self, comment_id: Uuid) -> Result<(), StoreError> {
        let now = domain::time::now();
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::value(DeliveryState::Delivered.as_str()))
            .col_expr(delivery::Column::Attempts, Expr::value(1))
            .col_expr(delivery::Column::LastAttemptAt, Expr::value(now))
            .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
            .filter(delivery::Column::CommentId.eq(comment_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
