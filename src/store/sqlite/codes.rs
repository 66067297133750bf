use async_trait::async_trait;
use sqlx::Row;

use super::{db, SqliteStore};
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
pub(super) fn code_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CodeState, sqlx::Error> {
    let count = |name: &str| -> Result<u32, sqlx::Error> {
        Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(u32::MAX))
    };
    Ok(CodeState {
        code_hash: Secret::new(row.try_get("code_hash")?),
        failed_attempts: count("failed_attempts")?,
        sent_at: row.try_get("sent_at")?,
        expires_at: row.try_get("expires_at")?,
        consumed: row.try_get("consumed")?,
        resends: count("resends")?,
    })
}

/// Issues `code` for `key` in `tx`, replacing any earlier one.
pub(super) async fn write_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    key: CodeKey<'_>,
    code: &CodeState,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO verification_codes (attempt_id, purpose, code_hash, failed_attempts, sent_at, expires_at, consumed, resends)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (attempt_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
             failed_attempts = excluded.failed_attempts, sent_at = excluded.sent_at,
             expires_at = excluded.expires_at, consumed = excluded.consumed, resends = excluded.resends",
    )
    .bind(key.attempt_id)
    .bind(key.purpose.as_str())
    .bind(code.code_hash.expose())
    .bind(i64::from(code.failed_attempts))
    .bind(code.sent_at)
    .bind(code.expires_at)
    .bind(code.consumed)
    .bind(i64::from(code.resends))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Codes for SqliteStore {
    async fn code_state(&self, key: CodeKey<'_>) -> Result<Option<CodeState>, AuthError> {
        let row = sqlx::query(
            "SELECT code_hash, failed_attempts, sent_at, expires_at, consumed, resends
             FROM verification_codes WHERE attempt_id = ? AND purpose = ?",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .fetch_optional(self.read())
        .await
        .map_err(db)?;
        row.as_ref().map(code_from_row).transpose().map_err(db)
    }

    async fn insert_code(&self, key: CodeKey<'_>, code: &CodeState) -> Result<(), AuthError> {
        let writer = self.write_untracked();
        let mut tx = writer.begin().await.map_err(db)?;
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
            "UPDATE verification_codes SET code_hash = ?, sent_at = ?, expires_at = ?, consumed = ?, resends = ?
             WHERE attempt_id = ? AND purpose = ? AND code_hash = ? AND resends = ? AND consumed = 0",
        )
        .bind(next.code_hash.expose())
        .bind(next.sent_at)
        .bind(next.expires_at)
        .bind(next.consumed)
        .bind(i64::from(next.resends))
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .bind(previous.code_hash.expose())
        .bind(i64::from(previous.resends))
        .execute(&*self.write_untracked())
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
             WHERE attempt_id = ? AND purpose = ? AND consumed = 0 AND failed_attempts < ? AND expires_at > ?
             RETURNING code_hash, failed_attempts",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .bind(i64::from(max_tries))
        .bind(now)
        .fetch_optional(&*self.write_untracked())
        .await
        .map_err(db)?;
        row.map(|row| -> Result<ReservedCodeTry, sqlx::Error> {
            Ok(ReservedCodeTry {
                code_hash: Secret::new(row.try_get("code_hash")?),
                tries: u32::try_from(row.try_get::<i64, _>("failed_attempts")?).unwrap_or(u32::MAX),
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn consume_code(&self, key: CodeKey<'_>) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE verification_codes SET consumed = 1, failed_attempts = failed_attempts - 1
             WHERE attempt_id = ? AND purpose = ? AND consumed = 0",
        )
        .bind(key.attempt_id)
        .bind(key.purpose.as_str())
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }
}
