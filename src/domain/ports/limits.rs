//! The limits port: lockout guesses and per-IP rate windows, each counted in one atomic
//! statement.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::model::AuthError;

/// The counter right after a guess reserved its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserved {
    /// Failed guesses counted, this one included.
    pub failed_attempts: i64,
    /// When the lock ends, if the identifier is locked (possibly by this very guess).
    pub locked_until: Option<Timestamp>,
}

/// Counters attackers race: lockout guesses and per-IP rate windows.
#[async_trait]
pub trait Limits: Send + Sync {
    /// Counts one guess for `identifier` and returns the counter afterwards. An expired lock
    /// starts a fresh count; reaching `max_attempts` sets `locked_until = lock_until`.
    async fn reserve_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Reserved, AuthError>;
    /// Forgets the failed guesses of `identifier` (a success, or an operator's unlock).
    async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError>;
    /// Gives a reserved guess back (it was right but more factors are needed): it neither
    /// counts as a failure nor resets the count.
    async fn release_guess(&self, identifier: &str, max_attempts: u32) -> Result<(), AuthError>;
    /// The counter of `identifier`, if any.
    async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError>;
    /// Forgets counters that no longer decide anything at `now`: rate windows that started at or
    /// before `window_start_before`, expired locks, and unlocked guess counts untouched since
    /// `idle_since`. Returns how many were removed.
    async fn prune_counters(
        &self,
        window_start_before: Timestamp,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError>;
    /// Counts one hit in the fixed window of `key`; returns the hits in the current window and
    /// the window's start.
    async fn hit_rate_counter(
        &self,
        key: &str,
        window_seconds: i64,
        now: Timestamp,
    ) -> Result<(i64, Timestamp), AuthError>;
}
