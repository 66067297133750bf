//! The users port: accounts, their passwords and names.

use async_trait::async_trait;

use crate::domain::{secret::Secret, Timestamp};
use crate::model::{AuthError, SessionId, UserId};

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
