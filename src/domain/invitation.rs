//! Invitations to organizations: an admin (`org:sys_memberships:manage`) or the operator invites
//! an address with a role; the invitation is `pending` until `accepted`, `revoked` or `expired`
//! (`organizations.invitation_expiry_days`), its email's link carrying a single-use ticket
//! (Clerk's strategy `ticket`, the `__clerk_ticket` parameter).
//!
//! Accepting: a signed-in user whose address it is joins at once (`session_change`'s
//! `AcceptInvitation`, also by id for the user's own invitations, without the email); a
//! signed-out user carries the ticket through the sign-in ([`TicketClaim`] in the attempt's
//! states, every step kept) or signs up with it (the ticket proves the address: no code), and
//! `finalize` joins. Each way checks the ticket here and joins here ([`join`]): the invitation
//! moves from pending to accepted by a compare-and-swap in the transaction that makes the
//! membership, so a ticket is used once however many requests race.

use serde::{Deserialize, Serialize};

use super::{
    audit::{self, AuditEvent, AuditKind},
    email::normalize_email,
    emails,
    ids::new_id,
    organization::{self, MAX_PAGE_SIZE},
    ports::{InvitationCreation, InvitationRow, NewInvitation, OrganizationRow},
    tokens::SecretToken,
    Gatehouse, Timestamp,
};
use crate::model::{
    encode_query_component, AuthError, ErrorCode, GatehouseError, InvitationId, InvitationPage,
    InvitationStatus, OrgId, OrganizationInvitation, UserId,
};

/// The query parameter of the invitation link that carries the ticket (Clerk's name).
pub const TICKET_PARAM: &str = "__clerk_ticket";
/// The kit's page an invitation link opens (`server::invitations`): join, sign in or sign up.
pub const ACCEPT_PATH: &str = "/invitations/accept";
/// The permission that invites, revokes, resends and lists invitations.
pub use organization::MANAGE_MEMBERSHIPS as MANAGE_PERMISSION;
/// How long after an invitation was emailed it may be emailed again.
pub const RESEND_INTERVAL_SECONDS: i64 = 60;

/// Where an invitation stands at `now`: its stored status, a pending one past its expiry being
/// expired.
pub fn status_at(row: &InvitationRow, now: Timestamp) -> InvitationStatus {
    match row.status {
        InvitationStatus::Pending if now >= row.expires_at => InvitationStatus::Expired,
        status => status,
    }
}

/// The error of an invitation that is no longer pending (none for a pending one).
pub fn refusal(status: InvitationStatus) -> Option<AuthError> {
    let code = match status {
        InvitationStatus::Pending => return None,
        InvitationStatus::Accepted => ErrorCode::OrganizationInvitationAlreadyAccepted,
        InvitationStatus::Revoked => ErrorCode::OrganizationInvitationRevokedCode,
        InvitationStatus::Expired => ErrorCode::TicketExpiredCode,
    };
    Some(AuthError::new(code))
}

/// `Ok` while the invitation is pending at `now`, else its own error.
fn pending(row: &InvitationRow, now: Timestamp) -> Result<(), AuthError> {
    refusal(status_at(row, now)).map_or(Ok(()), Err)
}

/// An invitation as the browser sees it.
pub fn view(row: &InvitationRow, now: Timestamp) -> OrganizationInvitation {
    OrganizationInvitation {
        id: row.id.clone(),
        organization_id: row.organization.id.clone(),
        organization_name: row.organization.name.clone(),
        organization_slug: row.organization.slug.clone(),
        email_address: row.email.clone(),
        role: row.role.clone(),
        status: status_at(row, now),
        created_at: row.created_at,
        expires_at: row.expires_at,
    }
}

/// A ticket that was valid when a sign-in or sign-up started, kept in the attempt until
/// `finalize` joins: the invitation and the hash of that ticket (a resend replaces the ticket,
/// and the old one stops working, in an attempt too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClaim {
    /// The invitation.
    pub invitation_id: InvitationId,
    /// Hex SHA-256 of the ticket.
    pub ticket_hash: String,
}

/// Who sends an invitation: a member with `org:sys_memberships:manage`, or the operator
/// (`gatehouse org invite`).
pub use super::organization::Actor as Inviter;

/// The organization `slug`, for a user who may manage its memberships. Anyone else — not a
/// member, a member without the permission, or no such organization — gets
/// `organization_not_found_or_unauthorized`, as every organization function answers.
async fn managed(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
) -> Result<OrganizationRow, AuthError> {
    organization::authorized(gatehouse, Inviter::Member(user_id), slug, MANAGE_PERMISSION).await
}

