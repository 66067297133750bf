//! Server-side bodies of the server functions.

use http::header::SET_COOKIE;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use super::{
    AccountProfile, ActiveDevice, AuthChange, ExternalAccount, MfaSetup, MfaSetupDone,
    MfaSetupProgress, SignInStep, SignUpStep,
};
use crate::{
    domain::{
        self,
        account::{self, AccountHolder, ReverifyStrategy},
        flows, mfa, organization,
        outcome::Outcome,
        secret::Secret,
        tasks, Gatehouse,
    },
    model::{
        AuthError, ClientId, GatehouseError, Member, MembershipPage, Notice, OrgId, SessionId,
        UserId,
    },
    server::{
        cookies::{ClientCookie, NoticeCookie},
        request_auth, RequestAuth,
    },
};

fn core() -> Result<Gatehouse, GatehouseError> {
    use_context::<Gatehouse>().ok_or_else(|| {
        tracing::error!("Gatehouse is not in the server function context");
        AuthError::internal().into()
    })
}

fn cookie(gatehouse: &Gatehouse) -> ClientCookie {
    ClientCookie::for_instance(&gatehouse.config.instance)
}

/// Whether the request is a plain HTML form post (no JavaScript).
fn is_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// The browser the request comes from (named in the owner's security notices).
fn device(gatehouse: &Gatehouse) -> domain::notices::Device {
    use_context::<http::request::Parts>()
        .map(|parts| {
            crate::server::request_device(&parts.headers, &parts.extensions, &gatehouse.config)
        })
        .unwrap_or_default()
}

/// For form posts: 302 to `target`. Calls from wasm get the data and navigate themselves.
fn redirect_form_post(target: &str) {
    if is_form_post() {
        leptos_axum::redirect(target);
    }
}

/// For plain form posts that succeeded: back to the form's page (the Referer's path on this
/// origin), without the error an earlier refused post left in its URL, with `notice` for it to
/// show under the form.
fn back_to_form_page(gatehouse: &Gatehouse, notice: Notice) {
    if !is_form_post() {
        return;
    }
    set_cookie(NoticeCookie::for_instance(&gatehouse.config.instance).set(notice));
    let instance = &gatehouse.config.instance;
    let origin = instance.origin();
    let referer = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let path = referer
        .as_deref()
        .and_then(|url| url.strip_prefix(origin.as_str()))
        .and_then(|rest| rest.split(['?', '#']).next())
        .filter(|path| path.starts_with('/'))
        .unwrap_or("/");
    let target = crate::model::decorate_url(path, &origin, &[], "/").into_string();
    leptos_axum::redirect(&target);
}

/// Passes the result through (the status mapping happens in the server layer).
pub fn respond<T>(result: Result<T, GatehouseError>) -> Result<T, GatehouseError> {
    if let Err(error) = &result {
        tracing::debug!(%error, "server function refused");
    }
    result
}

/// [`respond`] for the account changes that require reverification. A plain form post refused
/// for it, from a user without a password whose first factor is stale, gets the emailed code
/// sent now, so the page that comes back asks for it (a call from wasm asks for one from the
/// prompt instead).
pub async fn respond_reverified<T>(result: Result<T, GatehouseError>) -> Result<T, GatehouseError> {
    let Err(error) = &result else {
        return result;
    };
    let Some(requirement) = error.reverification_required() else {
        return respond(result);
    };
    let snapshot = request_auth().snapshot;
    let needs_email_code = is_form_post()
        && snapshot.reverifies_by_email()
        && requirement.needed(snapshot.factor_verification_age).first;
    if needs_email_code {
        if let (Ok(gatehouse), Ok(holder)) = (core(), AccountHolder::of(&snapshot)) {
            if let Err(refused) =
                account::send_reverification_code(&gatehouse, &holder, domain::now()).await
            {
                tracing::debug!(%refused, "reverification code not sent");
            }
        }
    }
    respond(result)
}

