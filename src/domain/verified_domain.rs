//! Organizations' verified domains (Clerk's enrollment modes) and the membership requests they
//! lead to.
//!
//! An admin (`org:sys_domains:manage`) adds a domain — at most [`super::ports::MAX_DOMAINS`], common mail
//! providers refused (`organization_domain_common`) — and verifies it with a code emailed to an
//! address at it (the affiliation address), or the operator marks it verified. A verified
//! domain's enrollment mode decides what users with a verified address there get:
//! - `manual_invitation`: nothing;
//! - `automatic_invitation`: a pending invitation ("Join"), made when they sign up and, for
//!   existing users, when the domain is verified or switched to this mode (no email: it shows
//!   where the user's invitations do);
//! - `automatic_suggestion`: a suggestion ("Request to join"), which makes a membership request
//!   an admin (`org:sys_memberships:manage`) approves — the user becomes `org:member` — or
//!   rejects.

use super::{
    audit::{self, AuditEvent, AuditKind},
    codes::{self, CodeState},
    email::is_valid_domain,
    emails,
    ids::new_row_id,
    organization::{self, Actor, MANAGE_MEMBERSHIPS},
    ports::{
        CodeKey, DomainCreation, DomainRow, InvitationCreation, NewInvitation, OrganizationRow,
        RequestDecision,
    },
    tokens::SecretToken,
    Gatehouse, Timestamp,
};
use crate::model::{
    AuthError, EnrollmentMode, ErrorCode, InvitationId, OrgId, OrganizationDomain,
    OrganizationSuggestion, UserId, ROLE_MEMBER,
};

/// The permission that adds, verifies, sets the mode of and removes domains.
pub const MANAGE_DOMAINS: &str = "org:sys_domains:manage";

/// Mail providers whose domain no organization may claim.
const COMMON_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "yandex.com",
    "yandex.ru",
    "zoho.com",
    "qq.com",
    "163.com",
    "126.com",
    "fastmail.com",
    "hey.com",
];

/// A domain as its admins see it.
pub fn view(row: &DomainRow) -> OrganizationDomain {
    OrganizationDomain {
        id: row.id.clone(),
        name: row.name.clone(),
        enrollment_mode: row.enrollment_mode,
        verified: row.verified_at.is_some(),
        affiliation_email_address: row.affiliation_email.clone(),
    }
}

/// A domain typed by an admin, normalised (lowercase, no trailing dot); refused on `name`:
/// missing, malformed, or a common mail provider's (`organization_domain_common`).
pub fn normalize_domain(input: &str) -> Result<String, AuthError> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(AuthError::param_missing("name"));
    }
    if !is_valid_domain(&name) {
        return Err(AuthError::param_format_invalid("name"));
    }
    if COMMON_DOMAINS.contains(&name.as_str()) {
        return Err(AuthError::new(ErrorCode::OrganizationDomainCommon).for_param("name"));
    }
    Ok(name)
}

/// The domain of an address (after its `@`).
fn domain_of(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, domain)| domain)
}

/// Adds an unverified domain to the organization `slug`.
pub async fn add(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    name: &str,
    mode: EnrollmentMode,
    now: Timestamp,
) -> Result<OrganizationDomain, AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_DOMAINS).await?;
    let name = normalize_domain(name)?;
    let created = gatehouse
        .store
        .create_domain(&org.id, &name, mode, now)
        .await?;
    let id = match created {
        DomainCreation::Created(id) => id,
        DomainCreation::Exists => return Err(AuthError::identifier_exists("name")),
        DomainCreation::QuotaExceeded => {
            return Err(AuthError::new(ErrorCode::OrganizationDomainQuotaExceeded))
        }
    };
    tracing::info!(org_id = %org.id, domain = %name, "organization domain added");
    Ok(OrganizationDomain {
        id,
        name,
        enrollment_mode: mode,
        verified: false,
        affiliation_email_address: None,
    })
}

/// The domain `domain_id` of the organization `slug`, for an actor who manages its domains.
async fn managed(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    domain_id: &str,
) -> Result<(OrganizationRow, DomainRow), AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_DOMAINS).await?;
    let row = gatehouse
        .store
        .find_domain(&org.id, domain_id)
        .await?
        .ok_or_else(|| AuthError::new(ErrorCode::ResourceNotFound))?;
    Ok((org, row))
}

/// The organization's domains, for an actor who manages them.
pub async fn list(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
) -> Result<Vec<OrganizationDomain>, AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_DOMAINS).await?;
    let rows = gatehouse.store.list_domains(&org.id).await?;
    Ok(rows.iter().map(view).collect())
}