/// The link of an invitation email: the kit's accept page on the instance's public URL, with
/// the ticket (hex, so nothing in it needs escaping; it is escaped all the same).
pub fn link(gatehouse: &Gatehouse, ticket: &SecretToken) -> String {
    format!(
        "{}{ACCEPT_PATH}?{TICKET_PARAM}={}",
        gatehouse.config.instance.public_url.trim_end_matches('/'),
        encode_query_component(ticket.expose())
    )
}

fn expiry(gatehouse: &Gatehouse, now: Timestamp) -> Timestamp {
    now + i64::from(gatehouse.config.organizations.invitation_expiry_days) * 24 * 3600
}

/// Emails the invitation with the link of `ticket` (the caller waits: an admin's invite answers
/// once the message is handed over).
async fn mail(gatehouse: &Gatehouse, row_email: &str, org_name: &str, ticket: &SecretToken) {
    let days = gatehouse.config.organizations.invitation_expiry_days;
    let email =
        emails::organization_invitation(row_email, org_name, &link(gatehouse, ticket), days);
    gatehouse.mailer.deliver(email).await;
}

/// Invites `email` to the organization `slug` with `role`, and emails the link. Refused: a role
/// that does not exist, an address of a member (`already_a_member_in_organization`), one with a
/// pending invitation (`organization_invitation_not_unique`), and — with
/// `organizations.max_memberships` — an organization whose members and pending invitations
/// reach it (`organization_membership_quota_exceeded`).
pub async fn invite(
    gatehouse: &Gatehouse,
    inviter: Inviter<'_>,
    slug: &str,
    email: &str,
    role: &str,
    now: Timestamp,
) -> Result<OrganizationInvitation, GatehouseError> {
    let org = organization::authorized(gatehouse, inviter, slug, MANAGE_PERMISSION).await?;
    let config = &gatehouse.config.organizations;
    let email = normalize_email(email, "email_address");
    let role = role.trim();
    let role_error = (!config.role_exists(role)).then(|| {
        if role.is_empty() {
            AuthError::param_missing("role")
        } else {
            AuthError::param_format_invalid("role")
        }
    });
    let email = match (email, role_error) {
        (Ok(email), None) => email,
        (email, role_error) => {
            let errors = [email.err(), role_error].into_iter().flatten().collect();
            return Err(GatehouseError(crate::model::ApiErrors { errors }));
        }
    };
    let ticket = SecretToken::generate();
    let id: InvitationId = new_id();
    let inviter_id = match inviter {
        Inviter::Member(user_id) => Some(user_id),
        Inviter::Operator => None,
    };
    let created = gatehouse
        .store
        .create_invitation(
            &NewInvitation {
                id: &id,
                organization_id: &org.id,
                email: &email,
                role,
                inviter: inviter_id,
                ticket_hash: &ticket.hash(),
                expires_at: expiry(gatehouse, now),
            },
            config.max_memberships,
            now,
        )
        .await?;
    let refused = match created {
        InvitationCreation::Created => None,
        InvitationCreation::NotUnique => Some(ErrorCode::OrganizationInvitationNotUnique),
        InvitationCreation::AlreadyMember => Some(ErrorCode::AlreadyAMemberInOrganization),
        InvitationCreation::QuotaExceeded => Some(ErrorCode::OrganizationMembershipQuotaExceeded),
    };
    if let Some(code) = refused {
        let error = AuthError::new(code);
        return Err(match code {
            ErrorCode::OrganizationMembershipQuotaExceeded => error,
            _ => error.for_param("email_address"),
        }
        .into());
    }
    mail(gatehouse, &email, &org.name, &ticket).await;
    tracing::info!(invitation_id = %id, org_id = %org.id, "invitation sent");
    let mut event = AuditEvent::new(AuditKind::InvitationSent)
        .email(&email)
        .organization(&org.id)
        .detail(role);
    if let Inviter::Member(user) = inviter {
        event = event.user(user);
    }
    audit::record(gatehouse, event, now);
    let row = gatehouse
        .store
        .find_invitation(&id)
        .await?
        .ok_or_else(AuthError::not_found)?;
    Ok(view(&row, now))
}

