//! The factors port: the authenticator app (TOTP) and the backup codes.

use async_trait::async_trait;

use crate::domain::{secret::Secret, Timestamp};
use crate::model::{AuthError, SessionId, UserId};

/// A user's TOTP factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpFactor {
    /// Base32 secret (server-side only).
    pub secret: Secret<String>,
    /// Enrolment completed.
    pub verified: bool,
    /// The last accepted time step (replay protection).
    pub last_used_step: Option<i64>,
}

/// A finished TOTP enrolment, written in one transaction.
#[derive(Clone, Debug)]
pub struct TotpConfirmation<'a> {
    /// The user enrolling.
    pub user_id: &'a UserId,
    /// The session that enrolled (its backup codes wait for it to show them; enrolling never
    /// counts as verifying the factor).
    pub session_id: &'a SessionId,
    /// The accepted time step.
    pub step: i64,
    /// Hashes of the new backup codes (replacing the old ones).
    pub backup_code_hashes: &'a [Vec<u8>],
    /// The new backup codes, shown to this session until it confirms it saved them.
    pub backup_codes: &'a Secret<Vec<String>>,
    /// How long they wait to be shown.
    pub reveal_until: Timestamp,
}

/// New backup codes replacing a user's old ones, kept for one session to show.
#[derive(Debug)]
pub struct NewBackupCodes<'a> {
    /// The user.
    pub user_id: &'a UserId,
    /// The session that asked for them (they are shown there until it confirms it saved them).
    pub session_id: &'a SessionId,
    /// Their hashes, as stored.
    pub hashes: &'a [Vec<u8>],
    /// The codes themselves, for the reveal.
    pub codes: &'a Secret<Vec<String>>,
    /// How long they wait to be shown.
    pub reveal_until: Timestamp,
}

/// Second factors: TOTP and backup codes.
#[async_trait]
pub trait Factors: Send + Sync {
    /// The user's TOTP factor, if any.
    async fn totp_factor(&self, user_id: &UserId) -> Result<Option<TotpFactor>, AuthError>;
    /// Stores a new, unverified secret (replacing an unverified one; never a verified one).
    async fn save_pending_totp(
        &self,
        user_id: &UserId,
        secret: &Secret<String>,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Completes enrolment in one transaction; `false` when the factor was verified meanwhile.
    async fn confirm_totp(
        &self,
        confirmation: TotpConfirmation<'_>,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// The backup codes waiting to be shown to the session, if not expired.
    async fn backup_code_reveal(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<Secret<Vec<String>>>, AuthError>;
    /// Forgets the backup codes waiting for the session.
    async fn delete_backup_code_reveal(&self, session_id: &SessionId) -> Result<(), AuthError>;
    /// Uses a backup code: `true` when an unused code of the user had this hash (single use).
    async fn consume_backup_code(
        &self,
        user_id: &UserId,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Remembers the last accepted TOTP step, only moving forward (replay protection).
    async fn advance_totp_step(&self, user_id: &UserId, step: i64) -> Result<bool, AuthError>;
    /// Replaces the user's backup codes in one transaction, only while their authenticator app
    /// is on; `false` (nothing changed) otherwise.
    async fn replace_backup_codes(&self, codes: NewBackupCodes<'_>) -> Result<bool, AuthError>;
    /// The number of the user's backup codes not used yet.
    async fn unused_backup_codes(&self, user_id: &UserId) -> Result<u32, AuthError>;
    /// Removes the user's authenticator app (verified or not) and backup codes, and marks the
    /// second factor off on the user and their sessions; `false` when there was nothing.
    async fn remove_second_factor(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
}
