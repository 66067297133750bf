//! Security activity (the audit log): every security event recorded once — sign-ins that
//! succeeded or failed (with the factor), lockouts, password and factor changes, passkeys,
//! revoked sessions, connected accounts, organization membership, key rotations, the operator's
//! commands — with the time, the user, the session and browser it came from and the
//! organization it is about. Never a secret: the fields are ids, names and the factor's kind.
//!
//! Writing an event never slows or fails the action it records: [`record`] hands it to a
//! background task, and a failed write is logged while the action stands. The operator's
//! commands, which end with the process, write theirs before exiting ([`record_in`]).

use serde::{Deserialize, Serialize};

use super::{
    ids::new_row_id,
    notices::{describe_user_agent, Device},
    ports::{AuditFilter, AuditRow, Storage},
    Gatehouse, Timestamp,
};
use crate::model::{account::ActivityEntry, AuthError, ClientId, OrgId, SessionId, UserId};

/// What happened. Its stored name is [`AuditKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A sign-in step: `succeeded` when a session was made, `failed` on a wrong factor (the
    /// detail names the factor: password, totp, backup_code, email_code, passkey, sso).
    SignIn,
    /// An account was created.
    SignUp,
    /// Too many failed guesses locked the account.
    UserLocked,
    /// The lock ended early (a password reset, the operator).
    UserUnlocked,
    /// The password was changed.
    PasswordChanged,
    /// The password was reset (forgot password, the reset task, the operator).
    PasswordReset,
    /// An authenticator app was added.
    SecondFactorAdded,
    /// The authenticator app and the backup codes were removed.
    SecondFactorRemoved,
    /// New backup codes replaced the old ones.
    BackupCodesRegenerated,
    /// A passkey was added.
    PasskeyAdded,
    /// A passkey was removed.
    PasskeyRemoved,
    /// A session was signed out from elsewhere (the account page, the operator).
    SessionRevoked,
    /// An SSO account was connected.
    ExternalAccountLinked,
    /// An SSO account was disconnected.
    ExternalAccountUnlinked,
    /// The account was deleted.
    AccountDeleted,
    /// An organization was created.
    OrganizationCreated,
    /// An organization was deleted.
    OrganizationDeleted,
    /// Someone joined an organization (an invitation, a request approved, the operator).
    MemberAdded,
    /// A member's role changed (the detail is the new role).
    MemberRoleChanged,
    /// A member was removed, or left.
    MemberRemoved,
    /// An invitation was sent (the email is the invited address).
    InvitationSent,
    /// An invitation was revoked.
    InvitationRevoked,
    /// The session-token signing key was rotated.
    SigningKeyRotated,
    /// An operator's command (`gatehouse …`, the detail).
    OperatorCommand,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [Self; 24] = [
        Self::SignIn,
        Self::SignUp,
        Self::UserLocked,
        Self::UserUnlocked,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::SecondFactorAdded,
        Self::SecondFactorRemoved,
        Self::BackupCodesRegenerated,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::SessionRevoked,
        Self::ExternalAccountLinked,
        Self::ExternalAccountUnlinked,
        Self::AccountDeleted,
        Self::OrganizationCreated,
        Self::OrganizationDeleted,
        Self::MemberAdded,
        Self::MemberRoleChanged,
        Self::MemberRemoved,
        Self::InvitationSent,
        Self::InvitationRevoked,
        Self::SigningKeyRotated,
        Self::OperatorCommand,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::SignUp => "sign_up",
            Self::UserLocked => "user_locked",
            Self::UserUnlocked => "user_unlocked",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::SecondFactorAdded => "second_factor_added",
            Self::SecondFactorRemoved => "second_factor_removed",
            Self::BackupCodesRegenerated => "backup_codes_regenerated",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::SessionRevoked => "session_revoked",
            Self::ExternalAccountLinked => "external_account_linked",
            Self::ExternalAccountUnlinked => "external_account_unlinked",
            Self::AccountDeleted => "account_deleted",
            Self::OrganizationCreated => "organization_created",
            Self::OrganizationDeleted => "organization_deleted",
            Self::MemberAdded => "member_added",
            Self::MemberRoleChanged => "member_role_changed",
            Self::MemberRemoved => "member_removed",
            Self::InvitationSent => "invitation_sent",
            Self::InvitationRevoked => "invitation_revoked",
            Self::SigningKeyRotated => "signing_key_rotated",
            Self::OperatorCommand => "operator_command",
        }
    }

    /// The kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// What the user's "Security activity" says (worded apart from the forms' result lines,
    /// which the same page may show at once).
    pub fn describe(self, failed: bool) -> &'static str {
        match (self, failed) {
            (Self::SignIn, false) => "Signed in",
            (Self::SignIn, true) => "Failed sign-in",
            (Self::SignUp, _) => "Account created",
            (Self::UserLocked, _) => "Account locked after too many failed attempts",
            (Self::UserUnlocked, _) => "Account unlocked",
            (Self::PasswordChanged, _) => "Password changed",
            (Self::PasswordReset, _) => "Password reset",
            (Self::SecondFactorAdded, _) => "Authenticator app added",
            (Self::SecondFactorRemoved, _) => "The authenticator app was removed",
            (Self::BackupCodesRegenerated, _) => "Backup codes regenerated",
            (Self::PasskeyAdded, _) => "A passkey was added",
            (Self::PasskeyRemoved, _) => "A passkey was removed",
            (Self::SessionRevoked, _) => "Another device was signed out",
            (Self::ExternalAccountLinked, _) => "An account was connected",
            (Self::ExternalAccountUnlinked, _) => "An account was disconnected",
            (Self::AccountDeleted, _) => "Account deleted",
            (Self::OrganizationCreated, _) => "The organization was created",
            (Self::OrganizationDeleted, _) => "The organization was deleted",
            (Self::MemberAdded, _) => "A member joined",
            (Self::MemberRoleChanged, _) => "A member got a new role",
            (Self::MemberRemoved, _) => "A member left or was removed",
            (Self::InvitationSent, _) => "An invitation was sent",
            (Self::InvitationRevoked, _) => "An invitation was revoked",
            (Self::SigningKeyRotated, _) => "Signing key rotated",
            (Self::OperatorCommand, _) => "Operator command",
        }
    }

    /// Whether an organization's admins see it (membership events).
    pub fn is_membership(self) -> bool {
        matches!(
            self,
            Self::OrganizationCreated
                | Self::MemberAdded
                | Self::MemberRoleChanged
                | Self::MemberRemoved
                | Self::InvitationSent
                | Self::InvitationRevoked
        )
    }
}