/// The pending invitation `id` of the organization `slug`, for a user who manages it.
async fn managed_invitation(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
    id: &InvitationId,
    now: Timestamp,
) -> Result<InvitationRow, AuthError> {
    let org = managed(gatehouse, user_id, slug).await?;
    let row = gatehouse
        .store
        .find_invitation(id)
        .await?
        .filter(|row| row.organization.id == org.id)
        .ok_or_else(AuthError::not_found)?;
    pending(&row, now)?;
    Ok(row)
}

/// Why the compare-and-swap on invitation `id` found it moved: its own error now.
async fn moved(gatehouse: &Gatehouse, id: &InvitationId, now: Timestamp) -> AuthError {
    match gatehouse.store.find_invitation(id).await {
        Ok(Some(row)) => refusal(status_at(&row, now))
            .unwrap_or_else(|| AuthError::new(ErrorCode::OrganizationInvitationAlreadyAccepted)),
        Ok(None) => AuthError::ticket_invalid(),
        Err(error) => error,
    }
}

/// Revokes a pending invitation of the organization `slug`: its link stops working.
pub async fn revoke(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
    id: &InvitationId,
    now: Timestamp,
) -> Result<(), AuthError> {
    let row = managed_invitation(gatehouse, user_id, slug, id, now).await?;
    if !gatehouse.store.revoke_invitation(id, now).await? {
        return Err(moved(gatehouse, id, now).await);
    }
    tracing::info!(invitation_id = %id, "invitation revoked");
    let event = AuditEvent::new(AuditKind::InvitationRevoked)
        .user(user_id)
        .email(&row.email)
        .organization(&row.organization.id);
    audit::record(gatehouse, event, now);
    Ok(())
}

/// Emails a pending invitation again with a new link: the old link stops working, and the new
/// one works for the whole expiry period again. At most once a minute per invitation
/// (`too_many_requests`), besides the endpoint's per-IP limit.
pub async fn resend(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
    id: &InvitationId,
    now: Timestamp,
) -> Result<(), AuthError> {
    let row = managed_invitation(gatehouse, user_id, slug, id, now).await?;
    let wait = row.sent_at + RESEND_INTERVAL_SECONDS - now;
    if wait > 0 {
        return Err(AuthError::too_many_requests(wait));
    }
    let ticket = SecretToken::generate();
    let sent_before = now - RESEND_INTERVAL_SECONDS;
    let renewed = gatehouse
        .store
        .renew_invitation(id, &ticket.hash(), sent_before, expiry(gatehouse, now), now)
        .await?;
    if !renewed {
        // Moved on meanwhile, or another resend came first.
        let row = gatehouse
            .store
            .find_invitation(id)
            .await?
            .ok_or_else(AuthError::not_found)?;
        return Err(refusal(status_at(&row, now))
            .unwrap_or_else(|| AuthError::too_many_requests(RESEND_INTERVAL_SECONDS)));
    }
    mail(gatehouse, &row.email, &row.organization.name, &ticket).await;
    tracing::info!(invitation_id = %id, "invitation sent again");
    Ok(())
}

/// One page (1-based) of the pending invitations of the organization `slug`, for a user who
/// manages it.
pub async fn organization_invitations(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    slug: &str,
    page: u32,
    page_size: u32,
    now: Timestamp,
) -> Result<InvitationPage, AuthError> {
    let org = managed(gatehouse, user_id, slug).await?;
    let page = page.max(1);
    let page_size = page_size.clamp(1, MAX_PAGE_SIZE);
    let offset = (page - 1).saturating_mul(page_size);
    let (rows, total_count) = gatehouse
        .store
        .list_organization_invitations(&org.id, now, offset, page_size)
        .await?;
    Ok(InvitationPage {
        data: rows.iter().map(|row| view(row, now)).collect(),
        total_count,
        page,
        page_size,
    })
}

/// The pending invitations to the user's verified address `email` (the signed-in user's own:
/// the task page's and the switcher's "Join").
pub async fn user_invitations(
    gatehouse: &Gatehouse,
    email: &str,
    now: Timestamp,
) -> Result<Vec<OrganizationInvitation>, AuthError> {
    let rows = gatehouse
        .store
        .list_invitations_for_email(email, now)
        .await?;
    Ok(rows.iter().map(|row| view(row, now)).collect())
}

