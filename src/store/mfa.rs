use sqlx::Row;

use super::{db, Store};
use crate::{
    domain::{ids::new_id, Timestamp},
    model::AuthError,
};

/// A user's TOTP factor.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpFactor {
    /// Base32 secret (server-side only).
    pub secret: String,
    /// Enrolment completed.
    pub verified: bool,
    /// The last accepted time step (replay protection).
    pub last_used_step: Option<i64>,
}

impl std::fmt::Debug for TotpFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpFactor")
            .field("secret", &"<redacted>")
            .field("verified", &self.verified)
            .field("last_used_step", &self.last_used_step)
            .finish()
    }
}

impl Store {
    /// The user's TOTP factor, if any.
    pub async fn totp_factor(&self, user_id: &str) -> Result<Option<TotpFactor>, AuthError> {
        let row = sqlx::query(
            "SELECT secret, verified, last_used_step FROM totp_factors WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<TotpFactor, sqlx::Error> {
            Ok(TotpFactor {
                secret: row.try_get("secret")?,
                verified: row.try_get("verified")?,
                last_used_step: row.try_get("last_used_step")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    /// Stores a new, unverified secret (replacing an unverified one; never a verified one).
    pub async fn save_pending_totp(
        &self,
        user_id: &str,
        secret: &str,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO totp_factors (user_id, secret, verified, created_at) VALUES (?, ?, 0, ?)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
             WHERE totp_factors.verified = 0",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Completes enrolment: the factor is verified at `step`, the user has a second factor, the
    /// backup codes are replaced, the session counts the second factor as verified now, and the
    /// new codes wait (until `reveal_until`) for the user to confirm they saved them.
    /// `false` when the factor was verified meanwhile (parallel enrolments: one wins).
    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_totp(
        &self,
        user_id: &str,
        session_id: &str,
        step: i64,
        backup_code_hashes: &[Vec<u8>],
        backup_codes: &[String],
        reveal_until: Timestamp,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let verified = sqlx::query(
            "UPDATE totp_factors SET verified = 1, last_used_step = ? WHERE user_id = ? AND verified = 0",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if verified.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO backup_code_reveals (session_id, codes, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (session_id) DO UPDATE SET codes = excluded.codes, expires_at = excluded.expires_at",
        )
        .bind(session_id)
        .bind(backup_codes.join("\n"))
        .bind(reveal_until)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE users SET second_factor_enabled = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM backup_codes WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for hash in backup_code_hashes {
            sqlx::query("INSERT INTO backup_codes (id, user_id, code_hash) VALUES (?, ?, ?)")
                .bind(new_id("bkc"))
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        sqlx::query("UPDATE sessions SET second_factor_at = ? WHERE id = ?")
            .bind(now)
            .bind(session_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    /// The backup codes waiting to be shown to `session_id`, if not expired.
    pub async fn backup_code_reveal(
        &self,
        session_id: &str,
        now: Timestamp,
    ) -> Result<Option<Vec<String>>, AuthError> {
        let codes = sqlx::query_scalar::<_, String>(
            "SELECT codes FROM backup_code_reveals WHERE session_id = ? AND expires_at > ?",
        )
        .bind(session_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(codes.map(|codes| codes.lines().map(str::to_string).collect()))
    }

    /// Forgets the backup codes waiting for `session_id` (the user saved them).
    pub async fn delete_backup_code_reveal(&self, session_id: &str) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM backup_code_reveals WHERE session_id = ?")
            .bind(session_id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Uses a backup code: `true` when an unused code of the user had this hash (single use,
    /// atomic: two parallel requests with one code get one `true`).
    pub async fn consume_backup_code(
        &self,
        user_id: &str,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE backup_codes SET used_at = ?
             WHERE id = (SELECT id FROM backup_codes WHERE user_id = ? AND code_hash = ? AND used_at IS NULL LIMIT 1)
               AND used_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    /// Remembers the last accepted TOTP step, only moving forward (replay protection).
    pub async fn advance_totp_step(&self, user_id: &str, step: i64) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE totp_factors SET last_used_step = ?
             WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)",
        )
        .bind(step)
        .bind(user_id)
        .bind(step)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }

    /// The user's current password hash.
    pub async fn password_hash(&self, user_id: &str) -> Result<Option<String>, AuthError> {
        sqlx::query_scalar::<_, Option<String>>("SELECT password_hash FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map(Option::flatten)
            .map_err(db)
    }

    /// Replaces the password (clearing the reset flag); optionally ends the user's sessions other
    /// than `keep_session_id` (all of them when it is `None`).
    pub async fn replace_password(
        &self,
        user_id: &str,
        hash: &str,
        keep_session_id: Option<&str>,
        end_other_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_hash = ?, password_reset_required = 0, updated_at = ? WHERE id = ?")
            .bind(hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if end_other_sessions {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND id IS NOT ? AND ended_at IS NULL")
                .bind(now)
                .bind(user_id)
                .bind(keep_session_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Flags the user's password: their sessions become pending with `reset-password` (or end,
    /// with `end_sessions`).
    pub async fn require_password_reset(
        &self,
        user_id: &str,
        end_sessions: bool,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("UPDATE users SET password_reset_required = 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if end_sessions {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }
}
