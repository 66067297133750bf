//! Account lockout: after `max_attempts` failed attempts (password, codes, TOTP, backup codes)
//! the account locks for `duration`; the counter lives in the database.

use super::Timestamp;
use crate::{config::LockoutConfig, model::AuthError};

/// The stored counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LockoutState {
    /// Failed attempts since the last success or unlock.
    pub failed_attempts: u32,
    /// Locked until this time, if locked.
    pub locked_until: Option<Timestamp>,
}

impl LockoutState {
    /// `user_locked` with the remaining seconds while locked.
    pub fn check(&self, now: Timestamp) -> Result<(), AuthError> {
        match self.locked_until {
            Some(until) if until > now => Err(AuthError::user_locked(until - now)),
            _ => Ok(()),
        }
    }

    /// The state after one more failure at `now`; an expired lock starts a fresh count.
    pub fn record_failure(&self, policy: &LockoutConfig, now: Timestamp) -> Self {
        let previous = match self.locked_until {
            Some(until) if until <= now => 0,
            _ => self.failed_attempts,
        };
        let failed_attempts = previous + 1;
        let locked_until =
            (failed_attempts >= policy.max_attempts).then_some(now + policy.duration_minutes * 60);
        Self {
            failed_attempts,
            locked_until,
        }
    }
}
