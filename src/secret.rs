//! One redacting wrapper for every secret the server handles (passwords, password hashes,
//! codes, TOTP secrets, tokens): `Debug` never prints the value, so a secret cannot reach a log
//! through `{:?}`, and reading it takes an explicit `expose()`.

/// A secret value. `Debug` prints `<redacted>`; there is deliberately no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that needs it (hashing, comparing, sending).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret, for handing it to a hasher that takes ownership.
    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Self(value.to_string())
    }
}

// Transparent (de)serialization: configuration (an SSO client secret) and short-lived stored
// state (an SSO attempt's PKCE verifier and nonce) carry secrets; only `Debug` redacts.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

impl<T: serde::Serialize> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}
