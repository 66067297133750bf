//! The audit log: one insert per event, read newest first through its indexes.

use async_trait::async_trait;

use super::{db, PostgresStore};
use crate::store::rows;
use crate::{
    domain::{
        ports::{AuditFilter, AuditLog, AuditRow, MAX_AUDIT_PAGE},
        Timestamp,
    },
    model::{AuthError, OrgId, UserId},
};

#[async_trait]
impl AuditLog for PostgresStore {
    async fn insert_audit_event(&self, row: &AuditRow) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO audit_events (id, at, kind, outcome, user_id, email, session_id, client_id,
                                       ip_address, browser, organization_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&row.id)
        .bind(row.at)
        .bind(&row.kind)
        .bind(&row.outcome)
        .bind(row.user_id.as_ref().map(UserId::as_str))
        .bind(&row.email)
        .bind(&row.session_id)
        .bind(&row.client_id)
        .bind(&row.ip_address)
        .bind(&row.browser)
        .bind(row.organization_id.as_ref().map(OrgId::as_str))
        .bind(&row.detail)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT id, at, kind, outcome, user_id, email, session_id, client_id, ip_address,
                    browser, organization_id, detail
             FROM audit_events
             WHERE ($1::text IS NULL AND $2::text IS NULL OR user_id = $1 OR email = $2)
               AND ($3::text IS NULL OR organization_id = $3)
               AND ($4::bigint IS NULL OR at >= $4)
             ORDER BY at DESC, seq DESC
             LIMIT $5",
        )
        .bind(filter.user_id.as_ref().map(UserId::as_str))
        .bind(&filter.email)
        .bind(filter.organization_id.as_ref().map(OrgId::as_str))
        .bind(filter.since)
        .bind(i64::from(filter.limit.min(MAX_AUDIT_PAGE)))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(rows::audit_event)
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn prune_audit_events(&self, before: Timestamp) -> Result<u64, AuthError> {
        let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
