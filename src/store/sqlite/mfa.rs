use async_trait::async_trait;
use sqlx::Row;

use super::{db, SqliteStore};
use crate::{
    domain::{
        ids::new_row_id,
        ports::{Factors, NewBackupCodes, TotpConfirmation, TotpFactor},
        secret::Secret,
        Timestamp,
    },
    model::{AuthError, SessionId, UserId},
};

#[async_trait]
impl Factors for SqliteStore {
    async fn totp_factor(&self, user_id: &UserId) -> Result<Option<TotpFactor>, AuthError> {
        let row = sqlx::query(
            "SELECT secret, verified, last_used_step FROM totp_factors WHERE user_id = ?",
        )
        .bind(user_id.as_str())
        .fetch_optional(self.read())
        .await
        .map_err(db)?;
        row.map(|row| -> Result<TotpFactor, sqlx::Error> {
            Ok(TotpFactor {
                secret: Secret::new(row.try_get("secret")?),
                verified: row.try_get("verified")?,
                last_used_step: row.try_get("last_used_step")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn save_pending_totp(
        &self,
        user_id: &UserId,
        secret: &Secret<String>,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, verified, created_at) VALUES (?, ?, 0, ?)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
             WHERE totp_factors.verified = 0",
        )
        .bind(user_id.as_str())
        .bind(secret.expose())
        .bind(now)
        .execute(&*self.write())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn confirm_totp(
        &self,
        confirmation: TotpConfirmation<'_>,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let user_id = confirmation.user_id.as_str();
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        let verified = sqlx::query(
            "UPDATE totp_factors SET verified = 1, last_used_step = ? WHERE user_id = ? AND verified = 0",
        )
        .bind(confirmation.step)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if verified.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET second_factor_enabled = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        store_backup_codes(
            &mut tx,
            &NewBackupCodes {
                user_id: confirmation.user_id,
                session_id: confirmation.session_id,
                hashes: confirmation.backup_code_hashes,
                codes: confirmation.backup_codes,
                reveal_until: confirmation.reveal_until,
            },
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn backup_code_reveal(
        &self,
        session_id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<Secret<Vec<String>>>, AuthError> {
        let codes = sqlx::query_scalar::<_, String>(
            "SELECT codes FROM backup_code_reveals WHERE session_id = ? AND expires_at > ?",
        )
        .bind(session_id.as_str())
        .bind(now)
        .fetch_optional(self.read())
        .await
        .map_err(db)?;
        Ok(codes.map(|codes| Secret::new(codes.lines().map(str::to_string).collect())))
    }

    async fn delete_backup_code_reveal(&self, session_id: &SessionId) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM backup_code_reveals WHERE session_id = ?")
            .bind(session_id.as_str())
            .execute(&*self.write())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn consume_backup_code(
        &self,
        user_id: &UserId,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE backup_codes SET used_at = ?
             WHERE id = (SELECT id FROM backup_codes WHERE user_id = ? AND code_hash = ? AND used_at IS NULL LIMIT 1)
               AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id.as_str())
        .bind(code_hash)
        .execute(&*self.write())
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn advance_totp_step(&self, user_id: &UserId, step: i64) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE totp_factors SET last_used_step = ?
             WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)",
        )
        .bind(step)
        .bind(user_id.as_str())
        .bind(step)
        .execute(&*self.write())
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn replace_backup_codes(&self, codes: NewBackupCodes<'_>) -> Result<bool, AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        // A write first: the transaction takes the write lock before it reads anything.
        let enabled = sqlx::query(
            "UPDATE totp_factors SET verified = verified WHERE user_id = ? AND verified = 1",
        )
        .bind(codes.user_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
            == 1;
        if !enabled {
            return Ok(false);
        }
        store_backup_codes(&mut tx, &codes).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn unused_backup_codes(&self, user_id: &UserId) -> Result<u32, AuthError> {
        sqlx::query_scalar::<_, u32>(
            "SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL",
        )
        .bind(user_id.as_str())
        .fetch_one(self.read())
        .await
        .map_err(db)
    }

    async fn remove_second_factor(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let user_id = user_id.as_str();
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        let removed = sqlx::query("DELETE FROM totp_factors WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        for sql in [
            "DELETE FROM backup_codes WHERE user_id = ?",
            "DELETE FROM backup_code_reveals WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?)",
            "UPDATE sessions SET second_factor_at = NULL WHERE user_id = ?",
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::query("UPDATE users SET second_factor_enabled = 0, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(removed == 1)
    }
}

/// Replaces the user's backup codes with `codes` and keeps them for the session to show.
async fn store_backup_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    codes: &NewBackupCodes<'_>,
) -> Result<(), AuthError> {
    let user_id = codes.user_id.as_str();
    sqlx::query(
        "INSERT INTO backup_code_reveals (session_id, codes, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (session_id) DO UPDATE SET codes = excluded.codes, expires_at = excluded.expires_at",
    )
    .bind(codes.session_id.as_str())
    .bind(codes.codes.expose().join("\n"))
    .bind(codes.reveal_until)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query("DELETE FROM backup_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for hash in codes.hashes {
        sqlx::query("INSERT INTO backup_codes (id, user_id, code_hash) VALUES (?, ?, ?)")
            .bind(new_row_id("bkc"))
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}
