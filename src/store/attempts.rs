use sqlx::Row;

use super::{db, Store};
use crate::{
    domain::{codes::CodeState, Timestamp},
    model::{AuthError, SignInStatus, SignUpStatus},
};

const SIGN_UP_EMAIL: &str = "sign_up_email";
/// Sign-in attempts expire if not finalized within this time.
const SIGN_IN_TTL_SECONDS: i64 = 10 * 60;

/// A stored sign-up attempt and its email code.
#[derive(Clone, Debug)]
pub struct SignUpRecord {
    /// `sua_…`
    pub id: String,
    /// The browser it belongs to.
    pub client_id: String,
    /// Normalised email.
    pub email: String,
    /// argon2 PHC string of the chosen password.
    pub password_hash: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Stored status (see `domain::sign_up::status_at` for abandonment).
    pub status: SignUpStatus,
    /// Set when the email already had an account.
    pub existing_user_id: Option<String>,
    /// Set once finalize created the user.
    pub created_user_id: Option<String>,
    /// When it is abandoned.
    pub abandon_at: Timestamp,
    /// The email code.
    pub code: CodeState,
}

/// A complete, not yet finalized sign-in.
#[derive(Clone, Debug)]
pub struct CompleteSignIn {
    /// `user_…`
    pub user_id: String,
    /// When the password was verified.
    pub first_factor_at: Timestamp,
    /// When the second factor was verified.
    pub second_factor_at: Option<Timestamp>,
}

impl Store {
    /// Stores a new sign-up attempt with its code.
    pub async fn insert_sign_up(
        &self,
        record: &SignUpRecord,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO sign_up_attempts (id, client_id, email, password_hash, first_name, last_name,
                 status, existing_user_id, created_at, updated_at, abandon_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(&record.client_id)
        .bind(&record.email)
        .bind(&record.password_hash)
        .bind(&record.first_name)
        .bind(&record.last_name)
        .bind(record.status.as_str())
        .bind(&record.existing_user_id)
        .bind(now)
        .bind(now)
        .bind(record.abandon_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        write_code(&mut tx, &record.id, SIGN_UP_EMAIL, &record.code).await?;
        tx.commit().await.map_err(db)
    }

    /// The newest sign-up attempt of a client.
    pub async fn latest_sign_up(&self, client_id: &str) -> Result<Option<SignUpRecord>, AuthError> {
        let row = sqlx::query(
            "SELECT a.id, a.client_id, a.email, a.password_hash, a.first_name, a.last_name, a.status,
                    a.existing_user_id, a.created_user_id, a.abandon_at,
                    c.code_hash, c.failed_attempts, c.sent_at, c.expires_at, c.consumed
             FROM sign_up_attempts a
             JOIN verification_codes c ON c.attempt_id = a.id AND c.purpose = ?
             WHERE a.client_id = ?
             ORDER BY a.created_at DESC, a.rowid DESC LIMIT 1",
        )
        .bind(SIGN_UP_EMAIL)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let parse = || -> Result<SignUpRecord, sqlx::Error> {
            let status: String = row.try_get("status")?;
            Ok(SignUpRecord {
                id: row.try_get("id")?,
                client_id: row.try_get("client_id")?,
                email: row.try_get("email")?,
                password_hash: row.try_get("password_hash")?,
                first_name: row.try_get("first_name")?,
                last_name: row.try_get("last_name")?,
                status: SignUpStatus::parse(&status).unwrap_or(SignUpStatus::Abandoned),
                existing_user_id: row.try_get("existing_user_id")?,
                created_user_id: row.try_get("created_user_id")?,
                abandon_at: row.try_get("abandon_at")?,
                code: CodeState {
                    code_hash: row.try_get("code_hash")?,
                    failed_attempts: u32::try_from(row.try_get::<i64, _>("failed_attempts")?)
                        .unwrap_or(u32::MAX),
                    sent_at: row.try_get("sent_at")?,
                    expires_at: row.try_get("expires_at")?,
                    consumed: row.try_get("consumed")?,
                },
            })
        };
        parse().map(Some).map_err(db)
    }

    /// Writes back a sign-up attempt's status and code, only if the code is still in the
    /// `previous` state: concurrent guesses cannot both count as "the fifth wrong try".
    pub async fn update_sign_up(
        &self,
        record: &SignUpRecord,
        previous: &CodeState,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let updated = sqlx::query(
            "UPDATE verification_codes SET code_hash = ?, failed_attempts = ?, sent_at = ?, expires_at = ?, consumed = ?
             WHERE attempt_id = ? AND purpose = ? AND code_hash = ? AND failed_attempts = ? AND consumed = ?",
        )
        .bind(&record.code.code_hash)
        .bind(i64::from(record.code.failed_attempts))
        .bind(record.code.sent_at)
        .bind(record.code.expires_at)
        .bind(record.code.consumed)
        .bind(&record.id)
        .bind(SIGN_UP_EMAIL)
        .bind(&previous.code_hash)
        .bind(i64::from(previous.failed_attempts))
        .bind(previous.consumed)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if updated.rows_affected() != 1 {
            return Err(AuthError::too_many_requests(
                "Another attempt with this code is in progress. Please try again.",
            )
            .for_param("code"));
        }
        sqlx::query("UPDATE sign_up_attempts SET status = ?, updated_at = ? WHERE id = ?")
            .bind(record.status.as_str())
            .bind(now)
            .bind(&record.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// Stores a sign-in attempt.
    pub async fn insert_sign_in(
        &self,
        id: &str,
        client_id: &str,
        user_id: &str,
        status: SignInStatus,
        first_factor_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, client_id, user_id, status, first_factor_at, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(client_id)
        .bind(user_id)
        .bind(status.as_str())
        .bind(first_factor_at)
        .bind(now)
        .bind(now + SIGN_IN_TTL_SECONDS)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Claims the client's newest complete, unexpired, not yet finalized sign-in (single use).
    pub async fn take_complete_sign_in(
        &self,
        client_id: &str,
        now: Timestamp,
    ) -> Result<Option<CompleteSignIn>, AuthError> {
        let row = sqlx::query(
            "UPDATE sign_in_attempts SET finalized_at = ?
             WHERE id = (SELECT id FROM sign_in_attempts
                         WHERE client_id = ? AND status = 'complete' AND finalized_at IS NULL AND expires_at > ?
                         ORDER BY created_at DESC, rowid DESC LIMIT 1)
             RETURNING user_id, first_factor_at, second_factor_at",
        )
        .bind(now)
        .bind(client_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<CompleteSignIn, sqlx::Error> {
            Ok(CompleteSignIn {
                user_id: row.try_get("user_id")?,
                first_factor_at: row
                    .try_get::<Option<i64>, _>("first_factor_at")?
                    .unwrap_or(now),
                second_factor_at: row.try_get("second_factor_at")?,
            })
        })
        .transpose()
        .map_err(db)
    }
}

async fn write_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    attempt_id: &str,
    purpose: &str,
    code: &CodeState,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO verification_codes (attempt_id, purpose, code_hash, failed_attempts, sent_at, expires_at, consumed)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (attempt_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
             failed_attempts = excluded.failed_attempts, sent_at = excluded.sent_at,
             expires_at = excluded.expires_at, consumed = excluded.consumed",
    )
    .bind(attempt_id)
    .bind(purpose)
    .bind(&code.code_hash)
    .bind(i64::from(code.failed_attempts))
    .bind(code.sent_at)
    .bind(code.expires_at)
    .bind(code.consumed)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
