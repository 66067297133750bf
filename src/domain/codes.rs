//! Emailed verification codes: 6 digits, valid 10 minutes, 5 wrong tries per attempt (the 6th
//! try is refused even with the right code), a resend at most every 30 seconds and at most 3
//! times; a resend never resets the count. Stored hashed, single-use, compared in constant time.
//!
//! [`check_code`] is the rule as a pure function; [`verify`] applies the same rule against the
//! store, where each try is reserved atomically before it is compared, so parallel guesses
//! cannot exceed the limit.

use rand::Rng;
use subtle::ConstantTimeEq;

use super::{secret::Secret, tokens::sha256, Gatehouse, Timestamp};
use crate::model::{limits::CODE_DIGITS, AuthError, SessionId, SignInId, SignUpId};

/// How long a code stays valid.
pub const CODE_TTL_SECONDS: i64 = 10 * 60;
/// Wrong tries allowed per attempt; after them every try fails the verification.
pub const MAX_WRONG_CODES: u32 = 5;
/// Minimum delay between two codes for the same attempt.
pub const RESEND_AFTER_SECONDS: i64 = 30;
/// Resends allowed per attempt.
pub const MAX_RESENDS: u32 = 3;

/// A stored code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeState {
    /// SHA-256 of the attempt id and the code.
    pub code_hash: Secret<Vec<u8>>,
    /// Wrong tries so far (across resends).
    pub failed_attempts: u32,
    /// When the code was sent.
    pub sent_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// Whether it was accepted already.
    pub consumed: bool,
    /// Codes sent after the first one.
    pub resends: u32,
}

impl CodeState {
    /// A fresh code for `attempt_id`, sent at `now`.
    pub fn issue(attempt_id: &str, code: &str, now: Timestamp) -> Self {
        Self {
            code_hash: Secret::new(hash_code(attempt_id, code)),
            failed_attempts: 0,
            sent_at: now,
            expires_at: now + CODE_TTL_SECONDS,
            consumed: false,
            resends: 0,
        }
    }

    /// Seconds until another code may be sent (0 = now).
    pub fn resend_wait(&self, now: Timestamp) -> i64 {
        (self.sent_at + RESEND_AFTER_SECONDS - now).max(0)
    }

    /// The state after sending `code` again at `now`: refused before 30 s, after 3 resends, or
    /// once the tries are used up. The wrong-try count carries over.
    pub fn resend(&self, attempt_id: &str, code: &str, now: Timestamp) -> Result<Self, AuthError> {
        if self.consumed {
            return Err(AuthError::verification_already_verified());
        }
        if self.failed_attempts >= MAX_WRONG_CODES {
            return Err(AuthError::verification_failed());
        }
        if self.resends >= MAX_RESENDS {
            return Err(AuthError::too_many_requests(self.expires_at - now).for_param("code"));
        }
        let wait = self.resend_wait(now);
        if wait > 0 {
            return Err(AuthError::too_many_requests(wait).for_param("code"));
        }
        Ok(Self {
            resends: self.resends + 1,
            failed_attempts: self.failed_attempts,
            ..Self::issue(attempt_id, code, now)
        })
    }

    /// Why no try can be made on this code at `now`, if none can.
    pub fn refusal(&self, now: Timestamp) -> Option<AuthError> {
        if self.consumed {
            Some(AuthError::verification_already_verified())
        } else if self.failed_attempts >= MAX_WRONG_CODES {
            Some(AuthError::verification_failed())
        } else if now >= self.expires_at {
            Some(AuthError::verification_expired())
        } else {
            None
        }
    }
}

/// A new random 6-digit code.
pub fn generate_code() -> Secret<String> {
    let value: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
    Secret::new(format!("{value:06}"))
}

/// What the store keeps for a code: bound to its attempt so a code never verifies elsewhere.
pub fn hash_code(attempt_id: &str, code: &str) -> Vec<u8> {
    sha256(format!("{attempt_id}:{code}").as_bytes())
}

/// Whether `input` is the code whose hash is `expected` (constant time).
pub fn matches(attempt_id: &str, input: &str, expected: &[u8]) -> bool {
    let input = input.trim();
    let well_formed = input.len() == CODE_DIGITS && input.bytes().all(|b| b.is_ascii_digit());
    well_formed && bool::from(hash_code(attempt_id, input).ct_eq(expected))
}

/// The error for a wrong try, given the tries counted so far (this one included).
pub fn wrong_code_error(tries: u32) -> AuthError {
    if tries >= MAX_WRONG_CODES {
        AuthError::verification_failed()
    } else {
        AuthError::code_incorrect()
    }
}

