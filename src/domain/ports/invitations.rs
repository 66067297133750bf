//! The invitations port: invitations to organizations, their tickets (stored only as SHA-256)
//! and their acceptance. Every rule an attacker or a double click can race is one transaction
//! here: the one pending invitation per address (a unique index), the quota counted where the
//! invitation is inserted, and acceptance as a compare-and-swap on the invitation's status with
//! the membership it makes.

use async_trait::async_trait;

use super::organizations::OrganizationRow;
use crate::domain::Timestamp;
use crate::model::{AuthError, InvitationId, InvitationStatus, OrgId, UserId};

/// An invitation as stored, with its organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationRow {
    /// The invitation.
    pub id: InvitationId,
    /// Its organization.
    pub organization: OrganizationRow,
    /// The address invited (normalised).
    pub email: String,
    /// The role the member gets.
    pub role: String,
    /// The stored status: `pending` stays stored past the expiry (see
    /// `domain::invitation::status_at`).
    pub status: InvitationStatus,
    /// Who invited (`None`: the operator).
    pub inviter: Option<UserId>,
    /// SHA-256 of the ticket the latest email carried.
    pub ticket_hash: Vec<u8>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was last emailed.
    pub sent_at: Timestamp,
    /// When its link stops working.
    pub expires_at: Timestamp,
}

/// A new invitation.
#[derive(Clone, Debug)]
pub struct NewInvitation<'a> {
    /// Its id.
    pub id: &'a InvitationId,
    /// The organization.
    pub organization_id: &'a OrgId,
    /// The address (normalised).
    pub email: &'a str,
    /// The role.
    pub role: &'a str,
    /// Who invites (`None`: the operator).
    pub inviter: Option<&'a UserId>,
    /// SHA-256 of its ticket.
    pub ticket_hash: &'a [u8],
    /// When its link stops working.
    pub expires_at: Timestamp,
}

/// What inserting an invitation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationCreation {
    /// It is pending now.
    Created,
    /// The address has a live pending invitation to the organization (nothing changed).
    NotUnique,
    /// The address belongs to a member (nothing changed).
    AlreadyMember,
    /// Members plus live pending invitations are at the maximum (nothing changed).
    QuotaExceeded,
}

/// The stored name of a status.
pub fn status_name(status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Pending => "pending",
        InvitationStatus::Accepted => "accepted",
        InvitationStatus::Revoked => "revoked",
        InvitationStatus::Expired => "expired",
    }
}

/// The status a stored name means (an unknown name reads as revoked: never usable).
pub fn status_named(name: &str) -> InvitationStatus {
    match name {
        "pending" => InvitationStatus::Pending,
        "accepted" => InvitationStatus::Accepted,
        "expired" => InvitationStatus::Expired,
        _ => InvitationStatus::Revoked,
    }
}

/// Invitations to organizations. "Live" is pending with `expires_at` after `now`.
#[async_trait]
pub trait Invitations: Send + Sync {
    /// Inserts a pending invitation, in one transaction that first marks the address's pending
    /// invitations to the organization that expired by `now` as `expired`, then refuses an
    /// address of a member, an address with a live pending invitation, and — with
    /// `max_memberships` — an organization whose members and live pending invitations reach
    /// it, counted in that transaction (concurrent invitations to one organization queue).
    async fn create_invitation(
        &self,
        invitation: &NewInvitation<'_>,
        max_memberships: Option<u32>,
        now: Timestamp,
    ) -> Result<InvitationCreation, AuthError>;
    /// The invitation with this id.
    async fn find_invitation(&self, id: &InvitationId) -> Result<Option<InvitationRow>, AuthError>;
    /// The invitation whose latest ticket hashes to `ticket_hash`.
    async fn find_invitation_by_ticket(
        &self,
        ticket_hash: &[u8],
    ) -> Result<Option<InvitationRow>, AuthError>;
    /// Accepts a live pending invitation for `user_id`: the invitation becomes `accepted` (if
    /// it is still live pending: compare-and-swap) and the user a member with its role (a
    /// member already keeps their role), in one transaction. `false`: it was not live pending
    /// any more, nothing changed.
    async fn accept_invitation(
        &self,
        id: &InvitationId,
        user_id: &UserId,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// Revokes a pending invitation; `false` when it was not pending.
    async fn revoke_invitation(&self, id: &InvitationId, now: Timestamp)
        -> Result<bool, AuthError>;
    /// Gives a live pending invitation last sent at or before `sent_before` a new ticket and
    /// expiry (resend); `false`, and nothing changed, otherwise.
    async fn renew_invitation(
        &self,
        id: &InvitationId,
        ticket_hash: &[u8],
        sent_before: Timestamp,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, AuthError>;
    /// One page of the organization's live pending invitations (oldest first) and their count.
    async fn list_organization_invitations(
        &self,
        organization_id: &OrgId,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<InvitationRow>, u32), AuthError>;
    /// The live pending invitations to `email` (normalised), oldest first.
    async fn list_invitations_for_email(
        &self,
        email: &str,
        now: Timestamp,
    ) -> Result<Vec<InvitationRow>, AuthError>;
}