/// The pending invitation a ticket (from a link) names, and the claim an attempt keeps.
/// Unknown or replaced tickets are `ticket_invalid_code`; a used, revoked or expired invitation
/// gets its own error.
pub async fn check_ticket(
    gatehouse: &Gatehouse,
    ticket: &str,
    now: Timestamp,
) -> Result<(InvitationRow, TicketClaim), AuthError> {
    let ticket = SecretToken::from_cookie(ticket.trim()).ok_or_else(AuthError::ticket_invalid)?;
    let hash = ticket.hash();
    let row = gatehouse
        .store
        .find_invitation_by_ticket(&hash)
        .await?
        .ok_or_else(AuthError::ticket_invalid)?;
    pending(&row, now)?;
    let claim = TicketClaim {
        invitation_id: row.id.clone(),
        ticket_hash: hex::encode(hash),
    };
    Ok((row, claim))
}

/// The claimed invitation, if it can still be accepted at `now`: the same ticket (not replaced
/// by a resend) and still pending.
pub async fn claimed(
    gatehouse: &Gatehouse,
    claim: &TicketClaim,
    now: Timestamp,
) -> Result<InvitationRow, AuthError> {
    let row = gatehouse
        .store
        .find_invitation(&claim.invitation_id)
        .await?
        .filter(|row| hex::encode(&row.ticket_hash) == claim.ticket_hash)
        .ok_or_else(AuthError::ticket_invalid)?;
    pending(&row, now)?;
    Ok(row)
}

/// Makes `user_id` a member with the invitation's role and the invitation accepted, in one
/// transaction whose compare-and-swap lets one acceptance through: any other gets the
/// invitation's error as it stands then.
pub async fn join(
    gatehouse: &Gatehouse,
    row: &InvitationRow,
    user_id: &UserId,
    now: Timestamp,
) -> Result<OrgId, AuthError> {
    if !gatehouse
        .store
        .accept_invitation(&row.id, user_id, now)
        .await?
    {
        return Err(moved(gatehouse, &row.id, now).await);
    }
    tracing::info!(invitation_id = %row.id, %user_id, org_id = %row.organization.id, "invitation accepted");
    let event = AuditEvent::new(AuditKind::MemberAdded)
        .user(user_id)
        .email(&row.email)
        .organization(&row.organization.id)
        .detail(&format!("{} (invitation)", row.role));
    audit::record(gatehouse, event, now);
    Ok(row.organization.id.clone())
}

/// What a signed-in user accepts an invitation by.
#[derive(Clone, Debug)]
pub enum InvitationKey {
    /// The ticket of the email's link.
    Ticket(String),
    /// One of the user's own invitations (no email round trip).
    Id(InvitationId),
}

/// A signed-in user (`user_id`, verified address `email`) accepts an invitation to that
/// address: a ticket for another address is `ticket_invalid_code` on `email_address`; an id of
/// an invitation that is not theirs is `not_found`. Returns the organization joined.
pub async fn accept(
    gatehouse: &Gatehouse,
    key: InvitationKey,
    user_id: &UserId,
    email: &str,
    now: Timestamp,
) -> Result<OrgId, AuthError> {
    let row = match key {
        InvitationKey::Ticket(ticket) => {
            let (row, _) = check_ticket(gatehouse, &ticket, now).await?;
            if row.email != email {
                return Err(AuthError::ticket_for_another_address("email_address"));
            }
            row
        }
        InvitationKey::Id(id) => {
            let row = gatehouse
                .store
                .find_invitation(&id)
                .await?
                .filter(|row| row.email == email)
                .ok_or_else(AuthError::not_found)?;
            pending(&row, now)?;
            row
        }
    };
    join(gatehouse, &row, user_id, now).await
}

/// What the invitation link's page needs to know about its ticket.
#[derive(Clone, Debug)]
pub struct TicketPage {
    /// The organization's name.
    pub organization_name: String,
    /// The address invited.
    pub email: String,
    /// Whether that address has an account (sign in) or not (sign up). The ticket proves the
    /// mailbox, so its holder may know.
    pub account_exists: bool,
}

/// The invitation a link's ticket names, for its page (nothing changes): its error when it
/// cannot be accepted.
pub async fn ticket_page(
    gatehouse: &Gatehouse,
    ticket: &str,
    now: Timestamp,
) -> Result<TicketPage, AuthError> {
    let (row, _) = check_ticket(gatehouse, ticket, now).await?;
    let account_exists = gatehouse
        .store
        .find_user_by_email(&row.email)
        .await?
        .is_some();
    Ok(TicketPage {
        organization_name: row.organization.name,
        email: row.email,
        account_exists,
    })
}
