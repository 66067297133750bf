//! Server functions — thin: parse → domain → map errors and set the cookie; nothing else.
//!
//! Every function works from a plain HTML form (no JavaScript): on success it answers the form
//! post with a 302 to the next page; on error Leptos redirects back with the error in the URL.
//! Called from the browser's wasm, it returns the data and the component navigates.
// The `#[server]` macro generates one argument struct per function, with undocumented fields;
// the functions themselves are documented.
#![allow(missing_docs)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::model::account::{
    AccountProfile, ActiveDevice, ExternalAccount, MfaSetup, MfaSetupDone, MfaSetupProgress,
};
pub use crate::model::flow::{AuthChange, FlowRequest, FlowResponse, SignInStep, SignUpStep};

/// The kit's endpoints for plain forms (`<form action=…>`), each the `PATH` of its server
/// function, so a path is never written twice.
pub mod endpoints {
    use leptos::server_fn::ServerFn;

    /// `sign_in_password`.
    pub const SIGN_IN: &str = super::SignInPassword::PATH;
    /// `sign_in_second_factor`.
    pub const SECOND_FACTOR: &str = super::SignInSecondFactor::PATH;
    /// `sign_in_email_code`.
    pub const EMAIL_CODE: &str = super::SignInEmailCode::PATH;
    /// `sign_in_resend_code`.
    pub const RESEND_CODE: &str = super::SignInResendCode::PATH;
    /// `sign_in_new_password`.
    pub const NEW_PASSWORD: &str = super::SignInNewPassword::PATH;
    /// `sign_up_password`.
    pub const SIGN_UP: &str = super::SignUpPassword::PATH;
    /// `verify_email_code`.
    pub const VERIFY_EMAIL_CODE: &str = super::VerifyEmailCode::PATH;
    /// `resend_email_code`.
    pub const RESEND_EMAIL_CODE: &str = super::ResendEmailCode::PATH;
    /// `sign_up_continue`.
    pub const SIGN_UP_CONTINUE: &str = super::SignUpContinue::PATH;
    /// `sso_start`.
    pub const SSO: &str = super::SsoStart::PATH;
    /// `sso_continue`.
    pub const SSO_CONTINUE: &str = super::SsoContinue::PATH;
    /// `sign_out`.
    pub const SIGN_OUT: &str = super::SignOut::PATH;
    /// `set_active_session`.
    pub const SET_ACTIVE_SESSION: &str = super::SetActiveSession::PATH;
    /// `set_active_organization`.
    pub const SET_ACTIVE_ORGANIZATION: &str = super::SetActiveOrganization::PATH;
    /// `update_name`.
    pub const UPDATE_NAME: &str = super::UpdateName::PATH;
    /// `change_password`.
    pub const CHANGE_PASSWORD: &str = super::ChangePassword::PATH;
    /// `unlink_external_account`.
    pub const UNLINK: &str = super::UnlinkExternalAccount::PATH;
    /// `revoke_session`.
    pub const REVOKE_SESSION: &str = super::RevokeSession::PATH;
    /// `change_two_step`.
    pub const TWO_STEP: &str = super::ChangeTwoStep::PATH;
    /// `verify_mfa_setup`.
    pub const VERIFY_TOTP: &str = super::VerifyMfaSetup::PATH;
    /// `backup_codes_saved`.
    pub const BACKUP_CODES_SAVED: &str = super::BackupCodesSaved::PATH;
    /// `delete_account`.
    pub const DELETE_ACCOUNT: &str = super::DeleteAccount::PATH;
}
use crate::model::{AuthSnapshot, GatehouseError, Member, MembershipPage};

pub use crate::model::codec;
#[cfg(feature = "server")]
mod ssr;

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
    };
    ssr::respond(ssr::flow(step, redirect_url).await?.into_sign_up())
}

/// Verifies the emailed code; on success creates the user and the session (`finalize`).
#[server(endpoint = "auth/verify_email_code", output = codec::JsonText)]
pub async fn verify_email_code(
    code: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let step = FlowRequest::SignUpVerifyEmailCode { code };
    ssr::respond(ssr::flow(step, redirect_url).await?.into_change())
}

/// Emails a new code (allowed 30 seconds after the previous one).
#[server(endpoint = "auth/resend_email_code", output = codec::JsonText)]
pub async fn resend_email_code(redirect_url: Option<String>) -> Result<SignUpStep, GatehouseError> {
    let step = FlowRequest::SignUpResendEmailCode;
    ssr::respond(ssr::flow(step, redirect_url).await?.into_sign_up())
}

