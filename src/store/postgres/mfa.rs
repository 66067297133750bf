//! Second factors: TOTP and backup codes. A TOTP step only moves forward and a backup code is
//! used once, each in one statement re-checked on the row it waited for; a change to the user's
//! set of backup codes locks their authenticator app's row first.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, PostgresStore, Tx};
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
impl Factors for PostgresStore {
    async fn totp_factor(&self, user_id: &UserId) -> Result<Option<TotpFactor>, AuthError> {
        let row = sqlx::query(
            "SELECT secret, verified, last_used_step FROM totp_factors WHERE user_id = $1",
        )
        .bind(user_id.as_str())
        .fetch_optional(&self.pool)
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
        let _touched = self.touched();
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, verified, created_at)
             VALUES ($1, $2, FALSE, $3)
             ON CONFLICT (user_id) DO UPDATE
                 SET secret = excluded.secret, created_at = excluded.created_at
                 WHERE NOT totp_factors.verified",
        )
        .bind(user_id.as_str())
        .bind(secret.expose())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn confirm_totp(
        &self,
        confirmation: TotpConfirmation<'_>,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let user_id = confirmation.user_id.as_str();
        let mut tx = self.begin().await?;
        let verified = sqlx::query(
            "UPDATE totp_factors SET verified = TRUE, last_used_step = $1
             WHERE user_id = $2 AND NOT verified",
        )
        .bind(confirmation.step)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if verified.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("UPDATE users SET second_factor_enabled = TRUE, updated_at = $1 WHERE id = $2")
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
        let codes = sqlx::query_scalar::<_, Vec<String>>(
            "SELECT codes FROM backup_code_reveals WHERE session_id = $1 AND expires_at > $2",
        )
        .bind(session_id.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(codes.map(Secret::new))
    }

    async fn delete_backup_code_reveal(&self, session_id: &SessionId) -> Result<(), AuthError> {
        let _touched = self.touched();
        sqlx::query("DELETE FROM backup_code_reveals WHERE session_id = $1")
            .bind(session_id.as_str())
            .execute(&self.pool)
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
        let _touched = self.touched();
        // Two requests with one code pick the same row; the second waits for the first and, the
        // row then used, changes nothing.
        let result = sqlx::query(
            "UPDATE backup_codes SET used_at = $1
             WHERE id = (SELECT id FROM backup_codes
                         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL LIMIT 1)
               AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id.as_str())
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn advance_totp_step(&self, user_id: &UserId, step: i64) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let result = sqlx::query(
            "UPDATE totp_factors SET last_used_step = $1
             WHERE user_id = $2 AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step)
        .bind(user_id.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    async fn replace_backup_codes(&self, codes: NewBackupCodes<'_>) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        // The app's row stays locked until the codes are in: its removal waits, or came first.
        let enabled =
            sqlx::query("SELECT 1 FROM totp_factors WHERE user_id = $1 AND verified FOR UPDATE")
                .bind(codes.user_id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?
                .is_some();
        if !enabled {
            return Ok(false);
        }
        store_backup_codes(&mut tx, &codes).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn unused_backup_codes(&self, user_id: &UserId) -> Result<u32, AuthError> {
        let count = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn remove_second_factor(
        &self,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let _touched = self.touched();
        let user_id = user_id.as_str();
        let mut tx = self.begin().await?;
        let removed = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        for sql in [
            "DELETE FROM backup_codes WHERE user_id = $1",
            "DELETE FROM backup_code_reveals
             WHERE session_id IN (SELECT id FROM sessions WHERE user_id = $1)",
            "UPDATE sessions SET second_factor_at = NULL WHERE user_id = $1",
        ] {
            sqlx::query(sql)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::query(
            "UPDATE users SET second_factor_enabled = FALSE, updated_at = $1 WHERE id = $2",
        )
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
async fn store_backup_codes(tx: &mut Tx<'_>, codes: &NewBackupCodes<'_>) -> Result<(), AuthError> {
    let user_id = codes.user_id.as_str();
    sqlx::query(
        "INSERT INTO backup_code_reveals (session_id, codes, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (session_id) DO UPDATE
             SET codes = excluded.codes, expires_at = excluded.expires_at",
    )
    .bind(codes.session_id.as_str())
    .bind(codes.codes.expose().as_slice())
    .bind(codes.reveal_until)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for hash in codes.hashes {
        sqlx::query("INSERT INTO backup_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
            .bind(new_row_id("bkc"))
            .bind(user_id)
            .bind(hash)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}
