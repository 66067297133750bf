//! Counters that attackers race: lockout guesses, per-IP rate windows and code tries. Each is
//! one atomic statement (increment and read back together), never a read followed by a write.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, SqliteStore};
use crate::{
    domain::{lockout::Reserved, ports::Limits, Timestamp},
    model::AuthError,
};

#[async_trait]
impl Limits for SqliteStore {
    async fn reserve_guess(
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
        .fetch_one(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(Reserved {
            failed_attempts: row.try_get("failed_attempts").map_err(db)?,
            locked_until: row.try_get("locked_until").map_err(db)?,
        })
    }

    async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM lockout_counters WHERE identifier = ?")
            .bind(identifier)
            .execute(&*self.write_untracked())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn release_guess(&self, identifier: &str, max_attempts: u32) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE lockout_counters SET
                 failed_attempts = MAX(failed_attempts - 1, 0),
                 locked_until = CASE WHEN failed_attempts - 1 < ? THEN NULL ELSE locked_until END
             WHERE identifier = ?",
        )
        .bind(i64::from(max_attempts))
        .bind(identifier)
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError> {
        let row = sqlx::query(
            "SELECT failed_attempts, locked_until FROM lockout_counters WHERE identifier = ?",
        )
        .bind(identifier)
        .fetch_optional(self.read())
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

    async fn prune_counters(
        &self,
        window_start_before: Timestamp,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        let writer = self.write_untracked();
        let mut tx = writer.begin().await.map_err(db)?;
        let windows = sqlx::query("DELETE FROM rate_counters WHERE window_start <= ?")
            .bind(window_start_before)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let guesses = sqlx::query(
            "DELETE FROM lockout_counters
             WHERE (locked_until IS NOT NULL AND locked_until <= ?)
                OR (locked_until IS NULL AND updated_at <= ?)",
        )
        .bind(now)
        .bind(idle_since)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(windows.rows_affected() + guesses.rows_affected())
    }

    async fn hit_rate_counter(
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
        .fetch_one(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok((
            row.try_get("hits").map_err(db)?,
            row.try_get("window_start").map_err(db)?,
        ))
    }
}
