//! Sign-in as an explicit state machine. An attempt is a [`SignIn`] value; transitions are pure
//! functions of the current state, an input and the time; the store persists the serialized
//! state without interpreting it and makes every transition a compare-and-swap. `finalize`
//! accepts only [`SignIn::Complete`], so no session (and no session cookie) exists before it.
//!
//! Unknown emails get the same error, after the same work, and lock the same way as wrong
//! passwords: every guess (password, TOTP, backup code) reserves a lockout slot first.

use serde::{Deserialize, Serialize};

use super::{
    codes, email::normalize_email, ids::new_id, lockout, mfa, session, session::Finalized,
    Gatehouse, Timestamp,
};
use crate::{
    model::{limits::PASSWORD_MAX_CHARS, AuthError, ErrorCode, SignInStatus},
    store::StoredSignIn,
};

/// How long an attempt may take from the password to `finalize`.
pub const SIGN_IN_TTL_SECONDS: i64 = 10 * 60;
/// Longest accepted second-factor code (TOTP 6 digits, backup codes 8 characters; some slack for
/// spaces and dashes).
const SECOND_FACTOR_MAX_CHARS: usize = 32;

/// A second-factor strategy (Clerk's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorStrategy {
    /// A code from an authenticator app.
    Totp,
    /// One of the single-use backup codes.
    BackupCode,
}

/// A sign-in attempt. Each state carries what its next step needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignIn {
    /// The password was right; the user has a second factor to verify.
    NeedsSecondFactor {
        /// The user signing in.
        user_id: String,
        /// The identifier typed (lockout key).
        identifier: String,
        /// When the password was verified.
        first_factor_at: Timestamp,
        /// The strategies the user can use.
        strategies: Vec<SecondFactorStrategy>,
    },
    /// Every factor is verified: `finalize` may create the session.
    Complete {
        /// The user signing in.
        user_id: String,
        /// When the password was verified.
        first_factor_at: Timestamp,
        /// When the second factor was verified, if one was needed.
        second_factor_at: Option<Timestamp>,
    },
}

impl SignIn {
    /// The state after a verified password at `now`.
    pub fn after_first_factor(
        user_id: &str,
        identifier: &str,
        has_second_factor: bool,
        now: Timestamp,
    ) -> Self {
        if has_second_factor {
            Self::NeedsSecondFactor {
                user_id: user_id.to_string(),
                identifier: identifier.to_string(),
                first_factor_at: now,
                strategies: vec![SecondFactorStrategy::Totp, SecondFactorStrategy::BackupCode],
            }
        } else {
            Self::Complete {
                user_id: user_id.to_string(),
                first_factor_at: now,
                second_factor_at: None,
            }
        }
    }

    /// The state after a verified second factor at `now`; refused in any other step.
    pub fn after_second_factor(self, now: Timestamp) -> Result<Self, AuthError> {
        match self {
            Self::NeedsSecondFactor {
                user_id,
                first_factor_at,
                ..
            } => Ok(Self::Complete {
                user_id,
                first_factor_at,
                second_factor_at: Some(now),
            }),
            Self::Complete { .. } => Err(AuthError::verification_already_verified()),
        }
    }

    /// Clerk's status of this state.
    pub fn status(&self) -> SignInStatus {
        match self {
            Self::NeedsSecondFactor { .. } => SignInStatus::NeedsSecondFactor,
            Self::Complete { .. } => SignInStatus::Complete,
        }
    }
}

/// An attempt as stored: its state, where it is in the compare-and-swap sequence, and its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// `sia_…`
    pub id: String,
    /// The state.
    pub state: SignIn,
    /// The store's version of this state.
    pub version: i64,
    /// When the attempt stops being usable.
    pub expires_at: Timestamp,
}

impl Attempt {
    fn from_stored(stored: StoredSignIn) -> Result<Self, AuthError> {
        let state = serde_json::from_str(&stored.state)
            .map_err(|e| super::internal("stored sign-in state unreadable", e))?;
        Ok(Self {
            id: stored.id,
            state,
            version: stored.version,
            expires_at: stored.expires_at,
        })
    }
}

fn serialize(state: &SignIn) -> Result<String, AuthError> {
    serde_json::to_string(state).map_err(|e| super::internal("sign-in state not serializable", e))
}

/// A sign-in attempt as the browser sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    /// Attempt id (`sia_…`).
    pub id: String,
    /// Status.
    pub status: SignInStatus,
}

impl From<&Attempt> for SignInView {
    fn from(attempt: &Attempt) -> Self {
        Self {
            id: attempt.id.clone(),
            status: attempt.state.status(),
        }
    }
}

/// The client's attempt in progress (not finalized, not expired).
pub async fn current(
    gatehouse: &Gatehouse,
    client_id: &str,
    now: Timestamp,
) -> Result<Option<Attempt>, AuthError> {
    gatehouse
        .store
        .current_sign_in(client_id, now)
        .await?
        .map(Attempt::from_stored)
        .transpose()
}

