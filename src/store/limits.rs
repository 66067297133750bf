//! Counters that attackers race: lockout guesses, per-IP rate windows and code tries. Each is
//! one atomic statement (increment and read back together), never a read followed by a write.

use sqlx::Row;

use super::{db, Store};
use crate::{
    domain::{lockout::Reserved, Timestamp},
    model::AuthError,
};

/// A code-try reservation: the stored code and the tries counted so far (this one included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservedCodeTry {
    /// SHA-256 of the attempt id and the right code.
    pub code_hash: Vec<u8>,
    /// Tries counted, this one included.
    pub tries: u32,
}

impl Store {
    /// Counts one guess for `identifier` and returns the counter afterwards. An expired lock
    /// starts a fresh count; reaching `max_attempts` sets `locked_until = lock_until`.
    pub async fn reserve_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Reserved, AuthError> {
        let row = sqlx::query(
            "INSERT INTO lockout_counters (identifier, failed_attempts, locked_until, updated_at)
             VALUES (?1, 1, CASE WHEN 1 >= ?2 THEN ?3 END, ?4)
             ON CONFLICT (identifier) DO UPDATE SET
                 failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?4 THEN 1
                                        ELSE failed_attempts + 1 END,
                 locked_until = CASE
                     WHEN locked_until IS NOT NULL AND locked_until <= ?4 THEN CASE WHEN 1 >= ?2 THEN ?3 END
                     WHEN locked_until IS NOT NULL THEN locked_until
                     WHEN failed_attempts + 1 >= ?2 THEN ?3
                     ELSE NULL END,
                 updated_at = ?4
             RETURNING failed_attempts, locked_until",
        )
        .bind(identifier)
        .bind(i64::from(max_attempts))
        .bind(lock_until)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(Reserved {
            failed_attempts: row.try_get("failed_attempts").map_err(db)?,
            locked_until: row.try_get("locked_until").map_err(db)?,
        })
    }

    /// Forgets the failed guesses of `identifier` (a success, or an operator's unlock).
    pub async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM lockout_counters WHERE identifier = ?")
            .bind(identifier)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Gives a reserved guess back: it was right, but more factors are needed, so it neither
    /// counts as a failure nor resets the count. Undoes the lock the guess may have set.
    pub async fn release_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE lockout_counters SET
                 failed_attempts = MAX(failed_attempts - 1, 0),
                 locked_until = CASE WHEN failed_attempts - 1 < ? THEN NULL ELSE locked_until END
             WHERE identifier = ?",
        )
        .bind(i64::from(max_attempts))
        .bind(identifier)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// The counter of `identifier`: failed guesses and the lock's end, if any.
    pub async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError> {
        let row = sqlx::query(
            "SELECT failed_attempts, locked_until FROM lockout_counters WHERE identifier = ?",
        )
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<Reserved, sqlx::Error> {
            Ok(Reserved {
                failed_attempts: row.try_get("failed_attempts")?,
                locked_until: row.try_get("locked_until")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    /// Counts one hit in the fixed window of `key`; returns the hits in the current window and
    /// the window's start.
    pub async fn hit_rate_counter(
        &self,
        key: &str,
        window_seconds: i64,
        now: Timestamp,
    ) -> Result<(i64, Timestamp), AuthError> {
        let row = sqlx::query(
            "INSERT INTO rate_counters (key, window_start, hits) VALUES (?1, ?2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE hits + 1 END,
                 window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
             RETURNING hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(window_seconds)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((
            row.try_get("hits").map_err(db)?,
            row.try_get("window_start").map_err(db)?,
        ))
    }

    /// Reserves one try of the live code `(attempt_id, purpose)`: counts it and returns the code,
    /// or `None` when the code is consumed, expired, or out of tries (nothing is counted then).
    pub async fn reserve_code_try(
        &self,
        attempt_id: &str,
        purpose: &str,
        max_tries: u32,
        now: Timestamp,
    ) -> Result<Option<ReservedCodeTry>, AuthError> {
        let row = sqlx::query(
            "UPDATE verification_codes SET failed_attempts = failed_attempts + 1
             WHERE attempt_id = ? AND purpose = ? AND consumed = 0 AND failed_attempts < ? AND expires_at > ?
             RETURNING code_hash, failed_attempts",
        )
        .bind(attempt_id)
        .bind(purpose)
        .bind(i64::from(max_tries))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<ReservedCodeTry, sqlx::Error> {
            Ok(ReservedCodeTry {
                code_hash: row.try_get("code_hash")?,
                tries: u32::try_from(row.try_get::<i64, _>("failed_attempts")?).unwrap_or(u32::MAX),
            })
        })
        .transpose()
        .map_err(db)
    }

    /// Marks a reserved code as used (its try was right, so it is not counted as a failure).
    /// `false` when another request consumed it first: a code is accepted once.
    pub async fn consume_code(&self, attempt_id: &str, purpose: &str) -> Result<bool, AuthError> {
        let result = sqlx::query(
            "UPDATE verification_codes SET consumed = 1, failed_attempts = failed_attempts - 1
             WHERE attempt_id = ? AND purpose = ? AND consumed = 0",
        )
        .bind(attempt_id)
        .bind(purpose)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(result.rows_affected() == 1)
    }
}
