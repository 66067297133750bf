use sqlx::Row;

use super::{db, Store};
use crate::{
    domain::{codes::CodeState, Timestamp},
    model::{AuthError, SignUpStatus},
};

/// The `purpose` of a sign-up's email code.
pub const SIGN_UP_EMAIL: &str = "sign_up_email";

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

/// A stored sign-in attempt: the domain's serialized state, opaque to the store.
#[derive(Clone, Debug)]
pub struct StoredSignIn {
    /// `sia_…`
    pub id: String,
    /// The serialized `domain::sign_in::SignIn`.
    pub state: String,
    /// Incremented by every transition (compare-and-swap).
    pub version: i64,
    /// When the attempt stops being usable.
    pub expires_at: Timestamp,
}

fn code_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<CodeState, sqlx::Error> {
    let count = |name: &str| -> Result<u32, sqlx::Error> {
        Ok(u32::try_from(row.try_get::<i64, _>(name)?).unwrap_or(u32::MAX))
    };
    Ok(CodeState {
        code_hash: row.try_get("code_hash")?,
        failed_attempts: count("failed_attempts")?,
        sent_at: row.try_get("sent_at")?,
        expires_at: row.try_get("expires_at")?,
        consumed: row.try_get("consumed")?,
        resends: count("resends")?,
    })
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
                    c.code_hash, c.failed_attempts, c.sent_at, c.expires_at, c.consumed, c.resends
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
                code: code_from_row(&row)?,
            })
        };
        parse().map(Some).map_err(db)
    }

    /// Sets a sign-up attempt's status.
    pub async fn set_sign_up_status(
        &self,
        id: &str,
        status: SignUpStatus,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query("UPDATE sign_up_attempts SET status = ?, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The code `(attempt_id, purpose)`, if one was issued.
    pub async fn code_state(
        &self,
        attempt_id: &str,
        purpose: &str,
    ) -> Result<Option<CodeState>, AuthError> {
        let row = sqlx::query(
            "SELECT code_hash, failed_attempts, sent_at, expires_at, consumed, resends
             FROM verification_codes WHERE attempt_id = ? AND purpose = ?",
        )
        .bind(attempt_id)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(code_from_row).transpose().map_err(db)
    }

    /// Issues a code for `(attempt_id, purpose)`, replacing any earlier one.
    pub async fn insert_code(
        &self,
        attempt_id: &str,
        purpose: &str,
        code: &CodeState,
    ) -> Result<(), AuthError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        write_code(&mut tx, attempt_id, purpose, code).await?;
        tx.commit().await.map_err(db)
    }

    /// Replaces the code with `next`, only if it is still exactly `previous` (compare-and-swap:
    /// parallel resends cannot both pass the cap). `false` when it changed meanwhile.
    pub async fn replace_code(
        &self,
        attempt_id: &str,
        purpose: &str,
        previous: &CodeState,
        next: &CodeState,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE verification_codes SET code_hash = ?, sent_at = ?, expires_at = ?, consumed = ?, resends = ?
             WHERE attempt_id = ? AND purpose = ? AND code_hash = ? AND resends = ? AND consumed = 0",
        )
        .bind(&next.code_hash)
        .bind(next.sent_at)
        .bind(next.expires_at)
        .bind(next.consumed)
        .bind(i64::from(next.resends))
        .bind(attempt_id)
        .bind(purpose)
        .bind(&previous.code_hash)
        .bind(i64::from(previous.resends))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    /// Stores a new sign-in attempt in its first state.
    pub async fn insert_sign_in(
        &self,
        id: &str,
        client_id: &str,
        state: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, client_id, state, version, created_at, expires_at)
             VALUES (?, ?, ?, 0, ?, ?)",
        )
        .bind(id)
        .bind(client_id)
        .bind(state)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// The client's newest sign-in attempt that is neither finalized nor expired.
    pub async fn current_sign_in(
        &self,
        client_id: &str,
        now: Timestamp,
    ) -> Result<Option<StoredSignIn>, AuthError> {
        let row = sqlx::query(
            "SELECT id, state, version, expires_at FROM sign_in_attempts
             WHERE client_id = ? AND finalized_at IS NULL AND expires_at > ?
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
        )
        .bind(client_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| -> Result<StoredSignIn, sqlx::Error> {
            Ok(StoredSignIn {
                id: row.try_get("id")?,
                state: row.try_get("state")?,
                version: row.try_get("version")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    /// Writes the attempt's next state if it is still at `version`. `false` when another request
    /// moved it first (the caller lost the race and must not act on its transition).
    pub async fn save_sign_in(
        &self,
        id: &str,
        version: i64,
        state: &str,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE sign_in_attempts SET state = ?, version = version + 1
             WHERE id = ? AND version = ? AND finalized_at IS NULL",
        )
        .bind(state)
        .bind(id)
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    /// Claims the attempt for finalize if it is still at `version` (single use). `false` when
    /// another request finalized or moved it first.
    pub async fn claim_sign_in(
        &self,
        id: &str,
        version: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let updated = sqlx::query(
            "UPDATE sign_in_attempts SET finalized_at = ?, version = version + 1
             WHERE id = ? AND version = ? AND finalized_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(updated.rows_affected() == 1)
    }

    /// Reserves one second-factor try of the attempt; `None` when `max_tries` are used up.
    pub async fn reserve_sign_in_try(
        &self,
        id: &str,
        max_tries: u32,
    ) -> Result<Option<u32>, AuthError> {
        let tries = sqlx::query_scalar::<_, i64>(
            "UPDATE sign_in_attempts SET code_tries = code_tries + 1
             WHERE id = ? AND code_tries < ? AND finalized_at IS NULL
             RETURNING code_tries",
        )
        .bind(id)
        .bind(i64::from(max_tries))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(tries.map(|tries| u32::try_from(tries).unwrap_or(u32::MAX)))
    }
}

async fn write_code(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    attempt_id: &str,
    purpose: &str,
    code: &CodeState,
) -> Result<(), AuthError> {
    sqlx::query(
        "INSERT INTO verification_codes (attempt_id, purpose, code_hash, failed_attempts, sent_at, expires_at, consumed, resends)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (attempt_id, purpose) DO UPDATE SET code_hash = excluded.code_hash,
             failed_attempts = excluded.failed_attempts, sent_at = excluded.sent_at,
             expires_at = excluded.expires_at, consumed = excluded.consumed, resends = excluded.resends",
    )
    .bind(attempt_id)
    .bind(purpose)
    .bind(&code.code_hash)
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