/// The notice a plain form post left for the page being rendered, removed as it is read.
pub fn take_notice() -> Option<Notice> {
    let gatehouse = core().ok()?;
    let cookie = NoticeCookie::for_instance(&gatehouse.config.instance);
    let notice =
        use_context::<http::request::Parts>().and_then(|parts| cookie.read(&parts.headers))?;
    set_cookie(cookie.clear());
    notice
}

fn set_cookie(value: Option<http::HeaderValue>) {
    if let (Some(value), Some(response)) = (value, use_context::<ResponseOptions>()) {
        response.append_header(SET_COOKIE, value);
    }
}

/// Answers a flow's outcome: sets the new cookie, if any; a plain form post gets a 302 to the
/// next page, a call from wasm gets the data and navigates itself.
fn answer(gatehouse: &Gatehouse, outcome: Outcome) -> AuthChange {
    if let Some(token) = &outcome.cookie {
        set_cookie(cookie(gatehouse).set(token));
    }
    redirect_form_post(outcome.next.target());
    change_of(outcome)
}

fn change_of(outcome: Outcome) -> AuthChange {
    AuthChange {
        snapshot: outcome.snapshot,
        task_url: outcome.next.task_url,
        redirect_url: outcome.next.redirect_url,
    }
}

/// The target after a change to the current session: `redirect_url`, else
/// `redirect_url_complete` (empty values ignored).
fn target(redirect_url: Option<String>, redirect_url_complete: Option<String>) -> Option<String> {
    non_empty(redirect_url).or(non_empty(redirect_url_complete))
}

/// After a change to the current session (a task, an organization switch): the fresh state and
/// the next task or the target.
async fn session_changed(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let target = target(redirect_url, redirect_url_complete);
    let outcome =
        domain::session::changed(gatehouse, client_id, target.as_deref(), domain::now()).await?;
    Ok(answer(gatehouse, outcome))
}

/// The request's client and session (pending allowed).
fn current_session(auth: &RequestAuth) -> Result<(ClientId, SessionId, UserId), GatehouseError> {
    let (session_id, user_id) = tasks::require_session(&auth.snapshot)?;
    let client_id = auth.client_id.clone().ok_or_else(AuthError::unauthorized)?;
    Ok((client_id, session_id, user_id))
}

pub async fn create_organization(
    name: String,
    slug: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let (client_id, session_id, user_id) = current_session(&auth)?;
    organization::create(
        &gatehouse,
        &session_id,
        &user_id,
        &name,
        &slug,
        domain::now(),
    )
    .await?;
    session_changed(&gatehouse, &client_id, redirect_url, redirect_url_complete).await
}

pub async fn set_active_organization(
    organization_id: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let (client_id, session_id, user_id) = current_session(&auth)?;
    let organization_id = non_empty(organization_id).map(OrgId::new);
    organization::set_active(&gatehouse, &session_id, &user_id, organization_id.as_ref()).await?;
    session_changed(&gatehouse, &client_id, redirect_url, redirect_url_complete).await
}

pub async fn organization_memberships(
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, GatehouseError> {
    let gatehouse = core()?;
    let (_, user_id) = tasks::require_session(&request_auth().snapshot)?;
    Ok(organization::memberships(&gatehouse, &user_id, page, page_size).await?)
}

pub async fn organization_members(slug: String) -> Result<Vec<Member>, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    if !auth.snapshot.auth(true).is_signed_in() {
        return Err(AuthError::unauthorized().into());
    }
    let (_, user_id) = tasks::require_session(&auth.snapshot)?;
    Ok(organization::members(&gatehouse, &user_id, &slug).await?)
}

pub async fn reset_password_task(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let (client_id, _, _) = current_session(&auth)?;
    let form = tasks::NewPassword {
        new_password: Secret::new(new_password),
        confirm_password: Secret::new(confirm_password),
        sign_out_of_other_sessions: checkbox(sign_out_of_other_sessions),
    };
    let device = device(&gatehouse);
    tasks::reset_password(&gatehouse, &auth.snapshot, form, &device, domain::now()).await?;
    session_changed(&gatehouse, &client_id, redirect_url, redirect_url_complete).await
}

fn mfa_setup_of(enrollment: mfa::Enrollment) -> MfaSetup {
    MfaSetup {
        secret: enrollment.secret,
        uri: enrollment.uri,
        qr_svg: enrollment.qr_svg,
    }
}

