//! Organizations' domains and membership requests. Adding a domain locks its organization's row
//! first, so parallel adds are counted one after the other; a request is decided by a
//! compare-and-swap on its status, in the transaction that makes the membership.

use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, PostgresStore};
use crate::store::rows;
use crate::{
    domain::{
        ids::new_row_id,
        ports::{
            DomainCreation, DomainRow, Domains, OrganizationRow, RequestDecision, MAX_DOMAINS,
        },
        Timestamp,
    },
    model::{AuthError, EnrollmentMode, MembershipRequest, OrgId, UserId},
};

const SELECT_DOMAIN: &str =
    "SELECT id, organization_id, name, enrollment_mode, affiliation_email, verified_at
    FROM organization_domains";

#[async_trait]
impl Domains for PostgresStore {
    async fn create_domain(
        &self,
        organization_id: &OrgId,
        name: &str,
        mode: EnrollmentMode,
        now: Timestamp,
    ) -> Result<DomainCreation, AuthError> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
            .bind(organization_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let id = new_row_id("orgdmn");
        let inserted = sqlx::query(
            "INSERT INTO organization_domains (id, organization_id, name, enrollment_mode, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(organization_id.as_str())
        .bind(name)
        .bind(mode.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Ok(DomainCreation::Exists)
            }
            Err(error) => return Err(db(error)),
        }
        // Counted after the insert, under the organization's lock: parallel adds queue here.
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organization_domains WHERE organization_id = $1",
        )
        .bind(organization_id.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if count > i64::from(MAX_DOMAINS) {
            return Ok(DomainCreation::QuotaExceeded);
        }
        tx.commit().await.map_err(db)?;
        Ok(DomainCreation::Created(id))
    }

    async fn find_domain(
        &self,
        organization_id: &OrgId,
        id: &str,
    ) -> Result<Option<DomainRow>, AuthError> {
        let row = sqlx::query(&format!(
            "{SELECT_DOMAIN} WHERE id = $1 AND organization_id = $2"
        ))
        .bind(id)
        .bind(organization_id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::domain).transpose().map_err(db)
    }

    async fn list_domains(&self, organization_id: &OrgId) -> Result<Vec<DomainRow>, AuthError> {
        let rows = sqlx::query(&format!(
            "{SELECT_DOMAIN} WHERE organization_id = $1 ORDER BY created_at, seq"
        ))
        .bind(organization_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(rows::domain)
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn set_affiliation_email(&self, id: &str, email: &str) -> Result<(), AuthError> {
        sqlx::query("UPDATE organization_domains SET affiliation_email = $1 WHERE id = $2")
            .bind(email)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn mark_domain_verified(&self, id: &str, now: Timestamp) -> Result<(), AuthError> {
        sqlx::query(
            "UPDATE organization_domains SET verified_at = $1 WHERE id = $2 AND verified_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_enrollment_mode(&self, id: &str, mode: EnrollmentMode) -> Result<(), AuthError> {
        sqlx::query("UPDATE organization_domains SET enrollment_mode = $1 WHERE id = $2")
            .bind(mode.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_domain(&self, id: &str) -> Result<(), AuthError> {
        sqlx::query("DELETE FROM organization_domains WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn organizations_with_verified_domain(
        &self,
        name: &str,
        mode: EnrollmentMode,
    ) -> Result<Vec<OrganizationRow>, AuthError> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.slug FROM organization_domains d
             JOIN organizations o ON o.id = d.organization_id
             WHERE d.name = $1 AND d.enrollment_mode = $2 AND d.verified_at IS NOT NULL
             ORDER BY d.verified_at, d.seq",
        )
        .bind(name)
        .bind(mode.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| -> Result<OrganizationRow, sqlx::Error> {
                Ok(OrganizationRow {
                    id: id_at(row, "id")?,
                    name: row.try_get("name")?,
                    slug: row.try_get("slug")?,
                })
            })
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn users_with_verified_address_at(
        &self,
        name: &str,
    ) -> Result<Vec<(UserId, String)>, AuthError> {
        let rows = sqlx::query(
            "SELECT user_id, email FROM email_addresses
             WHERE verified AND email LIKE '%@' || $1 ORDER BY created_at",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| Ok((id_at(row, "user_id")?, row.try_get("email")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db)
    }

    async fn create_membership_request(
        &self,
        id: &str,
        organization_id: &OrgId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError> {
        let inserted = sqlx::query(
            "INSERT INTO organization_membership_requests (id, organization_id, user_id, status, created_at)
             SELECT $1, $2, $3, 'pending', $4
             WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE organization_id = $2 AND user_id = $3)",
        )
        .bind(id)
        .bind(organization_id.as_str())
        .bind(user_id.as_str())
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(done) => Ok(done.rows_affected() == 1),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
            Err(error) => Err(db(error)),
        }
    }

    async fn pending_request_organizations(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<OrgId>, AuthError> {
        let rows = sqlx::query(
            "SELECT organization_id FROM organization_membership_requests
             WHERE user_id = $1 AND status = 'pending'",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| id_at(row, "organization_id"))
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn list_membership_requests(
        &self,
        organization_id: &OrgId,
    ) -> Result<Vec<MembershipRequest>, AuthError> {
        let rows = sqlx::query(
            "SELECT r.id, r.user_id, e.email, r.created_at FROM organization_membership_requests r
             JOIN email_addresses e ON e.user_id = r.user_id AND e.is_primary
             WHERE r.organization_id = $1 AND r.status = 'pending'
             ORDER BY r.created_at, r.seq",
        )
        .bind(organization_id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(rows::membership_request)
            .collect::<Result<_, _>>()
            .map_err(db)
    }

    async fn list_membership_requests_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<MembershipRequest>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT r.id, r.user_id, e.email, r.created_at FROM organization_membership_requests r
             JOIN email_addresses e ON e.user_id = r.user_id AND e.is_primary
             WHERE r.organization_id = $1 AND r.status = 'pending'
             ORDER BY r.created_at, r.seq LIMIT $2 OFFSET $3",
        )
        .bind(organization_id.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM organization_membership_requests
             WHERE organization_id = $1 AND status = 'pending'",
        )
        .bind(organization_id.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        let requests = rows
            .iter()
            .map(rows::membership_request)
            .collect::<Result<_, _>>()
            .map_err(db)?;
        Ok((requests, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    async fn decide_membership_request(
        &self,
        organization_id: &OrgId,
        id: &str,
        accept_as: Option<&str>,
        now: Timestamp,
    ) -> Result<RequestDecision, AuthError> {
        let _touched = self.touched();
        let mut tx = self.begin().await?;
        let status = if accept_as.is_some() {
            "accepted"
        } else {
            "rejected"
        };
        let decided = sqlx::query(
            "UPDATE organization_membership_requests SET status = $1, decided_at = $2
             WHERE id = $3 AND organization_id = $4 AND status = 'pending'",
        )
        .bind(status)
        .bind(now)
        .bind(id)
        .bind(organization_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if decided.rows_affected() != 1 {
            return Ok(RequestDecision::NotPending);
        }
        if let Some(role) = accept_as {
            sqlx::query(
                "INSERT INTO memberships (id, organization_id, user_id, role, created_at)
                 SELECT $1, organization_id, user_id, $2, $3 FROM organization_membership_requests
                 WHERE id = $4
                 ON CONFLICT (organization_id, user_id) DO NOTHING",
            )
            .bind(new_row_id("orgmem"))
            .bind(role)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(RequestDecision::Decided)
    }
}
