//! Server-side bodies of the server functions: the call read once (`server::call::Call`), one
//! call into `domain`, the answer.

use super::{
    AccountProfile, AuthChange, FlowRequest, FlowResponse, MfaSetup, MfaSetupDone,
    MfaSetupProgress, SignInStep, SignUpStep,
};
use crate::{
    domain::{
        account::{self, AccountHolder, ReverifyStrategy, TwoStepChange},
        flows, mfa, organization,
        secret::Secret,
        session, tasks,
    },
    model::{
        AuthError, ClientId, FactorAges, GatehouseError, Member, MembershipPage, Notice, OrgId,
        SessionId, UserId,
    },
    server::call::Call,
};

pub use crate::server::call::take_notice;

/// Passes the result through (the status mapping happens in the server layer).
pub fn respond<T>(result: Result<T, GatehouseError>) -> Result<T, GatehouseError> {
    if let Err(error) = &result {
        tracing::debug!(%error, "server function refused");
    }
    result
}

/// [`respond`] for the account changes that require reverification. A plain form post refused
/// for it gets what its page needs to ask (`account::prepare_reverification`: the emailed code
/// of a user without a password); a call from wasm asks from the prompt instead.
pub async fn respond_reverified<T>(result: Result<T, GatehouseError>) -> Result<T, GatehouseError> {
    let Err(error) = &result else {
        return result;
    };
    let Some(requirement) = error.reverification_required() else {
        return respond(result);
    };
    if let Some(call) = Call::current().ok().filter(|call| call.form_post) {
        let snapshot = &call.auth.snapshot;
        if let Ok(holder) = AccountHolder::of(snapshot) {
            let prepared = account::prepare_reverification(
                &call.gatehouse,
                &holder,
                snapshot,
                requirement,
                call.now,
            );
            if let Err(refused) = prepared.await {
                tracing::debug!(%refused, "reverification code not sent");
            }
        }
    }
    respond(result)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An HTML checkbox sends its value only when checked.
pub fn checkbox(value: Option<String>) -> bool {
    value.is_some_and(|v| v != "false")
}

/// The target after a change to the current session: `redirect_url`, else
/// `redirect_url_complete` (empty values ignored).
fn target(redirect_url: Option<String>, redirect_url_complete: Option<String>) -> Option<String> {
    non_empty(redirect_url).or(non_empty(redirect_url_complete))
}

/// The call's client and session (pending allowed).
fn current_session(call: &Call) -> Result<(ClientId, SessionId, UserId), GatehouseError> {
    let (session_id, user_id) = tasks::require_session(&call.auth.snapshot)?;
    let client_id = call
        .auth
        .client_id
        .clone()
        .ok_or_else(AuthError::unauthorized)?;
    Ok((client_id, session_id, user_id))
}

/// After a change to the current session (a task, an organization switch): the fresh state and
/// the next task or the target.
async fn session_changed(
    call: &Call,
    client_id: &ClientId,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let target = target(redirect_url, redirect_url_complete);
    let outcome = session::changed(&call.gatehouse, client_id, target.as_deref(), call.now).await?;
    Ok(call.answer(outcome))
}

/// Runs one step of a sign-in or sign-up flow (`domain::flows`) and answers it.
pub async fn flow(
    step: FlowRequest,
    redirect_url: Option<String>,
) -> Result<FlowResponse, GatehouseError> {
    let call = Call::current()?;
    let context = call.flow_context(redirect_url);
    let result = flows::run(&call.gatehouse, step, context, call.now).await?;
    Ok(call.answer_flow(result))
}

/// The callback page's "Continue" (see `flows::sso_continue`). Nothing in progress (a reload
/// after success): a plain form goes on signed in, or back to the sign-in page.
pub async fn sso_continue(redirect_url: Option<String>) -> Result<SignInStep, GatehouseError> {
    let call = Call::current()?;
    let context = call.flow_context(redirect_url);
    match flows::sso_continue(&call.gatehouse, context, call.now).await {
        Ok(result) => Ok(call.answer_flow(result).into_sign_in()),
        Err(error) => {
            let instance = &call.gatehouse.config.instance;
            call.redirect(if call.auth.snapshot.session_id.is_some() {
                &instance.after_sign_in_url
            } else {
                &instance.sign_in_url
            });
            Err(error)
        }
    }
}

pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    let call = Call::current()?;
    let Some(client_id) = &call.auth.client_id else {
        return Ok(None);
    };
    let view = crate::domain::sign_up::current(&call.gatehouse, client_id, call.now).await?;
    Ok(view.map(|view| flows::sign_up_step(&call.gatehouse, view, None)))
}