/// A security event to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    kind: AuditKind,
    failed: bool,
    user_id: Option<UserId>,
    email: Option<String>,
    session_id: Option<String>,
    client_id: Option<String>,
    device: Option<Device>,
    organization_id: Option<OrgId>,
    detail: Option<String>,
}

impl AuditEvent {
    /// A `kind` event that succeeded, about nobody yet.
    pub fn new(kind: AuditKind) -> Self {
        Self {
            kind,
            failed: false,
            user_id: None,
            email: None,
            session_id: None,
            client_id: None,
            device: None,
            organization_id: None,
            detail: None,
        }
    }

    /// It failed.
    pub fn failed(mut self) -> Self {
        self.failed = true;
        self
    }

    /// About this user.
    pub fn user(mut self, user_id: &UserId) -> Self {
        self.user_id = Some(user_id.clone());
        self
    }

    /// With this email (the user's, or the address typed or invited).
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_string());
        self
    }

    /// From this session.
    pub fn session(mut self, session_id: &SessionId) -> Self {
        self.session_id = Some(session_id.to_string());
        self
    }

    /// From this browser.
    pub fn client(mut self, client_id: &ClientId) -> Self {
        self.client_id = Some(client_id.to_string());
        self
    }

    /// From this device (its browser and IP address).
    pub fn device(mut self, device: &Device) -> Self {
        self.device = Some(device.clone());
        self
    }

    /// About this organization.
    pub fn organization(mut self, organization_id: &OrgId) -> Self {
        self.organization_id = Some(organization_id.clone());
        self
    }

    /// Naming the factor, the role or the command (never a secret).
    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The row it is stored as, at `at`.
    pub fn row(self, at: Timestamp) -> AuditRow {
        let device = self.device.unwrap_or_default();
        AuditRow {
            id: new_row_id("audit"),
            at,
            kind: self.kind.as_str().to_string(),
            outcome: if self.failed { "failed" } else { "succeeded" }.to_string(),
            user_id: self.user_id,
            email: self.email,
            session_id: self.session_id,
            client_id: self.client_id,
            browser: device
                .user_agent
                .as_deref()
                .map(|agent| describe_user_agent(Some(agent))),
            ip_address: device.ip_address,
            organization_id: self.organization_id,
            detail: self.detail,
        }
    }
}

