//! The account page and the authenticator enrolment on the wire (`<UserProfile/>`, the
//! `setup-mfa` task): what the server assembles (`domain::account::overview`) and the browser
//! shows.

use serde::{Deserialize, Serialize};

use super::flow::AuthChange;

/// The TOTP enrolment screen's data (only before the factor is verified).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetup {
    /// Base32 secret, for manual entry.
    pub secret: String,
    /// `otpauth://` URI.
    pub uri: String,
    /// QR code of the URI, as SVG markup rendered on the server.
    pub qr_svg: String,
}

/// Enrolment done: the backup codes (shown once) and where to go on Continue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetupDone {
    /// Ten single-use backup codes.
    pub backup_codes: Vec<String>,
    /// The new state and the next step.
    pub change: AuthChange,
}

/// Where the user's authenticator set-up stands (read only: a page load changes nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetupProgress {
    /// The enrolment in progress (secret created by `start_mfa_setup`, not yet verified).
    pub pending: Option<MfaSetup>,
    /// The backup codes of a just-finished enrolment, until the user confirms they saved them.
    pub backup_codes: Option<Vec<String>>,
}

/// The account page's data (`<UserProfile/>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountProfile {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Primary email address.
    pub email_address: String,
    /// Whether the user has a password (SSO users may not).
    pub has_password: bool,
    /// Whether an authenticator app is set up.
    pub second_factor_enabled: bool,
    /// Backup codes not used yet.
    pub unused_backup_codes: u32,
    /// The instance requires two-step verification (`mfa.required`): the app cannot be removed.
    pub mfa_required: bool,
    /// An authenticator app being added (secret shown, first code not yet entered).
    pub totp_setup: Option<MfaSetup>,
    /// New backup codes waiting to be shown to this session (once, until it confirms it saved
    /// them with `backup_codes_saved`).
    pub backup_codes: Option<Vec<String>>,
    /// The external (SSO) accounts linked to the user.
    pub external_accounts: Vec<ExternalAccount>,
    /// Every browser signed in as the user, most recently active first.
    pub devices: Vec<ActiveDevice>,
    /// The user's passkeys, oldest first.
    #[serde(default)]
    pub passkeys: Vec<PasskeySummary>,
    /// Passkeys are offered here ("Add a passkey" shows where the browser supports them).
    #[serde(default)]
    pub passkeys_available: bool,
    /// The latest security events about the user, newest first ("Security activity").
    #[serde(default)]
    pub activity: Vec<ActivityEntry>,
}

/// One security event as the account page lists it ("Security activity").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// When (Unix seconds).
    pub at: i64,
    /// "5 minutes ago".
    pub when: String,
    /// Its kind (`sign_in`, `password_changed`, …).
    pub kind: String,
    /// "Failed sign-in", "Password changed".
    pub what: String,
    /// It failed.
    pub failed: bool,
    /// The factor, the role or the command.
    pub detail: Option<String>,
    /// The email it names.
    pub email: Option<String>,
    /// "Chrome on Linux".
    pub browser: Option<String>,
    /// The IP address.
    pub ip_address: Option<String>,
}

/// A passkey on the account page (`use_user().passkeys()`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    /// Its id (what `rename_passkey` and `remove_passkey` take).
    pub id: String,
    /// Its name: the authenticator's model where known, else "Passkey", until renamed.
    pub name: String,
    /// When it was added (Unix seconds).
    pub created_at: i64,
    /// When it last signed in (Unix seconds).
    pub last_used_at: Option<i64>,
    /// "3 days ago".
    pub created: String,
    /// "5 minutes ago", or `None` when it never signed in.
    pub last_used: Option<String>,
    /// Its signature counter went backwards (it may have been cloned): it no longer signs in.
    pub flagged: bool,
}

/// A browser signed in as the user ("Active devices").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDevice {
    /// Its session (what `revoke_session` takes).
    pub session_id: String,
    /// "Chrome on Linux".
    pub browser: String,
    /// The IP address it last came from.
    pub ip_address: Option<String>,
    /// "5 minutes ago".
    pub last_active: String,
    /// It is this browser.
    pub this_device: bool,
}

/// An external account linked to the user, as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAccount {
    /// The link's id (what `unlink_external_account` takes).
    pub id: String,
    /// The connection's name ("Test IdP").
    pub provider_name: String,
    /// The email the provider gave, if any.
    pub email_address: Option<String>,
}
