//! Sign-in as an explicit state machine over `SignInStatus`. This step handles the combined
//! email + password form (`needs_first_factor` → `complete`); `finalize` then creates the
//! session. Unknown emails get the same error, after the same work, as wrong passwords.

use serde::{Deserialize, Serialize};

use super::{
    email::normalize_email,
    ids::new_id,
    session::{self, FinalizeRequest, Finalized},
    Gatehouse, Timestamp,
};
use crate::model::{limits::PASSWORD_MAX_CHARS, AuthError, SignInStatus};

/// A sign-in attempt as the browser sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    /// Attempt id (`sia_…`).
    pub id: String,
    /// Status.
    pub status: SignInStatus,
}

/// Checks an email + password pair; on success the attempt is `complete`.
pub async fn password(
    gatehouse: &Gatehouse,
    client_id: &str,
    identifier: &str,
    password: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let email = normalize_email(identifier, "identifier")?;
    if password.is_empty() {
        return Err(AuthError::param_missing("password", "Password"));
    }
    if password.chars().count() > PASSWORD_MAX_CHARS {
        // No stored password can be this long; answer like any wrong password.
        return Err(AuthError::password_incorrect());
    }
    let user = gatehouse.store.find_user_by_email(&email).await?;
    if let Some(user) = &user {
        user.lockout.check(now)?;
    }
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let valid = gatehouse.hasher.verify(password.to_string(), hash).await?;
    let user = match user {
        Some(user) if valid => user,
        Some(user) => {
            let lockout = user.lockout.record_failure(&gatehouse.config.lockout, now);
            gatehouse.store.set_lockout(&user.id, lockout, now).await?;
            lockout.check(now)?;
            return Err(AuthError::password_incorrect());
        }
        None => return Err(AuthError::password_incorrect()),
    };
    gatehouse
        .store
        .set_lockout(&user.id, Default::default(), now)
        .await?;
    let id = new_id("sia");
    let status = SignInStatus::Complete;
    gatehouse
        .store
        .insert_sign_in(&id, client_id, &user.id, status, now, now)
        .await?;
    Ok(SignInView { id, status })
}

/// Turns the client's complete sign-in attempt into a session.
pub async fn finalize(
    gatehouse: &Gatehouse,
    client_id: &str,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Finalized, AuthError> {
    let attempt = gatehouse
        .store
        .take_complete_sign_in(client_id, now)
        .await?
        .ok_or_else(|| AuthError::no_attempt("sign-in"))?;
    session::finalize(
        gatehouse,
        FinalizeRequest {
            client_id,
            user_id: &attempt.user_id,
            first_factor_at: attempt.first_factor_at,
            second_factor_at: attempt.second_factor_at,
            redirect_url,
            fallback_url: &gatehouse.config.instance.after_sign_in_url,
        },
        now,
    )
    .await
}