pub async fn create_organization(
    name: String,
    slug: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let (client_id, session_id, user_id) = current_session(&call)?;
    let gatehouse = &call.gatehouse;
    organization::create(gatehouse, &session_id, &user_id, &name, &slug, call.now).await?;
    session_changed(&call, &client_id, redirect_url, redirect_url_complete).await
}

pub async fn set_active_organization(
    organization_id: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let (client_id, session_id, user_id) = current_session(&call)?;
    let organization_id = non_empty(organization_id).map(OrgId::new);
    let gatehouse = &call.gatehouse;
    organization::set_active(gatehouse, &session_id, &user_id, organization_id.as_ref()).await?;
    session_changed(&call, &client_id, redirect_url, redirect_url_complete).await
}

pub async fn organization_memberships(
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, GatehouseError> {
    let call = Call::current()?;
    let (_, user_id) = tasks::require_session(&call.auth.snapshot)?;
    Ok(organization::memberships(&call.gatehouse, &user_id, page, page_size).await?)
}

pub async fn organization_members(slug: String) -> Result<Vec<Member>, GatehouseError> {
    let call = Call::current()?;
    if !call.auth.snapshot.auth(true).is_signed_in() {
        return Err(AuthError::unauthorized().into());
    }
    let (_, user_id) = tasks::require_session(&call.auth.snapshot)?;
    Ok(organization::members(&call.gatehouse, &user_id, &slug).await?)
}

pub async fn reset_password_task(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let (client_id, _, _) = current_session(&call)?;
    let form = tasks::NewPassword {
        new_password: Secret::new(new_password),
        confirm_password: Secret::new(confirm_password),
        sign_out_of_other_sessions: checkbox(sign_out_of_other_sessions),
    };
    let (snapshot, device) = (&call.auth.snapshot, call.device());
    tasks::reset_password(&call.gatehouse, snapshot, form, &device, call.now).await?;
    session_changed(&call, &client_id, redirect_url, redirect_url_complete).await
}

pub async fn mfa_setup_state() -> Result<MfaSetupProgress, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    let backup_codes = mfa::backup_codes_to_show(&call.gatehouse, &holder.session_id, call.now);
    let backup_codes = backup_codes.await?;
    let pending = match backup_codes {
        Some(_) => None,
        None => account::pending_totp(&call.gatehouse, &holder)
            .await?
            .map(MfaSetup::from),
    };
    Ok(MfaSetupProgress {
        pending,
        backup_codes,
    })
}

pub async fn start_mfa_setup() -> Result<MfaSetup, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    let enrollment = account::add_totp(&call.gatehouse, &holder, call.now).await?;
    // A plain form post goes back to its page, which now shows the secret.
    Ok(MfaSetup::from(enrollment))
}

