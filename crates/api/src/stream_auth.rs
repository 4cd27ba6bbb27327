//! Long-lived requests (event streams) and their credential: a stream ends when the
//! credential that opened it stops working — at the session's expiry, on a password change
//! (session version), on removal of the membership, on revocation of the API token —
//! checked every `stream_check_interval`.

use std::time::Duration;

use store::Store;
use store::security::CredentialKind;
use tokio::sync::oneshot;

use crate::AppState;
use crate::extract::Auth;

/// Resolves when the stream's credential stops working.
pub struct CredentialWatch {
    ended: oneshot::Receiver<()>,
}

impl CredentialWatch {
    /// Starts watching `auth`'s credential in a task of its own (so that a check is never
    /// cut short by the stream's other work); it stops when the watch is dropped.
    pub fn new(state: &AppState, auth: &Auth) -> Self {
        let (tx, ended) = oneshot::channel();
        let store = state.store.clone();
        let every = state.security.settings.stream_check_interval;
        let kind = auth.credential.kind.clone();
        let workspace = auth.credential.workspace_id;
        actix_web::rt::spawn(async move {
            let mut tx = tx;
            tokio::select! {
                () = watch(store, kind, workspace, every) => { let _ = tx.send(()); }
                () = tx.closed() => {}
            }
        });
        Self { ended }
    }

    /// Resolves once the credential stopped working (cancel-safe: for `select!` loops).
    pub async fn ended(&mut self) {
        if (&mut self.ended).await.is_err() {
            // The watcher is gone (it never is before the stream): never end for that.
            std::future::pending::<()>().await
        }
    }
}

/// Returns when the credential stops working.
async fn watch(store: Store, kind: CredentialKind, workspace: domain::WorkspaceId, every: Duration) {
    let expiry = match &kind {
        CredentialKind::Session { expires_at, .. } => {
            let left = (*expires_at - domain::time::now()).to_std().unwrap_or(Duration::ZERO);
            Some(tokio::time::Instant::now() + left)
        }
        CredentialKind::ApiToken(_) => None,
    };
    let expired = async {
        match expiry {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expired);
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(100)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut expired => return,
            _ = ticker.tick() => {
                if !still_works(&store, &kind, workspace).await {
                    return;
                }
            }
        }
    }
}

/// Whether the credential still works. A database that does not answer keeps the stream
/// (the next check tries again): an outage should not disconnect every operator.
async fn still_works(store: &Store, kind: &CredentialKind, workspace: domain::WorkspaceId) -> bool {
    let result = match kind {
        CredentialKind::Session { user, session_version, .. } => {
            store.session(*user, workspace).await.map(|s| s.session_version == *session_version)
        }
        CredentialKind::ApiToken(id) => store.live_token(*id).await.map(|_| true),
    };
    match result {
        Ok(works) => works,
        Err(store::StoreError::NotFound) => false,
        Err(e) => {
            tracing::warn!(error = %e, "cannot re-check an event stream's credential; keeping it");
            true
        }
    }
}
