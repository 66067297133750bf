//! Account lockout: after `max_attempts` failed guesses (password, email codes, TOTP, backup
//! codes) the identifier locks for `duration_minutes`.
//!
//! Parallel requests are the attack, so a guess is never evaluated first and counted later:
//! each guess first *reserves* its slot with one atomic update in the store, and only guesses
//! that got a slot within the limit are evaluated. No number of concurrent requests gets more
//! than `max_attempts` guesses. The counter is keyed by the identifier (normalised email), whether
//! or not an account exists, so an unknown email locks exactly like a known one.

use super::{
    audit::{self, AuditEvent, AuditKind},
    Gatehouse, Timestamp,
};
use crate::{config::LockoutConfig, model::AuthError};

pub use super::ports::Reserved;

/// What to do with a guess, decided from its reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Evaluate it. `locked_until` is set when this was the last allowed guess: if it fails,
    /// the answer is `user_locked`.
    Evaluate {
        /// The lock that a failure of this guess leaves in place.
        locked_until: Option<Timestamp>,
    },
    /// Refuse it unevaluated: the identifier is locked.
    Locked {
        /// Seconds until the lock ends.
        seconds: i64,
    },
}

/// Decides whether a reserved guess may be evaluated (pure; `now` is a parameter).
pub fn admit(reserved: Reserved, policy: &LockoutConfig, now: Timestamp) -> Admission {
    let max = i64::from(policy.max_attempts);
    match reserved.locked_until {
        Some(until) if reserved.failed_attempts > max && until > now => Admission::Locked {
            seconds: until - now,
        },
        locked_until => Admission::Evaluate { locked_until },
    }
}

/// The lock a guess leaves behind when the count reaches the maximum (the store applies it in
/// the same atomic update that counts the guess).
pub fn lock_after(policy: &LockoutConfig, now: Timestamp) -> Timestamp {
    now + policy.duration_minutes * 60
}

/// A reserved, admitted guess: report its result with [`Guess::succeeded`] or [`Guess::failed`].
#[must_use = "a guess must be resolved"]
pub struct Guess {
    identifier: String,
    locked_until: Option<Timestamp>,
    now: Timestamp,
    /// Where the lock this guess may set is recorded (the audit log).
    gatehouse: Gatehouse,
}

impl std::fmt::Debug for Guess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guess")
            .field("identifier", &self.identifier)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// Reserves a guess for `identifier`; `user_locked` when it is locked (nothing is evaluated).
pub async fn reserve(
    gatehouse: &Gatehouse,
    identifier: &str,
    now: Timestamp,
) -> Result<Guess, AuthError> {
    let policy = &gatehouse.config.lockout;
    let reserved = gatehouse
        .store
        .reserve_guess(
            identifier,
            policy.max_attempts,
            lock_after(policy, now),
            now,
        )
        .await?;
    match admit(reserved, policy, now) {
        Admission::Locked { seconds } => Err(AuthError::user_locked(seconds)),
        Admission::Evaluate { locked_until } => Ok(Guess {
            identifier: identifier.to_string(),
            locked_until,
            now,
            gatehouse: gatehouse.clone(),
        }),
    }
}

impl Guess {
    /// The guess was right: the count starts over.
    pub async fn succeeded(self, gatehouse: &Gatehouse) -> Result<(), AuthError> {
        gatehouse.store.clear_guesses(&self.identifier).await
    }

    /// The guess was right but another factor must follow: it is given back (neither a failure
    /// nor a reset, so a known password cannot be used to clear second-factor failures).
    pub async fn released(self, gatehouse: &Gatehouse) -> Result<(), AuthError> {
        gatehouse
            .store
            .release_guess(&self.identifier, gatehouse.config.lockout.max_attempts)
            .await
    }

    /// The guess was wrong: `error`, or `user_locked` when this guess used the last attempt
    /// (the lock is recorded in the audit log, once: by the guess that set it).
    pub fn failed(self, error: AuthError) -> AuthError {
        match self.locked_until {
            Some(until) => {
                let event = AuditEvent::new(AuditKind::UserLocked).email(&self.identifier);
                audit::record(&self.gatehouse, event, self.now);
                AuthError::user_locked(until - self.now)
            }
            None => error,
        }
    }
}

/// How long an unlocked guess count is kept without a new guess.
pub const IDLE_COUNT_SECONDS: i64 = 24 * 3600;

/// Forgets counters that decide nothing any more (ended rate windows, expired locks, guess counts
/// idle for a day) and what was abandoned (expired attempts and codes, browsers that never
/// signed in and stayed away a day), so attackers cycling through addresses or IPs — or posting
/// without a cookie — cannot grow the tables without bound. Run periodically by the server.
pub async fn prune_counters(gatehouse: &Gatehouse, now: Timestamp) -> Result<u64, AuthError> {
    let window = gatehouse.config.rate_limits.window_seconds;
    let counters = gatehouse
        .store
        .prune_counters(now - window, now - IDLE_COUNT_SECONDS, now)
        .await?;
    let abandoned = gatehouse
        .store
        .prune_abandoned(now - IDLE_COUNT_SECONDS, now)
        .await?;
    let events = super::audit::prune(gatehouse, now).await?;
    Ok(counters + abandoned + events)
}
