//! Row readers both engines share: the same columns decode the same way from a SQLite or a
//! PostgreSQL row, so each record is read in one place.

use sqlx::Row;

use super::{id_at, optional_id_at};
use crate::{
    domain::ports::{AuditRow, CeremonyKind, CeremonyRow, DomainRow, PasskeyRow},
    model::{EnrollmentMode, Member, MembershipRequest},
};

/// A member: `user_id`, `email`, `role`.
pub(crate) fn member<R>(row: &R) -> Result<Member, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(Member {
        user_id: id_at(row, "user_id")?,
        email_address: row.try_get("email")?,
        role: row.try_get("role")?,
    })
}

/// A membership request: `id`, `user_id`, `email`, `created_at`.
pub(crate) fn membership_request<R>(row: &R) -> Result<MembershipRequest, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(MembershipRequest {
        id: row.try_get("id")?,
        user_id: id_at(row, "user_id")?,
        email_address: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
    })
}

/// An organization's domain: `id`, `organization_id`, `name`, `enrollment_mode` (an unknown
/// mode reads as `manual_invitation`: nothing automatic), `affiliation_email`, `verified_at`.
pub(crate) fn domain<R>(row: &R) -> Result<DomainRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    let mode: String = row.try_get("enrollment_mode")?;
    Ok(DomainRow {
        id: row.try_get("id")?,
        organization_id: id_at(row, "organization_id")?,
        name: row.try_get("name")?,
        enrollment_mode: EnrollmentMode::parse(&mode).unwrap_or(EnrollmentMode::ManualInvitation),
        affiliation_email: row.try_get("affiliation_email")?,
        verified_at: row.try_get("verified_at")?,
    })
}

/// A passkey: `id`, `user_id`, `credential_id`, `user_handle`, `name`, `passkey` (JSON as
/// text), `counter`, `flagged_at`, `created_at`, `last_used_at`.
pub(crate) fn passkey<R>(row: &R) -> Result<PasskeyRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(PasskeyRow {
        id: row.try_get("id")?,
        user_id: id_at(row, "user_id")?,
        credential_id: row.try_get("credential_id")?,
        user_handle: row.try_get("user_handle")?,
        name: row.try_get("name")?,
        passkey: row.try_get("passkey")?,
        counter: row.try_get("counter")?,
        flagged_at: row.try_get("flagged_at")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// A passkey ceremony: `id`, `client_id`, `kind`, `user_id`, `state` (JSON as text),
/// `expires_at`; `kind` is the one it was taken as.
pub(crate) fn ceremony<R>(row: &R, kind: CeremonyKind) -> Result<CeremonyRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(CeremonyRow {
        id: row.try_get("id")?,
        client_id: id_at(row, "client_id")?,
        kind,
        user_id: optional_id_at(row, "user_id")?,
        state: row.try_get("state")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// An audit event: every column of `audit_events` but the insertion order.
pub(crate) fn audit_event<R>(row: &R) -> Result<AuditRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
{
    Ok(AuditRow {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        outcome: row.try_get("outcome")?,
        user_id: optional_id_at(row, "user_id")?,
        email: row.try_get("email")?,
        session_id: row.try_get("session_id")?,
        client_id: row.try_get("client_id")?,
        ip_address: row.try_get("ip_address")?,
        browser: row.try_get("browser")?,
        organization_id: optional_id_at(row, "organization_id")?,
        detail: row.try_get("detail")?,
    })
}