/// Records `event` at `at` in the background: the action it records does not wait for it, and a
/// failed write is logged (the action stands).
pub fn record(gatehouse: &Gatehouse, event: AuditEvent, at: Timestamp) {
    let store = gatehouse.store.clone();
    let row = event.row(at);
    tokio::spawn(async move {
        if let Err(error) = store.insert_audit_event(&row).await {
            tracing::warn!(%error, kind = %row.kind, "audit event not recorded");
        }
    });
}

/// Records `event` at `at` in `store` before returning (the operator's commands: the process
/// ends next); a failed write is logged.
pub async fn record_in(store: &dyn Storage, event: AuditEvent, at: Timestamp) {
    let row = event.row(at);
    if let Err(error) = store.insert_audit_event(&row).await {
        tracing::warn!(%error, kind = %row.kind, "audit event not recorded");
    }
}

/// One event as a person reads it.
pub fn entry(row: AuditRow, now: Timestamp) -> ActivityEntry {
    let failed = row.outcome == "failed";
    let what = AuditKind::parse(&row.kind)
        .map_or("Security event", |kind| kind.describe(failed))
        .to_string();
    ActivityEntry {
        at: row.at,
        when: super::notices::describe_last_active(row.at, now),
        kind: row.kind,
        what,
        failed,
        detail: row.detail,
        email: row.email,
        browser: row.browser,
        ip_address: row.ip_address,
    }
}

/// The user's recent security activity (their account page): the latest `limit` events about
/// them.
pub async fn user_activity(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    email: &str,
    limit: u32,
    now: Timestamp,
) -> Result<Vec<ActivityEntry>, AuthError> {
    let filter = AuditFilter {
        user_id: Some(user_id.clone()),
        email: Some(email.to_string()),
        limit,
        ..AuditFilter::default()
    };
    let rows = gatehouse.store.audit_events(&filter).await?;
    Ok(rows.into_iter().map(|row| entry(row, now)).collect())
}

/// An organization's membership events (for its admins): the latest `limit`.
pub async fn organization_activity(
    gatehouse: &Gatehouse,
    organization_id: &OrgId,
    limit: u32,
    now: Timestamp,
) -> Result<Vec<ActivityEntry>, AuthError> {
    let filter = AuditFilter {
        organization_id: Some(organization_id.clone()),
        limit,
        ..AuditFilter::default()
    };
    let rows = gatehouse.store.audit_events(&filter).await?;
    Ok(rows
        .into_iter()
        .filter(|row| AuditKind::parse(&row.kind).is_some_and(AuditKind::is_membership))
        .map(|row| entry(row, now))
        .collect())
}

/// Deletes the events older than `audit.retention_days` at `now`; how many went.
pub async fn prune(gatehouse: &Gatehouse, now: Timestamp) -> Result<u64, AuthError> {
    let days = i64::from(gatehouse.config.audit.retention_days);
    gatehouse
        .store
        .prune_audit_events(now - days * 86_400)
        .await
}
