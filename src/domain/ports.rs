//! The storage the rules need, as one port trait per aggregate. `domain` owns these traits and
//! the records they carry; `store` implements them (SQLite now), so the rules never see SQL and a
//! flow can run against another implementation (a fake in tests, Postgres later).
//!
//! Every counter an attacker can race (lockout guesses, code tries, rate windows, single-use
//! codes, attempt versions) is one atomic operation here: an implementation must never read a
//! value and write it back later.

use async_trait::async_trait;

use super::{codes::CodeState, lockout::Reserved, secret::Secret, Timestamp};
use crate::model::{
    AuthError, ClientId, Member, Membership, OrgId, SessionId, SignInId, SignUpId, UserId,
};

/// What creating the user of a sign-up did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserCreation {
    /// The user exists now and the attempt moved on.
    Created,
    /// The email has an account (nothing changed).
    EmailTaken,
    /// Another request moved the attempt first (nothing changed).
    AttemptMoved,
}

/// A user as sign-in needs it.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// The user.
    pub id: UserId,
    /// Primary email.
    pub email: String,
    /// argon2 PHC string, when the user has a password.
    pub password_hash: Option<Secret<String>>,
    /// The user has a verified second factor (TOTP).
    pub second_factor_enabled: bool,
}

/// A row of `gatehouse user list`.
#[derive(Clone, Debug)]
pub struct UserListRow {
    /// The user.
    pub id: UserId,
    /// Primary email.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// What a new user is made of.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// Normalised email (verified).
    pub email: &'a str,
    /// argon2 PHC string; `None` for a user who signs in only through SSO.
    pub password_hash: Option<&'a Secret<String>>,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
}

/// A stored sign-up attempt and its email code.
#[derive(Clone, Debug)]
pub struct SignUpRecord {
    /// The attempt.
    pub id: SignUpId,
    /// The browser it belongs to.
    pub client_id: ClientId,
    /// Normalised email.
    pub email: String,
    /// argon2 PHC string of the chosen password (none when the sign-up continues an SSO
    /// transfer).
    pub password_hash: Option<Secret<String>>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The serialized `domain::sign_up::SignUp` state, opaque to the store.
    pub state: String,
    /// Incremented by every transition (compare-and-swap).
    pub version: i64,
    /// Set when the email already had an account.
    pub existing_user_id: Option<UserId>,
    /// The SSO identity linked to the user this sign-up creates (a transfer whose provider
    /// email was unverified or missing).
    pub external_identity: Option<ExternalIdentity>,
    /// When it is abandoned.
    pub abandon_at: Timestamp,
    /// The email code.
    pub code: CodeState,
}

/// A stored sign-in attempt: the domain's serialized state, opaque to the store.
#[derive(Clone, Debug)]
pub struct StoredSignIn {
    /// The attempt.
    pub id: SignInId,
    /// The serialized `domain::sign_in::SignIn`.
    pub state: String,
    /// Incremented by every transition (compare-and-swap).
    pub version: i64,
    /// When the attempt stops being usable.
    pub expires_at: Timestamp,
}

/// The live session of a resolved client.
#[derive(Clone, Debug)]
pub struct ResolvedSession {
    /// The session.
    pub session_id: SessionId,
    /// Its user.
    pub user_id: UserId,
    /// Primary email.
    pub email_address: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Flag set by an operator or a breach check.
    pub password_reset_required: bool,
    /// The user has a second factor.
    pub second_factor_enabled: bool,
    /// The user has a password (else an emailed code is their first factor).
    pub password_enabled: bool,
    /// Active organization (only while the user is still a member).
    pub active_org_id: Option<OrgId>,
    /// Its slug.
    pub active_org_slug: Option<String>,
    /// The user's role in it.
    pub active_org_role: Option<String>,
    /// When the first factor was verified.
    pub first_factor_at: Option<Timestamp>,
    /// When the second factor was verified.
    pub second_factor_at: Option<Timestamp>,
}