pub async fn mfa_setup_state() -> Result<MfaSetupProgress, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let holder = AccountHolder::of_session(&auth.snapshot)?;
    let backup_codes =
        mfa::backup_codes_to_show(&gatehouse, &holder.session_id, domain::now()).await?;
    let pending = match backup_codes {
        Some(_) => None,
        None => account::pending_totp(&gatehouse, &holder)
            .await?
            .map(mfa_setup_of),
    };
    Ok(MfaSetupProgress {
        pending,
        backup_codes,
    })
}

pub async fn start_mfa_setup() -> Result<MfaSetup, GatehouseError> {
    let gatehouse = core()?;
    let holder = AccountHolder::of_session(&request_auth().snapshot)?;
    let enrollment = account::add_totp(&gatehouse, &holder, domain::now()).await?;
    // A plain form post goes back to its page, which now shows the secret.
    Ok(mfa_setup_of(enrollment))
}

pub async fn verify_mfa_setup(
    code: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<MfaSetupDone, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let (client_id, _, _) = current_session(&auth)?;
    // The setup-mfa task's session is pending; the account page's is active and may re-verify
    // with the answers a plain form sent along.
    let holder = if auth.snapshot.auth(true).session_id.is_some() {
        account_holder(&gatehouse, reverify_password, reverify_code).await?
    } else {
        AccountHolder::of_session(&auth.snapshot)?.from_device(device(&gatehouse))
    };
    let backup_codes = account::confirm_totp(&gatehouse, &holder, &code, domain::now()).await?;
    // A plain form post goes back to its page, which shows the codes until "Continue".
    let target = target(redirect_url, redirect_url_complete);
    let outcome =
        domain::session::changed(&gatehouse, &client_id, target.as_deref(), domain::now()).await?;
    Ok(MfaSetupDone {
        backup_codes,
        change: change_of(outcome),
    })
}

pub async fn backup_codes_saved(
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    let auth = request_auth();
    let (client_id, session_id, _) = current_session(&auth)?;
    mfa::backup_codes_saved(&gatehouse, &session_id).await?;
    session_changed(&gatehouse, &client_id, redirect_url, redirect_url_complete).await
}

/// Runs one step of a sign-in or sign-up flow (`domain::flows`): the answer, its cookie set,
/// and a plain form post sent on to the next page.
async fn flow(
    step: super::FlowRequest,
    redirect_url: Option<String>,
) -> Result<super::FlowResponse, GatehouseError> {
    let gatehouse = core()?;
    let context = flow_context(&gatehouse, redirect_url);
    let result = flows::run(&gatehouse, step, context, domain::now()).await?;
    Ok(answer_flow(&gatehouse, result))
}

fn flow_context(gatehouse: &Gatehouse, redirect_url: Option<String>) -> flows::FlowContext {
    flows::FlowContext {
        client_id: request_auth().client_id,
        device: device(gatehouse),
        redirect_url,
    }
}

/// A flow's answer: the new cookie, if any; a plain form post goes to the next page.
fn answer_flow(gatehouse: &Gatehouse, result: flows::FlowResult) -> super::FlowResponse {
    if let Some(token) = &result.cookie {
        set_cookie(cookie(gatehouse).set(token));
    }
    if let Some(target) = result.response.target() {
        redirect_form_post(target);
    }
    result.response
}

pub async fn auth_flow(
    request: super::FlowRequest,
    redirect_url: Option<String>,
) -> Result<super::FlowResponse, GatehouseError> {
    flow(request, redirect_url).await
}

/// The callback page's "Continue" (see `flows::sso_continue`). Nothing in progress (a reload
/// after success): a plain form goes on signed in, or back to the sign-in page.
pub async fn sso_continue(redirect_url: Option<String>) -> Result<SignInStep, GatehouseError> {
    let gatehouse = core()?;
    let context = flow_context(&gatehouse, redirect_url);
    match flows::sso_continue(&gatehouse, context, domain::now()).await {
        Ok(result) => Ok(answer_flow(&gatehouse, result).into_sign_in()),
        Err(error) => {
            let instance = &gatehouse.config.instance;
            let signed_in = request_auth().snapshot.session_id.is_some();
            redirect_form_post(if signed_in {
                &instance.after_sign_in_url
            } else {
                &instance.sign_in_url
            });
            Err(error)
        }
    }
}

pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    let gatehouse = core()?;
    let Some(client_id) = request_auth().client_id else {
        return Ok(None);
    };
    let view = domain::sign_up::current(&gatehouse, &client_id, domain::now()).await?;
    Ok(view.map(|view| flows::sign_up_step(&gatehouse, view, None)))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An HTML checkbox sends its value only when checked.
fn checkbox(value: Option<String>) -> bool {
    value.is_some_and(|v| v != "false")
}

/// The per-step form endpoints: each is one step of `domain::flows`.
pub mod steps {
    use super::{checkbox, flow, flows::SignInIntent};
    use crate::api::{AuthChange, FlowRequest as Step, SignInStep, SignUpStep};
    use crate::model::GatehouseError;

    pub async fn sign_up_password(
        email_address: String,
        password: String,
        first_name: Option<String>,
        last_name: Option<String>,
        redirect_url: Option<String>,
    ) -> Result<SignUpStep, GatehouseError> {
        let step = Step::SignUpPassword {
            email_address,
            password,
            first_name,
            last_name,
        };
        flow(step, redirect_url).await?.into_sign_up()
    }

    pub async fn verify_email_code(
        code: String,
        redirect_url: Option<String>,
    ) -> Result<AuthChange, GatehouseError> {
        flow(Step::SignUpVerifyEmailCode { code }, redirect_url)
            .await?
            .into_change()
    }

    pub async fn resend_email_code(
        redirect_url: Option<String>,
    ) -> Result<SignUpStep, GatehouseError> {
        flow(Step::SignUpResendEmailCode, redirect_url)
            .await?
            .into_sign_up()
    }

    pub async fn sign_up_continue(
        email_address: String,
        redirect_url: Option<String>,
    ) -> Result<SignUpStep, GatehouseError> {
        flow(Step::SignUpContinue { email_address }, redirect_url)
            .await?
            .into_sign_up()
    }

    pub async fn sign_in_password(
        identifier: String,
        password: Option<String>,
        redirect_url: Option<String>,
        intent: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        let step = match SignInIntent::parse(intent.as_deref())? {
            SignInIntent::SignIn => Step::SignInPassword {
                identifier,
                password: password.unwrap_or_default(),
            },
            SignInIntent::ForgotPassword => Step::SignInResetPasswordSendCode { identifier },
        };
        Ok(flow(step, redirect_url).await?.into_sign_in())
    }

    pub async fn sso_start(
        strategy: String,
        identifier: Option<String>,
        redirect_callback_url: Option<String>,
        redirect_url: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        let step = Step::Sso {
            strategy,
            identifier,
            redirect_callback_url,
        };
        Ok(flow(step, redirect_url).await?.into_sign_in())
    }

    pub async fn sign_in_email_code(
        code: String,
        redirect_url: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        let step = Step::SignInEmailCode { code };
        Ok(flow(step, redirect_url).await?.into_sign_in())
    }

    pub async fn sign_in_resend_code(
        redirect_url: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        Ok(flow(Step::SignInResendCode, redirect_url)
            .await?
            .into_sign_in())
    }

    pub async fn sign_in_new_password(
        new_password: String,
        confirm_password: String,
        sign_out_of_other_sessions: Option<String>,
        redirect_url: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        let step = Step::SignInNewPassword {
            new_password,
            confirm_password,
            sign_out_of_other_sessions: checkbox(sign_out_of_other_sessions),
        };
        Ok(flow(step, redirect_url).await?.into_sign_in())
    }

    pub async fn sign_in_second_factor(
        strategy: String,
        code: String,
        redirect_url: Option<String>,
    ) -> Result<SignInStep, GatehouseError> {
        let step = Step::SignInSecondFactor { strategy, code };
        Ok(flow(step, redirect_url).await?.into_sign_in())
    }