/// Emails a verification code to `affiliation_email`, an address at the domain (else
/// `form_param_format_invalid` on `affiliation_email_address`). Asking again sends a new code
/// under the code rules (every 30 seconds, 3 times; wrong tries carry over).
pub async fn send_affiliation_code(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    domain_id: &str,
    affiliation_email: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    const FIELD: &str = "affiliation_email_address";
    let (org, row) = managed(gatehouse, actor, slug, domain_id).await?;
    if row.verified_at.is_some() {
        return Err(AuthError::verification_already_verified());
    }
    let email = super::email::normalize_email(affiliation_email, FIELD)?;
    if domain_of(&email) != Some(row.name.as_str()) {
        return Err(AuthError::param_format_invalid(FIELD));
    }
    let key = CodeKey::domain_affiliation(&row.id);
    // A live code is sent again under the resend rules (its wrong tries carry over); after
    // one expired or was used, a new one starts.
    let live = gatehouse
        .store
        .code_state(key)
        .await?
        .filter(|state| !state.consumed && now < state.expires_at);
    let code = match live {
        Some(_) => codes::resend(gatehouse, key, now).await?,
        None => {
            let code = codes::generate_code();
            let state = CodeState::issue(&row.id, code.expose(), now);
            gatehouse.store.insert_code(key, &state).await?;
            code
        }
    };
    gatehouse
        .store
        .set_affiliation_email(&row.id, &email)
        .await?;
    let mail = emails::domain_affiliation_code(&email, &org.name, &row.name, code.expose());
    gatehouse.mailer.deliver(mail).await;
    Ok(())
}

/// Verifies the domain with the code its affiliation address received (the code rules: 5
/// wrong tries, 10 minutes, once), then enrolls the users its mode says.
pub async fn verify_affiliation_code(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    domain_id: &str,
    code: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    let (_, row) = managed(gatehouse, actor, slug, domain_id).await?;
    if row.verified_at.is_some() {
        return Err(AuthError::verification_already_verified());
    }
    codes::verify(gatehouse, CodeKey::domain_affiliation(&row.id), code, now).await?;
    verified(gatehouse, &row, now).await
}

/// The operator marks the organization's domain `name` verified (`gatehouse org domain
/// verify`), then the users its mode says are enrolled.
pub async fn mark_verified(
    gatehouse: &Gatehouse,
    slug: &str,
    name: &str,
    now: Timestamp,
) -> Result<OrganizationDomain, AuthError> {
    let org = organization::authorized(gatehouse, Actor::Operator, slug, MANAGE_DOMAINS).await?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let rows = gatehouse.store.list_domains(&org.id).await?;
    let row = rows
        .into_iter()
        .find(|row| row.name == name)
        .ok_or_else(|| AuthError::new(ErrorCode::ResourceNotFound))?;
    verified(gatehouse, &row, now).await?;
    Ok(OrganizationDomain {
        verified: true,
        ..view(&row)
    })
}

async fn verified(gatehouse: &Gatehouse, row: &DomainRow, now: Timestamp) -> Result<(), AuthError> {
    gatehouse.store.mark_domain_verified(&row.id, now).await?;
    tracing::info!(org_id = %row.organization_id, domain = %row.name, "organization domain verified");
    if row.enrollment_mode == EnrollmentMode::AutomaticInvitation {
        invite_existing_users(gatehouse, row, now).await?;
    }
    Ok(())
}

/// Sets the domain's enrollment mode; switching a verified domain to `automatic_invitation`
/// invites the users already there.
pub async fn set_mode(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    domain_id: &str,
    mode: EnrollmentMode,
    now: Timestamp,
) -> Result<(), AuthError> {
    let (_, row) = managed(gatehouse, actor, slug, domain_id).await?;
    gatehouse.store.set_enrollment_mode(&row.id, mode).await?;
    if mode == EnrollmentMode::AutomaticInvitation && row.verified_at.is_some() {
        invite_existing_users(gatehouse, &row, now).await?;
    }
    Ok(())
}

/// Removes the domain (invitations it made stay; suggestions from it stop).
pub async fn remove(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    domain_id: &str,
) -> Result<(), AuthError> {
    let (_, row) = managed(gatehouse, actor, slug, domain_id).await?;
    gatehouse.store.delete_domain(&row.id).await
}

/// A pending `org:member` invitation of `email` to `org`, made by the domain's enrollment (no
/// email: its ticket is never sent; the user joins from their list). An address that is a
/// member, already invited, or an organization that is full, is passed over.
async fn auto_invite(
    gatehouse: &Gatehouse,
    org: &OrgId,
    email: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    let id: InvitationId = super::ids::new_id();
    let unsent = SecretToken::generate();
    let expiry = i64::from(gatehouse.config.organizations.invitation_expiry_days) * 24 * 3600;
    let invitation = NewInvitation {
        id: &id,
        organization_id: org,
        email,
        role: ROLE_MEMBER,
        inviter: None,
        ticket_hash: &unsent.hash(),
        expires_at: now + expiry,
    };
    let max = gatehouse.config.organizations.max_memberships;
    match gatehouse
        .store
        .create_invitation(&invitation, max, now)
        .await?
    {
        InvitationCreation::Created => tracing::info!(org_id = %org, "domain enrollment: invited"),
        InvitationCreation::NotUnique | InvitationCreation::AlreadyMember => {}
        InvitationCreation::QuotaExceeded => {
            tracing::info!(org_id = %org, "domain enrollment: the organization is full")
        }
    }
    Ok(())
}