/// `/sign-up/continue`: the email address an SSO provider did not give; a code is emailed to it.
#[server(endpoint = "auth/sign_up_continue", output = codec::JsonText)]
pub async fn sign_up_continue(
    email_address: String,
    redirect_url: Option<String>,
) -> Result<SignUpStep, GatehouseError> {
    let step = FlowRequest::SignUpContinue { email_address };
    ssr::respond(ssr::flow(step, redirect_url).await?.into_sign_up())
}

/// The sign-up in progress on this browser, if any.
#[server(endpoint = "auth/current_sign_up", output = codec::JsonText)]
pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    ssr::respond(ssr::current_sign_up().await)
}

/// Signs in with email and password; when complete, finalizes the session. With
/// `intent = "forgot_password"` (the form's "Forgot password?" button) it starts a password
/// reset for the email instead: a code is emailed.
#[server(endpoint = "auth/sign_in", output = codec::JsonText)]
pub async fn sign_in_password(
    identifier: String,
    password: Option<String>,
    redirect_url: Option<String>,
    intent: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    use crate::domain::flows::SignInIntent;
    let step = match SignInIntent::parse(intent.as_deref())? {
        SignInIntent::SignIn => FlowRequest::SignInPassword {
            identifier,
            password: password.unwrap_or_default(),
        },
        SignInIntent::ForgotPassword => FlowRequest::SignInResetPasswordSendCode { identifier },
    };
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
}

/// Verifies the emailed code of the sign-in in progress ("Check your email": client trust, or
/// the password-reset code).
#[server(endpoint = "auth/sign_in_email_code", output = codec::JsonText)]
pub async fn sign_in_email_code(
    code: String,
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInEmailCode { code };
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
}

/// Emails a new code for the sign-in in progress (at most every 30 s, at most 3 times).
#[server(endpoint = "auth/sign_in_resend_code", output = codec::JsonText)]
pub async fn sign_in_resend_code(
    redirect_url: Option<String>,
) -> Result<SignInStep, GatehouseError> {
    let step = FlowRequest::SignInResendCode;
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
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
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
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
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
}

/// Runs one flow step (JSON in and out) for the hooks.
#[server(endpoint = "auth/flow", input = leptos::server_fn::codec::Json, output = codec::JsonText)]
pub async fn auth_flow(
    request: FlowRequest,
    redirect_url: Option<String>,
) -> Result<FlowResponse, GatehouseError> {
    ssr::respond(ssr::flow(request, redirect_url).await)
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
    ssr::respond(Ok(ssr::flow(step, redirect_url).await?.into_sign_in()))
}

/// The SSO callback page's "Continue" without JavaScript: finalizes a sign-in SSO completed,
/// transfers one without an account to a sign-up, or goes to the next step's page.
#[server(endpoint = "auth/sso_continue", output = codec::JsonText)]
pub async fn sso_continue(redirect_url: Option<String>) -> Result<SignInStep, GatehouseError> {
    ssr::respond(ssr::sso_continue(redirect_url).await)
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
    ssr::respond(ssr::flow(step, redirect_url).await?.into_change())
}

/// `set_active({ session })`: makes another session of this browser current (multi-session); a
/// pending one goes to its task. Only this browser's own live sessions are honoured.
#[server(endpoint = "auth/set_active_session", output = codec::JsonText)]
pub async fn set_active_session(
    session_id: String,
    redirect_url: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let step = FlowRequest::SetActiveSession { session_id };
    ssr::respond(ssr::flow(step, redirect_url).await?.into_change())
}

/// Creates an organization (the user becomes `org:admin`) and makes it active.
#[server(endpoint = "auth/create_organization", output = codec::JsonText)]
pub async fn create_organization(
    name: String,
    slug: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    ssr::respond(ssr::create_organization(name, slug, redirect_url, redirect_url_complete).await)
}

/// `set_active({ organization })`: switches the session's active organization (empty = the
/// personal account, where allowed).
#[server(endpoint = "auth/set_active_organization", output = codec::JsonText)]
pub async fn set_active_organization(
    organization_id: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    ssr::respond(
        ssr::set_active_organization(organization_id, redirect_url, redirect_url_complete).await,
    )
}

