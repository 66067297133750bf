//! The clients port: browsers, their sessions, and the one resolution of a request's auth.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::model::{AuthError, ClientId, OrgId, SessionId, UserId};

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
