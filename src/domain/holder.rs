//! Who an account change is for: the signed-in user, their session's freshness and the browser
//! the change comes from. The account page's changes and the passkeys share it.

use super::{
    audit::{self, AuditEvent, AuditKind},
    notices::{self, Device, SecurityNotice},
    sensitive::{self, SensitiveChange, SessionFreshness},
    Gatehouse, Timestamp,
};
use crate::model::{AuthError, AuthSnapshot, FactorAges, SessionId, TaskKey, UserId};

/// The signed-in user an account change is for.
#[derive(Clone, Debug)]
pub struct AccountHolder {
    /// Their session (active, except for the enrolment a `setup-mfa` task asks for).
    pub session_id: SessionId,
    /// The user.
    pub user_id: UserId,
    /// Their email (the lockout key).
    pub email: String,
    /// Minutes since each factor was verified (`-1` = not enabled).
    pub factor_verification_age: Option<FactorAges>,
    /// The session's current task, when it is pending.
    pub current_task: Option<TaskKey>,
    /// The browser the change comes from (named in the owner's security notices).
    pub device: Device,
}

impl AccountHolder {
    /// The active session's holder; pending or signed out is `unauthorized`.
    pub fn of(snapshot: &AuthSnapshot) -> Result<Self, AuthError> {
        let auth = snapshot.auth(true);
        auth.session_id
            .ok_or_else(AuthError::unauthorized)
            .and_then(|_| Self::of_session(snapshot))
    }

    /// The holder of the session, pending or not (a task's enrolment); signed out is
    /// `unauthorized`.
    pub fn of_session(snapshot: &AuthSnapshot) -> Result<Self, AuthError> {
        match (snapshot.session_id.as_ref(), snapshot.user.as_ref()) {
            (Some(session_id), Some(user)) => Ok(Self {
                session_id: session_id.clone(),
                user_id: user.id.clone(),
                email: user.email_address.clone(),
                factor_verification_age: snapshot.factor_verification_age,
                current_task: snapshot.current_task(),
                device: Device::default(),
            }),
            _ => Err(AuthError::unauthorized()),
        }
    }

    /// The same holder, the change coming from `device`.
    pub fn from_device(self, device: Device) -> Self {
        Self { device, ..self }
    }

    /// Refuses `change` unless this session may make it now ([`sensitive::require`]).
    pub fn require(
        &self,
        change: SensitiveChange,
        config: &crate::config::Config,
    ) -> Result<(), AuthError> {
        sensitive::require(
            change,
            SessionFreshness {
                factor_verification_age: self.factor_verification_age,
                current_task: self.current_task,
            },
            config,
        )
    }

    /// An audit event of `kind` about the holder, from their session and browser.
    pub fn event(&self, kind: AuditKind) -> AuditEvent {
        AuditEvent::new(kind)
            .user(&self.user_id)
            .email(&self.email)
            .session(&self.session_id)
            .device(&self.device)
    }

    /// Records the holder's `kind` change in the audit log (in the background).
    pub(super) fn audit(&self, gatehouse: &Gatehouse, kind: AuditKind, now: Timestamp) {
        audit::record(gatehouse, self.event(kind), now);
    }

    /// Emails the holder about `notice` (in the background).
    pub(super) fn notify(&self, gatehouse: &Gatehouse, notice: SecurityNotice, now: Timestamp) {
        notices::send(gatehouse, &self.email, &notice, &self.device, now);
    }
}