/// One page (1-based) of the user's organization memberships.
#[server(endpoint = "auth/organization_memberships", output = codec::JsonText)]
pub async fn organization_memberships(
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, GatehouseError> {
    ssr::respond(ssr::organization_memberships(page, page_size).await)
}

/// The members of an organization the user belongs to.
#[server(endpoint = "auth/organization_members", output = codec::JsonText)]
pub async fn organization_members(slug: String) -> Result<Vec<Member>, GatehouseError> {
    ssr::respond(ssr::organization_members(slug).await)
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
    ssr::respond(
        ssr::reset_password_task(
            new_password,
            confirm_password,
            sign_out_of_other_sessions,
            redirect_url,
            redirect_url_complete,
        )
        .await,
    )
}

/// Where the user's authenticator set-up stands.
#[server(endpoint = "auth/mfa_setup_state", output = codec::JsonText)]
pub async fn mfa_setup_state() -> Result<MfaSetupProgress, GatehouseError> {
    ssr::respond(ssr::mfa_setup_state().await)
}

/// Starts TOTP enrolment (the `setup-mfa` task or the account page): creates the secret, or
/// keeps the one in progress.
#[server(endpoint = "auth/start_mfa_setup", output = codec::JsonText)]
pub async fn start_mfa_setup() -> Result<MfaSetup, GatehouseError> {
    ssr::respond_reverified(ssr::start_mfa_setup().await).await
}

/// The user saved the backup codes: they are not shown again, and the user goes on.
#[server(endpoint = "auth/backup_codes_saved", output = codec::JsonText)]
pub async fn backup_codes_saved(
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    ssr::respond(ssr::backup_codes_saved(redirect_url, redirect_url_complete).await)
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
    ssr::respond_reverified(
        ssr::verify_mfa_setup(
            code,
            redirect_url,
            redirect_url_complete,
            reverify_password,
            reverify_code,
        )
        .await,
    )
    .await
}

/// The signed-in user's account page data.
#[server(endpoint = "auth/account", output = codec::JsonText)]
pub async fn account_overview() -> Result<AccountProfile, GatehouseError> {
    ssr::respond(ssr::account_overview().await)
}

/// Re-verifies the current session (`use_reverification`'s prompt): `strategy` is `password`,
/// `totp`, `backup_code`, or `email_code` (a user without a password: an empty `code` emails
/// one, then the code verifies). Returns the new `factor_verification_age`. Wrong answers count
/// toward the lockout.
#[server(endpoint = "auth/reverify", output = codec::JsonText)]
pub async fn reverify_session(strategy: String, code: String) -> Result<[i64; 2], GatehouseError> {
    ssr::respond(ssr::reverify_session(strategy, code).await)
}

/// Sets the user's first and last name.
#[server(endpoint = "auth/update_name", output = codec::JsonText)]
pub async fn update_name(
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), GatehouseError> {
    ssr::respond(ssr::update_name(first_name, last_name).await)
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
    ssr::respond_reverified(
        ssr::change_password(
            new_password,
            confirm_password,
            sign_out_of_other_sessions,
            reverify_password,
            reverify_code,
        )
        .await,
    )
    .await
}

/// Unlinks an external account (reverification required; never the last way to sign in).
#[server(endpoint = "auth/unlink_external_account", output = codec::JsonText)]
pub async fn unlink_external_account(
    external_account_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    ssr::respond_reverified(
        ssr::unlink_external_account(external_account_id, reverify_password, reverify_code).await,
    )
    .await
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
    ssr::respond_reverified(ssr::change_two_step(action, reverify_password, reverify_code).await)
        .await
}

/// Signs another of the user's devices out (reverification required; only the user's own
/// sessions, and not this browser's: that is "Sign out").
#[server(endpoint = "auth/revoke_session", output = codec::JsonText)]
pub async fn revoke_session(
    session_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    ssr::respond_reverified(ssr::revoke_session(session_id, reverify_password, reverify_code).await)
        .await
}

/// Deletes the account (reverification required; `confirmation` must read "Delete account").
/// Afterwards the user is signed out everywhere and the browser's cookie is removed.
#[server(endpoint = "auth/delete_account", output = codec::JsonText)]
pub async fn delete_account(
    confirmation: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    ssr::respond_reverified(
        ssr::delete_account(confirmation, reverify_password, reverify_code).await,
    )
    .await
}

/// The current auth snapshot (the provider refetches it after auth changes elsewhere).
#[server(endpoint = "auth/snapshot", output = codec::JsonText)]
pub async fn get_auth_snapshot() -> Result<AuthSnapshot, GatehouseError> {
    Ok(crate::server::request_auth().snapshot)
}

/// A session token as the browser's `get_token()` receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionToken {
    /// The JWT (RS256, verifiable with `/.well-known/jwks.json`).
    pub jwt: String,
    /// Seconds it stays valid (counted from the browser's own clock on arrival, so a browser
    /// clock that is off does not matter).
    pub expires_in_seconds: i64,
}

/// `get_token()` / `get_token_with(template)`: a fresh token for the browser's session, `None`
/// when signed out; the request's `Origin` becomes `azp` when it is the instance's own origin or
/// one of `authorized_parties` (otherwise the token has none). The cookie only: a Bearer token
/// never mints another.
#[server(endpoint = "auth/token", output = codec::JsonText)]
pub async fn get_session_token(
    template: Option<String>,
) -> Result<Option<SessionToken>, GatehouseError> {
    let issued = crate::server::issue_token(template.as_deref()).await?;
    Ok(issued.map(|token| SessionToken {
        jwt: token.jwt,
        expires_in_seconds: token.lifetime_seconds,
    }))
}

