//! The attempts port: sign-up and sign-in attempts, stored as the domain serialized them (the
//! store never interprets a state) and moved by compare-and-swap.

use async_trait::async_trait;

use super::{external_accounts::ExternalIdentity, users::UserCreation};

use crate::domain::{codes::CodeState, secret::Secret, Timestamp};
use crate::model::{AuthError, ClientId, SignInId, SignUpId, UserId};

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
