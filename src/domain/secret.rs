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