/// A client and its current session, if live.
#[derive(Clone, Debug)]
pub struct ResolvedClientRow {
    /// The client.
    pub client_id: ClientId,
    /// When its activity was last recorded.
    pub last_active_at: Option<Timestamp>,
    /// The current session, unless ended or expired.
    pub session: Option<ResolvedSession>,
    /// The client's other live sessions (multi-session), most recently current first.
    pub other_sessions: Vec<ResolvedSession>,
}

/// A new session of a complete attempt.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    /// The browser's client.
    pub client_id: &'a ClientId,
    /// The user signing in.
    pub user_id: &'a UserId,
    /// SHA-256 of the client's next token (rotated with the new session).
    pub new_token_hash: &'a [u8],
    /// When the first factor was verified.
    pub first_factor_at: Timestamp,
    /// When the second factor was verified, if it was.
    pub second_factor_at: Option<Timestamp>,
    /// When the session ends.
    pub expires_at: Timestamp,
    /// Multi-session: keep the client's sessions of other users (else every other session of
    /// the client ends).
    pub keep_other_sessions: bool,
}

/// Which emailed code: its attempt and purpose (an attempt may have one code per purpose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeKey<'a> {
    /// The attempt's id (`sua_…` or `sia_…`); also salts the code's hash.
    pub attempt_id: &'a str,
    /// What the code proves.
    pub purpose: CodePurpose,
}

impl<'a> CodeKey<'a> {
    /// The email code of a sign-up.
    pub fn sign_up(id: &'a SignUpId) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose: CodePurpose::SignUpEmail,
        }
    }

    /// A code of a sign-in step.
    pub fn sign_in(id: &'a SignInId, purpose: CodePurpose) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose,
        }
    }

    /// The reverification code of a session (a user without a password).
    pub fn reverification(id: &'a SessionId) -> Self {
        Self {
            attempt_id: id.as_str(),
            purpose: CodePurpose::Reverification,
        }
    }
}

/// What an emailed code proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    /// The sign-up's email address.
    SignUpEmail,
    /// Client trust: the mailbox of a user signing in on a new browser.
    ClientTrust,
    /// "Forgot password?".
    ResetPassword,
    /// Reverification of a session whose user has no password.
    Reverification,
}

impl CodePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpEmail => "sign_up_email",
            Self::ClientTrust => "client_trust",
            Self::ResetPassword => "reset_password",
            Self::Reverification => "reverification",
        }
    }
}

/// A code-try reservation: the stored code and the tries counted so far (this one included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedCodeTry {
    /// SHA-256 of the attempt id and the right code.
    pub code_hash: Secret<Vec<u8>>,
    /// Tries counted, this one included.
    pub tries: u32,
}

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

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationRow {
    /// The organization.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
}

