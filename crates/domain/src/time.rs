//! Time in UTC at the precision every database keeps (microseconds), so a value read back
//! compares equal to the value written and keyset cursors are exact.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