async fn invite_existing_users(
    gatehouse: &Gatehouse,
    row: &DomainRow,
    now: Timestamp,
) -> Result<(), AuthError> {
    let users = gatehouse
        .store
        .users_with_verified_address_at(&row.name)
        .await?;
    for (_, email) in users {
        auto_invite(gatehouse, &row.organization_id, &email, now).await?;
    }
    Ok(())
}

/// A new user with the verified address `email`: the organizations whose verified domain it is
/// at, in `automatic_invitation` mode, invite them. A failure is logged: it never fails the
/// sign-up.
pub async fn enroll_new_user(gatehouse: &Gatehouse, email: &str, now: Timestamp) {
    let Some(domain) = domain_of(email) else {
        return;
    };
    let mode = EnrollmentMode::AutomaticInvitation;
    let orgs = match gatehouse
        .store
        .organizations_with_verified_domain(domain, mode)
        .await
    {
        Ok(orgs) => orgs,
        Err(error) => {
            tracing::warn!(%error, "domain enrollment skipped");
            return;
        }
    };
    for org in orgs {
        if let Err(error) = auto_invite(gatehouse, &org.id, email, now).await {
            tracing::warn!(%error, org_id = %org.id, "domain enrollment skipped");
        }
    }
}

/// The organizations suggested to `user` by the verified domain of their address `email`
/// (`automatic_suggestion`), except those they belong to: `pending`, or `accepted` once they
/// asked to join.
pub async fn suggestions(
    gatehouse: &Gatehouse,
    user: &UserId,
    email: &str,
) -> Result<Vec<OrganizationSuggestion>, AuthError> {
    let Some(domain) = domain_of(email) else {
        return Ok(Vec::new());
    };
    let mode = EnrollmentMode::AutomaticSuggestion;
    let orgs = gatehouse
        .store
        .organizations_with_verified_domain(domain, mode)
        .await?;
    // Most addresses are at no organization's domain: one indexed lookup, nothing more.
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let requested = gatehouse.store.pending_request_organizations(user).await?;
    let mut suggestions = Vec::new();
    for org in orgs {
        if gatehouse
            .store
            .membership_role(&org.id, user)
            .await?
            .is_some()
        {
            continue;
        }
        let status = if requested.contains(&org.id) {
            "accepted"
        } else {
            "pending"
        };
        suggestions.push(OrganizationSuggestion {
            organization_id: org.id,
            organization_name: org.name,
            organization_slug: org.slug,
            status: status.to_string(),
        });
    }
    Ok(suggestions)
}

/// "Request to join" an organization suggested to the user: a pending membership request
/// (asking again while one is pending changes nothing). An organization not suggested to them
/// is `organization_not_found_or_unauthorized`.
pub async fn request_to_join(
    gatehouse: &Gatehouse,
    user: &UserId,
    email: &str,
    organization_id: &OrgId,
    now: Timestamp,
) -> Result<(), AuthError> {
    let suggested = suggestions(gatehouse, user, email).await?;
    if !suggested
        .iter()
        .any(|s| &s.organization_id == organization_id)
    {
        return Err(AuthError::not_a_member());
    }
    let id = new_row_id("orgmbr");
    if gatehouse
        .store
        .create_membership_request(&id, organization_id, user, now)
        .await?
    {
        tracing::info!(org_id = %organization_id, user_id = %user, "membership requested");
    }
    Ok(())
}

/// An admin (`org:sys_memberships:manage`) approves (the requester becomes `org:member`) or
/// rejects a pending membership request, once.
pub async fn decide_request(
    gatehouse: &Gatehouse,
    actor: Actor<'_>,
    slug: &str,
    request_id: &str,
    approve: bool,
    now: Timestamp,
) -> Result<(), AuthError> {
    let org = organization::authorized(gatehouse, actor, slug, MANAGE_MEMBERSHIPS).await?;
    let role = approve.then_some(ROLE_MEMBER);
    match gatehouse
        .store
        .decide_membership_request(&org.id, request_id, role, now)
        .await?
    {
        RequestDecision::Decided => {
            if approve {
                let mut event = AuditEvent::new(AuditKind::MemberAdded)
                    .organization(&org.id)
                    .detail(&format!("{ROLE_MEMBER} (request {request_id} approved)"));
                if let Actor::Member(user) = actor {
                    event = event.user(user);
                }
                audit::record(gatehouse, event, now);
            }
            Ok(())
        }
        RequestDecision::NotPending => Err(AuthError::new(ErrorCode::ResourceNotFound)),
    }
}