    pub async fn sign_out(
        redirect_url: Option<String>,
        session_id: Option<String>,
    ) -> Result<AuthChange, GatehouseError> {
        flow(Step::SignOut { session_id }, redirect_url)
            .await?
            .into_change()
    }

    pub async fn set_active_session(
        session_id: String,
        redirect_url: Option<String>,
    ) -> Result<AuthChange, GatehouseError> {
        flow(Step::SetActiveSession { session_id }, redirect_url)
            .await?
            .into_change()
    }
}

/// The signed-in (active) user, re-verified first with the answers a plain form sent along
/// (`reverify_password`, `reverify_code`: a 6-digit authenticator code, or a backup code).
async fn account_holder(
    gatehouse: &Gatehouse,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AccountHolder, GatehouseError> {
    let snapshot = request_auth().snapshot;
    let mut holder = AccountHolder::of(&snapshot)?.from_device(device(gatehouse));
    let now = domain::now();
    // A refusal belongs to the field that was wrong, and keeps the form asking (its page shows
    // the re-verification fields again, the error next to the one that failed).
    let requirement = gatehouse.config.account.reverification;
    let still_asking = |field: &'static str| {
        move |refused: AuthError| -> GatehouseError {
            AuthError::with_meta(
                refused.code,
                crate::model::ErrorMeta {
                    param_name: Some(field.to_string()),
                    reverification: Some(requirement),
                    ..refused.meta
                },
            )
            .into()
        }
    };
    // The first-factor field: the password, or the emailed code of a user without one.
    if let Some(answer) = non_empty(reverify_password) {
        let strategy = if snapshot.reverifies_by_email() {
            ReverifyStrategy::EmailCode
        } else {
            ReverifyStrategy::Password
        };
        account::reverify(gatehouse, &mut holder, strategy, Secret::new(answer), now)
            .await
            .map_err(still_asking("reverify_password"))?;
    }
    if let Some(code) = non_empty(reverify_code) {
        let code = code.trim().to_string();
        let strategy = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            ReverifyStrategy::Totp
        } else {
            ReverifyStrategy::BackupCode
        };
        account::reverify(gatehouse, &mut holder, strategy, Secret::new(code), now)
            .await
            .map_err(still_asking("reverify_code"))?;
    }
    Ok(holder)
}

pub async fn account_overview() -> Result<AccountProfile, GatehouseError> {
    let gatehouse = core()?;
    let snapshot = request_auth().snapshot;
    let holder = AccountHolder::of(&snapshot)?;
    let facts = account::facts(&gatehouse, &holder).await?;
    let user = snapshot.user.unwrap_or_else(|| crate::model::UserSummary {
        id: holder.user_id.clone(),
        email_address: holder.email.clone(),
        first_name: None,
        last_name: None,
        password_enabled: facts.has_password,
    });
    let sso = &gatehouse.config.sso;
    let now = domain::now();
    let backup_codes = mfa::backup_codes_to_show(&gatehouse, &holder.session_id, now).await?;
    let totp_setup = account::pending_totp(&gatehouse, &holder)
        .await?
        .map(mfa_setup_of);
    let devices = account::active_devices(&gatehouse, &holder, now)
        .await?
        .into_iter()
        .map(|device| ActiveDevice {
            session_id: device.session_id.to_string(),
            browser: device.browser,
            ip_address: device.ip_address,
            last_active: account::describe_last_active(device.last_active_at, now),
            this_device: device.this_device,
        })
        .collect();
    Ok(AccountProfile {
        first_name: user.first_name,
        last_name: user.last_name,
        email_address: user.email_address,
        has_password: facts.has_password,
        second_factor_enabled: facts.second_factor_enabled,
        unused_backup_codes: facts.unused_backup_codes,
        mfa_required: gatehouse.config.mfa.required,
        totp_setup,
        backup_codes,
        external_accounts: facts
            .external_accounts
            .into_iter()
            .map(|row| ExternalAccount {
                provider_name: sso
                    .connection(&row.provider)
                    .map_or_else(|| row.provider.clone(), |c| c.name.clone()),
                id: row.id,
                email_address: row.email,
            })
            .collect(),
        devices,
    })
}