/// The result of checking a typed code: the new state to store, and the verdict.
#[derive(Debug)]
pub struct CodeCheck {
    /// The state to write back (attempt counted, or consumed).
    pub state: CodeState,
    /// `Ok` when the code was accepted.
    pub verdict: Result<(), AuthError>,
}

/// Checks `input` against the stored code at `now` (the rule [`verify`] applies atomically).
pub fn check_code(state: &CodeState, attempt_id: &str, input: &str, now: Timestamp) -> CodeCheck {
    if let Some(error) = state.refusal(now) {
        return CodeCheck {
            state: state.clone(),
            verdict: Err(error),
        };
    }
    if matches(attempt_id, input, state.code_hash.expose()) {
        return CodeCheck {
            state: CodeState {
                consumed: true,
                ..state.clone()
            },
            verdict: Ok(()),
        };
    }
    let failed_attempts = state.failed_attempts + 1;
    CodeCheck {
        state: CodeState {
            failed_attempts,
            ..state.clone()
        },
        verdict: Err(wrong_code_error(failed_attempts)),
    }
}

/// Verifies `input` against the live code `key`: the try is reserved in the
/// store first (so no number of parallel tries exceeds the limit), then compared; the right code
/// is consumed once.
pub async fn verify(
    gatehouse: &Gatehouse,
    key: CodeKey<'_>,
    input: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    if input.trim().is_empty() {
        return Err(AuthError::param_missing("code"));
    }
    let reserved = gatehouse
        .store
        .reserve_code_try(key, MAX_WRONG_CODES, now)
        .await?;
    let Some(reserved) = reserved else {
        let state = gatehouse.store.code_state(key).await?;
        return Err(state
            .and_then(|state| state.refusal(now))
            .unwrap_or_else(AuthError::no_attempt));
    };
    if !matches(key.attempt_id, input, reserved.code_hash.expose()) {
        return Err(wrong_code_error(reserved.tries));
    }
    if gatehouse.store.consume_code(key).await? {
        Ok(())
    } else {
        Err(AuthError::verification_already_verified())
    }
}

/// Sends a new code for `key` if the rules allow; returns it for the email.
pub async fn resend(
    gatehouse: &Gatehouse,
    key: CodeKey<'_>,
    now: Timestamp,
) -> Result<Secret<String>, AuthError> {
    let previous = gatehouse
        .store
        .code_state(key)
        .await?
        .ok_or_else(AuthError::no_attempt)?;
    let code = generate_code();
    let next = previous.resend(key.attempt_id, code.expose(), now)?;
    // Compare-and-swap on the previous state: two parallel resends cannot both pass the cap.
    if !gatehouse.store.replace_code(key, &previous, &next).await? {
        return Err(AuthError::too_many_requests(RESEND_AFTER_SECONDS).for_param("code"));
    }
    Ok(code)
}

/// Which emailed code: its attempt and purpose (an attempt may have one code per purpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeKey<'a> {
    /// The attempt's id (`sua_…` or `sia_…`); also salts the code's hash.
    pub attempt_id: &'a str,
    /// What the code proves.
    pub purpose: CodePurpose,
}

impl<'a> CodeKey<'a> {
    /// The email code of a sign-up.
    pub fn sign_up(id: &'a SignUpId) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose: CodePurpose::SignUpEmail,
        }
    }

    /// A code of a sign-in step.
    pub fn sign_in(id: &'a SignInId, purpose: CodePurpose) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose,
        }
    }

    /// The affiliation code of an organization's domain.
    pub fn domain_affiliation(domain_id: &'a str) -> Self {
        Self {
            attempt_id: domain_id,
            purpose: CodePurpose::DomainAffiliation,
        }
    }

    /// The reverification code of a session (a user without a password).
    pub fn reverification(id: &'a SessionId) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose: CodePurpose::Reverification,
        }
    }
}

/// What an emailed code proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    /// The sign-up's email address.
    SignUpEmail,
    /// Client trust: the mailbox of a user signing in on a new browser.
    ClientTrust,
    /// "Forgot password?".
    ResetPassword,
    /// Reverification of a session whose user has no password.
    Reverification,
    /// An organization's domain: the mailbox of an address at it (keyed by the domain's id).
    DomainAffiliation,
}

impl CodePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpEmail => "sign_up_email",
            Self::ClientTrust => "client_trust",
            Self::ResetPassword => "reset_password",
            Self::Reverification => "reverification",
            Self::DomainAffiliation => "domain_affiliation",
        }
    }
}
