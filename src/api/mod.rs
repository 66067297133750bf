//! Server functions, as thin as Leptos' hexagonal example: the fields parsed, one call into
//! `domain` (their bodies are in `server::functions`, `server::invitations` and
//! `server::organizations`, which read the
//! call once), the answer. Each works from a plain HTML form too: a 302 to the next page on
//! success, back with the error in the URL otherwise.
// The `#[server]` macro generates one argument struct per function, with undocumented fields.
#![allow(missing_docs)]

use leptos::prelude::*;

pub use crate::model::account::{
    AccountProfile, ActiveDevice, ExternalAccount, MfaSetup, MfaSetupDone, MfaSetupProgress,
    PasskeySummary,
};
pub use crate::model::flow::{
    AuthChange, FlowRequest, FlowResponse, PasskeyFlow, PasskeyOptions, SignInStep, SignUpStep,
};
pub use crate::model::instance::{InstanceUrls, SessionToken, SocialConnection};
#[cfg(feature = "server")]
pub use crate::server::page::{refused_form_value, request_state, take_notice};

/// Declares each endpoint constant as the `PATH` of its server function's argument struct.
macro_rules! endpoints {
    ($($name:ident = $function:ident),* $(,)?) => {
        /// The kit's endpoints for plain forms (`<form action=…>`), each the `PATH` of its
        /// server function, so a path is never written twice.
        pub mod endpoints {
            use leptos::server_fn::ServerFn;
            $(
                #[doc = concat!("The path of `", stringify!($function), "`.")]
                pub const $name: &str = super::$function::PATH;
            )*
        }
    };
}
endpoints! {
    SIGN_IN = SignInPassword, SECOND_FACTOR = SignInSecondFactor, EMAIL_CODE = SignInEmailCode,
    RESEND_CODE = SignInResendCode, NEW_PASSWORD = SignInNewPassword, SIGN_UP = SignUpPassword,
    VERIFY_EMAIL_CODE = VerifyEmailCode, RESEND_EMAIL_CODE = ResendEmailCode,
    SIGN_UP_CONTINUE = SignUpContinue, SSO = SsoStart, SSO_CONTINUE = SsoContinue,
    SIGN_OUT = SignOut, SET_ACTIVE_SESSION = SetActiveSession,
    SET_ACTIVE_ORGANIZATION = SetActiveOrganization, UPDATE_NAME = UpdateName,
    CHANGE_PASSWORD = ChangePassword, UNLINK = UnlinkExternalAccount,
    REVOKE_SESSION = RevokeSession, TWO_STEP = ChangeTwoStep, VERIFY_TOTP = VerifyMfaSetup,
    BACKUP_CODES_SAVED = BackupCodesSaved, DELETE_ACCOUNT = DeleteAccount,
    ACCEPT_INVITATION = AcceptInvitation, SIGN_UP_TICKET = SignUpTicket,
    INVITE = InviteOrganizationMember, REVOKE_INVITATION = RevokeOrganizationInvitation,
    RESEND_INVITATION = ResendOrganizationInvitation, CHANGE_MEMBER_ROLE = ChangeMemberRole,
    REMOVE_MEMBER = RemoveOrganizationMember, RENAME_ORGANIZATION = RenameOrganization,
    LEAVE_ORGANIZATION = LeaveOrganization, DELETE_ORGANIZATION = DeleteOrganization,
    ADD_DOMAIN = AddOrganizationDomain, SEND_DOMAIN_CODE = SendDomainAffiliationCode,
    VERIFY_DOMAIN = VerifyOrganizationDomain, SET_DOMAIN_MODE = SetDomainEnrollmentMode,
    REMOVE_DOMAIN = RemoveOrganizationDomain, DECIDE_REQUEST = DecideMembershipRequest,
    REQUEST_TO_JOIN = RequestToJoin, PASSKEY_SIGN_IN_OPTIONS = PasskeySignInOptions,
    SIGN_IN_PASSKEY = SignInPasskey, PASSKEY_REGISTRATION_OPTIONS = PasskeyRegistrationOptions,
    ADD_PASSKEY = AddPasskey, RENAME_PASSKEY = RenamePasskey, REMOVE_PASSKEY = RemovePasskey,
}
#[cfg(feature = "server")]
use crate::domain::account::{AccountChange, TwoStepChange};
#[cfg(feature = "server")]
use crate::domain::session_change::SessionChange;
pub use crate::model::codec;
use crate::model::{
    AuthSnapshot, GatehouseError, InvitationPage, Member, MemberPage, MembershipPage,
    MembershipRequestPage, OrganizationInvitation, OrganizationSettings, OrganizationSuggestion,
};
#[cfg(feature = "server")]
use crate::server::functions as ssr;
#[cfg(feature = "server")]
use crate::server::organizations as ssr_org;

