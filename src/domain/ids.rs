//! New random ids, prefixed as Clerk shapes them (`user_…`, `sess_…`).

use rand::{distributions::Alphanumeric, Rng};

use crate::model::PrefixedId;

/// A new id of kind `T`: its prefix + `_` + 24 random alphanumeric characters.
pub fn new_id<T: PrefixedId>() -> T {
    T::from_string(new_row_id(T::PREFIX))
}

/// A new id for a row that never leaves the store (memberships, email addresses, backup codes).
pub fn new_row_id(prefix: &str) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}_{random}")
}
