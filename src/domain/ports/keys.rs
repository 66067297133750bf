//! The signing-keys port: session-token keys, made once and rotated.

use async_trait::async_trait;

use crate::domain::{secret::Secret, Timestamp};
use crate::model::AuthError;

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
