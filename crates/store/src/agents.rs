//! Agents (chat bots). Deleting one hides it and removes its buttons; its conversations and
//! tickets stay, since transcripts live as long as their tickets.

use domain::agent::{Vertical, VerticalOverrides};
use domain::{AgentId, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{agent, cta_rule};
use crate::{Agent, Store, StoreError};

impl TryFrom<agent::Model> for Agent {
    type Error = StoreError;
    fn try_from(m: agent::Model) -> Result<Self, StoreError> {
        let agent::Model {
            id,
            workspace_id,
            name,
            vertical,
            vertical_overrides,
            created_at,
            updated_at,
            deleted_at: _,
        } = m;
        Ok(Agent {
            id: AgentId(id),
            workspace_id: WorkspaceId(workspace_id),
            name,
            vertical: vertical
                .parse()
                .map_err(|e: String| StoreError::CorruptRow(format!("vertical: {e}")))?,
            overrides: serde_json::from_value(vertical_overrides).unwrap_or_default(),
            created_at,
            updated_at,
        })
    }
}

/// A change to an agent; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub vertical: Option<Vertical>,
    pub overrides: Option<VerticalOverrides>,
}

fn overrides_json(overrides: &VerticalOverrides) -> serde_json::Value {
    serde_json::to_value(overrides.clone().normalised()).unwrap_or_else(|_| serde_json::json!({}))
}

impl Store {
    pub async fn create_agent(
        &self,
        ws: WorkspaceId,
        name: &str,
        vertical: Vertical,
        overrides: &VerticalOverrides,
    ) -> Result<Agent, StoreError> {
        let now = domain::time::now();
        let model = agent::ActiveModel {
            id: Set(AgentId::new().0),
            workspace_id: Set(ws.0),
            name: Set(name.to_owned()),
            vertical: Set(vertical.as_str().to_owned()),
            vertical_overrides: Set(overrides_json(overrides)),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
        };
        agent::Entity::insert(model).exec_with_returning(&self.db).await?.try_into()
    }

    /// The workspace's agents, oldest first.
    pub async fn agents(&self, ws: WorkspaceId) -> Result<Vec<Agent>, StoreError> {
        agent::Entity::find()
            .filter(agent::Column::WorkspaceId.eq(ws.0))
            .filter(agent::Column::DeletedAt.is_null())
            .order_by_asc(agent::Column::CreatedAt)
            .order_by_asc(agent::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Agent::try_from)
            .collect()
    }

    /// A live agent of the workspace, or `NotFound`.
    pub async fn agent(&self, ws: WorkspaceId, id: AgentId) -> Result<Agent, StoreError> {
        agent::Entity::find_by_id(id.0)
            .filter(agent::Column::WorkspaceId.eq(ws.0))
            .filter(agent::Column::DeletedAt.is_null())
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    pub async fn update_agent(
        &self,
        ws: WorkspaceId,
        id: AgentId,
        patch: AgentPatch,
    ) -> Result<Agent, StoreError> {
        let current = self.agent(ws, id).await?;
        let mut active = agent::ActiveModel { id: Set(id.0), ..Default::default() };
        if let Some(name) = patch.name {
            active.name = Set(name);
        }
        if let Some(vertical) = patch.vertical {
            active.vertical = Set(vertical.as_str().to_owned());
        }
        if let Some(overrides) = &patch.overrides {
            active.vertical_overrides = Set(overrides_json(overrides));
        }
        active.updated_at = Set(domain::time::now().max(current.updated_at));
        agent::Entity::update(active).exec(&self.db).await?.try_into()
    }

    /// Deletes an agent (hidden from now on) and its CTA buttons.
    pub async fn delete_agent(&self, ws: WorkspaceId, id: AgentId) -> Result<(), StoreError> {
        let tx = self.write_tx().await?;
        let updated = agent::Entity::update_many()
            .col_expr(agent::Column::DeletedAt, Expr::value(domain::time::now()))
            .filter(agent::Column::Id.eq(id.0))
            .filter(agent::Column::WorkspaceId.eq(ws.0))
            .filter(agent::Column::DeletedAt.is_null())
            .exec(&tx)
            .await?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        cta_rule::Entity::delete_many()
            .filter(cta_rule::Column::AgentId.eq(id.0))
            .filter(cta_rule::Column::WorkspaceId.eq(ws.0))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