/// Users, their emails and passwords.
#[async_trait]
pub trait Users: Send + Sync {
    /// Finds a user by normalised email.
    async fn find_user_by_email(&self, email: &str) -> Result<Option<UserRecord>, AuthError>;
    /// Creates a user with a verified primary email; `None` when the email is taken.
    async fn create_user(
        &self,
        user: NewUser<'_>,
        now: Timestamp,
    ) -> Result<Option<UserId>, AuthError>;
    /// Every user, oldest first.
    async fn list_users(&self) -> Result<Vec<UserListRow>, AuthError>;
    /// The user's current password hash.
    async fn password_hash(&self, user_id: &UserId) -> Result<Option<Secret<String>>, AuthError>;
    /// Replaces the password (clearing the reset flag); with `end_other_sessions`, ends the
    /// user's sessions other than `keep` (all of them when it is `None`).
    async fn replace_password(
        &self,
        user_id: &UserId,
        hash: &Secret<String>,
        keep: Option<&SessionId>,
        end_other_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Flags the password: the user's sessions become pending with `reset-password` (or end,
    /// with `end_sessions`).
    async fn require_password_reset(
        &self,
        user_id: &UserId,
        end_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Sets the user's first and last name (`None` clears one).
    async fn update_name(
        &self,
        user_id: &UserId,
        first_name: Option<&str>,
        last_name: Option<&str>,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Deletes the user and everything that is theirs (sessions, factors, memberships, external
    /// accounts); `false` when there was no such user.
    async fn delete_user(&self, user_id: &UserId) -> Result<bool, AuthError>;
}

/// A factor a session verified (reverification moves its time forward).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifiedFactor {
    /// The password.
    First,
    /// The authenticator app or a backup code.
    Second,
}

/// Browser clients and their sessions.
#[async_trait]
pub trait Clients: Send + Sync {
    /// Registers a new browser client with the hash of its token.
    async fn create_client(&self, token_hash: &[u8], now: Timestamp)
        -> Result<ClientId, AuthError>;
    /// Makes a session of the user current on the client and rotates the client's token,
    /// atomically. Without `keep_other_sessions` every other session of the client ends and a
    /// new one is created. With it the client's other sessions stay, and a live session of the
    /// same user on this client is reused (its factor times move to the new ones) rather than
    /// duplicated.
    async fn create_session(
        &self,
        session: NewSession<'_>,
        now: Timestamp,
    ) -> Result<SessionId, AuthError>;
    /// Makes `session_id` the client's current session, only if it is a live session of this
    /// client; `false` otherwise (nothing changes).
    async fn set_current_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Ends `session_id` only if it is a live session of this client (`false` otherwise). When
    /// it was the current one, the client's most recently current live session takes its place
    /// (none left: signed out).
    async fn end_client_session(
        &self,
        client_id: &ClientId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Ends every session of the client (sign out of all accounts).
    async fn end_client_sessions(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Ends every live session of the user except `keep`; returns how many ended.
    async fn end_user_sessions(
        &self,
        user_id: &UserId,
        keep: Option<&SessionId>,
        now: Timestamp,
    ) -> Result<u64, AuthError>;
    /// Ends one session; `false` when no live session has that id.
    async fn end_session(&self, session_id: &SessionId, now: Timestamp) -> Result<bool, AuthError>;
    /// Records that the session verified `factor` at `now` (reverification).
    async fn mark_factor_verified(
        &self,
        session_id: &SessionId,
        factor: VerifiedFactor,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// Makes the user's live sessions (or one session) verify their factors again before the
    /// next sensitive change; returns how many sessions.
    async fn expire_factor_verification(
        &self,
        user_id: Option<&UserId>,
        session_id: Option<&SessionId>,
    ) -> Result<u64, AuthError>;
    /// Forgets what was abandoned: expired sign-in attempts, abandoned sign-ups, codes that
    /// expired before `idle_since`, and clients that never held a session and were last active
    /// before `idle_since` (with whatever they started). Returns how many rows went.
    async fn prune_abandoned(
        &self,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError>;
    /// Whether this browser ever held a session of the user (client trust).
    async fn client_has_held_session(
        &self,
        client_id: &ClientId,
        user_id: &UserId,
    ) -> Result<bool, AuthError>;
    /// Token hash → client, its live sessions (the current one apart), their users and active
    /// memberships (one indexed query: it runs on every request that carries a cookie).
    async fn resolve_client(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError>;
    /// The same resolution by client id (after a change made during this request).
    async fn resolve_client_by_id(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError>;
    /// The client holding `session_id`, resolved as `resolve_client_by_id` does (a bearer
    /// token names its session, not its browser).
    async fn resolve_client_of_session(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<ResolvedClientRow>, AuthError>;
    /// Records the browser's user agent, IP address and activity at `now`.
    async fn record_client_activity(
        &self,
        client_id: &ClientId,
        activity: &ClientActivity,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// The user's live sessions (not ended, not expired), most recently active first, with what
    /// their browser last reported.
    async fn list_user_sessions(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<Vec<UserSessionRow>, AuthError>;
    /// Ends `session_id` only if it is a live session of `user_id`; `false` otherwise.
    async fn end_session_of_user(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
}

/// What a request tells about its browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientActivity {
    /// The `User-Agent` header (cut to a sane length).
    pub user_agent: Option<String>,
    /// The client's IP (behind `trusted_proxies`, the forwarded one).
    pub ip_address: Option<String>,
}

/// A live session of a user, as "Active devices" lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSessionRow {
    /// The session.
    pub session_id: SessionId,
    /// Its browser.
    pub client_id: ClientId,
    /// When it was created.
    pub created_at: Timestamp,
    /// The browser's last user agent.
    pub user_agent: Option<String>,
    /// The browser's last IP address.
    pub ip_address: Option<String>,
    /// When the browser was last active (`None`: never recorded).
    pub last_active_at: Option<Timestamp>,
}

/// Sign-up and sign-in attempts. States are stored serialized and never interpreted here;
/// every transition is a compare-and-swap on the attempt's version.
#[async_trait]
pub trait Attempts: Send + Sync {
    /// Stores a new sign-up attempt with its code.
    async fn insert_sign_up(&self, record: &SignUpRecord, now: Timestamp) -> Result<(), AuthError>;
    /// The newest sign-up attempt of a client.
    async fn latest_sign_up(&self, client_id: &ClientId)
        -> Result<Option<SignUpRecord>, AuthError>;
    /// Writes the sign-up's next state if it is still at `version`; `false` when another
    /// request moved it first.
    async fn save_sign_up(
        &self,
        id: &SignUpId,
        version: i64,
        state: &str,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Creates the user `user_id` of a complete sign-up and moves the attempt (still at
    /// `record.version`) to `state`, in one transaction.
    async fn create_user_from_sign_up(
        &self,
        record: &SignUpRecord,
        user_id: &UserId,
        state: &str,
        now: Timestamp,
    ) -> Result<UserCreation, AuthError>;
    /// Stores a new sign-in attempt in its first state.
    async fn insert_sign_in(
        &self,
        attempt: &StoredSignIn,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// The client's newest sign-in attempt that is neither finalized nor expired.
    async fn current_sign_in(
        &self,
        client_id: &ClientId,
        now: Timestamp,
    ) -> Result<Option<StoredSignIn>, AuthError>;
    /// Writes the attempt's next state if it is still at `version`; `false` when another request
    /// moved it first.
    async fn save_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        state: &str,
    ) -> Result<bool, AuthError>;
    /// Claims the attempt for finalize if it is still at `version` (single use).
    async fn claim_sign_in(
        &self,
        id: &SignInId,
        version: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Reserves one second-factor try of the attempt; `None` when `max_tries` are used up.
    async fn reserve_sign_in_try(
        &self,
        id: &SignInId,
        max_tries: u32,
    ) -> Result<Option<u32>, AuthError>;
}

/// Emailed verification codes.
#[async_trait]
pub trait Codes: Send + Sync {
    /// The code, if one was issued.
    async fn code_state(&self, key: CodeKey<'_>) -> Result<Option<CodeState>, AuthError>;
    /// Issues a code, replacing any earlier one.
    async fn insert_code(&self, key: CodeKey<'_>, code: &CodeState) -> Result<(), AuthError>;
    /// Replaces the code with `next` only if it is still exactly `previous` (parallel resends
    /// cannot both pass the cap); `false` when it changed meanwhile.
    async fn replace_code(
        &self,
        key: CodeKey<'_>,
        previous: &CodeState,
        next: &CodeState,
    ) -> Result<bool, AuthError>;
    /// Reserves one try of the live code: counts it and returns the code, or `None` when it is
    /// consumed, expired or out of tries (nothing is counted then).
    async fn reserve_code_try(
        &self,
        key: CodeKey<'_>,
        max_tries: u32,
        now: Timestamp,
    ) -> Result<Option<ReservedCodeTry>, AuthError>;
    /// Marks a reserved code as used (its try was right, so it does not count as a failure).
    /// `false` when another request consumed it first.
    async fn consume_code(&self, key: CodeKey<'_>) -> Result<bool, AuthError>;
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

/// Organizations and memberships.
#[async_trait]
pub trait Organizations: Send + Sync {
    /// Creates an organization with `creator` as `org:admin`; `None` when the slug is taken.
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &UserId,
        now: Timestamp,
    ) -> Result<Option<OrgId>, AuthError>;
    /// The organization with this slug.
    async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError>;
    /// The user's role in the organization, if a member.
    async fn membership_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
    ) -> Result<Option<String>, AuthError>;
    /// Adds (or re-roles) a member.
    async fn upsert_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        now: Timestamp,
    ) -> Result<(), AuthError>;
    /// One page of the user's memberships (oldest first) and their total count.
    async fn list_memberships(
        &self,
        user_id: &UserId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError>;
    /// The members of an organization, oldest first.
    async fn list_members(&self, organization_id: &OrgId) -> Result<Vec<Member>, AuthError>;
    /// Sets (or clears) the session's active organization.
    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError>;
}

/// Counters attackers race: lockout guesses and per-IP rate windows.
#[async_trait]
pub trait Limits: Send + Sync {
    /// Counts one guess for `identifier` and returns the counter afterwards. An expired lock
    /// starts a fresh count; reaching `max_attempts` sets `locked_until = lock_until`.
    async fn reserve_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Reserved, AuthError>;
    /// Forgets the failed guesses of `identifier` (a success, or an operator's unlock).
    async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError>;
    /// Gives a reserved guess back (it was right but more factors are needed): it neither
    /// counts as a failure nor resets the count.
    async fn release_guess(&self, identifier: &str, max_attempts: u32) -> Result<(), AuthError>;
    /// The counter of `identifier`, if any.
    async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError>;
    /// Forgets counters that no longer decide anything at `now`: rate windows that started at or
    /// before `window_start_before`, expired locks, and unlocked guess counts untouched since
    /// `idle_since`. Returns how many were removed.
    async fn prune_counters(
        &self,
        window_start_before: Timestamp,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError>;
    /// Counts one hit in the fixed window of `key`; returns the hits in the current window and
    /// the window's start.
    async fn hit_rate_counter(
        &self,
        key: &str,
        window_seconds: i64,
        now: Timestamp,
    ) -> Result<(i64, Timestamp), AuthError>;
}

/// A session-token signing key as stored.
#[derive(Clone, Debug)]
pub struct SigningKeyRow {
    /// Key id (`kid`).
    pub kid: String,
    /// The RSA private key, PKCS#1 DER.
    pub private_key: Secret<Vec<u8>>,
    /// The public modulus, base64url.
    pub modulus: String,
    /// The public exponent, base64url.
    pub exponent: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When a newer key replaced it (it signs no more).
    pub retired_at: Option<Timestamp>,
}

/// Session-token signing keys.
#[async_trait]
pub trait SigningKeys: Send + Sync {
    /// The keys to publish at `now`: the signing key and the retired ones still in their grace
    /// period, newest first (the first one not retired signs).
    async fn published_signing_keys(&self, now: Timestamp)
        -> Result<Vec<SigningKeyRow>, AuthError>;
    /// Adds `key` only if no key signs yet (first start; of two racing instances, one wins).
    async fn add_first_signing_key(&self, key: &SigningKeyRow) -> Result<bool, AuthError>;
    /// Adds `key` as the signing key, retiring the others at `now`, each still published
    /// until `publish_until` — atomically.
    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRow,
        publish_until: Timestamp,
        now: Timestamp,
    ) -> Result<(), AuthError>;
}

/// Everything the rules store: what `Gatehouse` holds.
pub trait Storage:
    Users
    + Clients
    + Attempts
    + Codes
    + Factors
    + Organizations
    + Limits
    + ExternalAccounts
    + SigningKeys
    + Send
    + Sync
{
}

impl<T> Storage for T where
    T: Users
        + Clients
        + Attempts
        + Codes
        + Factors
        + Organizations
        + Limits
        + ExternalAccounts
        + SigningKeys
        + Send
        + Sync
{
}

/// What an identity provider vouches for after a verified ID token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExternalIdentity {
    /// The connection's key.
    pub provider: String,
    /// The provider's stable user id (`sub`).
    pub subject: String,
    /// The email the provider gives, normalised (lowercase), if any.
    pub email: Option<String>,
    /// Whether the provider says it verified that email (`email_verified`).
    pub email_verified: bool,
    /// `given_name`.
    pub first_name: Option<String>,
    /// `family_name`.
    pub last_name: Option<String>,
}

/// An external account linked to a user, as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalAccountRow {
    /// The link's id.
    pub id: String,
    /// The connection's key.
    pub provider: String,
    /// The provider's user id.
    pub subject: String,
    /// The email the provider gave when the account was linked.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: Timestamp,
}

/// The result of unlinking an external account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlink {
    /// The link is gone.
    Removed,
    /// No such link for this user.
    NotFound,
    /// It is the user's last way to sign in (no password, no other link); nothing changed.
    LastWayToSignIn,
}

/// External (SSO) accounts and the users they belong to.
#[async_trait]
pub trait ExternalAccounts: Send + Sync {
    /// The user linked to `subject` at `provider`.
    async fn find_user_by_external_account(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserRecord>, AuthError>;
    /// Links `identity` to `user_id` and moves the sign-in attempt to `state` if it is still at
    /// `version`, in one transaction; `false` (nothing changed) when another request moved the
    /// attempt first. Linking the same identity to the same user again is a no-op.
    async fn link_external_account(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Creates `user_id` (the identity's verified email as its primary email, no password) with
    /// the identity linked, and moves the sign-in attempt to `state` if it is still at `version`,
    /// in one transaction.
    async fn create_user_from_identity(
        &self,
        user_id: &UserId,
        identity: &ExternalIdentity,
        attempt: (&SignInId, i64, &str),
        now: Timestamp,
    ) -> Result<UserCreation, AuthError>;
    /// The user's external accounts, oldest first.
    async fn list_external_accounts(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<ExternalAccountRow>, AuthError>;
    /// Unlinks the user's external account `id`, unless it is their last way to sign in.
    async fn unlink_external_account(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Unlink, AuthError>;
}

/// The result of starting an authorization request at a provider.
#[derive(Debug)]
pub struct AuthorizationRequest {
    /// Where to send the browser.
    pub url: String,
    /// The `state` parameter (kept hashed in the attempt).
    pub state: Secret<String>,
    /// The `nonce` the ID token must carry.
    pub nonce: Secret<String>,
    /// The PKCE verifier (its S256 challenge is in the URL).
    pub pkce_verifier: Secret<String>,
}

/// The OpenID providers of the `[[sso.connections]]` (the OIDC adapter in the server; fakes in
/// tests).
#[async_trait]
pub trait IdentityProviders: Send + Sync {
    /// An authorization request (code flow, PKCE S256, fresh state and nonce) to `connection`,
    /// returning to `redirect_uri`; `login_hint` pre-fills the provider's login (enterprise).
    async fn authorization_request(
        &self,
        connection: &str,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<AuthorizationRequest, AuthError>;
    /// Exchanges `code` (with the PKCE verifier) and verifies the ID token: signature against
    /// the provider's JWKS, issuer, audience, expiry and `nonce`.
    async fn exchange_code(
        &self,
        connection: &str,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &Secret<String>,
        nonce: &Secret<String>,
    ) -> Result<ExternalIdentity, AuthError>;
}
