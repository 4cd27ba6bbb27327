//! Saved views: a named list query, personal (seen by its owner alone) or shared with the
//! workspace. Who may change a shared view is the API's decision; here a personal view of
//! someone else is simply not found.

use chrono::{DateTime, Utc};
use domain::{UserId, WorkspaceId};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::saved_view;
use crate::{Store, StoreError};

/// A saved view of the ticket list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    /// Who created it (for a personal view: the one who sees it).
    pub owner_id: Option<UserId>,
    pub name: String,
    /// The list query string, without `?`.
    pub query: String,
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<saved_view::Model> for SavedView {
    fn from(m: saved_view::Model) -> Self {
        let saved_view::Model { id, workspace_id, owner_id, name, query, shared, created_at, updated_at } = m;
        SavedView {
            id,
            workspace_id: WorkspaceId(workspace_id),
            owner_id: owner_id.map(UserId),
            name,
            query,
            shared,
            created_at,
            updated_at,
        }
    }
}

/// A change to a view; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ViewChange {
    pub name: Option<String>,
    pub query: Option<String>,
    pub shared: Option<bool>,
}

impl Store {
    /// The views `viewer` sees: the workspace's shared views and their own, shared first,
    /// then by name.
    pub async fn list_views(&self, ws: WorkspaceId, viewer: UserId) -> Result<Vec<SavedView>, StoreError> {
        Ok(saved_view::Entity::find()
            .filter(saved_view::Column::WorkspaceId.eq(ws.0))
            .filter(visible_to(viewer))
            .order_by_desc(saved_view::Column::Shared)
            .order_by_asc(saved_view::Column::Name)
            .order_by_asc(saved_view::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(SavedView::from)
            .collect())
    }

    /// One view `viewer` sees; another user's personal view is not found.
    pub async fn view(&self, ws: WorkspaceId, viewer: UserId, id: Uuid) -> Result<SavedView, StoreError> {
        saved_view::Entity::find_by_id(id)
            .filter(saved_view::Column::WorkspaceId.eq(ws.0))
            .filter(visible_to(viewer))
            .one(&self.db)
            .await?
            .map(SavedView::from)
            .ok_or(StoreError::NotFound)
    }

    pub async fn create_view(
        &self,
        ws: WorkspaceId,
        owner: UserId,
        name: String,
        query: String,
        shared: bool,
    ) -> Result<SavedView, StoreError> {
        let now = domain::time::now();
        let model = saved_view::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            owner_id: Set(Some(owner.0)),
            name: Set(name),
            query: Set(query),
            shared: Set(shared),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let tx = self.write_tx().await?;
        let model = saved_view::Entity::insert(model).exec_with_returning(&tx).await?;
        tx.commit().await?;
        Ok(model.into())
    }

    /// Changes a view `viewer` sees. A view made personal becomes `viewer`'s.
    pub async fn update_view(
        &self,
        ws: WorkspaceId,
        viewer: UserId,
        id: Uuid,
        change: ViewChange,
    ) -> Result<SavedView, StoreError> {
        let tx = self.write_tx().await?;
        let model = saved_view::Entity::find_by_id(id)
            .filter(saved_view::Column::WorkspaceId.eq(ws.0))
            .filter(visible_to(viewer))
            .one(&tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let was_shared = model.shared;
        let mut active: saved_view::ActiveModel = model.into();
        if let Some(name) = change.name {
            active.name = Set(name);
        }
        if let Some(query) = change.query {
            active.query = Set(query);
        }
        if let Some(shared) = change.shared {
            active.shared = Set(shared);
            if was_shared && !shared {
                active.owner_id = Set(Some(viewer.0));
            }
        }
        active.updated_at = Set(domain::time::now());
        let model = saved_view::Entity::update(active).exec(&tx).await?;
        tx.commit().await?;
        Ok(model.into())
    }

    pub async fn delete_view(&self, ws: WorkspaceId, viewer: UserId, id: Uuid) -> Result<(), StoreError> {
        let tx = self.write_tx().await?;
        let deleted = saved_view::Entity::delete_many()
            .filter(saved_view::Column::Id.eq(id))
            .filter(saved_view::Column::WorkspaceId.eq(ws.0))
            .filter(visible_to(viewer))
            .exec(&tx)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Shared views, and `viewer`'s own.
fn visible_to(viewer: UserId) -> Condition {
    Condition::any().add(saved_view::Column::Shared.eq(true)).add(saved_view::Column::OwnerId.eq(viewer.0))
}
