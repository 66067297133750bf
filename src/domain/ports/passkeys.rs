//! The passkeys port: users' WebAuthn credentials and the server-side state of the ceremonies
//! that make and use them. What a race could break is decided by the database: at most
//! [`MAX_PASSKEYS`] counted where one is inserted, one account per credential (a unique index),
//! a ceremony taken once (deleted as it is read), a use recorded only while the signature
//! counter moves forward.

use async_trait::async_trait;

use crate::domain::Timestamp;
use crate::model::{AuthError, ClientId, UserId};

/// Passkeys a user may have.
pub const MAX_PASSKEYS: u32 = 10;

/// A passkey as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyRow {
    /// Its id (`passkey_…`).
    pub id: String,
    /// Its owner.
    pub user_id: UserId,
    /// The WebAuthn credential id (base64url).
    pub credential_id: String,
    /// The WebAuthn user handle it was made with (the owner's own random UUID).
    pub user_handle: String,
    /// Its name on the account page.
    pub name: String,
    /// webauthn-rs' credential (JSON).
    pub passkey: String,
    /// Its signature counter as last seen.
    pub counter: i64,
    /// When its counter went backwards (refused from then on).
    pub flagged_at: Option<Timestamp>,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it last signed in.
    pub last_used_at: Option<Timestamp>,
}

/// A passkey with what signing in with it needs to know of its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyOwner {
    /// The passkey.
    pub passkey: PasskeyRow,
    /// The owner's primary email (the lockout key).
    pub email: String,
    /// The owner has a verified second factor (TOTP).
    pub second_factor_enabled: bool,
}

/// What adding a passkey did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasskeyCreation {
    /// Added.
    Created,
    /// This credential is registered already (to this user or another).
    Exists,
    /// The user has [`MAX_PASSKEYS`] already.
    QuotaExceeded,
}

/// A ceremony's kind: a challenge made for one can never finish the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey.
    Registration,
    /// Signing in with one.
    Authentication,
}

impl CeremonyKind {
    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Authentication => "authentication",
        }
    }
}

/// A ceremony in progress, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyRow {
    /// Its id (given to the browser with the options).
    pub id: String,
    /// The browser that asked for it.
    pub client_id: ClientId,
    /// Registration or authentication.
    pub kind: CeremonyKind,
    /// Registration: the user adding a passkey. Authentication: the account of the email typed
    /// before "Use passkey", if any.
    pub user_id: Option<UserId>,
    /// webauthn-rs' ceremony state (JSON).
    pub state: String,
    /// When it stops being usable.
    pub expires_at: Timestamp,
}

/// Passkeys and their ceremonies.
#[async_trait]
pub trait Passkeys: Send + Sync {
    /// Adds a passkey; counts the user's passkeys in the same transaction.
    async fn create_passkey(&self, row: &PasskeyRow) -> Result<PasskeyCreation, AuthError>;
    /// The user's passkeys, oldest first.
    async fn list_passkeys(&self, user_id: &UserId) -> Result<Vec<PasskeyRow>, AuthError>;
    /// The passkey with this credential id, and its owner.
    async fn find_passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyOwner>, AuthError>;
    /// Records a sign-in with the passkey: its new state and counter, only while the counter
    /// moves forward (or stays 0, as synced passkeys keep it). `false`: it went backwards.
    async fn record_passkey_use(
        &self,
        id: &str,
        passkey: &str,
        counter: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Flags the passkey (its counter went backwards): refused from then on.
    async fn flag_passkey(&self, id: &str, now: Timestamp) -> Result<(), AuthError>;
    /// Renames the user's passkey; `false` when the user has no passkey with this id.
    async fn rename_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        name: &str,
    ) -> Result<bool, AuthError>;
    /// Deletes the user's passkey; its name, or `None` when the user has no passkey with this
    /// id.
    async fn delete_passkey(&self, user_id: &UserId, id: &str)
        -> Result<Option<String>, AuthError>;
    /// Keeps a ceremony's state until it is taken or expires.
    async fn insert_ceremony(&self, row: &CeremonyRow) -> Result<(), AuthError>;
    /// Takes the ceremony with this id, when it belongs to `client_id`, is of `kind` and has
    /// not expired: it is deleted as it is read, so of two parallel finishes one gets it.
    async fn take_ceremony(
        &self,
        id: &str,
        client_id: &ClientId,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<CeremonyRow>, AuthError>;
}
