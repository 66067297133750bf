//! The external-accounts port: SSO identities linked to users.

use async_trait::async_trait;

use super::users::{UserCreation, UserRecord};

use crate::domain::Timestamp;
use crate::model::{AuthError, SignInId, UserId};

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
