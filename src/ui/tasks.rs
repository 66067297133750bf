//! Session task components: `<TaskChooseOrganization/>`, `<TaskResetPassword/>`,
//! `<TaskSetupMfa/>`. Each shows only while it is the session's current task; otherwise it
//! sends the user to the current task, or to `redirect_url_complete` when none remains.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use super::{
    context::auth_context,
    control::RedirectToSignIn,
    fields::{Field, GlobalError, SubmitButton},
    form::error_of,
    navigation::{follow_changes, redirect_url_param},
    organization_choice::{CreateOrganization, OrganizationList},
    sign_out::SignOutButton,
};
use crate::{
    api::{BackupCodesSaved, MfaSetup, ResetPasswordTask, StartMfaSetup, VerifyMfaSetup},
    model::TaskKey,
};

/// Where a task page sends the user when it is not (or no longer) the current task.
enum TaskRoute {
    Show,
    SignIn,
    Elsewhere(String),
}

fn route_for(task: TaskKey, redirect_url_complete: &str) -> TaskRoute {
    let context = auth_context();
    let (has_session, current) = context
        .snapshot
        .with_untracked(|snapshot| (snapshot.session_id.is_some(), snapshot.current_task()));
    let redirect = redirect_url_param().get_untracked();
    let complete = context.decorate(redirect_url_complete, "/");
    let target = if redirect.is_empty() {
        complete
    } else {
        context.decorate(&redirect, &complete)
    };
    match current {
        _ if !has_session => TaskRoute::SignIn,
        Some(current) if current == task => TaskRoute::Show,
        Some(current) => TaskRoute::Elsewhere(context.task_url(current, Some(&target))),
        None => TaskRoute::Elsewhere(target),
    }
}

/// Renders the task when it is current; otherwise redirects (decided once, at mount: after
/// completion the component itself navigates).
#[component]
fn TaskGuard(task: TaskKey, redirect_url_complete: String, children: ChildrenFn) -> impl IntoView {
    match route_for(task, &redirect_url_complete) {
        TaskRoute::Show => children().into_any(),
        TaskRoute::SignIn => view! { <RedirectToSignIn/> }.into_any(),
        TaskRoute::Elsewhere(path) => view! { <Redirect path/> }.into_any(),
    }
}

/// "Signed in as … · Sign out", under every task.
#[component]
fn TaskFooter() -> impl IntoView {
    let context = auth_context();
    let email = move || {
        context.snapshot.with(|snapshot| {
            snapshot
                .user
                .as_ref()
                .map(|user| user.email_address.clone())
        })
    };
    view! {
        <footer class="task-footer">
            <span>"Signed in as " <strong data-testid="task-identifier">{email}</strong></span>
            <span aria-hidden="true">" · "</span>
            <SignOutButton/>
        </footer>
    }
}

/// The `choose-organization` task: pick one of the user's organizations or create one.
#[component]
pub fn TaskChooseOrganization(
    /// Where to go once no task remains (unless the URL carries `redirect_url`).
    #[prop(into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let complete = redirect_url_complete.clone();
    view! {
        <TaskGuard task=TaskKey::ChooseOrganization redirect_url_complete=redirect_url_complete>
            <ChooseOrganization redirect_url_complete=complete.clone()/>
        </TaskGuard>
    }
}

#[component]
fn ChooseOrganization(redirect_url_complete: String) -> impl IntoView {
    view! {
        <section class="card auth-card task">
            <h1>"Choose an organization"</h1>
            <p class="subtitle">"Select the organization to continue with, or create a new one."</p>
            <OrganizationList redirect_url_complete=redirect_url_complete.clone()/>
            <CreateOrganization redirect_url_complete/>
            <TaskFooter/>
        </section>
    }
}

/// The `reset-password` task: a new password (twice), with "Sign out of all other devices"
/// checked by default.
#[component]
pub fn TaskResetPassword(
    /// Where to go once no task remains (unless the URL carries `redirect_url`).
    #[prop(into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let complete = redirect_url_complete.clone();
    view! {
        <TaskGuard task=TaskKey::ResetPassword redirect_url_complete=redirect_url_complete>
            <ResetPassword redirect_url_complete=complete.clone()/>
        </TaskGuard>
    }
}

#[component]
fn ResetPassword(redirect_url_complete: String) -> impl IntoView {
    let action = ServerAction::<ResetPasswordTask>::new();
    let value = action.value();
    follow_changes(value, None);
    let error = error_of(value);
    let redirect_url = redirect_url_param();
    view! {
        <section class="card auth-card task">
            <h1>"Reset your password"</h1>
            <p class="subtitle">"Your account requires a new password before you can continue"</p>
            <ActionForm action=action>
                <GlobalError error/>
                <Field label="New password" name="new_password" field="newPassword" kind="password" autocomplete="new-password" required=true error/>
                <Field label="Confirm password" name="confirm_password" field="confirmPassword" kind="password" autocomplete="new-password" required=true error/>
                <label class="checkbox">
                    <input type="checkbox" name="sign_out_of_other_sessions" value="true" checked/>
                    "Sign out of all other devices"
                </label>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <input type="hidden" name="redirect_url_complete" value=redirect_url_complete/>
                <SubmitButton pending=action.pending().into()/>
            </ActionForm>
            <TaskFooter/>
        </section>
    }
}

