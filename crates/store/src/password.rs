//! Password hashing (argon2id, OWASP parameters), off the async runtime's threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::StoreError;

fn hasher() -> Argon2<'static> {
    // 19 MiB, 2 passes, 1 lane: OWASP's recommended minimum for argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub(crate) async fn hash(password: String) -> Result<String, StoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Hashing(format!("the hashing task did not finish: {e}")))?
}

/// Verifies `password` against `stored`; with no stored hash (unknown user) it still does
/// the same work against a fixed hash, so that timing does not tell which e-mails exist.
pub(crate) async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// The argon2id hash of a random string nobody knows, with the same parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k4e6p2N0J3V0yqB6qgqmzGJhbQ6q2zYkQ7n6cKx4vV8";
