//! The result line an account or organization form shows after a change ("Password updated"). In the browser the
//! form sets it itself; after a plain (no JavaScript) form post the server names it in a one-time
//! cookie for the page it redirects to. Only this fixed set travels, by name, so neither a cookie
//! nor a link can put other words on the page.

/// A change the account page confirms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The name was saved.
    ProfileUpdated,
    /// The password was changed (or set).
    PasswordUpdated,
    /// An authenticator app is being added: its QR code is shown.
    AuthenticatorStarted,
    /// The authenticator app's first code was accepted.
    TwoStepOn,
    /// New backup codes replaced the old ones.
    BackupCodesRegenerated,
    /// The user confirmed they saved the backup codes.
    BackupCodesSaved,
    /// The authenticator app was removed.
    AuthenticatorRemoved,
    /// An SSO connection was removed.
    ConnectionRemoved,
    /// Another device was signed out.
    DeviceSignedOut,
    /// An organization invitation was emailed (or emailed again).
    InvitationSent,
    /// An organization invitation was revoked.
    InvitationRevoked,
    /// A member's role was changed.
    RoleChanged,
    /// A member was removed.
    MemberRemoved,
    /// The organization's name or slug was saved.
    OrganizationUpdated,
    /// A domain was added.
    DomainAdded,
    /// A domain's verification code was emailed.
    DomainCodeSent,
    /// A domain was verified.
    DomainVerified,
    /// A domain's enrollment mode was changed.
    DomainUpdated,
    /// A domain was removed.
    DomainRemoved,
    /// A membership request was approved.
    RequestApproved,
    /// A membership request was rejected.
    RequestRejected,
    /// The user asked to join an organization.
    JoinRequested,
    /// A passkey was added.
    PasskeyAdded,
    /// A passkey was renamed.
    PasskeyRenamed,
    /// A passkey was removed.
    PasskeyRemoved,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 25] = [
        Notice::ProfileUpdated,
        Notice::PasswordUpdated,
        Notice::AuthenticatorStarted,
        Notice::TwoStepOn,
        Notice::BackupCodesRegenerated,
        Notice::BackupCodesSaved,
        Notice::AuthenticatorRemoved,
        Notice::ConnectionRemoved,
        Notice::DeviceSignedOut,
        Notice::InvitationSent,
        Notice::InvitationRevoked,
        Notice::RoleChanged,
        Notice::MemberRemoved,
        Notice::OrganizationUpdated,
        Notice::DomainAdded,
        Notice::DomainCodeSent,
        Notice::DomainVerified,
        Notice::DomainUpdated,
        Notice::DomainRemoved,
        Notice::RequestApproved,
        Notice::RequestRejected,
        Notice::JoinRequested,
        Notice::PasskeyAdded,
        Notice::PasskeyRenamed,
        Notice::PasskeyRemoved,
    ];

    /// The name it travels by (the cookie's value).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProfileUpdated => "profile_updated",
            Self::PasswordUpdated => "password_updated",
            Self::AuthenticatorStarted => "authenticator_started",
            Self::TwoStepOn => "two_step_on",
            Self::BackupCodesRegenerated => "backup_codes_regenerated",
            Self::BackupCodesSaved => "backup_codes_saved",
            Self::AuthenticatorRemoved => "authenticator_removed",
            Self::ConnectionRemoved => "connection_removed",
            Self::DeviceSignedOut => "device_signed_out",
            Self::InvitationSent => "invitation_sent",
            Self::InvitationRevoked => "invitation_revoked",
            Self::RoleChanged => "role_changed",
            Self::MemberRemoved => "member_removed",
            Self::OrganizationUpdated => "organization_updated",
            Self::DomainAdded => "domain_added",
            Self::DomainCodeSent => "domain_code_sent",
            Self::DomainVerified => "domain_verified",
            Self::DomainUpdated => "domain_updated",
            Self::DomainRemoved => "domain_removed",
            Self::RequestApproved => "request_approved",
            Self::RequestRejected => "request_rejected",
            Self::JoinRequested => "join_requested",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRenamed => "passkey_renamed",
            Self::PasskeyRemoved => "passkey_removed",
        }
    }

    /// The notice named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|notice| notice.as_str() == name)
    }

    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            Self::ProfileUpdated => "Profile updated",
            Self::PasswordUpdated => "Password updated",
            Self::AuthenticatorStarted => "Scan the QR code",
            Self::TwoStepOn => "Two-step verification is on",
            Self::BackupCodesRegenerated => "New backup codes created",
            Self::BackupCodesSaved => "Backup codes saved",
            Self::AuthenticatorRemoved => "Authenticator app removed",
            Self::ConnectionRemoved => "Connection removed",
            Self::DeviceSignedOut => "Device signed out",
            Self::InvitationSent => "Invitation sent",
            Self::InvitationRevoked => "Invitation revoked",
            Self::RoleChanged => "Role changed",
            Self::MemberRemoved => "Member removed",
            Self::OrganizationUpdated => "Organization updated",
            Self::DomainAdded => "Domain added",
            Self::DomainCodeSent => "Verification code sent",
            Self::DomainVerified => "Domain verified",
            Self::DomainUpdated => "Enrollment mode saved",
            Self::DomainRemoved => "Domain removed",
            Self::RequestApproved => "Request approved",
            Self::RequestRejected => "Request rejected",
            Self::JoinRequested => "Request sent",
            Self::PasskeyAdded => "Passkey added",
            Self::PasskeyRenamed => "Passkey renamed",
            Self::PasskeyRemoved => "Passkey removed",
        }
    }
}
