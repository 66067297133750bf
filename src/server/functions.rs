//! Server-side bodies of the kit's server functions (`api`, which only declares them and parses
//! their fields): the call read once ([`Call`]), one call into `domain`, the answer.

use crate::model::{
    account::{AccountProfile, MfaSetup, MfaSetupDone, MfaSetupProgress, PasskeySummary},
    flow::{AuthChange, FlowRequest, FlowResponse, PasskeyOptions, SignInStep, SignUpStep},
};
use crate::{
    domain::{
        account::{self, AccountChange, AccountHolder, ReverifyStrategy},
        flows, organization, passkeys,
        secret::Secret,
        session,
        session_change::{self, ChangeContext, SessionChange},
        tasks,
    },
    model::{FactorAges, GatehouseError, Member, MembershipPage},
    server::call::Call,
};

pub use crate::server::form_values::{checkbox, new_password, non_empty, target};

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
            call.redirect_when_flow_gone();
            Err(error)
        }
    }
}

/// `current_sign_up`: the sign-up in progress on this browser, if any.
pub async fn current_sign_up() -> Result<Option<SignUpStep>, GatehouseError> {
    let call = Call::current()?;
    let client_id = call.auth.client_id.as_ref();
    Ok(flows::current_sign_up(&call.gatehouse, client_id, call.now).await?)
}

/// Makes a change to the current session (`domain::session_change`) and answers it.
pub async fn change_session(
    change: SessionChange,
    redirect_url: Option<String>,
    redirect_url_complete: Option<String>,
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    let target = target(redirect_url, redirect_url_complete);
    let context = ChangeContext {
        snapshot: &call.auth.snapshot,
        client_id: call.auth.client_id.as_ref(),
        device: &call.device(),
        target: target.as_deref(),
    };
    let outcome = session_change::apply(&call.gatehouse, change, context, call.now).await?;
    Ok(call.answer(outcome))
}

/// `organization_memberships`: one page of the user's memberships.
pub async fn organization_memberships(
    page: u32,
    page_size: u32,
) -> Result<MembershipPage, GatehouseError> {
    let call = Call::current()?;
    let (_, user_id) = tasks::require_session(&call.auth.snapshot)?;
    Ok(organization::memberships(&call.gatehouse, &user_id, page, page_size).await?)
}

/// `organization_members`: the members of an organization the user belongs to.
pub async fn organization_members(slug: String) -> Result<Vec<Member>, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    Ok(organization::members(&call.gatehouse, &holder.user_id, &slug).await?)
}

/// `mfa_setup_state`: where the user's authenticator set-up stands.
pub async fn mfa_setup_state() -> Result<MfaSetupProgress, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    Ok(account::mfa_progress(&call.gatehouse, &holder, call.now).await?)
}

/// `start_mfa_setup`: starts (or shows) the TOTP enrolment.
pub async fn start_mfa_setup() -> Result<MfaSetup, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of_session(&call.auth.snapshot)?;
    let enrollment = account::add_totp(&call.gatehouse, &holder, call.now).await;
    // A plain form post goes back to its page, which now shows the secret.
    call.reverified(enrollment.map(MfaSetup::from).map_err(Into::into))
        .await
}

/// `verify_mfa_setup`: confirms the enrolment with its first code (re-verified first).
pub async fn verify_mfa_setup(
    code: String,
    target: (Option<String>, Option<String>),
    reverify: (Option<String>, Option<String>),
) -> Result<MfaSetupDone, GatehouseError> {
    let call = Call::current()?;
    let result = async {
        let client_id = call.client_id()?;
        let holder = call.holder_adding_factor(reverify).await?;
        let gatehouse = &call.gatehouse;
        let backup_codes = account::confirm_totp(gatehouse, &holder, &code, call.now).await?;
        // A plain form post goes back to its page, which shows the codes until "Continue".
        let target = self::target(target.0, target.1);
        let outcome = session::changed(gatehouse, &client_id, target.as_deref(), call.now);
        Ok(MfaSetupDone {
            backup_codes,
            change: outcome.await?.into_change().0,
        })
    };
    call.reverified(result.await).await
}