/// The `setup-mfa` task: an authenticator app (QR code and secret), its first code, then ten
/// backup codes shown once. Loading the page changes nothing: the secret is created by a POST
/// ("Continue"), and the backup codes stay on this page until the user confirms they saved
/// them — so every step works as a plain HTML form too.
#[component]
pub fn TaskSetupMfa(
    /// Where to go once no task remains (unless the URL carries `redirect_url`).
    #[prop(into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let state = Resource::new(|| (), |_| crate::api::mfa_setup_state());
    let complete = StoredValue::new(redirect_url_complete);
    view! {
        <Suspense fallback=|| ()>
            {move || state.get().map(|result| {
                // Backup codes waiting to be saved keep this page, although the task is done.
                let codes = result.as_ref().ok().and_then(|state| state.backup_codes.clone());
                let pending = result.ok().and_then(|state| state.pending);
                match (codes, route_for(TaskKey::SetupMfa, &complete.get_value())) {
                    (Some(codes), _) => view! {
                        <SetupMfa redirect_url_complete=complete.get_value() pending=None saved_codes=Some(codes)/>
                    }.into_any(),
                    (None, TaskRoute::Show) => view! {
                        <SetupMfa redirect_url_complete=complete.get_value() pending saved_codes=None/>
                    }.into_any(),
                    (None, TaskRoute::SignIn) => view! { <RedirectToSignIn/> }.into_any(),
                    (None, TaskRoute::Elsewhere(path)) => view! { <Redirect path/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupMfa(
    redirect_url_complete: String,
    pending: Option<MfaSetup>,
    saved_codes: Option<Vec<String>>,
) -> impl IntoView {
    let start = ServerAction::<StartMfaSetup>::new();
    let verify = ServerAction::<VerifyMfaSetup>::new();
    let saved = ServerAction::<BackupCodesSaved>::new();
    follow_changes(saved.value(), None);
    let start_error = error_of(start.value());
    let verify_error = error_of(verify.value());
    let saved_error = error_of(saved.value());
    let redirect_url = redirect_url_param();
    let complete = StoredValue::new(redirect_url_complete);
    let setup = move || {
        start
            .value()
            .get()
            .and_then(|result| result.ok())
            .or_else(|| pending.clone())
    };
    let codes = move || {
        verify
            .value()
            .get()
            .and_then(|result| result.ok())
            .map(|done| done.backup_codes)
            .or_else(|| saved_codes.clone())
    };
    view! {
        <section class="card auth-card task">
            <h1>"Set up two-step verification"</h1>
            {move || match (codes(), setup()) {
                (Some(codes), _) => view! {
                    <p class="subtitle">"Two-step verification is on. Save these backup codes somewhere safe: each works once, and they will not be shown again."</p>
                    <ol class="backup-codes" data-testid="backup-codes">
                        {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                    </ol>
                    <ActionForm action=saved>
                        <GlobalError error=saved_error/>
                        <input type="hidden" name="redirect_url" value=redirect_url/>
                        <input type="hidden" name="redirect_url_complete" value=complete.get_value()/>
                        <SubmitButton pending=saved.pending().into()/>
                    </ActionForm>
                }.into_any(),
                (None, Some(setup)) => view! {
                    <p class="subtitle">"Scan the QR code with your authenticator app, or enter the key by hand, then type the 6-digit code it shows."</p>
                    <div class="qr" inner_html=setup.qr_svg></div>
                    <p class="secret">"Key: " <code data-testid="totp-secret">{setup.secret}</code></p>
                    <ActionForm action=verify>
                        <GlobalError error=verify_error/>
                        <Field label="Authentication code" name="code" field="code" autocomplete="one-time-code" required=true error=verify_error/>
                        <input type="hidden" name="redirect_url" value=redirect_url/>
                        <input type="hidden" name="redirect_url_complete" value=complete.get_value()/>
                        <SubmitButton label="Verify" pending=verify.pending().into()/>
                    </ActionForm>
                }.into_any(),
                (None, None) => view! {
                    <p class="subtitle">"Protect your account with an authenticator app (such as 1Password, Google Authenticator or Authy): it will show a 6-digit code to enter each time you sign in."</p>
                    <ActionForm action=start>
                        <GlobalError error=start_error/>
                        <SubmitButton pending=start.pending().into()/>
                    </ActionForm>
                }.into_any(),
            }}
            <TaskFooter/>
        </section>
    }
}

/// The task component for `key`, or `None` for an unknown key.
pub fn task_view(key: &str, redirect_url_complete: String) -> Option<AnyView> {
    Some(match TaskKey::parse(key)? {
        TaskKey::ChooseOrganization => {
            view! { <TaskChooseOrganization redirect_url_complete/> }.into_any()
        }
        TaskKey::ResetPassword => view! { <TaskResetPassword redirect_url_complete/> }.into_any(),
        TaskKey::SetupMfa => view! { <TaskSetupMfa redirect_url_complete/> }.into_any(),
    })
}

/// For an unknown task key: the current task's page, or `redirect_url_complete`.
#[component]
pub fn UnknownTask(
    /// Where to go when no task remains.
    #[prop(into)]
    redirect_url_complete: String,
) -> impl IntoView {
    let context = auth_context();
    let redirect = redirect_url_param().get_untracked();
    let complete = context.decorate(&redirect_url_complete, "/");
    let target = if redirect.is_empty() {
        complete
    } else {
        context.decorate(&redirect, &complete)
    };
    let path = match context.snapshot.with_untracked(|s| s.current_task()) {
        Some(task) => context.task_url(task, Some(&target)),
        None => target,
    };
    view! { <Redirect path/> }
}
