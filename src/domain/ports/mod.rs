//! The storage the rules need, as one port trait per aggregate. `domain` owns these traits and
//! the records they carry; `store` implements them on SQLite and on PostgreSQL, so the rules never
//! see SQL and a flow runs the same against either (and against a fake in tests).
//!
//! Every counter an attacker can race (lockout guesses, code tries, rate windows, single-use
//! codes, attempt versions) is one atomic operation here: an implementation must never read a
//! value and write it back later.

mod attempts;
mod audit;
mod clients;
mod codes;
mod domains;
mod external_accounts;
mod factors;
mod identity;
mod invitations;
mod keys;
mod limits;
mod mail;
mod organizations;
mod passkeys;
mod users;

pub use self::{
    attempts::*, audit::*, clients::*, codes::*, domains::*, external_accounts::*, factors::*,
    identity::*, invitations::*, keys::*, limits::*, mail::*, organizations::*, passkeys::*,
    users::*,
};
pub use crate::domain::codes::{CodeKey, CodePurpose};

/// Everything the rules store: what `Gatehouse` holds.
pub trait Storage:
    Users
    + Clients
    + Attempts
    + Codes
    + Factors
    + Organizations
    + Invitations
    + Domains
    + Passkeys
    + AuditLog
    + Limits
    + ExternalAccounts
    + SigningKeys
    + Health
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
        + Invitations
        + Domains
        + Passkeys
        + AuditLog
        + Limits
        + ExternalAccounts
        + SigningKeys
        + Health
        + Send
        + Sync
{
}

/// Whether the storage answers, for the health check.
#[async_trait::async_trait]
pub trait Health: Send + Sync {
    /// One trivial query: `service_unavailable` while the database cannot be reached.
    async fn check_health(&self) -> Result<(), crate::model::AuthError>;
}
