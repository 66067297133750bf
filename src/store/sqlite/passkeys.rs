//! Passkeys and their ceremonies. Adding one writes first, so the transaction holds the write
//! lock for the count it then reads; a ceremony is taken by `DELETE … RETURNING`.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, is_unique_violation, SqliteStore};
use crate::store::rows;
use crate::{
    domain::{
        ports::{
            CeremonyKind, CeremonyRow, PasskeyCreation, PasskeyOwner, PasskeyRow, Passkeys,
            MAX_PASSKEYS,
        },
        Timestamp,
    },
    model::{AuthError, ClientId, UserId},
};

const SELECT_PASSKEY: &str = "SELECT id, user_id, credential_id, user_handle, name, passkey,
    counter, flagged_at, created_at, last_used_at FROM passkeys";

#[async_trait]
impl Passkeys for SqliteStore {
    async fn create_passkey(&self, row: &PasskeyRow) -> Result<PasskeyCreation, AuthError> {
        let writer = self.write_untracked();
        let mut tx = writer.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO passkeys (id, user_id, credential_id, user_handle, name, passkey, counter,
                                   created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(&row.id)
        .bind(row.user_id.as_str())
        .bind(&row.credential_id)
        .bind(&row.user_handle)
        .bind(&row.name)
        .bind(&row.passkey)
        .bind(row.counter)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => return Ok(PasskeyCreation::Exists),
            Err(error) => return Err(db(error)),
        }
        // Counted after the insert, under the write lock it took: parallel adds queue here.
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = ?1")
            .bind(row.user_id.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if count > i64::from(MAX_PASSKEYS) {
            return Ok(PasskeyCreation::QuotaExceeded);
        }
        tx.commit().await.map_err(db)?;
        Ok(PasskeyCreation::Created)
    }

    async fn list_passkeys(&self, user_id: &UserId) -> Result<Vec<PasskeyRow>, AuthError> {
        let rows = sqlx::query(&format!(
            "{SELECT_PASSKEY} WHERE user_id = ?1 ORDER BY created_at, rowid"
        ))
        .bind(user_id.as_str())
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        rows.iter()
            .map(rows::passkey)
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn find_passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<PasskeyOwner>, AuthError> {
        let row = sqlx::query(
            "SELECT p.id, p.user_id, p.credential_id, p.user_handle, p.name, p.passkey,
                    p.counter, p.flagged_at, p.created_at, p.last_used_at,
                    e.email, u.second_factor_enabled
             FROM passkeys p
             JOIN users u ON u.id = p.user_id
             JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
             WHERE p.credential_id = ?1",
        )
        .bind(credential_id)
        .fetch_optional(self.read())
        .await
        .map_err(db)?;
        row.map(|row| -> Result<PasskeyOwner, sqlx::Error> {
            Ok(PasskeyOwner {
                passkey: rows::passkey(&row)?,
                email: row.try_get("email")?,
                second_factor_enabled: row.try_get("second_factor_enabled")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn record_passkey_use(
        &self,
        id: &str,
        passkey: &str,
        counter: i64,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let done = sqlx::query(
            "UPDATE passkeys SET passkey = ?1, counter = ?2, last_used_at = ?3
             WHERE id = ?4 AND flagged_at IS NULL AND (counter < ?2 OR (counter = 0 AND ?2 = 0))",
        )
        .bind(passkey)
        .bind(counter)
        .bind(now)
        .bind(id)
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn flag_passkey(&self, id: &str, now: Timestamp) -> Result<(), AuthError> {
        sqlx::query("UPDATE passkeys SET flagged_at = ?1 WHERE id = ?2 AND flagged_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&*self.write_untracked())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn rename_passkey(
        &self,
        user_id: &UserId,
        id: &str,
        name: &str,
    ) -> Result<bool, AuthError> {
        let done = sqlx::query("UPDATE passkeys SET name = ?1 WHERE id = ?2 AND user_id = ?3")
            .bind(name)
            .bind(id)
            .bind(user_id.as_str())
            .execute(&*self.write_untracked())
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_passkey(
        &self,
        user_id: &UserId,
        id: &str,
    ) -> Result<Option<String>, AuthError> {
        sqlx::query_scalar("DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2 RETURNING name")
            .bind(id)
            .bind(user_id.as_str())
            .fetch_optional(&*self.write_untracked())
            .await
            .map_err(db)
    }

    async fn insert_ceremony(&self, row: &CeremonyRow) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO passkey_ceremonies (id, client_id, kind, user_id, state, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&row.id)
        .bind(row.client_id.as_str())
        .bind(row.kind.as_str())
        .bind(row.user_id.as_ref().map(UserId::as_str))
        .bind(&row.state)
        .bind(row.expires_at)
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_ceremony(
        &self,
        id: &str,
        client_id: &ClientId,
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<CeremonyRow>, AuthError> {
        let row = sqlx::query(
            "DELETE FROM passkey_ceremonies
             WHERE id = ?1 AND client_id = ?2 AND kind = ?3 AND expires_at > ?4
             RETURNING id, client_id, user_id, state, expires_at",
        )
        .bind(id)
        .bind(client_id.as_str())
        .bind(kind.as_str())
        .bind(now)
        .fetch_optional(&*self.write_untracked())
        .await
        .map_err(db)?;
        row.as_ref()
            .map(|row| rows::ceremony(row, kind))
            .transpose()
            .map_err(db)
    }
}