/// Instance URLs and settings the kit's components need in the browser (shipped with the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceUrls {
    /// The sign-in page.
    pub sign_in_url: String,
    /// The sign-up page.
    pub sign_up_url: String,
    /// Default target after sign-in.
    pub after_sign_in_url: String,
    /// Default target after sign-up.
    pub after_sign_up_url: String,
    /// Target after sign-out.
    pub after_sign_out_url: String,
    /// Task key → page hosting it (from config).
    pub task_urls: std::collections::BTreeMap<crate::model::TaskKey, String>,
    /// Whether users may create organizations (else the choose-organization task says
    /// "You must belong to an organization").
    pub organization_creation_allowed: bool,
    /// The instance origin (`decorate_url` in the browser).
    pub origin: String,
    /// Other origins allowed as redirect targets.
    pub authorized_parties: Vec<String>,
    /// The social SSO connections: one "Continue with <name>" button each.
    pub social_connections: Vec<SocialConnection>,
    /// Email domains with an enterprise SSO connection (the sign-in form sends them to it).
    pub enterprise_domains: Vec<String>,
    /// `sessions.multi_session`: `<UserButton/>` offers "Add account".
    pub multi_session: bool,
}

/// A social SSO connection as its button shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialConnection {
    /// `oauth_<key>`.
    pub strategy: String,
    /// The provider's name ("Continue with <name>").
    pub name: String,
}

impl InstanceUrls {
    /// Whether the domain of `email` has an enterprise connection.
    pub fn is_enterprise_email(&self, email: &str) -> bool {
        crate::model::email_domain(email)
            .is_some_and(|domain| self.enterprise_domains.contains(&domain))
    }
}

impl Default for InstanceUrls {
    fn default() -> Self {
        Self {
            sign_in_url: "/sign-in".into(),
            sign_up_url: "/sign-up".into(),
            after_sign_in_url: "/dashboard".into(),
            after_sign_up_url: "/dashboard".into(),
            after_sign_out_url: "/".into(),
            task_urls: Default::default(),
            organization_creation_allowed: true,
            origin: String::new(),
            authorized_parties: Vec::new(),
            social_connections: Vec::new(),
            enterprise_domains: Vec::new(),
            multi_session: false,
        }
    }
}

/// What was typed into the field `name` of a plain form the server refused, for the page that
/// shows the refusal (see `server::form_values`).
#[cfg(feature = "server")]
pub fn refused_form_value(name: &str) -> Option<String> {
    let request = use_context::<http::request::Parts>()?;
    let secure = use_context::<crate::domain::Gatehouse>()
        .is_some_and(|gatehouse| gatehouse.config.instance.secure_cookies());
    crate::server::form_values::refused_value(&request, name, secure)
}

/// The result line ([`Notice`]) a plain form post left for the page being rendered, removed as
/// it is read (SSR only; the page must render whole, `SsrMode::Async`, for the removal to reach
/// the response's headers).
#[cfg(feature = "server")]
pub fn take_notice() -> Option<crate::model::Notice> {
    ssr::take_notice()
}

/// The auth state and instance URLs of the request being rendered (SSR only).
#[cfg(feature = "server")]
pub fn request_state() -> (AuthSnapshot, InstanceUrls) {
    let urls = use_context::<crate::domain::Gatehouse>()
        .map(|gatehouse| {
            let instance = &gatehouse.config.instance;
            InstanceUrls {
                sign_in_url: instance.sign_in_url.clone(),
                sign_up_url: instance.sign_up_url.clone(),
                after_sign_in_url: instance.after_sign_in_url.clone(),
                after_sign_up_url: instance.after_sign_up_url.clone(),
                after_sign_out_url: instance.after_sign_out_url.clone(),
                task_urls: instance.task_url_map(),
                organization_creation_allowed: gatehouse.config.organizations.creation_allowed(),
                origin: instance.origin(),
                authorized_parties: instance.authorized_parties.clone(),
                social_connections: gatehouse
                    .config
                    .sso
                    .connections
                    .iter()
                    .filter(|connection| connection.domains.is_empty())
                    .map(|connection| SocialConnection {
                        strategy: format!("{}{}", crate::domain::sso::OAUTH_PREFIX, connection.key),
                        name: connection.name.clone(),
                    })
                    .collect(),
                enterprise_domains: gatehouse
                    .config
                    .sso
                    .connections
                    .iter()
                    .flat_map(|connection| connection.domains.iter().cloned())
                    .collect(),
                multi_session: gatehouse.config.sessions.multi_session,
            }
        })
        .unwrap_or_default();
    (crate::server::request_auth().snapshot, urls)
}
