//! The sensitive changes: the one list, declared here, of changes to an account's security that
//! need a recently verified session (Clerk's reverification). Every endpoint that makes one asks
//! [`require`] with its [`SensitiveChange`]; nothing else decides it, so the next endpoint
//! cannot forget the rule. A test walks every endpoint that changes account security and
//! checks that a stale session is refused by each.
//!
//! Only a sign-in step or the reverification prompt makes a session fresh: enrolling a factor
//! never counts as verifying it (otherwise a stale session could add its own authenticator and
//! then pass every check that asks for the second factor).

use crate::{
    config::Config,
    model::{AuthError, FactorAges, Reverification, TaskKey},
};

/// A change that needs reverification (SPEC §2.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SensitiveChange {
    /// A new password on the account page.
    ChangePassword,
    /// Starting or confirming an authenticator app.
    AddSecondFactor,
    /// New backup codes (the old ones stop working).
    RegenerateBackupCodes,
    /// Removing the authenticator app and the backup codes.
    RemoveSecondFactor,
    /// Adding a passkey.
    AddPasskey,
    /// Removing a passkey.
    RemovePasskey,
    /// Unlinking a connected (SSO) account.
    UnlinkExternalAccount,
    /// Signing out another device of the user.
    RevokeOtherSession,
    /// Deleting the account.
    DeleteAccount,
    /// Deleting an organization.
    DeleteOrganization,
}

impl SensitiveChange {
    /// Every sensitive change.
    pub const ALL: [Self; 10] = [
        Self::ChangePassword,
        Self::AddSecondFactor,
        Self::RegenerateBackupCodes,
        Self::RemoveSecondFactor,
        Self::AddPasskey,
        Self::RemovePasskey,
        Self::UnlinkExternalAccount,
        Self::RevokeOtherSession,
        Self::DeleteAccount,
        Self::DeleteOrganization,
    ];

    /// How recently the session must have verified its factors (`account.reverification`).
    pub fn reverification(self, config: &Config) -> Reverification {
        config.account.reverification
    }

    /// Whether a session whose current task is `current_task` may make this change without
    /// reverification: only the enrolment the instance itself demands right after sign-in
    /// (adding a second factor while `setup-mfa` is the current task).
    fn exempt(self, current_task: Option<TaskKey>) -> bool {
        self == Self::AddSecondFactor && current_task == Some(TaskKey::SetupMfa)
    }
}

/// What decides whether a session may make a sensitive change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionFreshness {
    /// Minutes since each factor was verified (`-1` = not enabled).
    pub factor_verification_age: Option<FactorAges>,
    /// The session's current task (pending sessions only).
    pub current_task: Option<TaskKey>,
}

/// Refuses `change` with `session_reverification_required` (naming the requirement, Clerk's
/// 403) unless the session verified its factors recently enough, or the change is the
/// enrolment its current task asks for.
pub fn require(
    change: SensitiveChange,
    session: SessionFreshness,
    config: &Config,
) -> Result<(), AuthError> {
    if change.exempt(session.current_task) {
        return Ok(());
    }
    let reverification = change.reverification(config);
    if reverification.is_fresh(session.factor_verification_age) {
        Ok(())
    } else {
        Err(AuthError::reverification_required(reverification))
    }
}
