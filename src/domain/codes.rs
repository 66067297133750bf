//! Emailed verification codes: 6 digits, valid 10 minutes, at most 5 wrong tries, resend after
//! 30 seconds. Stored hashed, single-use, compared in constant time.

use rand::Rng;
use subtle::ConstantTimeEq;

use super::{tokens::sha256, Timestamp};
use crate::model::{limits::CODE_DIGITS, AuthError};

/// How long a code stays valid.
pub const CODE_TTL_SECONDS: i64 = 10 * 60;
/// Wrong tries allowed; the next wrong try fails the verification.
pub const MAX_WRONG_CODES: u32 = 5;
/// Minimum delay between two codes for the same attempt.
pub const RESEND_AFTER_SECONDS: i64 = 30;

/// A stored code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeState {
    /// SHA-256 of the attempt id and the code.
    pub code_hash: Vec<u8>,
    /// Wrong tries so far.
    pub failed_attempts: u32,
    /// When the code was sent.
    pub sent_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// Whether it was accepted already.
    pub consumed: bool,
}

impl CodeState {
    /// A fresh code for `attempt_id`, sent at `now`.
    pub fn issue(attempt_id: &str, code: &str, now: Timestamp) -> Self {
        Self {
            code_hash: hash_code(attempt_id, code),
            failed_attempts: 0,
            sent_at: now,
            expires_at: now + CODE_TTL_SECONDS,
            consumed: false,
        }
    }

    /// Seconds until another code may be sent (0 = now).
    pub fn resend_wait(&self, now: Timestamp) -> i64 {
        (self.sent_at + RESEND_AFTER_SECONDS - now).max(0)
    }
}

/// A new random 6-digit code.
pub fn generate_code() -> String {
    let value: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
    format!("{value:06}")
}

/// What the store keeps for a code: bound to its attempt so a code never verifies elsewhere.
pub fn hash_code(attempt_id: &str, code: &str) -> Vec<u8> {
    sha256(format!("{attempt_id}:{code}").as_bytes())
}

/// The result of checking a typed code: the new state to store, and the verdict.
#[derive(Debug)]
pub struct CodeCheck {
    /// The state to write back (attempt counted, or consumed).
    pub state: CodeState,
    /// `Ok` when the code was accepted.
    pub verdict: Result<(), AuthError>,
}

/// Checks `input` against the stored code at `now`.
pub fn check_code(state: &CodeState, attempt_id: &str, input: &str, now: Timestamp) -> CodeCheck {
    let reject = |state: CodeState, error: AuthError| CodeCheck {
        state,
        verdict: Err(error),
    };
    if state.consumed {
        return reject(state.clone(), AuthError::verification_already_verified());
    }
    if state.failed_attempts > MAX_WRONG_CODES {
        return reject(state.clone(), AuthError::verification_failed());
    }
    if now >= state.expires_at {
        return reject(state.clone(), AuthError::verification_expired());
    }
    let input = input.trim();
    let well_formed = input.len() == CODE_DIGITS && input.bytes().all(|b| b.is_ascii_digit());
    let matches = well_formed && bool::from(hash_code(attempt_id, input).ct_eq(&state.code_hash));
    if matches {
        return CodeCheck {
            state: CodeState {
                consumed: true,
                ..state.clone()
            },
            verdict: Ok(()),
        };
    }
    let failed_attempts = state.failed_attempts + 1;
    let error = if failed_attempts > MAX_WRONG_CODES {
        AuthError::verification_failed()
    } else {
        AuthError::code_incorrect()
    };
    reject(
        CodeState {
            failed_attempts,
            ..state.clone()
        },
        error,
    )
}
