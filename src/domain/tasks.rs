//! Completing session tasks. Each task checks that it is the session's current one; completing
//! the requirement completes the task (tasks are derived, never stored).

use super::{
    audit::{self, AuditEvent, AuditKind},
    notices::{self, Device, SecurityNotice},
    password::validate_new_password,
    secret::Secret,
    Gatehouse, Timestamp,
};
use crate::model::{
    ApiErrors, AuthError, AuthSnapshot, GatehouseError, SessionId, TaskKey, UserId,
};

/// The session and user a task runs for, once `task` is confirmed to be the current one.
pub fn require_current(
    snapshot: &AuthSnapshot,
    task: TaskKey,
) -> Result<(SessionId, UserId), AuthError> {
    let (Some(session_id), Some(user)) = (&snapshot.session_id, &snapshot.user) else {
        return Err(AuthError::unauthorized());
    };
    if snapshot.current_task() != Some(task) {
        return Err(AuthError::task_not_current());
    }
    Ok((session_id.clone(), user.id.clone()))
}

/// The signed-in (possibly pending) session's ids.
pub fn require_session(snapshot: &AuthSnapshot) -> Result<(SessionId, UserId), AuthError> {
    match (&snapshot.session_id, &snapshot.user) {
        (Some(session_id), Some(user)) => Ok((session_id.clone(), user.id.clone())),
        _ => Err(AuthError::unauthorized()),
    }
}

/// What the reset-password task form sends.
#[derive(Clone, Debug)]
pub struct NewPassword {
    /// The new password.
    pub new_password: Secret<String>,
    /// Its confirmation.
    pub confirm_password: Secret<String>,
    /// End the user's other sessions (checked by default).
    pub sign_out_of_other_sessions: bool,
}

fn on_field(error: AuthError, field: &str) -> AuthError {
    if error.meta.param_name.as_deref() == Some("password") {
        error.for_param(field)
    } else {
        error
    }
}

/// Checks a "new password" form (the task and the forgot-password step): a valid new password,
/// confirmed, every field's error at once.
pub fn validate_new_password_form(
    form: &NewPassword,
    reject_compromised: bool,
) -> Result<(), GatehouseError> {
    let mut errors = Vec::new();
    if let Err(error) = validate_new_password(form.new_password.expose(), reject_compromised) {
        errors.push(on_field(error, "new_password"));
    }
    if form.confirm_password.expose().is_empty() {
        errors.push(AuthError::param_missing("confirm_password"));
    } else if form.confirm_password != form.new_password {
        errors.push(AuthError::passwords_do_not_match());
    }
    if !errors.is_empty() {
        return Err(GatehouseError(ApiErrors { errors }));
    }
    Ok(())
}

/// The `reset-password` task: sets a new password (not the current one), clears the flag, and
/// optionally signs out the user's other sessions. The owner is emailed about it (the change
/// came from `device`).
pub async fn reset_password(
    gatehouse: &Gatehouse,
    snapshot: &AuthSnapshot,
    form: NewPassword,
    device: &Device,
    now: Timestamp,
) -> Result<(), GatehouseError> {
    let (session_id, user_id) = require_current(snapshot, TaskKey::ResetPassword)?;
    validate_new_password_form(&form, gatehouse.config.passwords.reject_compromised)?;
    let current = gatehouse.store.password_hash(&user_id).await?;
    if current.is_some()
        && gatehouse
            .hasher
            .verify(form.new_password.clone(), current)
            .await?
    {
        return Err(AuthError::new_password_matches_current().into());
    }
    let hash = gatehouse.hasher.hash(form.new_password).await?;
    gatehouse
        .store
        .replace_password(
            &user_id,
            &hash,
            Some(&session_id),
            form.sign_out_of_other_sessions,
            now,
        )
        .await?;
    tracing::info!(user_id = %user_id, signed_out_others = form.sign_out_of_other_sessions, "password reset");
    let mut event = AuditEvent::new(AuditKind::PasswordReset)
        .user(&user_id)
        .session(&session_id)
        .device(device)
        .detail("reset-password task");
    if let Some(user) = &snapshot.user {
        event = event.email(&user.email_address);
    }
    audit::record(gatehouse, event, now);
    if let Some(user) = &snapshot.user {
        notices::send(
            gatehouse,
            &user.email_address,
            &SecurityNotice::PasswordChanged,
            device,
            now,
        );
    }
    Ok(())
}
