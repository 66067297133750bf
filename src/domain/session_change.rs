//! The changes that move the browser's current session on — a task done, an organization
//! created, switched, joined, left or deleted, the backup codes saved — through one entry point, [`apply`], which
//! answers each the same way: the fresh state, and the next task or the target.

use super::{
    account::AccountHolder,
    invitation::{self, InvitationKey},
    membership, mfa,
    notices::Device,
    organization,
    outcome::Outcome,
    session,
    tasks::{self, NewPassword},
    Gatehouse, Timestamp,
};
use crate::model::{AuthError, AuthSnapshot, ClientId, GatehouseError, OrgId};

/// A change to the current session (pending sessions included: most are its tasks).
#[derive(Debug)]
pub enum SessionChange {
    /// Creates an organization (the user becomes `org:admin`) and makes it active.
    CreateOrganization {
        /// Its name.
        name: String,
        /// Its slug.
        slug: String,
    },
    /// Switches the active organization (`None`: the personal account, where allowed).
    SetActiveOrganization(Option<OrgId>),
    /// Joins an organization by an invitation to the user's address — the link's ticket, or
    /// one of the user's own invitations by id — and makes it active.
    AcceptInvitation(InvitationKey),
    /// Leaves the organization with this slug (not its last admin); a session that had it
    /// active goes on without it (`choose-organization` where that applies).
    LeaveOrganization(String),
    /// Deletes the organization with this slug: the holder, re-verified, needs
    /// `org:sys_profile:delete`, and the confirmation is its name, typed.
    DeleteOrganization {
        /// The user, with the reverification answers applied.
        holder: AccountHolder,
        /// The organization's slug.
        slug: String,
        /// What the user typed.
        confirmation: String,
    },
    /// The `reset-password` task.
    ResetPassword(NewPassword),
    /// The user saved the backup codes of the `setup-mfa` task.
    BackupCodesSaved,
}

/// Where the change comes from: the request's auth, its browser, where to go afterwards.
pub struct ChangeContext<'a> {
    /// The request's auth.
    pub snapshot: &'a AuthSnapshot,
    /// The browser.
    pub client_id: Option<&'a ClientId>,
    /// Its user agent and address (security notices).
    pub device: &'a Device,
    /// The target once no task is left (`redirect_url`, else `redirect_url_complete`).
    pub target: Option<&'a str>,
}

/// Makes `change` to the current session, then answers with its fresh state.
pub async fn apply(
    gatehouse: &Gatehouse,
    change: SessionChange,
    context: ChangeContext<'_>,
    now: Timestamp,
) -> Result<Outcome, GatehouseError> {
    let (session_id, user_id) = tasks::require_session(context.snapshot)?;
    let client_id = context.client_id.ok_or_else(AuthError::unauthorized)?;
    match change {
        SessionChange::CreateOrganization { name, slug } => {
            organization::create(gatehouse, &session_id, &user_id, &name, &slug, now)
                .await
                .map(drop)?
        }
        SessionChange::SetActiveOrganization(org_id) => {
            organization::set_active(gatehouse, &session_id, &user_id, org_id.as_ref()).await?
        }
        SessionChange::AcceptInvitation(key) => {
            let email = context
                .snapshot
                .user
                .as_ref()
                .map(|user| user.email_address.as_str())
                .ok_or_else(AuthError::unauthorized)?;
            let org_id = invitation::accept(gatehouse, key, &user_id, email, now).await?;
            organization::set_active(gatehouse, &session_id, &user_id, Some(&org_id)).await?
        }
        SessionChange::LeaveOrganization(slug) => {
            membership::leave(gatehouse, &user_id, &slug).await?
        }
        SessionChange::DeleteOrganization {
            holder,
            slug,
            confirmation,
        } => membership::delete_organization(gatehouse, &holder, &slug, &confirmation).await?,
        SessionChange::ResetPassword(form) => {
            let (snapshot, device) = (context.snapshot, context.device);
            tasks::reset_password(gatehouse, snapshot, form, device, now).await?
        }
        SessionChange::BackupCodesSaved => mfa::backup_codes_saved(gatehouse, &session_id).await?,
    }
    Ok(session::changed(gatehouse, client_id, context.target, now).await?)
}