pub async fn verify_mfa_setup(
    code: String,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<MfaSetupDone, GatehouseError> {
    let call = Call::current()?;
    let (client_id, _, _) = current_session(&call)?;
    // The setup-mfa task's session is pending; the account page's is active and may re-verify
    // with the answers a plain form sent along.
    let holder = if call.auth.snapshot.auth(true).session_id.is_some() {
        account_holder(&call, reverify_password, reverify_code).await?
    } else {
        AccountHolder::of_session(&call.auth.snapshot)?.from_device(call.device())
    };
    let backup_codes = account::confirm_totp(&call.gatehouse, &holder, &code, call.now).await?;
    // A plain form post goes back to its page, which shows the codes until "Continue".
    let target = target(redirect_url, redirect_url_complete);
    let outcome = session::changed(&call.gatehouse, &client_id, target.as_deref(), call.now);
    let outcome = outcome.await?;
    Ok(MfaSetupDone {
        backup_codes,
        change: outcome.into_change().0,
    })
}

pub async fn backup_codes_saved(
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let (client_id, session_id, _) = current_session(&call)?;
    mfa::backup_codes_saved(&call.gatehouse, &session_id).await?;
    session_changed(&call, &client_id, redirect_url, redirect_url_complete).await
}

/// The signed-in (active) user, re-verified first with the answers a plain form sent along
/// (`reverify_password`, `reverify_code`; see `account::reverify_answers`).
async fn account_holder(
    call: &Call,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AccountHolder, GatehouseError> {
    let mut holder = call.holder()?;
    let answers = account::ReverifyAnswers {
        first_factor: non_empty(reverify_password).map(Secret::new),
        second_factor: non_empty(reverify_code).map(Secret::new),
        by_email: call.auth.snapshot.reverifies_by_email(),
    };
    account::reverify_answers(&call.gatehouse, &mut holder, answers, call.now).await?;
    Ok(holder)
}

pub async fn account_overview() -> Result<AccountProfile, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let user = call.auth.snapshot.user.clone();
    Ok(account::overview(&call.gatehouse, &holder, user, call.now).await?)
}

pub async fn reverify_session(
    strategy: String,
    code: String,
) -> Result<FactorAges, GatehouseError> {
    let call = Call::current()?;
    let strategy = ReverifyStrategy::parse(&strategy)
        .ok_or_else(|| AuthError::request_invalid("unknown reverification strategy"))?;
    let mut holder = AccountHolder::of(&call.auth.snapshot)?;
    // An empty emailed code asks for one to be sent (Clerk's prepare, then attempt).
    if strategy == ReverifyStrategy::EmailCode && code.trim().is_empty() {
        account::send_reverification_code(&call.gatehouse, &holder, call.now).await?;
    } else {
        let code = Secret::new(code);
        account::reverify(&call.gatehouse, &mut holder, strategy, code, call.now).await?;
    }
    Ok(holder.factor_verification_age.unwrap_or(FactorAges::NEVER))
}

pub async fn update_name(
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    account::update_name(&call.gatehouse, &holder, first_name, last_name, call.now).await?;
    call.back_to_form_page(Notice::ProfileUpdated);
    Ok(())
}

pub async fn change_password(
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: Option<String>,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = account_holder(&call, reverify_password, reverify_code).await?;
    let form = tasks::NewPassword {
        new_password: Secret::new(new_password),
        confirm_password: Secret::new(confirm_password),
        sign_out_of_other_sessions: checkbox(sign_out_of_other_sessions),
    };
    account::change_password(&call.gatehouse, &holder, form, call.now).await?;
    call.back_to_form_page(Notice::PasswordUpdated);
    Ok(())
}

pub async fn unlink_external_account(
    external_account_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = account_holder(&call, reverify_password, reverify_code).await?;
    account::unlink_external_account(&call.gatehouse, &holder, &external_account_id).await?;
    call.back_to_form_page(Notice::ConnectionRemoved);
    Ok(())
}

pub async fn change_two_step(
    action: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let change = TwoStepChange::parse(&action)?;
    let holder = account_holder(&call, reverify_password, reverify_code).await?;
    account::change_two_step(&call.gatehouse, &holder, change, call.now).await?;
    // The page shows the secret or the new codes from the profile (kept for this session).
    call.back_to_form_page(match change {
        TwoStepChange::Add => Notice::AuthenticatorStarted,
        TwoStepChange::RegenerateBackupCodes => Notice::BackupCodesRegenerated,
        TwoStepChange::Remove => Notice::AuthenticatorRemoved,
    });
    Ok(())
}

pub async fn revoke_session(
    session_id: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let holder = account_holder(&call, reverify_password, reverify_code).await?;
    let session_id = SessionId::new(session_id);
    account::revoke_session(&call.gatehouse, &holder, &session_id, call.now).await?;
    call.back_to_form_page(Notice::DeviceSignedOut);
    Ok(())
}

pub async fn delete_account(
    confirmation: String,
    reverify_password: Option<String>,
    reverify_code: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    if confirmation.trim() != account::DELETE_CONFIRMATION {
        return Err(AuthError::param_format_invalid("confirmation").into());
    }
    let holder = account_holder(&call, reverify_password, reverify_code).await?;
    account::delete_account(&call.gatehouse, &holder).await?;
    // Signed out everywhere (the sessions went with the user); this browser keeps no cookie.
    call.clear_client_cookie();
    let outcome = session::sign_out(&call.gatehouse, None, None, None, call.now).await?;
    Ok(call.answer(outcome))
}
