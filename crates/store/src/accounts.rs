//! Workspaces, users and memberships; password sign-in.

use domain::auth::Role;
use domain::validation::ValidationError;
use domain::workspace::{Email, NewPassword, TicketPrefix};
use domain::{UserId, WorkspaceId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::{membership, user, workspace};
use crate::{Member, Session, Store, StoreError, User, Workspace, password};

impl From<workspace::Model> for Workspace {
    fn from(m: workspace::Model) -> Self {
        Workspace { id: WorkspaceId(m.id), name: m.name, ticket_prefix: m.ticket_prefix }
    }
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        User { id: UserId(m.id), name: m.name, email: m.email }
    }
}

fn parse_role(raw: &str) -> Result<Role, StoreError> {
    raw.parse().map_err(|e: String| StoreError::CorruptRow(format!("role: {e}")))
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail, wrong password, or not a member of the asked workspace: one answer
    /// for all, so that nobody learns which e-mails exist.
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// The user belongs to several workspaces and did not say which.
    #[error(transparent)]
    ChooseWorkspace(ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Creates a workspace and its first admin (an existing user with that e-mail is made
    /// admin of the new workspace, keeping their password), in one transaction.
    pub async fn create_workspace(
        &self,
        name: &str,
        prefix: &TicketPrefix,
        admin_email: &Email,
        admin_name: &str,
        admin_password: &NewPassword,
    ) -> Result<(Workspace, Member), StoreError> {
        let hash = password::hash(admin_password.expose().to_owned()).await?;
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let ws = workspace::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.to_owned()),
            ticket_prefix: Set(prefix.as_str().to_owned()),
            ticket_counter: Set(0),
            created_at: Set(now),
        };
        let ws =
            workspace::Entity::insert(ws).exec_with_returning(&tx).await.map_err(
                |e| match StoreError::from(e) {
                    StoreError::Conflict(_) => {
                        StoreError::Conflict(format!("the ticket prefix {} is taken", prefix.as_str()))
                    }
                    other => other,
                },
            )?;
        let user = upsert_user(&tx, admin_email, admin_name, hash, now).await?;
        insert_membership(&tx, ws.id, user.id, Role::Admin, now).await?;
        tx.commit().await?;
        Ok((ws.into(), Member { user: user.into(), role: Role::Admin }))
    }

    /// Adds a member to the workspace named by its prefix (a new user, or an existing one
    /// who keeps their password).
    pub async fn create_member(
        &self,
        workspace_prefix: &str,
        email: &Email,
        name: &str,
        password: &NewPassword,
        role: Role,
    ) -> Result<Member, StoreError> {
        let ws = self.workspace_by_prefix(workspace_prefix).await?;
        let hash = password::hash(password.expose().to_owned()).await?;
        let tx = self.write_tx().await?;
        let now = domain::time::now();
        let user = upsert_user(&tx, email, name, hash, now).await?;
        insert_membership(&tx, ws.id.0, user.id, role, now).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "{} is already a member of {}",
                email.as_str(),
                ws.ticket_prefix
            )),
            other => other,
        })?;
        tx.commit().await?;
        Ok(Member { user: user.into(), role })
    }

    pub async fn workspace_by_prefix(&self, prefix: &str) -> Result<Workspace, StoreError> {
        workspace::Entity::find()
            .filter(workspace::Column::TicketPrefix.eq(prefix.trim().to_ascii_uppercase()))
            .one(&self.db)
            .await?
            .map(Workspace::from)
            .ok_or(StoreError::NotFound)
    }

    pub async fn workspace(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        workspace::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(Workspace::from)
            .ok_or(StoreError::NotFound)
    }

    pub async fn count_workspaces(&self) -> Result<u64, StoreError> {
        Ok(workspace::Entity::find().count(&self.db).await?)
    }

    /// Signs in with e-mail and password. `workspace` (prefix or id) picks one of several.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
        workspace: Option<&str>,
    ) -> Result<Session, LoginError> {
        let email = email.trim().to_lowercase();
        let found = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&self.db)
            .await
            .map_err(StoreError::from)?;
        let stored = found.as_ref().map(|u| u.password_hash.clone());
        if !password::verify(password.to_owned(), stored).await {
            return Err(LoginError::InvalidCredentials);
        }
        let Some(user) = found else {
            return Err(LoginError::InvalidCredentials);
        };
        let memberships = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .find_also_related(workspace::Entity)
            .order_by_asc(membership::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(StoreError::from)?;
        let wanted = workspace.map(|w| w.trim().to_ascii_uppercase());
        let mut candidates: Vec<_> = memberships
            .into_iter()
            .filter_map(|(m, ws)| ws.map(|ws| (m, ws)))
            .filter(|(_, ws)| match &wanted {
                Some(w) => ws.ticket_prefix == *w || ws.id.to_string().eq_ignore_ascii_case(w),
                None => true,
            })
            .collect();
        match candidates.len() {
            0 => Err(LoginError::InvalidCredentials),
            1 => {
                let (m, ws) = candidates.remove(0);
                Ok(Session {
                    session_version: user.session_version,
                    user: user.into(),
                    workspace: ws.into(),
                    role: parse_role(&m.role)?,
                })
            }
            _ => {
                let prefixes: Vec<_> = candidates.iter().map(|(_, ws)| ws.ticket_prefix.clone()).collect();
                Err(LoginError::ChooseWorkspace(ValidationError::field(
                    "workspace",
                    format!("you belong to several workspaces: choose one of {}", prefixes.join(", ")),
                )))
            }
        }
    }

    /// The session of a member, or `NotFound` when they are no longer a member.
    pub async fn session(&self, user_id: UserId, workspace_id: WorkspaceId) -> Result<Session, StoreError> {
        let m = membership::Entity::find_by_id((workspace_id.0, user_id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let user = user::Entity::find_by_id(user_id.0).one(&self.db).await?.ok_or(StoreError::NotFound)?;
        let ws = self.workspace(workspace_id).await?;
        Ok(Session {
            session_version: user.session_version,
            user: user.into(),
            workspace: ws,
            role: parse_role(&m.role)?,
        })
    }

    /// The workspace's members, by name.
    pub async fn members(&self, ws: WorkspaceId) -> Result<Vec<Member>, StoreError> {
        let rows = membership::Entity::find()
            .filter(membership::Column::WorkspaceId.eq(ws.0))
            .find_also_related(user::Entity)
            .all(&self.db)
            .await?;
        let mut members = rows
            .into_iter()
            .filter_map(|(m, u)| u.map(|u| (m, u)))
            .map(|(m, u)| Ok(Member { role: parse_role(&m.role)?, user: u.into() }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        members.sort_by_key(|m| m.user.name.to_lowercase());
        Ok(members)
    }

    /// A member of `ws`, or `NotFound`.
    pub async fn member(&self, ws: WorkspaceId, user_id: UserId) -> Result<User, StoreError> {
        membership::Entity::find_by_id((ws.0, user_id.0)).one(&self.db).await?.ok_or(StoreError::NotFound)?;
        user::Entity::find_by_id(user_id.0).one(&self.db).await?.map(User::from).ok_or(StoreError::NotFound)
    }
}

async fn upsert_user(
    tx: &sea_orm::DatabaseTransaction,
    email: &Email,
    name: &str,
    password_hash: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<user::Model, StoreError> {
    if let Some(existing) =
        user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(tx).await?
    {
        return Ok(existing);
    }
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        session_version: Set(0),
        created_at: Set(now),
    };
    Ok(user::Entity::insert(model).exec_with_returning(tx).await?)
}

async fn insert_membership(
    tx: &sea_orm::DatabaseTransaction,
    workspace_id: Uuid,
    user_id: Uuid,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let model = membership::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
    };
    membership::Entity::insert(model).exec_without_returning(tx).await?;
    Ok(())
}
