//! Call-to-action buttons.

use domain::cta::CtaKind;
use domain::ticket::Priority;
use domain::{AgentId, WorkspaceId};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::cta_rule;
use crate::{CtaRule, Store, StoreError};

impl TryFrom<cta_rule::Model> for CtaRule {
    type Error = StoreError;
    fn try_from(m: cta_rule::Model) -> Result<Self, StoreError> {
        let cta_rule::Model {
            id,
            workspace_id,
            kind,
            label,
            agent_id,
            subject_template,
            priority,
            enabled,
            created_at,
            updated_at,
        } = m;
        Ok(CtaRule {
            id,
            workspace_id: WorkspaceId(workspace_id),
            kind: CtaKind::parse(&kind).ok_or_else(|| StoreError::CorruptRow(format!("CTA kind {kind}")))?,
            label,
            agent_id: agent_id.map(AgentId),
            subject_template,
            priority: Priority::from_rank(priority)
                .ok_or_else(|| StoreError::CorruptRow(format!("priority rank {priority}")))?,
            enabled,
            created_at,
            updated_at,
        })
    }
}

/// A new button.
#[derive(Debug, Clone)]
pub struct NewCtaRule {
    pub kind: CtaKind,
    pub label: String,
    pub agent_id: Option<AgentId>,
    pub subject_template: Option<String>,
    pub priority: Priority,
    pub enabled: bool,
}

/// A change to a button; `agent_id: Some(None)` makes it apply to every agent.
#[derive(Debug, Clone, Default)]
pub struct CtaRulePatch {
    pub label: Option<String>,
    pub agent_id: Option<Option<AgentId>>,
    pub subject_template: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub enabled: Option<bool>,
}

impl Store {
    /// Creates a button; its agent, when given, must be a live agent of the workspace.
    pub async fn create_cta_rule(&self, ws: WorkspaceId, rule: NewCtaRule) -> Result<CtaRule, StoreError> {
        if let Some(agent) = rule.agent_id {
            self.ensure_agent(ws, agent).await?;
        }
        let now = domain::time::now();
        let model = cta_rule::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            kind: Set(rule.kind.as_str().to_owned()),
            label: Set(rule.label),
            agent_id: Set(rule.agent_id.map(|a| a.0)),
            subject_template: Set(rule.subject_template),
            priority: Set(rule.priority.rank()),
            enabled: Set(rule.enabled),
            created_at: Set(now),
            updated_at: Set(now),
        };
        cta_rule::Entity::insert(model).exec_with_returning(&self.db).await?.try_into()
    }

    async fn ensure_agent(&self, ws: WorkspaceId, agent: AgentId) -> Result<(), StoreError> {
        match self.agent(ws, agent).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                Err(domain::ValidationError::field("agent_id", "no such agent in this workspace").into())
            }
            Err(e) => Err(e),
        }
    }

    pub async fn cta_rules(&self, ws: WorkspaceId) -> Result<Vec<CtaRule>, StoreError> {
        cta_rule::Entity::find()
            .filter(cta_rule::Column::WorkspaceId.eq(ws.0))
            .order_by_asc(cta_rule::Column::CreatedAt)
            .order_by_asc(cta_rule::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(CtaRule::try_from)
            .collect()
    }

    /// The enabled buttons the widget of `agent` shows: its own and the workspace-wide ones.
    pub async fn enabled_cta_rules_for(
        &self,
        ws: WorkspaceId,
        agent: AgentId,
    ) -> Result<Vec<CtaRule>, StoreError> {
        cta_rule::Entity::find()
            .filter(cta_rule::Column::WorkspaceId.eq(ws.0))
            .filter(cta_rule::Column::Enabled.eq(true))
            .filter(
                Condition::any()
                    .add(cta_rule::Column::AgentId.is_null())
                    .add(cta_rule::Column::AgentId.eq(agent.0)),
            )
            .order_by_asc(cta_rule::Column::CreatedAt)
            .order_by_asc(cta_rule::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(CtaRule::try_from)
            .collect()
    }

    pub async fn cta_rule(&self, ws: WorkspaceId, id: Uuid) -> Result<CtaRule, StoreError> {
        cta_rule::Entity::find_by_id(id)
            .filter(cta_rule::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    pub async fn update_cta_rule(
        &self,
        ws: WorkspaceId,
        id: Uuid,
        patch: CtaRulePatch,
    ) -> Result<CtaRule, StoreError> {
        self.cta_rule(ws, id).await?;
        if let Some(Some(agent)) = patch.agent_id {
            self.ensure_agent(ws, agent).await?;
        }
        let mut active = cta_rule::ActiveModel { id: Set(id), ..Default::default() };
        if let Some(label) = patch.label {
            active.label = Set(label);
        }
        if let Some(agent) = patch.agent_id {
            active.agent_id = Set(agent.map(|a| a.0));
        }
        if let Some(template) = patch.subject_template {
            active.subject_template = Set(template);
        }
        if let Some(priority) = patch.priority {
            active.priority = Set(priority.rank());
        }
        if let Some(enabled) = patch.enabled {
            active.enabled = Set(enabled);
        }
        active.updated_at = Set(domain::time::now());
        cta_rule::Entity::update(active).exec(&self.db).await?.try_into()
    }

    pub async fn delete_cta_rule(&self, ws: WorkspaceId, id: Uuid) -> Result<(), StoreError> {
        let deleted = cta_rule::Entity::delete_many()
            .filter(cta_rule::Column::Id.eq(id))
            .filter(cta_rule::Column::WorkspaceId.eq(ws.0))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