/// `account_overview`: the account page's data.
pub async fn account_overview() -> Result<AccountProfile, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let user = call.auth.snapshot.user.clone();
    Ok(account::overview(&call.gatehouse, &holder, user, call.now).await?)
}

/// `reverify_session`: re-verifies the current session (the reverification prompt).
pub async fn reverify_session(
    strategy: String,
    code: String,
) -> Result<FactorAges, GatehouseError> {
    let call = Call::current()?;
    let strategy = ReverifyStrategy::parse(&strategy)?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    let code = Secret::new(code);
    Ok(account::reverify_session(&call.gatehouse, holder, strategy, code, call.now).await?)
}

/// Makes a change from the account page (`domain::account::change`), after re-verifying with
/// the answers a plain form sent along; a plain form post goes back to its page.
pub async fn change_account(
    change: AccountChange,
    reverify: (Option<String>, Option<String>),
) -> Result<(), GatehouseError> {
    change_account_in(&Call::current()?, change, reverify).await
}

/// [`change_account`] for a call already read.
async fn change_account_in(
    call: &Call,
    change: AccountChange,
    reverify: (Option<String>, Option<String>),
) -> Result<(), GatehouseError> {
    let result = async {
        let holder = call.reverified_holder(reverify).await?;
        account::change(&call.gatehouse, &holder, change, call.now).await
    };
    let notice = call.reverified(result.await).await?;
    call.back_to_form_page(notice);
    Ok(())
}

/// `passkey_sign_in_options`: a passkey sign-in ceremony for this browser (a client is made for
/// a browser that has none, its cookie set).
pub async fn passkey_sign_in_options(
    identifier: Option<String>,
) -> Result<PasskeyOptions, GatehouseError> {
    let call = Call::current()?;
    let context = call.flow_context(None);
    let (options, cookie) =
        flows::passkey_sign_in_options(&call.gatehouse, context, identifier.as_deref(), call.now)
            .await?;
    call.set_client_cookie(cookie.as_ref());
    Ok(options)
}

/// `passkey_registration_options`: "Add a passkey" for the signed-in user (re-verified first).
pub async fn passkey_registration_options(
    reverify: (Option<String>, Option<String>),
) -> Result<PasskeyOptions, GatehouseError> {
    let call = Call::current()?;
    let result = async {
        let client_id = call.client_id()?;
        let holder = call.reverified_holder(reverify).await?;
        let gatehouse = &call.gatehouse;
        Ok(passkeys::registration_options(gatehouse, &holder, &client_id, call.now).await?)
    };
    call.reverified(result.await).await
}

/// `add_passkey`: the browser's new passkey (re-verified first); a plain form post goes back to
/// its page.
pub async fn add_passkey(
    ceremony: String,
    credential: String,
    reverify: (Option<String>, Option<String>),
) -> Result<(), GatehouseError> {
    let call = Call::current()?;
    let change = AccountChange::AddPasskey {
        client_id: call.client_id()?,
        ceremony,
        credential,
    };
    change_account_in(&call, change, reverify).await
}

/// `list_passkeys`: the signed-in user's passkeys.
pub async fn list_passkeys() -> Result<Vec<PasskeySummary>, GatehouseError> {
    let call = Call::current()?;
    let holder = AccountHolder::of(&call.auth.snapshot)?;
    Ok(passkeys::list(&call.gatehouse, &holder, call.now).await?)
}

/// `delete_account`: deletes the account (re-verified first) and signs out everywhere.
pub async fn delete_account(
    confirmation: String,
    reverify: (Option<String>, Option<String>),
) -> Result<AuthChange, GatehouseError> {
    let call = Call::current()?;
    account::check_delete_confirmation(&confirmation)?;
    let result = async {
        let holder = call.reverified_holder(reverify).await?;
        Ok(account::delete_account(&call.gatehouse, &holder, call.now).await?)
    };
    call.reverified(result.await).await?;
    // Signed out everywhere (the sessions went with the user); this browser keeps no cookie.
    call.clear_client_cookie();
    let outcome = session::sign_out(&call.gatehouse, None, None, None, call.now).await?;
    Ok(call.answer(outcome))
}