/// Starts a sign-up with email and password; a 6-digit code is emailed.
#[server(endpoint = "auth/sign_up", output = codec::JsonText)]
pub async fn sign_up_password(
    email_address: String,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
    redirect_url: Option<String>,
) -> Result<SignUpStep, GatehouseError> {
    let step = FlowRequest::SignUpPassword {
        email_address,
        password,
        first_name,
        last_name,
        ticket: None,
    };
    ssr::flow(step, redirect_url).await?.into_sign_up()
}

/// Clerk's `sign_up.ticket()`: an account for an invitation's address (`email_address` may be
/// left empty; another is refused), which its `ticket` verifies: no code is emailed. The user
/// and the session are created at once, in the invitation's organization.
#[server(endpoint = "auth/sign_up_ticket", output = codec::JsonText)]
pub async fn sign_up_ticket(
    ticket: String,
    email_address: Option<String>,
    password: String,
    first_name: Option<String>,
    last_name: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let (email_address, ticket) = (email_address.unwrap_or_default(), Some(ticket));
    let step = FlowRequest::SignUpPassword {
        email_address,
        password,
        first_name,
        last_name,
        ticket,
    };
    ssr::flow(step, redirect_url).await?.into_change()
}

/// Verifies the emailed code; on success creates the user and the session (`finalize`).
#[server(endpoint = "auth/verify_email_code", output = codec::JsonText)]
pub async fn verify_email_code(
    code: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let step = FlowRequest::SignUpVerifyEmailCode { code };
    ssr::flow(step, redirect_url).await?.into_change()
}

/// Emails a new code (allowed 30 seconds after the previous one).
#[server(endpoint = "auth/resend_email_code", output = codec::JsonText)]
pub async fn resend_email_code(redirect_url: Option<String>) -> Result<SignUpStep, GatehouseError> {
    let step = FlowRequest::SignUpResendEmailCode;
    ssr::flow(step, redirect_url).await?.into_sign_up()
}

/// `/sign-up/continue`: the email address an SSO provider did not give; a code is emailed to it.
#[server(endpoint = "auth/sign_up_continue", output = codec::JsonText)]
pub async fn sign_up_continue(
    email_address: String,
    redirect_url: Option<String>,
) -> Result<SignUpStep, GatehouseError> {
    let step = FlowRequest::SignUpContinue { email_address };
    ssr::flow(step, redirect_url).await?.into_sign_up()
}

/// The sign-up in progress on this browser, if any.
#[server(endpoint = "auth/current_sign_up", output = codec::JsonText)]
pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    ssr::current_sign_up().await
}