/// Checks an email + password pair. The attempt is `complete`, or `needs_second_factor` when the
/// user has one.
pub async fn password(
    gatehouse: &Gatehouse,
    client_id: &str,
    identifier: &str,
    password: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let email = normalize_email(identifier, "identifier")?;
    if password.is_empty() {
        return Err(AuthError::param_missing("password"));
    }
    let guess = lockout::reserve(gatehouse, &email, now).await?;
    if password.chars().count() > PASSWORD_MAX_CHARS {
        // No stored password can be this long; answer like any wrong password.
        return Err(guess.failed(AuthError::password_incorrect()));
    }
    let user = gatehouse.store.find_user_by_email(&email).await?;
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let valid = gatehouse.hasher.verify(password.to_string(), hash).await?;
    let user = match user {
        Some(user) if valid => user,
        _ => return Err(guess.failed(AuthError::password_incorrect())),
    };
    let state = SignIn::after_first_factor(&user.id, &email, user.second_factor_enabled, now);
    // Only a finished sign-in resets the count: wrong second factors stay counted.
    match state {
        SignIn::Complete { .. } => guess.succeeded(gatehouse).await?,
        SignIn::NeedsSecondFactor { .. } => guess.released(gatehouse).await?,
    }
    let attempt = Attempt {
        id: new_id("sia"),
        state,
        version: 0,
        expires_at: now + SIGN_IN_TTL_SECONDS,
    };
    gatehouse
        .store
        .insert_sign_in(
            &attempt.id,
            client_id,
            &serialize(&attempt.state)?,
            attempt.expires_at,
            now,
        )
        .await?;
    Ok(SignInView::from(&attempt))
}

/// Verifies the second factor of the client's attempt: a TOTP code (each 30-second step accepted
/// once per user, across sign-ins) or a backup code (single use). 5 wrong codes end the attempt;
/// every wrong code also counts toward the lockout. Of two parallel verifications of one
/// attempt, at most one moves it on.
pub async fn verify_second_factor(
    gatehouse: &Gatehouse,
    client_id: &str,
    strategy: SecondFactorStrategy,
    code: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let attempt = current(gatehouse, client_id, now)
        .await?
        .ok_or_else(AuthError::no_attempt)?;
    let SignIn::NeedsSecondFactor {
        user_id,
        identifier,
        strategies,
        ..
    } = &attempt.state
    else {
        return Err(AuthError::verification_already_verified());
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(AuthError::param_missing("code"));
    }
    if !strategies.contains(&strategy) {
        return Err(AuthError::request_invalid("strategy not available"));
    }
    // The attempt's own limit first (no evaluation once it is spent), then the lockout.
    let tries = gatehouse
        .store
        .reserve_sign_in_try(&attempt.id, codes::MAX_WRONG_CODES)
        .await?
        .ok_or_else(AuthError::verification_failed)?;
    let guess = lockout::reserve(gatehouse, identifier, now).await?;
    let accepted = code.chars().count() <= SECOND_FACTOR_MAX_CHARS
        && match strategy {
            SecondFactorStrategy::Totp => verify_totp(gatehouse, user_id, code, now).await?,
            SecondFactorStrategy::BackupCode => {
                let hash = mfa::hash_backup_code(user_id, code);
                gatehouse
                    .store
                    .consume_backup_code(user_id, &hash, now)
                    .await?
            }
        };
    if !accepted {
        return Err(guess.failed(codes::wrong_code_error(tries)));
    }
    guess.succeeded(gatehouse).await?;
    let next = attempt.state.clone().after_second_factor(now)?;
    if !gatehouse
        .store
        .save_sign_in(&attempt.id, attempt.version, &serialize(&next)?)
        .await?
    {
        return Err(AuthError::verification_already_verified());
    }
    Ok(SignInView {
        id: attempt.id,
        status: next.status(),
    })
}

/// A TOTP code of the user's verified factor, accepted once: the step only moves forward, in one
/// atomic update, so a replayed or parallel code is refused.
async fn verify_totp(
    gatehouse: &Gatehouse,
    user_id: &str,
    code: &str,
    now: Timestamp,
) -> Result<bool, AuthError> {
    let Some(factor) = gatehouse
        .store
        .totp_factor(user_id)
        .await?
        .filter(|factor| factor.verified)
    else {
        return Ok(false);
    };
    match mfa::matching_step(&factor.secret, code, now)? {
        Some(step) => gatehouse.store.advance_totp_step(user_id, step).await,
        None => Ok(false),
    }
}

/// Turns the client's complete sign-in attempt into a session (only `complete` is accepted, and
/// only once).
pub async fn finalize(
    gatehouse: &Gatehouse,
    client_id: &str,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Finalized, AuthError> {
    let attempt = current(gatehouse, client_id, now)
        .await?
        .ok_or_else(AuthError::no_attempt)?;
    let SignIn::Complete {
        user_id,
        first_factor_at,
        second_factor_at,
    } = &attempt.state
    else {
        return Err(AuthError::new(ErrorCode::SignInNotComplete));
    };
    if !gatehouse
        .store
        .claim_sign_in(&attempt.id, attempt.version, now)
        .await?
    {
        return Err(AuthError::no_attempt());
    }
    session::finalize(
        gatehouse,
        session::FinalizeRequest {
            client_id,
            user_id,
            first_factor_at: *first_factor_at,
            second_factor_at: *second_factor_at,
            redirect_url,
            fallback_url: &gatehouse.config.instance.after_sign_in_url,
        },
        now,
    )
    .await
}
