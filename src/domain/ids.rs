//! Prefixed random identifiers (`user_…`, `sess_…`), as Clerk shapes them.

use rand::{distributions::Alphanumeric, Rng};

/// A new id: `prefix` + `_` + 24 random alphanumeric characters.
pub fn new_id(prefix: &str) -> String {
    let random: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("{prefix}_{random}")
}