/// Signs in with email and password; when complete, finalizes the session. With
/// `intent = "forgot_password"` (the form's "Forgot password?" button) it starts a password
/// reset for the email instead: a code is emailed. With an invitation's `ticket`, the
/// organization is joined once signed in (every step after the password keeps it).
#[server(endpoint = "auth/sign_in", output = codec::JsonText)]
pub async fn sign_in_password(
    identifier: String,
    password: Option<String>,
    redirect_url: Option<String>,
    intent: Option<String>,
    ticket: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let intent = crate::domain::flows::SignInIntent::parse(intent.as_deref())?;
    let step = intent.step(identifier, password, ticket);
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// The options of a passkey sign-in (`navigator.credentials.get`): a challenge for any passkey
/// this browser holds for the site ("Sign in with passkey", the email field's autofill), or with
/// `identifier` ("Use passkey" after the email) one only that account's passkey may answer.
/// Single-use, for this browser, 5 minutes.
#[server(endpoint = "auth/passkey_sign_in_options", output = codec::JsonText)]
pub async fn passkey_sign_in_options(
    identifier: Option<String>,
) -> Result<PasskeyOptions, GatehouseError> {
    ssr::passkey_sign_in_options(identifier).await
}

/// Signs in with the browser's answer (`credential`, the `PublicKeyCredential` as JSON) to the
/// ceremony of [`passkey_sign_in_options`]; when complete, finalizes the session (a user with
/// an authenticator app is asked for its code first, unless `passkeys.count_as_second_factor`).
#[server(endpoint = "auth/sign_in_passkey", output = codec::JsonText)]
pub async fn sign_in_passkey(
    ceremony: String,
    credential: String,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInPasskey {
        ceremony,
        credential,
    };
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// Verifies the emailed code of the sign-in in progress ("Check your email": client trust, or
/// the password-reset code).
#[server(endpoint = "auth/sign_in_email_code", output = codec::JsonText)]
pub async fn sign_in_email_code(
    code: String,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInEmailCode { code };
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// Emails a new code for the sign-in in progress (at most every 30 s, at most 3 times).
#[server(endpoint = "auth/sign_in_resend_code", output = codec::JsonText)]
pub async fn sign_in_resend_code(
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInResendCode;
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// "Set new password" after a verified reset code ("Sign out of all other devices" is checked
/// by default).
#[server(endpoint = "auth/sign_in_new_password", output = codec::JsonText)]
pub async fn sign_in_new_password(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInNewPassword {
        new_password,
        confirm_password,
        sign_out_of_other_sessions: ssr::checkbox(sign_out_of_other_sessions),
    };
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// Verifies the second factor of the sign-in in progress (`strategy`: `totp` or
/// `backup_code`); when complete, finalizes the session.
#[server(endpoint = "auth/sign_in_second_factor", output = codec::JsonText)]
pub async fn sign_in_second_factor(
    strategy: String,
    code: String,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInSecondFactor { strategy, code };
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// Runs one flow step (JSON in and out) for the hooks.
#[server(endpoint = "auth/flow", input = leptos::server_fn::codec::Json, output = codec::JsonText)]
pub async fn auth_flow(
    request: FlowRequest,
    redirect_url: Option<String>,
) -> Result<FlowResponse, GatehouseError> {
    ssr::flow(request, redirect_url).await
}

/// Starts SSO from a plain form ("Continue with …"): the browser goes to the provider.
#[server(endpoint = "auth/sso", output = codec::JsonText)]
pub async fn sso_start(
    strategy: String,
    identifier: Option<String>,
    redirect_callback_url: Option<String>,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::Sso {
        strategy,
        identifier,
        redirect_callback_url,
    };
    Ok(ssr::flow(step, redirect_url).await?.into_sign_in())
}

/// The SSO callback page's "Continue" without JavaScript: finalizes a sign-in SSO completed,
/// transfers one without an account to a sign-up, or goes to the next step's page.
#[server(endpoint = "auth/sso_continue", output = codec::JsonText)]
pub async fn sso_continue(redirect_url: Option<String>) -> Result<SignInStep, GatehouseError> {
    ssr::sso_continue(redirect_url).await
}

/// Clerk's `sign_out({ session_id })`: with `session_id`, that session of this browser ends (when
/// it was current, the browser's most recently used other session takes over); without, every
/// session of this browser ends.
#[server(endpoint = "auth/sign_out", output = codec::JsonText)]
pub async fn sign_out(
    redirect_url: Option<String>,
    session_id: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let step = FlowRequest::SignOut { session_id };
    ssr::flow(step, redirect_url).await?.into_change()
}

/// `set_active({ session })`: makes another session of this browser current (multi-session); a
/// pending one goes to its task. Only this browser's own live sessions are honoured.
#[server(endpoint = "auth/set_active_session", output = codec::JsonText)]
pub async fn set_active_session(
    session_id: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let step = FlowRequest::SetActiveSession { session_id };
    ssr::flow(step, redirect_url).await?.into_change()
}

/// Creates an organization (the user becomes `org:admin`) and makes it active.
#[server(endpoint = "auth/create_organization", output = codec::JsonText)]
pub async fn create_organization(
    name: String,
    slug: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let change = SessionChange::CreateOrganization { name, slug };
    ssr::change_session(change, redirect_url, redirect_url_complete).await
}

/// `set_active({ organization })`: switches the session's active organization (empty = the
/// personal account, where allowed).
#[server(endpoint = "auth/set_active_organization", output = codec::JsonText)]
pub async fn set_active_organization(
    organization_id: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let org_id = ssr::non_empty(organization_id).map(crate::model::OrgId::new);
    let change = SessionChange::SetActiveOrganization(org_id);
    ssr::change_session(change, redirect_url, redirect_url_complete).await
}

/// One page (1-based) of the user's organization memberships.
#[server(endpoint = "auth/organization_memberships", output = codec::JsonText)]
pub async fn organization_memberships(
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, GatehouseError> {
    ssr::organization_memberships(page, page_size).await
}

/// Invites `email_address` to the organization `slug` with `role` (an admin's: permission
/// `org:sys_memberships:manage`); the invitation's link is emailed.
#[server(endpoint = "auth/invite_organization_member", output = codec::JsonText)]
pub async fn invite_organization_member(
    slug: String,
    email_address: String,
    role: String,
) -> Result<OrganizationInvitation, GatehouseError> {
    crate::server::invitations::invite(slug, email_address, role).await
}

/// Revokes a pending invitation of the organization `slug` (an admin's): its link stops working.
#[server(endpoint = "auth/revoke_organization_invitation", output = codec::JsonText)]
pub async fn revoke_organization_invitation(
    slug: String,
    invitation_id: String,
) -> Result<(), GatehouseError> {
    crate::server::invitations::revoke_or_resend(slug, invitation_id, false).await
}

/// Emails a pending invitation again (an admin's; once a minute): a new link, the old one stops
/// working.
#[server(endpoint = "auth/resend_organization_invitation", output = codec::JsonText)]
pub async fn resend_organization_invitation(
    slug: String,
    invitation_id: String,
) -> Result<(), GatehouseError> {
    crate::server::invitations::revoke_or_resend(slug, invitation_id, true).await
}

/// One page (1-based) of the pending invitations of the organization `slug` (an admin's).
#[server(endpoint = "auth/organization_invitations", output = codec::JsonText)]
pub async fn organization_invitations(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<InvitationPage, GatehouseError> {
    crate::server::invitations::organization_invitations(slug, page, page_size).await
}

/// The signed-in user's pending invitations (to their verified address).
#[server(endpoint = "auth/user_invitations", output = codec::JsonText)]
pub async fn user_invitations() -> Result<Vec<OrganizationInvitation>, GatehouseError> {
    crate::server::invitations::user_invitations().await
}

/// Joins an organization by an invitation to the user's address — one of their own
/// (`invitation_id`, no email needed) or the link's `ticket` — and makes it active.
#[server(endpoint = "auth/accept_invitation", output = codec::JsonText)]
pub async fn accept_invitation(
    invitation_id: Option<String>,
    ticket: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let key = crate::server::invitations::invitation_key(invitation_id, ticket)?;
    let change = SessionChange::AcceptInvitation(key);
    ssr::change_session(change, redirect_url, redirect_url_complete).await
}

/// What `<OrganizationProfile/>` shows the signed-in member of the organization `slug`.
#[server(endpoint = "auth/organization_settings", output = codec::JsonText)]
pub async fn load_organization_settings(
    slug: String,
) -> Result<OrganizationSettings, GatehouseError> {
    crate::server::organizations::settings(slug).await
}

/// Gives a member of the organization `slug` another role (an admin's); the last admin cannot
/// be demoted (`organization_minimum_permissions_needed`).
#[server(endpoint = "auth/change_member_role", output = codec::JsonText)]
pub async fn change_member_role(
    slug: String,
    user_id: String,
    role: String,
) -> Result<(), GatehouseError> {
    crate::server::organizations::change_member(slug, user_id, Some(role)).await
}

/// Removes a member of the organization `slug` (an admin's); not the last admin.
#[server(endpoint = "auth/remove_organization_member", output = codec::JsonText)]
pub async fn remove_organization_member(
    slug: String,
    user_id: String,
) -> Result<(), GatehouseError> {
    crate::server::organizations::change_member(slug, user_id, None).await
}

/// Renames the organization `slug` (permission `org:sys_profile:manage`); answers the new slug.
#[server(endpoint = "auth/rename_organization", output = codec::JsonText)]
pub async fn rename_organization(
    slug: String,
    name: String,
    new_slug: String,
) -> Result<String, GatehouseError> {
    crate::server::organizations::rename(slug, name, new_slug).await
}

/// The signed-in user leaves the organization `slug` (not its last admin), then goes to
/// `redirect_url` — or to the session's next task.
#[server(endpoint = "auth/leave_organization", output = codec::JsonText)]
pub async fn leave_organization(
    slug: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    crate::server::organizations::leave(slug, redirect_url).await
}

/// Deletes the organization `slug` (permission `org:sys_profile:delete`, reverification;
/// `confirmation` must be its name), then goes to `redirect_url` — or to the next task.
#[server(endpoint = "auth/delete_organization", output = codec::JsonText)]
pub async fn delete_organization(
    slug: String,
    confirmation: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let reverify = (reverify_password, reverify_code);
    crate::server::organizations::delete(slug, confirmation, reverify, redirect_url).await
}

/// Adds an unverified domain to the organization `slug` (permission `org:sys_domains:manage`;
/// at most 10, common mail providers refused) with its `enrollment_mode`.
#[server(endpoint = "auth/add_organization_domain", output = codec::JsonText)]
pub async fn add_organization_domain(
    slug: String,
    name: String,
    enrollment_mode: String,
) -> Result<(), GatehouseError> {
    let change = ssr_org::DomainChange::Add {
        name,
        mode: enrollment_mode,
    };
    ssr_org::change_domain(slug, change).await
}

/// Emails a code to `affiliation_email_address`, an address at the domain, to verify it.
#[server(endpoint = "auth/send_domain_affiliation_code", output = codec::JsonText)]
pub async fn send_domain_affiliation_code(
    slug: String,
    domain_id: String,
    affiliation_email_address: String,
) -> Result<(), GatehouseError> {
    let email = affiliation_email_address;
    let change = ssr_org::DomainChange::SendCode { domain_id, email };
    ssr_org::change_domain(slug, change).await
}

/// Verifies the domain with the code its affiliation address received.
#[server(endpoint = "auth/verify_organization_domain", output = codec::JsonText)]
pub async fn verify_organization_domain(
    slug: String,
    domain_id: String,
    code: String,
) -> Result<(), GatehouseError> {
    let change = ssr_org::DomainChange::Verify { domain_id, code };
    ssr_org::change_domain(slug, change).await
}

/// Sets the domain's enrollment mode (`manual_invitation`, `automatic_invitation`,
/// `automatic_suggestion`).
#[server(endpoint = "auth/set_domain_enrollment_mode", output = codec::JsonText)]
pub async fn set_domain_enrollment_mode(
    slug: String,
    domain_id: String,
    enrollment_mode: String,
) -> Result<(), GatehouseError> {
    let change = ssr_org::DomainChange::SetMode {
        domain_id,
        mode: enrollment_mode,
    };
    ssr_org::change_domain(slug, change).await
}

/// Removes a domain of the organization `slug`.
#[server(endpoint = "auth/remove_organization_domain", output = codec::JsonText)]
pub async fn remove_organization_domain(
    slug: String,
    domain_id: String,
) -> Result<(), GatehouseError> {
    ssr_org::change_domain(slug, ssr_org::DomainChange::Remove { domain_id }).await
}

/// Approves (`decision` = `approve`: the requester becomes `org:member`) or rejects a pending
/// membership request (permission `org:sys_memberships:manage`).
#[server(endpoint = "auth/decide_membership_request", output = codec::JsonText)]
pub async fn decide_membership_request(
    slug: String,
    request_id: String,
    decision: String,
) -> Result<(), GatehouseError> {
    ssr_org::decide_request(slug, request_id, decision).await
}

/// The organizations suggested to the user by their address's verified domain.
#[server(endpoint = "auth/user_suggestions", output = codec::JsonText)]
pub async fn user_suggestions() -> Result<Vec<OrganizationSuggestion>, GatehouseError> {
    ssr_org::suggestions().await
}

/// "Request to join" a suggested organization: a membership request its admins decide.
#[server(endpoint = "auth/request_to_join", output = codec::JsonText)]
pub async fn request_to_join(organization_id: String) -> Result<(), GatehouseError> {
    ssr_org::request_to_join(organization_id).await
}

/// One page (1-based) of the members of the organization `slug` (a member's).
#[server(endpoint = "auth/organization_members_page", output = codec::JsonText)]
pub async fn organization_members_page(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<MemberPage, GatehouseError> {
    ssr_org::members_page(slug, page, page_size).await
}

/// One page (1-based) of the pending membership requests of the organization `slug` (an
/// admin's).
#[server(endpoint = "auth/organization_membership_requests", output = codec::JsonText)]
pub async fn organization_membership_requests(
    slug: String,
    page: u32,
    page_size: u32,
) -> Result<MembershipRequestPage, GatehouseError> {
    ssr_org::requests_page(slug, page, page_size).await
}

/// The members of an organization the user belongs to.
#[server(endpoint = "auth/organization_members", output = codec::JsonText)]
pub async fn organization_members(slug: String) -> Result<Vec<Member>, GatehouseError> {
    ssr::organization_members(slug).await
}

/// The `reset-password` task.
#[server(endpoint = "auth/reset_password_task", output = codec::JsonText)]
pub async fn reset_password_task(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let form = ssr::new_password(new_password, confirm_password, sign_out_of_other_sessions);
    let change = SessionChange::ResetPassword(form);
    ssr::change_session(change, redirect_url, redirect_url_complete).await
}

/// Where the user's authenticator set-up stands.
#[server(endpoint = "auth/mfa_setup_state", output = codec::JsonText)]
pub async fn mfa_setup_state() -> Result<MfaSetupProgress, GatehouseError> {
    ssr::mfa_setup_state().await
}

/// Starts TOTP enrolment (the `setup-mfa` task or the account page): creates the secret, or
/// keeps the one in progress.
#[server(endpoint = "auth/start_mfa_setup", output = codec::JsonText)]
pub async fn start_mfa_setup() -> Result<MfaSetup, GatehouseError> {
    ssr::start_mfa_setup().await
}

/// The user saved the backup codes: they are not shown again, and the user goes on.
#[server(endpoint = "auth/backup_codes_saved", output = codec::JsonText)]
pub async fn backup_codes_saved(
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let change = SessionChange::BackupCodesSaved;
    ssr::change_session(change, redirect_url, redirect_url_complete).await
}

/// Verifies the first authenticator code; returns the backup codes (shown once). Adding a
/// second factor needs reverification (the account page; a plain form sends
/// `reverify_password` / `reverify_code` along), except as the session's `setup-mfa` task.
#[server(endpoint = "auth/verify_mfa_setup", output = codec::JsonText)]
pub async fn verify_mfa_setup(
    code: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<MfaSetupDone, GatehouseError> {
    let target = (redirect_url, redirect_url_complete);
    ssr::verify_mfa_setup(code, target, (reverify_password, reverify_code)).await
}

/// The signed-in user's account page data.
#[server(endpoint = "auth/account", output = codec::JsonText)]
pub async fn account_overview() -> Result<AccountProfile, GatehouseError> {
    ssr::account_overview().await
}

/// Re-verifies the current session (`use_reverification`'s prompt): `strategy` is `password`,
/// `totp`, `backup_code`, or `email_code` (a user without a password: an empty `code` emails
/// one, then the code verifies). Returns the new `factor_verification_age`. Wrong answers count
/// toward the lockout.
#[server(endpoint = "auth/reverify", output = codec::JsonText)]
pub async fn reverify_session(
    strategy: String,
    code: String,
) -> Result<crate::model::FactorAges, GatehouseError> {
    ssr::reverify_session(strategy, code).await
}

/// Sets the user's first and last name.
#[server(endpoint = "auth/update_name", output = codec::JsonText)]
pub async fn update_name(
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), GatehouseError> {
    let change = AccountChange::UpdateName {
        first_name,
        last_name,
    };
    ssr::change_account(change, (None, None)).await
}

/// Changes the password (reverification required; without JavaScript the form re-sends with
/// `reverify_password` / `reverify_code`). "Sign out of all other devices" is checked by default.
#[server(endpoint = "auth/change_password", output = codec::JsonText)]
pub async fn change_password(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let form = ssr::new_password(new_password, confirm_password, sign_out_of_other_sessions);
    let change = AccountChange::ChangePassword(form);
    ssr::change_account(change, (reverify_password, reverify_code)).await
}

/// "Add a passkey": the options for `navigator.credentials.create` (reverification required;
/// at most 10 passkeys). Answer with [`add_passkey`].
#[server(endpoint = "auth/passkey_registration_options", output = codec::JsonText)]
pub async fn passkey_registration_options(
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<PasskeyOptions, GatehouseError> {
    ssr::passkey_registration_options((reverify_password, reverify_code)).await
}

/// Adds the passkey the browser made (`credential`, its `PublicKeyCredential` as JSON) for the
/// ceremony of [`passkey_registration_options`] (reverification required).
#[server(endpoint = "auth/add_passkey", output = codec::JsonText)]
pub async fn add_passkey(
    ceremony: String,
    credential: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    ssr::add_passkey(ceremony, credential, (reverify_password, reverify_code)).await
}

/// The user's passkeys, oldest first (`use_user().passkeys()`).
#[server(endpoint = "auth/passkeys", output = codec::JsonText)]
pub async fn list_passkeys() -> Result<Vec<PasskeySummary>, GatehouseError> {
    ssr::list_passkeys().await
}

/// Renames one of the user's passkeys.
#[server(endpoint = "auth/rename_passkey", output = codec::JsonText)]
pub async fn rename_passkey(passkey_id: String, name: String) -> Result<(), GatehouseError> {
    let change = AccountChange::RenamePasskey { passkey_id, name };
    ssr::change_account(change, (None, None)).await
}

/// Removes one of the user's passkeys (reverification required): it no longer signs in.
#[server(endpoint = "auth/remove_passkey", output = codec::JsonText)]
pub async fn remove_passkey(
    passkey_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let change = AccountChange::RemovePasskey { passkey_id };
    ssr::change_account(change, (reverify_password, reverify_code)).await
}

/// Unlinks an external account (reverification required; never the last way to sign in).
#[server(endpoint = "auth/unlink_external_account", output = codec::JsonText)]
pub async fn unlink_external_account(
    external_account_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let change = AccountChange::UnlinkExternalAccount {
        external_account_id,
    };
    ssr::change_account(change, (reverify_password, reverify_code)).await
}

/// A change to two-step verification from the account page, each after reverification:
/// `action` is `add` (an authenticator app's secret and QR code appear in
/// [`AccountProfile::totp_setup`]; [`verify_mfa_setup`] confirms it with the app's first code),
/// `regenerate_backup_codes` (10 new codes in [`AccountProfile::backup_codes`]; the old ones
/// stop working) or `remove` (refused with `mfa_required` when the instance requires it).
#[server(endpoint = "auth/two_step", output = codec::JsonText)]
pub async fn change_two_step(
    action: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let change = AccountChange::TwoStep(TwoStepChange::parse(&action)?);
    ssr::change_account(change, (reverify_password, reverify_code)).await
}

/// Signs another of the user's devices out (reverification required; only the user's own
/// sessions, and not this browser's: that is "Sign out").
#[server(endpoint = "auth/revoke_session", output = codec::JsonText)]
pub async fn revoke_session(
    session_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let change = AccountChange::RevokeSession(crate::model::SessionId::new(session_id));
    ssr::change_account(change, (reverify_password, reverify_code)).await
}

/// Deletes the account (reverification required; `confirmation` must read "Delete account").
/// Afterwards the user is signed out everywhere and the browser's cookie is removed.
#[server(endpoint = "auth/delete_account", output = codec::JsonText)]
pub async fn delete_account(
    confirmation: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    ssr::delete_account(confirmation, (reverify_password, reverify_code)).await
}

/// The current auth snapshot (the provider refetches it after auth changes elsewhere).
#[server(endpoint = "auth/snapshot", output = codec::JsonText)]
pub async fn get_auth_snapshot() -> Result<AuthSnapshot, GatehouseError> {
    Ok(crate::server::request_auth().snapshot)
}

/// `get_token()` / `get_token_with(template)`: a fresh token for the browser's session, `None`
/// when signed out; the request's `Origin` becomes `azp` when it is the instance's own origin or
/// one of `authorized_parties` (otherwise the token has none). The cookie only: a Bearer token
/// never mints another.
#[server(endpoint = "auth/token", output = codec::JsonText)]
pub async fn get_session_token(
    template: Option<String>,
) -> Result<Option<SessionToken>, GatehouseError> {
    crate::server::issue_session_token(template.as_deref()).await
}
