//! The codes port: emailed codes, stored hashed, each try counted atomically.

use async_trait::async_trait;

use crate::domain::{
    codes::{CodeKey, CodeState},
    secret::Secret,
    Timestamp,
};
use crate::model::AuthError;

/// A code-try reservation: the stored code and the tries counted so far (this one included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedCodeTry {
    /// SHA-256 of the attempt id and the right code.
    pub code_hash: Secret<Vec<u8>>,
    /// Tries counted, this one included.
    pub tries: u32,
}

/// Emailed verification codes.
#[async_trait]
pub trait Codes: Send + Sync {
    /// The code, if one was issued.
    async fn code_state(&self, key: CodeKey<'_>) -> Result<Option<CodeState>, AuthError>;
    /// Issues a code, replacing any earlier one.
    async fn insert_code(&self, key: CodeKey<'_>, code: &CodeState) -> Result<(), AuthError>;
    /// Replaces the code with `next` only if it is still exactly `previous` (parallel resends
    /// cannot both pass the cap); `false` when it changed meanwhile.
    async fn replace_code(
        &self,
        key: CodeKey<'_>,
        previous: &CodeState,
        next: &CodeState,
    ) -> Result<bool, AuthError>;
    /// Reserves one try of the live code: counts it and returns the code, or `None` when it is
    /// consumed, expired or out of tries (nothing is counted then).
    async fn reserve_code_try(
        &self,
        key: CodeKey<'_>,
        max_tries: u32,
        now: Timestamp,
    ) -> Result<Option<ReservedCodeTry>, AuthError>;
    /// Marks a reserved code as used (its try was right, so it does not count as a failure).
    /// `false` when another request consumed it first.
    async fn consume_code(&self, key: CodeKey<'_>) -> Result<bool, AuthError>;
}
