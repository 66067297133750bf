//! The rules of authentication: no HTTP, no Leptos. The current time is always a parameter
//! (`now`, unix seconds) so expiry, attempt limits and lockout are testable without sleeps.

pub mod account;
pub mod audit;
pub mod codes;
pub mod email;
pub mod emails;
pub mod flows;
pub mod holder;
pub mod ids;
pub mod invitation;
pub mod jwt;
pub mod lockout;
pub mod membership;
pub mod mfa;
pub mod notices;
pub mod organization;
pub mod outcome;
pub mod passkeys;
pub mod password;
pub mod ports;
pub use crate::secret;
pub mod sensitive;
pub mod session;
pub mod session_change;
pub mod sign_in;
pub mod sign_up;
pub mod sso;
pub mod tasks;
pub use crate::token_template;
pub mod tokens;
pub mod verified_domain;

use std::sync::Arc;

use crate::{config::Config, model::AuthError};

/// Seconds since the Unix epoch.
pub type Timestamp = i64;

/// The current time, for callers at the edge (server, CLI); the domain itself never reads it.
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Everything the rules need: configuration, storage, password hashing, email, identity
/// providers.
#[derive(Clone)]
pub struct Gatehouse {
    /// The validated instance configuration.
    pub config: Arc<Config>,
    /// Storage, behind the domain's ports (SQLite in the server, anything in tests).
    pub store: Arc<dyn ports::Storage>,
    /// The bounded argon2 pool.
    pub hasher: password::PasswordHasher,
    /// Email delivery (`mail::Mailer` in the server).
    pub mailer: Arc<dyn ports::Mail>,
    /// The SSO connections' identity providers.
    pub providers: Arc<dyn ports::IdentityProviders>,
}

/// Logs an unexpected failure with its cause and returns the opaque `internal_error`.
pub fn internal(context: &str, error: impl std::fmt::Display) -> AuthError {
    tracing::error!(%error, "{context}");
    AuthError::internal()
}
