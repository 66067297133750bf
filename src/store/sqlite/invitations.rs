//! Invitations to organizations. Each write transaction writes first, so it holds SQLite's write
//! lock for what it reads: an invitation's count toward the quota, its compare-and-swap.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, is_unique_violation, optional_id_at, SqliteStore};
use crate::{
    domain::{
        ids::new_row_id,
        ports::{
            status_named, InvitationCreation, InvitationRow, Invitations, NewInvitation,
            OrganizationRow,
        },
        Timestamp,
    },
    model::{AuthError, InvitationId, OrgId, UserId},
};

/// The columns of an invitation with its organization (`i`, `o`).
const SELECT: &str = "SELECT i.id, i.organization_id, o.name, o.slug, i.email, i.role, i.status,
        i.inviter_id, i.ticket_hash, i.created_at, i.sent_at, i.expires_at
    FROM organization_invitations i JOIN organizations o ON o.id = i.organization_id";

fn row_of(row: &sqlx::sqlite::SqliteRow) -> Result<InvitationRow, sqlx::Error> {
    Ok(InvitationRow {
        id: id_at(row, "id")?,
        organization: OrganizationRow {
            id: id_at(row, "organization_id")?,
            name: row.try_get("name")?,
            slug: row.try_get("slug")?,
        },
        email: row.try_get("email")?,
        role: row.try_get("role")?,
        status: status_named(row.try_get::<&str, _>("status")?),
        inviter: optional_id_at(row, "inviter_id")?,
        ticket_hash: row.try_get("ticket_hash")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn rows_of(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<InvitationRow>, AuthError> {
    rows.iter()
        .map(row_of)
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)
}

#[async_trait]
impl Invitations for SqliteStore {
    async fn create_invitation(
        &self,
        invitation: &NewInvitation<'_>,
        max_memberships: Option<u32>,
        now: Timestamp,
    ) -> Result<InvitationCreation, AuthError> {
        let writer = self.write_untracked();
        let mut tx = writer.begin().await.map_err(db)?;
        // The write first: from here the transaction holds the write lock, so nothing it counts
        // changes until it commits.
        sqlx::query(
            "UPDATE organization_invitations SET status = 'expired'
             WHERE organization_id = ? AND email = ? AND status = 'pending' AND expires_at <= ?",
        )
        .bind(invitation.organization_id.as_str())
        .bind(invitation.email)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM memberships m JOIN email_addresses e ON e.user_id = m.user_id
             WHERE m.organization_id = ? AND e.email = ?",
        )
        .bind(invitation.organization_id.as_str())
        .bind(invitation.email)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if member.is_some() {
            return Ok(InvitationCreation::AlreadyMember);
        }
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM organization_invitations
             WHERE organization_id = ? AND email = ? AND status = 'pending'",
        )
        .bind(invitation.organization_id.as_str())
        .bind(invitation.email)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if pending.is_some() {
            return Ok(InvitationCreation::NotUnique);
        }
        if let Some(max) = max_memberships {
            let taken: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM memberships WHERE organization_id = ?1)
                      + (SELECT COUNT(*) FROM organization_invitations
                         WHERE organization_id = ?1 AND status = 'pending' AND expires_at > ?2)",
            )
            .bind(invitation.organization_id.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            if taken >= i64::from(max) {
                return Ok(InvitationCreation::QuotaExceeded);
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO organization_invitations (id, organization_id, email, role, status,
                 inviter_id, ticket_hash, created_at, sent_at, expires_at)
             VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
        )
        .bind(invitation.id.as_str())
        .bind(invitation.organization_id.as_str())
        .bind(invitation.email)
        .bind(invitation.role)
        .bind(invitation.inviter.map(UserId::as_str))
        .bind(invitation.ticket_hash)
        .bind(now)
        .bind(now)
        .bind(invitation.expires_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => return Ok(InvitationCreation::NotUnique),
            Err(error) => return Err(db(error)),
        }
        tx.commit().await.map_err(db)?;
        Ok(InvitationCreation::Created)
    }

    async fn find_invitation(&self, id: &InvitationId) -> Result<Option<InvitationRow>, AuthError> {
        let row = sqlx::query(&format!("{SELECT} WHERE i.id = ?"))
            .bind(id.as_str())
            .fetch_optional(self.read())
            .await
            .map_err(db)?;
        row.as_ref().map(row_of).transpose().map_err(db)
    }

    async fn find_invitation_by_ticket(
        &self,
        ticket_hash: &[u8],
    ) -> Result<Option<InvitationRow>, AuthError> {
        let row = sqlx::query(&format!("{SELECT} WHERE i.ticket_hash = ?"))
            .bind(ticket_hash)
            .fetch_optional(self.read())
            .await
            .map_err(db)?;
        row.as_ref().map(row_of).transpose().map_err(db)
    }

    async fn accept_invitation(
        &self,
        id: &InvitationId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        let accepted = sqlx::query(
            "UPDATE organization_invitations SET status = 'accepted', accepted_by = ?, accepted_at = ?
             WHERE id = ? AND status = 'pending' AND expires_at > ?",
        )
        .bind(user_id.as_str())
        .bind(now)
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if accepted.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at)
             SELECT ?, organization_id, ?, role, ? FROM organization_invitations WHERE id = ?
             ON CONFLICT (organization_id, user_id) DO NOTHING",
        )
        .bind(new_row_id("orgmem"))
        .bind(user_id.as_str())
        .bind(now)
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn revoke_invitation(
        &self,
        id: &InvitationId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let revoked = sqlx::query(
            "UPDATE organization_invitations SET status = 'revoked', revoked_at = ?
             WHERE id = ? AND status = 'pending'",
        )
        .bind(now)
        .bind(id.as_str())
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(revoked.rows_affected() == 1)
    }

    async fn renew_invitation(
        &self,
        id: &InvitationId,
        ticket_hash: &[u8],
        sent_before: Timestamp,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let renewed = sqlx::query(
            "UPDATE organization_invitations SET ticket_hash = ?, sent_at = ?, expires_at = ?
             WHERE id = ? AND status = 'pending' AND expires_at > ? AND sent_at <= ?",
        )
        .bind(ticket_hash)
        .bind(now)
        .bind(expires_at)
        .bind(id.as_str())
        .bind(now)
        .bind(sent_before)
        .execute(&*self.write_untracked())
        .await
        .map_err(db)?;
        Ok(renewed.rows_affected() == 1)
    }

    async fn list_organization_invitations(
        &self,
        organization_id: &OrgId,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<InvitationRow>, u32), AuthError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE i.organization_id = ? AND i.status = 'pending' AND i.expires_at > ?
             ORDER BY i.created_at, i.rowid LIMIT ? OFFSET ?"
        ))
        .bind(organization_id.as_str())
        .bind(now)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organization_invitations
             WHERE organization_id = ? AND status = 'pending' AND expires_at > ?",
        )
        .bind(organization_id.as_str())
        .bind(now)
        .fetch_one(self.read())
        .await
        .map_err(db)?;
        Ok((rows_of(rows)?, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    async fn list_invitations_for_email(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Vec<InvitationRow>, AuthError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE i.email = ? AND i.status = 'pending' AND i.expires_at > ?
             ORDER BY i.created_at, i.rowid"
        ))
        .bind(email)
        .bind(now)
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        rows_of(rows)
    }
}
