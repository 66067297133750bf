//! The audit log port: security events written once each and read back newest first, pruned by
//! age.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::model::{AuthError, OrgId, UserId};

/// Most events one read returns.
pub const MAX_AUDIT_PAGE: u32 = 500;

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Its id (`audit_…`).
    pub id: String,
    /// When it happened.
    pub at: Timestamp,
    /// What happened (`sign_in`, `password_changed`, …).
    pub kind: String,
    /// `succeeded` or `failed`.
    pub outcome: String,
    /// The user it is about.
    pub user_id: Option<UserId>,
    /// Their email, or the one typed (a failed sign-in of an unknown address).
    pub email: Option<String>,
    /// The session it came from.
    pub session_id: Option<String>,
    /// The browser (client) it came from.
    pub client_id: Option<String>,
    /// The IP address it came from.
    pub ip_address: Option<String>,
    /// "Chrome on Linux".
    pub browser: Option<String>,
    /// The organization it is about.
    pub organization_id: Option<OrgId>,
    /// The factor, the role, the operator's command: never a secret.
    pub detail: Option<String>,
}

/// Which events to read: every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// About this user, or (with `email`) this email.
    pub user_id: Option<UserId>,
    /// With this email (or, with `user_id`, about that user).
    pub email: Option<String>,
    /// About this organization.
    pub organization_id: Option<OrgId>,
    /// At or after this time.
    pub since: Option<Timestamp>,
    /// At most this many, newest first (capped at [`MAX_AUDIT_PAGE`]).
    pub limit: u32,
}

/// The audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Writes one event.
    async fn insert_audit_event(&self, row: &AuditRow) -> Result<(), AuthError>;
    /// The events `filter` selects, newest first.
    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, AuthError>;
    /// Deletes the events older than `before`; how many went.
    async fn prune_audit_events(&self, before: Timestamp) -> Result<u64, AuthError>;
}
