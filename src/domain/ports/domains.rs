//! The domains port: organizations' domains (verified, with an enrollment mode) and users'
//! membership requests. The limits a race could break are decided by the database: at most
//! [`MAX_DOMAINS`] domains counted where one is inserted, one pending request per user and
//! organization (a unique index), and a request decided once, by a compare-and-swap on its
//! status in the transaction that makes the membership.

use async_trait::async_trait;

use super::organizations::OrganizationRow;
use crate::domain::Timestamp;
use crate::model::{AuthError, EnrollmentMode, MembershipRequest, OrgId, UserId};

/// Domains an organization may have.
pub const MAX_DOMAINS: u32 = 10;

/// A domain as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainRow {
    /// Its id (`orgdmn_…`).
    pub id: String,
    /// Its organization.
    pub organization_id: OrgId,
    /// The domain (lowercase).
    pub name: String,
    /// Its enrollment mode.
    pub enrollment_mode: EnrollmentMode,
    /// Where its verification code was sent.
    pub affiliation_email: Option<String>,
    /// When it was verified.
    pub verified_at: Option<Timestamp>,
}

/// What adding a domain did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainCreation {
    /// Added, unverified, with this id.
    Created(String),
    /// The organization has this domain already.
    Exists,
    /// The organization has [`MAX_DOMAINS`] already.
    QuotaExceeded,
}

/// What deciding a membership request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestDecision {
    /// Decided now (accepted: the membership is made).
    Decided,
    /// No pending request with this id in this organization.
    NotPending,
}

/// Domains and membership requests.
#[async_trait]
pub trait Domains: Send + Sync {
    /// Adds an unverified domain; counts the organization's domains in the same transaction.
    async fn create_domain(
        &self,
        organization_id: &OrgId,
        name: &str,
        mode: EnrollmentMode,
        now: Timestamp,
    ) -> Result<DomainCreation, AuthError>;
    /// The domain with this id, in this organization.
    async fn find_domain(
        &self,
        organization_id: &OrgId,
        id: &str,
    ) -> Result<Option<DomainRow>, AuthError>;
    /// The organization's domains, oldest first.
    async fn list_domains(&self, organization_id: &OrgId) -> Result<Vec<DomainRow>, AuthError>;
    /// Records where the domain's verification code went.
    async fn set_affiliation_email(&self, id: &str, email: &str) -> Result<(), AuthError>;
    /// Marks the domain verified (idempotent).
    async fn mark_domain_verified(&self, id: &str, now: Timestamp) -> Result<(), AuthError>;
    /// Sets the domain's enrollment mode.
    async fn set_enrollment_mode(&self, id: &str, mode: EnrollmentMode) -> Result<(), AuthError>;
    /// Deletes the domain.
    async fn delete_domain(&self, id: &str) -> Result<(), AuthError>;
    /// The organizations whose verified domain `name` has `mode`, oldest domain first.
    async fn organizations_with_verified_domain(
        &self,
        name: &str,
        mode: EnrollmentMode,
    ) -> Result<Vec<OrganizationRow>, AuthError>;
    /// The users with a verified address at `name` (lowercase), as (user, address).
    async fn users_with_verified_address_at(
        &self,
        name: &str,
    ) -> Result<Vec<(UserId, String)>, AuthError>;
    /// Makes a pending request of `user_id` to join; `false` when one is pending already or the
    /// user is a member.
    async fn create_membership_request(
        &self,
        id: &str,
        organization_id: &OrgId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// The organizations `user_id` has a pending request to.
    async fn pending_request_organizations(
        &self,
        user_id: &UserId,
    ) -> Result<Vec<OrgId>, AuthError>;
    /// The organization's pending requests, oldest first.
    async fn list_membership_requests(
        &self,
        organization_id: &OrgId,
    ) -> Result<Vec<MembershipRequest>, AuthError>;
    /// One page of the organization's pending requests (oldest first) and their total count.
    async fn list_membership_requests_page(
        &self,
        organization_id: &OrgId,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<MembershipRequest>, u32), AuthError>;
    /// Accepts (the requester becomes a member with `role`) or rejects a pending request, once.
    async fn decide_membership_request(
        &self,
        organization_id: &OrgId,
        id: &str,
        accept_as: Option<&str>,
        now: Timestamp,
    ) -> Result<RequestDecision, AuthError>;
}
