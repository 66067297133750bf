//! Counters that attackers race, across every instance: lockout guesses and per-IP rate windows.
//! Each is one `INSERT … ON CONFLICT … DO UPDATE … RETURNING`: a parallel guess waits for the
//! row, and its update is computed from the newest count, so the tenth guess locks whichever
//! instance it reaches.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, PostgresStore};
use crate::{
    domain::{lockout::Reserved, ports::Limits, Timestamp},
    model::AuthError,
};

/// The counter of a row with `failed_attempts` and `locked_until`.
fn reserved(row: &sqlx::postgres::PgRow) -> Result<Reserved, sqlx::Error> {
    Ok(Reserved {
        failed_attempts: i64::from(row.try_get::<i32, _>("failed_attempts")?),
        locked_until: row.try_get("locked_until")?,
    })
}

#[async_trait]
impl Limits for PostgresStore {
    async fn reserve_guess(
        &self,
        identifier: &str,
        max_attempts: u32,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Reserved, AuthError> {
        let row = sqlx::query(
            "INSERT INTO lockout_counters AS l (identifier, failed_attempts, locked_until, updated_at)
             VALUES ($1, 1, CASE WHEN 1 >= $2 THEN $3 END, $4)
             ON CONFLICT (identifier) DO UPDATE SET
                 failed_attempts = CASE WHEN l.locked_until IS NOT NULL AND l.locked_until <= $4
                                        THEN 1 ELSE l.failed_attempts + 1 END,
                 locked_until = CASE
                     WHEN l.locked_until IS NOT NULL AND l.locked_until <= $4
                         THEN CASE WHEN 1 >= $2 THEN $3 END
                     WHEN l.locked_until IS NOT NULL THEN l.locked_until
                     WHEN l.failed_attempts + 1 >= $2 THEN $3
                     ELSE NULL END,
                 updated_at = $4
             RETURNING failed_attempts, locked_until",
        )
        .bind(identifier)
        .bind(i64::from(max_attempts))
        .bind(lock_until)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        reserved(&row).map_err(db)
    }

    async fn clear_guesses(&self, identifier: &str) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM lockout_counters WHERE identifier = $1")
            .bind(identifier)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn release_guess(&self, identifier: &str, max_attempts: u32) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE lockout_counters SET
                 failed_attempts = GREATEST(failed_attempts - 1, 0),
                 locked_until = CASE WHEN failed_attempts - 1 < $1 THEN NULL ELSE locked_until END
             WHERE identifier = $2",
        )
        .bind(i64::from(max_attempts))
        .bind(identifier)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn guesses_of(&self, identifier: &str) -> Result<Option<Reserved>, AuthError> {
        let row = sqlx::query(
            "SELECT failed_attempts, locked_until FROM lockout_counters WHERE identifier = $1",
        )
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(reserved).transpose().map_err(db)
    }

    async fn prune_counters(
        &self,
        window_start_before: Timestamp,
        idle_since: Timestamp,
        now: Timestamp,
    ) -> Result<u64, AuthError> {
        // Each row goes only if it still decides nothing when the delete reaches it (a counter
        // hit meanwhile is checked again on its newest version), so any number of instances may
        // prune at once.
        let mut tx = self.begin().await?;
        let windows = sqlx::query("DELETE FROM rate_counters WHERE window_start <= $1")
            .bind(window_start_before)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let guesses = sqlx::query(
            "DELETE FROM lockout_counters
             WHERE (locked_until IS NOT NULL AND locked_until <= $1)
                OR (locked_until IS NULL AND updated_at <= $2)",
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
            "INSERT INTO rate_counters AS r (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 hits = CASE WHEN r.window_start <= $2 - $3 THEN 1 ELSE r.hits + 1 END,
                 window_start = CASE WHEN r.window_start <= $2 - $3 THEN $2 ELSE r.window_start END
             RETURNING hits, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(window_seconds)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok((
            i64::from(row.try_get::<i32, _>("hits").map_err(db)?),
            row.try_get("window_start").map_err(db)?,
        ))
    }
}
