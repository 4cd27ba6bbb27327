use domain::ValidationError;
use sea_orm::{DbErr, SqlErr};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in this workspace.
    #[error("not found")]
    NotFound,
    /// The row would break a uniqueness rule (e.g. an e-mail already in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that only the database can judge (e.g. an assignee who is not a member).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// An `Idempotency-Key` reused with a different request.
    #[error("the idempotency key was used with a different request")]
    IdempotencyMismatch,
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    /// Bad configuration (e.g. an unsupported URL).
    #[error("{0}")]
    Config(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(DbErr),
}

impl StoreError {
    pub(crate) fn from_connect(err: DbErr) -> Self {
        StoreError::Unavailable(err)
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            return StoreError::Conflict(detail);
        }
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(err),
            _ => StoreError::Db(err),
        }
    }
}

impl From<sea_orm::TransactionError<StoreError>> for StoreError {
    fn from(err: sea_orm::TransactionError<StoreError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}
