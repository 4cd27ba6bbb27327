//! Helpers for the demo data only (`ticketd seed-demo`, `serve --demo`).

use domain::delivery::DeliveryState;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::entity::{delivery, ticket};
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

    /// Moves a ticket's creation and every SLA time `by` into the past, as if it had been
    /// waiting that long: the demo's queue then shows a breached and a nearly due ticket.
    /// Nothing else may call it.
    pub async fn demo_backdate(&self, ticket_id: Uuid, by: chrono::Duration) -> Result<(), StoreError> {
        let Some(row) = ticket::Entity::find_by_id(ticket_id).one(&self.db).await? else {
            return Ok(());
        };
        let back = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t - by);
        let mut model = row.clone().into_active_model();
        model.created_at = Set(row.created_at - by);
        model.updated_at = Set(row.updated_at - by);
        model.first_response_due_at = Set(back(row.first_response_due_at));
        model.resolution_due_at = Set(back(row.resolution_due_at));
        model.sla_next_due_at = Set(back(row.sla_next_due_at));
        model.sla_later_due_at = Set(back(row.sla_later_due_at));
        model.sla_alarm_at = Set(back(row.sla_alarm_at));
        model.update(&self.db).await?;
        Ok(())
    }
}