pub async fn reverify_session(strategy: String, code: String) -> Result<[i64; 2], GatehouseError> {
    let gatehouse = core()?;
    let strategy = ReverifyStrategy::parse(&strategy)
        .ok_or_else(|| AuthError::request_invalid("unknown reverification strategy"))?;
    let mut holder = AccountHolder::of(&request_auth().snapshot)?;
    // An empty emailed code asks for one to be sent (Clerk's prepare, then attempt).
    if strategy == ReverifyStrategy::EmailCode && code.trim().is_empty() {
        account::send_reverification_code(&gatehouse, &holder, domain::now()).await?;
    } else {
        account::reverify(
            &gatehouse,
            &mut holder,
            strategy,
            Secret::new(code),
            domain::now(),
        )
        .await?;
    }
    Ok(holder.factor_verification_age.unwrap_or([-1, -1]))
}

pub async fn update_name(
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), GatehouseError> {
    let gatehouse = core()?;
    let holder = AccountHolder::of(&request_auth().snapshot)?;
    account::update_name(&gatehouse, &holder, first_name, last_name, domain::now()).await?;
    back_to_form_page(&gatehouse, Notice::ProfileUpdated);
    Ok(())
}

pub async fn change_password(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let gatehouse = core()?;
    let holder = account_holder(&gatehouse, reverify_password, reverify_code).await?;
    let form = tasks::NewPassword {
        new_password: Secret::new(new_password),
        confirm_password: Secret::new(confirm_password),
        sign_out_of_other_sessions: checkbox(sign_out_of_other_sessions),
    };
    account::change_password(&gatehouse, &holder, form, domain::now()).await?;
    back_to_form_page(&gatehouse, Notice::PasswordUpdated);
    Ok(())
}

pub async fn unlink_external_account(
    external_account_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let gatehouse = core()?;
    let holder = account_holder(&gatehouse, reverify_password, reverify_code).await?;
    account::unlink_external_account(&gatehouse, &holder, &external_account_id).await?;
    back_to_form_page(&gatehouse, Notice::ConnectionRemoved);
    Ok(())
}

pub async fn change_two_step(
    action: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let gatehouse = core()?;
    let holder = account_holder(&gatehouse, reverify_password, reverify_code).await?;
    let now = domain::now();
    let notice = match action.as_str() {
        "add" => {
            account::add_totp(&gatehouse, &holder, now).await?;
            Notice::AuthenticatorStarted
        }
        "regenerate_backup_codes" => {
            account::regenerate_backup_codes(&gatehouse, &holder, now).await?;
            Notice::BackupCodesRegenerated
        }
        "remove" => {
            account::remove_totp(&gatehouse, &holder, now).await?;
            Notice::AuthenticatorRemoved
        }
        _ => return Err(AuthError::request_invalid("unknown two-step action").into()),
    };
    // The page shows the secret or the new codes from the profile (kept for this session).
    back_to_form_page(&gatehouse, notice);
    Ok(())
}

pub async fn revoke_session(
    session_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let gatehouse = core()?;
    let holder = account_holder(&gatehouse, reverify_password, reverify_code).await?;
    let session_id = SessionId::new(session_id);
    account::revoke_session(&gatehouse, &holder, &session_id, domain::now()).await?;
    back_to_form_page(&gatehouse, Notice::DeviceSignedOut);
    Ok(())
}

pub async fn delete_account(
    confirmation: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let gatehouse = core()?;
    if confirmation.trim() != account::DELETE_CONFIRMATION {
        return Err(AuthError::param_format_invalid("confirmation").into());
    }
    let holder = account_holder(&gatehouse, reverify_password, reverify_code).await?;
    account::delete_account(&gatehouse, &holder).await?;
    // Signed out everywhere (the sessions went with the user); this browser keeps no cookie.
    set_cookie(cookie(&gatehouse).clear());
    let outcome = domain::session::sign_out(&gatehouse, None, None, None, domain::now()).await?;
    redirect_form_post(outcome.next.target());
    Ok(change_of(outcome))
}
