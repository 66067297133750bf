use async_trait::async_trait;
use sqlx::Row;

use super::{db, id_at, is_unique_violation, SqliteStore};
use crate::store::rows;
use crate::{
    domain::{
        ids::{new_id, new_row_id},
        ports::{MemberChange, OrganizationRow, Organizations},
        Timestamp,
    },
    model::{AuthError, Member, Membership, OrgId, SessionId, UserId, ROLE_ADMIN},
};

#[async_trait]
impl Organizations for SqliteStore {
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        creator: &UserId,
        now: Timestamp,
    ) -> Result<Option<OrgId>, AuthError> {
        let id: OrgId = new_id();
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        let inserted = sqlx::query("INSERT INTO organizations (id, name, slug, created_by, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(name)
            .bind(slug)
            .bind(creator.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await;
        match inserted {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(db(error)),
        }
        sqlx::query("INSERT INTO memberships (id, organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(new_row_id("orgmem"))
            .bind(id.as_str())
            .bind(creator.as_str())
            .bind(ROLE_ADMIN)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(id))
    }

    async fn find_organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRow>, AuthError> {
        let row = sqlx::query("SELECT id, name, slug FROM organizations WHERE slug = ?")
            .bind(slug)
            .fetch_optional(self.read())
            .await
            .map_err(db)?;
        row.map(|row| -> Result<OrganizationRow, sqlx::Error> {
            Ok(OrganizationRow {
                id: id_at(&row, "id")?,
                name: row.try_get("name")?,
                slug: row.try_get("slug")?,
            })
        })
        .transpose()
        .map_err(db)
    }

    async fn membership_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
    ) -> Result<Option<String>, AuthError> {
        sqlx::query_scalar("SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?")
            .bind(organization_id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(self.read())
            .await
            .map_err(db)
    }

    async fn upsert_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        now: Timestamp,
    ) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(new_row_id("orgmem"))
        .bind(organization_id.as_str())
        .bind(user_id.as_str())
        .bind(role)
        .bind(now)
        .execute(&*self.write())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_memberships(
        &self,
        user_id: &UserId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Membership>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.slug, m.role FROM memberships m
             JOIN organizations o ON o.id = m.organization_id
             WHERE m.user_id = ? ORDER BY m.created_at, m.rowid LIMIT ? OFFSET ?",
        )
        .bind(user_id.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = ?")
            .bind(user_id.as_str())
            .fetch_one(self.read())
            .await
            .map_err(db)?;
        let data = rows
            .into_iter()
            .map(|row| {
                Ok(Membership {
                    organization_id: id_at(&row, "id")?,
                    name: row.try_get("name")?,
                    slug: row.try_get("slug")?,
                    role: row.try_get("role")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)?;
        Ok((data, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    async fn list_members_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Member>, u32), AuthError> {
        let rows = sqlx::query(
            "SELECT m.user_id, e.email, m.role FROM memberships m
             JOIN email_addresses e ON e.user_id = m.user_id AND e.is_primary = 1
             WHERE m.organization_id = ? ORDER BY m.created_at, m.rowid LIMIT ? OFFSET ?",
        )
        .bind(organization_id.as_str())
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE organization_id = ?")
                .bind(organization_id.as_str())
                .fetch_one(self.read())
                .await
                .map_err(db)?;
        let members = rows
            .iter()
            .map(rows::member)
            .collect::<Result<_, _>>()
            .map_err(db)?;
        Ok((members, u32::try_from(total).unwrap_or(u32::MAX)))
    }

    async fn list_members(&self, organization_id: &OrgId) -> Result<Vec<Member>, AuthError> {
        let rows = sqlx::query(
            "SELECT m.user_id, e.email, m.role FROM memberships m
             JOIN email_addresses e ON e.user_id = m.user_id AND e.is_primary = 1
             WHERE m.organization_id = ? ORDER BY m.created_at, m.rowid",
        )
        .bind(organization_id.as_str())
        .fetch_all(self.read())
        .await
        .map_err(db)?;
        rows.iter()
            .map(rows::member)
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db)
    }

    async fn set_active_organization(
        &self,
        session_id: &SessionId,
        organization_id: Option<&OrgId>,
    ) -> Result<(), AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        sqlx::query("UPDATE sessions SET active_org_id = ? WHERE id = ?")
            .bind(organization_id.map(OrgId::as_str))
            .bind(session_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("UPDATE users SET last_active_org_id = ? WHERE id = (SELECT user_id FROM sessions WHERE id = ?)")
            .bind(organization_id.map(OrgId::as_str))
            .bind(session_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn change_member_role(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        role: &str,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        let demotes = !managers.iter().any(|manager| manager == role);
        match lock_member(&mut tx, organization_id, user_id, managers, demotes).await? {
            MemberChange::Done => {}
            refused => return Ok(refused),
        }
        sqlx::query("UPDATE memberships SET role = ? WHERE organization_id = ? AND user_id = ?")
            .bind(role)
            .bind(organization_id.as_str())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(MemberChange::Done)
    }

    async fn remove_member(
        &self,
        organization_id: &OrgId,
        user_id: &UserId,
        managers: &[String],
    ) -> Result<MemberChange, AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        match lock_member(&mut tx, organization_id, user_id, managers, true).await? {
            MemberChange::Done => {}
            refused => return Ok(refused),
        }
        sqlx::query("DELETE FROM memberships WHERE organization_id = ? AND user_id = ?")
            .bind(organization_id.as_str())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        clear_active(&mut tx, organization_id, Some(user_id)).await?;
        tx.commit().await.map_err(db)?;
        Ok(MemberChange::Done)
    }

    async fn rename_organization(
        &self,
        organization_id: &OrgId,
        name: &str,
        slug: &str,
    ) -> Result<bool, AuthError> {
        let renamed = sqlx::query("UPDATE organizations SET name = ?, slug = ? WHERE id = ?")
            .bind(name)
            .bind(slug)
            .bind(organization_id.as_str())
            .execute(&*self.write())
            .await;
        match renamed {
            Ok(done) => Ok(done.rows_affected() == 1),
            Err(error) if is_unique_violation(&error) => Ok(false),
            Err(error) => Err(db(error)),
        }
    }

    async fn delete_organization(&self, organization_id: &OrgId) -> Result<(), AuthError> {
        let writer = self.write();
        let mut tx = writer.begin().await.map_err(db)?;
        clear_active(&mut tx, organization_id, None).await?;
        sqlx::query("DELETE FROM organizations WHERE id = ?")
            .bind(organization_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

/// Takes the database's write lock with a write to the organization's row (so the reads below
/// see every committed change and no other writer runs until this one commits) and checks the
/// member: `NotAMember`, or — when the change takes the member out of the `managers` roles
/// (`leaves_managers`) — `LastManager` if no other member is in one.
async fn lock_member(
    tx: &mut Tx,
    organization_id: &OrgId,
    user_id: &UserId,
    managers: &[String],
    leaves_managers: bool,
) -> Result<MemberChange, AuthError> {
    let org = sqlx::query("UPDATE organizations SET id = id WHERE id = ?")
        .bind(organization_id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    if org.rows_affected() != 1 {
        return Ok(MemberChange::NotAMember);
    }
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM memberships WHERE organization_id = ? AND user_id = ?",
    )
    .bind(organization_id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    let Some(role) = role else {
        return Ok(MemberChange::NotAMember);
    };
    if !leaves_managers || !managers.contains(&role) {
        return Ok(MemberChange::Done);
    }
    let managers = serde_json::to_string(managers).map_err(|_| AuthError::internal())?;
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships
         WHERE organization_id = ? AND user_id <> ? AND role IN (SELECT value FROM json_each(?))",
    )
    .bind(organization_id.as_str())
    .bind(user_id.as_str())
    .bind(managers)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok(if others == 0 {
        MemberChange::LastManager
    } else {
        MemberChange::Done
    })
}

/// Clears the organization as the active one of its sessions and the last active one of its
/// users — of one user's, or of everyone's.
async fn clear_active(
    tx: &mut Tx,
    organization_id: &OrgId,
    user_id: Option<&UserId>,
) -> Result<(), AuthError> {
    let user = user_id.map(UserId::as_str);
    sqlx::query(
        "UPDATE sessions SET active_org_id = NULL
         WHERE active_org_id = ?1 AND (?2 IS NULL OR user_id = ?2)",
    )
    .bind(organization_id.as_str())
    .bind(user)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE users SET last_active_org_id = NULL
         WHERE last_active_org_id = ?1 AND (?2 IS NULL OR id = ?2)",
    )
    .bind(organization_id.as_str())
    .bind(user)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
