//! Emailed codes: each try is counted by one `UPDATE … WHERE tries < $max RETURNING`, a code is
//! consumed once, and a resend replaces exactly the code it read (compare-and-swap).

use async_trait::async_trait;
use sqlx::{postgres::PgRow, Row};

use super::{count_at, db, PostgresStore, Tx};
use crate::{
    domain::{
        codes::CodeState,
        ports::{CodeKey, Codes, ReservedCodeTry},
        secret::Secret,
        Timestamp,
    },
    model::AuthError,
};

/// A code's state from a row holding the `verification_codes` columns.
pub(super) fn code_from_row(row: &PgRow) -> Result<CodeState, sqlx::Error> {
    Ok(CodeState {
        code_hash: Secret::new(row.try_get("code_hash")?),
        failed_attempts: count_at(row, "failed_attempts")?,
        sent_at: row.try_get("sent_at")?,
        expires_at: row.try_get("expires_at")?,
        consumed: row.try_get("consumed")?,
        resends: count_at(row, "resends")?,
    })
}

/// A count as stored (`INTEGER`).
fn stored_count(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// Issues `code` for `key` in `tx`, replacing any earlier one.
pub(super) async fn write_code(
    tx: &mut Tx<'_>,
    key: CodeKey<'_>,
    code: &CodeState,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO verification_codes (attempt_id, purpose, code_hash, failed_attempts, sent_at,
             expires_at, consumed, resends)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (attempt_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
             failed_attempts = excluded.failed_attempts, sent_at = excluded.sent_at,
             expires_at = excluded.expires_at, consumed = excluded.consumed,
             resends = excluded.resends",
    )
    .bind(key.attempt_id)
    .bind(key.purpose.as_str())
    .bind(code.code_hash.expose())
    .bind(stored_count(code.failed_attempts))
    .bind(code.sent_at)
    .bind(code.expires_at)
    .bind(code.consumed)
    .bind(stored_count(code.resends))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Codes for PostgresStore {
    async fn code_state(&self, key: CodeKey<'_>) -> Result<Option<CodeState>, AuthError> {
        let row = sqlx::query(
            "SELECT code_hash, failed_attempts, sent_at, expires_at, consumed, resends
             FROM verification_codes WHERE attempt_id = $1 AND purpose = $2",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(code_from_row).transpose().map_err(db)
    }

    async fn insert_code(&self, key: CodeKey<'_>, code: &CodeState) -> Result<(), AuthError> {
        let mut tx = self.begin().await?;
        write_code(&mut tx, key, code).await?;
        tx.commit().await.map_err(db)
    }

    async fn replace_code(
        &self,
        key: CodeKey<'_>,
        previous: &CodeState,
        next: &CodeState,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE verification_codes
             SET code_hash = $1, sent_at = $2, expires_at = $3, consumed = $4, resends = $5
             WHERE attempt_id = $6 AND purpose = $7 AND code_hash = $8 AND resends = $9
               AND NOT consumed",
        )
        .bind(next.code_hash.expose())
        .bind(next.sent_at)
        .bind(next.expires_at)
        .bind(next.consumed)
        .bind(stored_count(next.resends))
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .bind(previous.code_hash.expose())
        .bind(stored_count(previous.resends))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn reserve_code_try(
        &self,
        key: CodeKey<'_>,
        max_tries: u32,
        now: Timestamp,
    ) -> Result<Option<ReservedCodeTry>, AuthError> {
        let row = sqlx::query(
            "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
             WHERE attempt_id = $1 AND purpose = $2 AND NOT consumed AND failed_attempts < $3
               AND expires_at > $4
             RETURNING code_hash, failed_attempts",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .bind(i64::from(max_tries))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<ReservedCodeTry, sqlx::Error> {
            Ok(ReservedCodeTry {
                code_hash: Secret::new(row.try_get("code_hash")?),
                tries: count_at(&row, "failed_attempts")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn consume_code(&self, key: CodeKey<'_>) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE verification_codes SET consumed = TRUE, failed_attempts = failed_attempts - 1
             WHERE attempt_id = $1 AND purpose = $2 AND NOT consumed",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }
}
