//! Client tokens: 256-bit random values, stored only as SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::secret::Secret;

/// A secret token as it travels in the cookie. `Debug` never prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretToken(Secret<String>);

impl SecretToken {
    /// 32 random bytes, hex encoded.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(Secret::new(hex::encode(bytes)))
    }

    /// Wraps a token read from a cookie.
    pub fn from_cookie(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(Secret::new(value.to_ascii_lowercase())))
    }

    /// The value to put in the cookie.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What the database stores.
    pub fn hash(&self) -> Vec<u8> {
        sha256(self.0.expose().as_bytes())
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}
