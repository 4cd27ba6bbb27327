//! Team management: admins add members, change their role and remove them; every user
//! changes their own password. The last admin of a workspace stays.

use domain::auth::Role;
use domain::team::{NewMember, PasswordChange};
use domain::ticket::{TicketKey, TicketPatch};
use domain::validation::ValidationError;
use domain::{TicketId, UserId, WorkspaceId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{membership, ticket, user, workspace};
use crate::{Actor, Backend, Member, Store, StoreError, password};

const LAST_ADMIN: &str = "a workspace needs at least one admin: make another member admin first";

impl Store {
    /// Adds a new user as a member. An e-mail that already has an account is a conflict
    /// (accounts are shared between workspaces; this never takes one over).
    pub async fn add_member(&self, ws: WorkspaceId, new: &NewMember) -> Result<Member, StoreError> {
        let conflict = || StoreError::Conflict(format!("{} already has an account", new.email.as_str()));
        if user::Entity::find()
            .filter(user::Column::Email.eq(new.email.as_str()))
            .one(&self.db)
            .await?
            .is_some()
        {
            return Err(conflict());
        }
        let hash = password::hash(new.password.expose().to_owned()).await?;
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let model = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(new.email.as_str().to_owned()),
            name: Set(new.name.clone()),
            password_hash: Set(hash),
            session_version: Set(0),
            created_at: Set(now),
        };
        // A concurrent request for the same e-mail loses on the unique index.
        let user =
            user::Entity::insert(model).exec_with_returning(&tx).await.map_err(
                |e| match StoreError::from(e) {
                    StoreError::Conflict(_) => conflict(),
                    other => other,
                },
            )?;
        let membership = membership::ActiveModel {
            workspace_id: Set(ws.0),
            user_id: Set(user.id),
            role: Set(new.role.as_str().to_owned()),
            created_at: Set(now),
        };
        membership::Entity::insert(membership).exec_without_returning(&tx).await?;
        tx.commit().await?;
        Ok(Member { user: user.into(), role: new.role })
    }

    /// Changes a member's role; refuses to demote the last admin (the workspace row is
    /// locked, so two admins demoting each other at once cannot both succeed).
    pub async fn change_role(
        &self,
        ws: WorkspaceId,
        user_id: UserId,
        role: Role,
    ) -> Result<Member, StoreError> {
        let tx = self.write_tx().await?;
        let current = self.locked_membership(&tx, ws, user_id).await?;
        if current == Role::Admin && role != Role::Admin {
            ensure_other_admin(&tx, ws).await?;
        }
        if current != role {
            membership::Entity::update_many()
                .col_expr(membership::Column::Role, Expr::value(role.as_str()))
                .filter(membership::Column::WorkspaceId.eq(ws.0))
                .filter(membership::Column::UserId.eq(user_id.0))
                .exec(&tx)
                .await?;
        }
        let user = user::Entity::find_by_id(user_id.0).one(&tx).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(Member { user: user.into(), role })
    }

    /// Removes a membership (the user's account stays: their comments and activity keep
    /// their name). Their tickets in this workspace are unassigned, each logged and announced
    /// like a PATCH by `actor`, in the same transaction. Their sessions stop working at once
    /// (every request reloads the membership) and their event streams end at the next check.
    pub async fn remove_member(
        &self,
        ws: WorkspaceId,
        user_id: UserId,
        actor: Actor,
    ) -> Result<(), StoreError> {
        let tx = self.write_tx().await?;
        let current = self.locked_membership(&tx, ws, user_id).await?;
        if current == Role::Admin {
            ensure_other_admin(&tx, ws).await?;
        }
        membership::Entity::delete_many()
            .filter(membership::Column::WorkspaceId.eq(ws.0))
            .filter(membership::Column::UserId.eq(user_id.0))
            .exec(&tx)
            .await?;
        let assigned: Vec<Uuid> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::WorkspaceId.eq(ws.0))
            .filter(ticket::Column::AssignedToUserId.eq(user_id.0))
            .into_tuple()
            .all(&tx)
            .await?;
        let unassign = TicketPatch { assignee: Some(None), ..Default::default() };
        let mut events = Vec::with_capacity(assigned.len());
        for id in assigned {
            let (_, event) =
                self.update_ticket_in(&tx, ws, &TicketKey::Id(TicketId(id)), &unassign, actor).await?;
            events.extend(event);
        }
        tx.commit().await?;
        self.publish(events);
        Ok(())
    }

    /// Changes a user's own password after checking the current one, and bumps their
    /// session version: every session issued before, in every workspace, stops working.
    /// A wrong current password is a validation failure on `current_password`.
    pub async fn change_password(&self, user_id: UserId, change: &PasswordChange) -> Result<(), StoreError> {
        let found = user::Entity::find_by_id(user_id.0).one(&self.db).await?.ok_or(StoreError::NotFound)?;
        if !password::verify(change.current.clone(), Some(found.password_hash.clone())).await {
            return Err(
                ValidationError::field("current_password", "this is not your current password").into()
            );
        }
        let hash = password::hash(change.new.expose().to_owned()).await?;
        // Only if nobody changed it meanwhile: the check above was against this hash.
        let updated = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .col_expr(user::Column::SessionVersion, Expr::col(user::Column::SessionVersion).add(1))
            .filter(user::Column::Id.eq(user_id.0))
            .filter(user::Column::PasswordHash.eq(found.password_hash))
            .exec(&self.db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict("the password was changed meanwhile: sign in again".into()));
        }
        Ok(())
    }

    /// The member's role, with the workspace row locked (PostgreSQL; SQLite write
    /// transactions run one at a time) so that admin counts stay true until commit.
    async fn locked_membership(
        &self,
        tx: &DatabaseTransaction,
        ws: WorkspaceId,
        user_id: UserId,
    ) -> Result<Role, StoreError> {
        let mut lock = workspace::Entity::find_by_id(ws.0);
        if self.backend == Backend::Postgres {
            lock = lock.lock_exclusive();
        }
        lock.one(tx).await?.ok_or(StoreError::NotFound)?;
        let m =
            membership::Entity::find_by_id((ws.0, user_id.0)).one(tx).await?.ok_or(StoreError::NotFound)?;
        m.role.parse().map_err(|e: String| StoreError::CorruptRow(format!("role: {e}")))
    }
}

/// Conflict unless the workspace has more than one admin.
async fn ensure_other_admin(tx: &DatabaseTransaction, ws: WorkspaceId) -> Result<(), StoreError> {
    let admins = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(ws.0))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .count(tx)
        .await?;
    if admins <= 1 {
        return Err(StoreError::Conflict(LAST_ADMIN.into()));
    }
    Ok(())
}
