//! Password rules and hashing: argon2id (m=19456 KiB, t=2, p=1) on a bounded blocking pool,
//! never on the async runtime.

use std::sync::{Arc, OnceLock};

use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::model::{
    limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS},
    AuthError,
};

/// Common passwords rejected offline (a small built-in list; no network lookups).
const COMPROMISED: &str = include_str!("compromised_passwords.txt");

/// Checks a new password against the length rules and, when asked, the compromised list.
pub fn validate_new_password(password: &str, reject_compromised: bool) -> Result<(), AuthError> {
    let chars = password.chars().count();
    if chars == 0 {
        return Err(AuthError::param_missing("password", "Password"));
    }
    if chars < PASSWORD_MIN_CHARS {
        return Err(AuthError::password_too_short(PASSWORD_MIN_CHARS));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AuthError::password_too_long(PASSWORD_MAX_CHARS));
    }
    if reject_compromised && is_compromised(password) {
        return Err(AuthError::password_pwned());
    }
    Ok(())
}

/// Whether the password is in the built-in compromised list (case-insensitive).
pub fn is_compromised(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMPROMISED
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && line == lower)
}

fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None)?,
    ))
}

fn hash_blocking(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .map_err(|e| e.to_string())?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// A hash of a random password, verified against when the user does not exist, so an unknown
/// email costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_blocking(super::tokens::SecretToken::generate().expose()).unwrap_or_default()
    })
}

fn verify_blocking(password: &str, hash: Option<&str>) -> bool {
    let (phc, real) = match hash {
        Some(hash) => (hash, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(argon) = argon2() else {
        return false;
    };
    argon.verify_password(password.as_bytes(), &parsed).is_ok() && real
}

/// Hashes and verifies passwords on tokio's blocking pool, at most `concurrency` at once, so
/// memory stays bounded (19 MiB per running hash) and the async runtime never stalls.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Hashes a password (PHC string).
    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| super::internal("password pool closed", e))?;
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| super::internal("password hash task failed", e))?
            .map_err(|e| super::internal("password hash failed", e))
    }

    /// Verifies a password; with no hash (unknown user) it verifies against a dummy hash and
    /// returns false, taking the same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AuthError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| super::internal("password pool closed", e))?;
        tokio::task::spawn_blocking(move || verify_blocking(&password, hash.as_deref()))
            .await
            .map_err(|e| super::internal("password verify task failed", e))
    }
}
