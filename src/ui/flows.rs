//! `<SignIn/>` and `<SignUp/>`: each step works as a plain HTML form (no JavaScript) and, once
//! hydrated, without page reloads.

use leptos::prelude::*;

use super::{
    context::auth_context,
    fields::{Field, GlobalError, SubmitButton},
    form::Submitted,
    hooks::{sign_in_for, sign_up_for},
    navigation::{redirect_url_param, NavigateArgs},
    page::Here,
};
use crate::model::GatehouseError;

/// The sign-in form: email address and password (combined), then wherever the server sends the
/// user (the current task when pending, else `redirect_url`, else `after_sign_in_url`).
///
/// Its steps are mounted under the sign-in URL: `/factor-two` ("Two-step verification":
/// Authentication code, or "Use a backup code"), `/client-trust` and `/factor-one` ("Check your
/// email": the new-device code and the password-reset code), `/reset-password` ("Set new
/// password"). Mounted at
/// `<sign_in_url>/tasks/<key>` it shows that session task (the embedded task route used when
/// `task_urls` has no entry for the task).
#[component]
pub fn SignIn(
    /// Called after sign-in instead of the default navigation (but `task_urls` wins for pending
    /// sessions).
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    let location = Here::new();
    let task_key = move || {
        location
            .pathname
            .get()
            .split_once("/tasks/")
            .map(|(_, key)| key.trim_end_matches('/').to_string())
    };
    move || match task_key() {
        Some(key) => {
            let complete = auth_context().urls.get_value().after_sign_in_url;
            super::tasks::task_view(&key, complete.clone()).unwrap_or_else(|| {
                view! { <super::tasks::UnknownTask redirect_url_complete=complete/> }.into_any()
            })
        }
        None => {
            let path = location.pathname.get();
            match path
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
            {
                "factor-two" => view! { <SignInFactorTwo navigate/> }.into_any(),
                "client-trust" => view! { <EmailCodeStep navigate reset=false/> }.into_any(),
                "factor-one" => view! { <EmailCodeStep navigate reset=true/> }.into_any(),
                "reset-password" => view! { <NewPasswordStep navigate/> }.into_any(),
                _ => view! { <SignInForm navigate/> }.into_any(),
            }
        }
    }
}

/// Runs a kit step from its form: the form posts to `endpoint` when there is no JavaScript;
/// hydrated, the submit is stopped and `step` sends it through the hook (the one client path),
/// then the flow goes on (finalize, or the next step's page).
macro_rules! on_step {
    ($hook:expr, $navigate:expr, |$form:ident| $step:expr) => {{
        let hook = $hook;
        let navigate = $navigate;
        move |ev: leptos::ev::SubmitEvent| {
            let $form = Submitted::take(&ev);
            let step = $step;
            leptos::task::spawn_local(async move {
                if step.await.is_ok() {
                    hook.follow(navigate);
                }
            });
        }
    }};
}

/// The endpoints the kit's plain forms post to (without JavaScript).
use crate::api::endpoints as endpoint;

#[component]
fn SignInForm(navigate: Option<Callback<NavigateArgs>>) -> impl IntoView {
    let sign_in = sign_in_for(Some(endpoint::SIGN_IN));
    let urls = auth_context().urls.get_value();
    // An email whose domain has an enterprise connection goes to its provider: no password.
    let identifier = RwSignal::new(String::new());
    let enterprise = {
        let urls = urls.clone();
        Memo::new(move |_| identifier.with(|email| urls.is_enterprise_email(email)))
    };
    // Without JavaScript the field cannot hide, so it is optional where SSO domains exist (the
    // server still asks for a password when the domain has no connection).
    let password_required = urls.enterprise_domains.is_empty();
    let sso_error = RwSignal::new(super::sso::sso_error_param());
    let on_submit = on_step!(sign_in, navigate, |form| {
        let email = form.value("identifier");
        let forgot = form.optional("intent").as_deref() == Some("forgot_password");
        let password = form.value("password");
        async move {
            if forgot {
                sign_in.reset_password_email_code().send_code(email).await
            } else {
                sign_in.password(email, password).await
            }
        }
    });
    let error = super::sso::with_sso_error(sign_in.last_error(), sso_error);
    let redirect_url = redirect_url_param();
    let sign_up_url = urls.sign_up_url;
    let passkeys = urls.passkeys;
    // The email field offers passkeys in its autofill where they are on.
    let email_autocomplete = if passkeys { "email webauthn" } else { "email" };
    let on_input = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            if let Some(input) = ev
                .target()
                .and_then(|target| target.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                .filter(|input| input.name() == "identifier")
            {
                identifier.set(input.value());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, identifier);
    };
    view! {
        <section class="card auth-card">
            <h1>"Sign in"</h1>
            <p class="subtitle">"Welcome back! Please sign in to continue"</p>
            <super::sso::SocialButtons redirect_callback_url=super::sso::SSO_CALLBACK_URL error=sso_error/>
            <form method="post" action=endpoint::SIGN_IN on:submit=on_submit on:input=on_input>
                <GlobalError error/>
                <Field label="Email address" name="identifier" field="identifier" kind="email" autocomplete=email_autocomplete required=true error/>
                <Show when=move || !enterprise.get()>
                    <Field label="Password" name="password" field="password" kind="password" autocomplete="current-password" required=password_required error/>
                </Show>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_in.pending()/>
                // After Continue, so Enter still signs in; it emails a reset code to the address.
                <button type="submit" class="link" name="intent" value="forgot_password" formnovalidate>
                    "Forgot password?"
                </button>
                // The passkey script shows it: the email typed, then that account's passkey.
                {passkeys.then(|| view! {
                    <button type="button" class="link" data-gatehouse-use-passkey="" hidden>"Use passkey"</button>
                })}
            </form>
            {passkeys.then(|| view! { <PasskeySignIn redirect_url/> })}
            <p class="switch">"Don't have an account? " <a href=sign_up_url>"Sign up"</a></p>
        </section>
    }
}

/// "Sign in with passkey": a plain form the passkey script shows and fills with the browser's
/// answer (without JavaScript it stays hidden); its error comes back in the URL.
#[component]
fn PasskeySignIn(redirect_url: Signal<String>) -> impl IntoView {
    let error = Signal::stored(super::form::error_in_url(endpoint::SIGN_IN_PASSKEY));
    view! {
        <form method="post" action=endpoint::SIGN_IN_PASSKEY class="passkey-sign-in" hidden
            data-gatehouse-passkey="sign-in" data-options=endpoint::PASSKEY_SIGN_IN_OPTIONS>
            <GlobalError error/>
            <input type="hidden" name="ceremony"/>
            <input type="hidden" name="credential"/>
            <input type="hidden" name="redirect_url" value=redirect_url/>
            <button type="submit" class="secondary">"Sign in with passkey"</button>
        </form>
        <super::passkeys::PasskeyScript/>
    }
}

/// "Two-step verification": a code from the authenticator app, or (after "Use a backup code")
/// one of the backup codes. Switching is a plain GET link-form, so it works without JavaScript.
#[component]
fn SignInFactorTwo(navigate: Option<Callback<NavigateArgs>>) -> impl IntoView {
    let sign_in = sign_in_for(Some(endpoint::SECOND_FACTOR));
    let on_submit = on_step!(sign_in, navigate, |form| {
        let code = form.value("code");
        let backup = form.value("strategy") == "backup_code";
        async move {
            if backup {
                sign_in.mfa().verify_backup_code(code).await
            } else {
                sign_in.mfa().verify_totp(code).await
            }
        }
    });
    let error = sign_in.last_error();
    let redirect_url = redirect_url_param();
    let strategy = Here::new().param("strategy");
    let backup = move || strategy.with(|s| s == "backup_code");
    view! {
        <section class="card auth-card">
            <h1>"Two-step verification"</h1>
            {move || {
                // (strategy, intro, label, autocomplete, the other strategy, its button)
                let (strategy, intro, label, autocomplete, other, other_label) = if backup() {
                    ("backup_code", "Enter one of the backup codes you saved when setting up two-step verification.",
                     "Backup code", "off", "totp", "Use your authenticator app")
                } else {
                    ("totp", "Enter the verification code generated by your authenticator app.",
                     "Authentication code", "one-time-code", "backup_code", "Use a backup code")
                };
                view! {
                    <p class="subtitle">{intro}</p>
                    <form method="post" action=endpoint::SECOND_FACTOR on:submit=on_submit>
                        <GlobalError error/>
                        <Field label name="code" field="code" autocomplete required=true error/>
                        <input type="hidden" name="strategy" value=strategy/>
                        <input type="hidden" name="redirect_url" value=redirect_url/>
                        <SubmitButton pending=sign_in.pending()/>
                    </form>
                    <form method="get" class="alternative">
                        <input type="hidden" name="strategy" value=other/>
                        <input type="hidden" name="redirect_url" value=redirect_url/>
                        <button type="submit" class="link">{other_label}</button>
                    </form>
                }
            }}
            <StartOver/>
        </section>
    }
}

/// "Start over": back to the sign-in form (a GET, keeping `redirect_url`).
#[component]
fn StartOver() -> impl IntoView {
    let redirect_url = redirect_url_param();
    let sign_in_url = auth_context().urls.get_value().sign_in_url;
    view! {
        <form method="get" action=sign_in_url class="start-over">
            <input type="hidden" name="redirect_url" value=redirect_url/>
            <button type="submit" class="link">"Start over"</button>
        </form>
    }
}

/// "Resend code": a form of its own, with the result (or the wait) announced next to it.
#[component]
fn ResendCode(
    /// The endpoint a plain form posts to.
    endpoint: &'static str,
    /// Sends the new code through the hook.
    resend: Callback<(), ()>,
    /// The resend's last error.
    error: Signal<Option<GatehouseError>>,
    /// Whether it is running.
    pending: Signal<bool>,
    /// Whether a new code was sent.
    resent: Signal<bool>,
) -> impl IntoView {
    let redirect_url = redirect_url_param();
    view! {
        <form method="post" action=endpoint class="resend" on:submit=move |ev| {
            ev.prevent_default();
            resend.run(());
        }>
            <input type="hidden" name="redirect_url" value=redirect_url/>
            <button type="submit" class="link" disabled=move || pending.get()>"Resend code"</button>
            <p class="field-error" role="status">
                {move || error.get().and_then(|e| e.errors().first().map(|e| e.long_message.clone()))}
                {move || resent.get().then_some("A new code is on its way.")}
            </p>
        </form>
    }
}

/// "Check your email": the code emailed for a new device (client trust, `reset = false`) or for
/// a password reset (`reset = true`), with "Resend code" and "Start over".
#[component]
fn EmailCodeStep(navigate: Option<Callback<NavigateArgs>>, reset: bool) -> impl IntoView {
    let sign_in = sign_in_for(Some(endpoint::EMAIL_CODE));
    let resender = sign_in_for(Some(endpoint::RESEND_CODE));
    let resent = RwSignal::new(false);
    let on_submit = on_step!(sign_in, navigate, |form| {
        let code = form.value("code");
        async move { sign_in.client_trust().verify_code(code).await }
    });
    let resend = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            resent.set(resender.client_trust().send_code().await.is_ok());
        });
    });
    let error = sign_in.last_error();
    let redirect_url = redirect_url_param();
    let intro = if reset {
        "Enter the verification code sent to your email address to reset your password."
    } else {
        "You're signing in from a new device. Enter the verification code sent to your email address."
    };
    view! {
        <section class="card auth-card">
            <h1>"Check your email"</h1>
            <p class="subtitle">{intro}</p>
            <form method="post" action=endpoint::EMAIL_CODE on:submit=on_submit>
                <GlobalError error/>
                <Field label="Verification code" name="code" field="code" autocomplete="one-time-code" required=true error/>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_in.pending()/>
            </form>
            <ResendCode endpoint=endpoint::RESEND_CODE resend error=resender.last_error() pending=resender.pending() resent=resent.into()/>
            <StartOver/>
        </section>
    }
}

/// "Set new password" after a verified reset code; "Sign out of all other devices" is checked.
#[component]
fn NewPasswordStep(navigate: Option<Callback<NavigateArgs>>) -> impl IntoView {
    let sign_in = sign_in_for(Some(endpoint::NEW_PASSWORD));
    let on_submit = on_step!(sign_in, navigate, |form| {
        let new_password = form.value("new_password");
        let confirm_password = form.value("confirm_password");
        let sign_out_of_other_sessions = form.optional("sign_out_of_other_sessions").is_some();
        async move {
            sign_in
                .submit_new_password(new_password, confirm_password, sign_out_of_other_sessions)
                .await
        }
    });
    let error = sign_in.last_error();
    let redirect_url = redirect_url_param();
    view! {
        <section class="card auth-card">
            <h1>"Set new password"</h1>
            <form method="post" action=endpoint::NEW_PASSWORD on:submit=on_submit>
                <GlobalError error/>
                <Field label="New password" name="new_password" field="newPassword" kind="password" autocomplete="new-password" required=true error/>
                <Field label="Confirm password" name="confirm_password" field="confirmPassword" kind="password" autocomplete="new-password" required=true error/>
                <label class="checkbox">
                    <input type="checkbox" name="sign_out_of_other_sessions" value="true" checked/>
                    "Sign out of all other devices"
                </label>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_in.pending()/>
            </form>
            <StartOver/>
        </section>
    }
}

/// The sign-up flow: "Create your account" (email, password, optional names) at the sign-up
/// URL, then "Verify your email" at `<sign_up_url>/verify-email-address`; "Fill in missing
/// fields" at `<sign_up_url>/continue` when an SSO provider gave no email address.
#[component]
pub fn SignUp(
    /// Called after sign-up instead of the default navigation (but `task_urls` wins for pending
    /// sessions).
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    let location = Here::new();
    move || {
        let path = location.pathname.get();
        if path.ends_with("/verify-email-address") {
            view! { <VerifyEmailStep navigate/> }.into_any()
        } else if path.ends_with("/continue") {
            view! { <ContinueStep/> }.into_any()
        } else {
            view! { <SignUpStart/> }.into_any()
        }
    }
}

/// "Fill in missing fields": the email address an SSO provider did not give.
#[component]
fn ContinueStep() -> impl IntoView {
    let sign_up = sign_up_for(Some(endpoint::SIGN_UP_CONTINUE));
    let on_submit = on_step!(sign_up, None, |form| {
        let email = form.value("email_address");
        async move { sign_up.update_email_address(email).await }
    });
    let error = sign_up.last_error();
    let redirect_url = redirect_url_param();
    view! {
        <section class="card auth-card">
            <h1>"Fill in missing fields"</h1>
            <p class="subtitle">"Please fill in the remaining details to continue."</p>
            <form method="post" action=endpoint::SIGN_UP_CONTINUE on:submit=on_submit>
                <GlobalError error/>
                <Field label="Email address" name="email_address" field="emailAddress" kind="email" autocomplete="email" required=true error/>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_up.pending()/>
            </form>
        </section>
    }
}

#[component]
fn SignUpStart() -> impl IntoView {
    let sign_up = sign_up_for(Some(endpoint::SIGN_UP));
    let on_submit = on_step!(sign_up, None, |form| {
        let names = (form.optional("first_name"), form.optional("last_name"));
        let (email, password) = (form.value("email_address"), form.value("password"));
        async move { sign_up.password(email, password, names.0, names.1).await }
    });
    let sso_error = RwSignal::new(None);
    let error = super::sso::with_sso_error(sign_up.last_error(), sso_error);
    let redirect_url = redirect_url_param();
    let sign_in_url = auth_context().urls.get_value().sign_in_url;
    view! {
        <section class="card auth-card">
            <h1>"Create your account"</h1>
            <p class="subtitle">"Welcome! Please fill in the details to get started."</p>
            <super::sso::SocialButtons redirect_callback_url=super::sso::SSO_CALLBACK_URL error=sso_error/>
            <form method="post" action=endpoint::SIGN_UP on:submit=on_submit>
                <GlobalError error/>
                <div class="field-row">
                    <Field label="First name" name="first_name" field="firstName" autocomplete="given-name" error/>
                    <Field label="Last name" name="last_name" field="lastName" autocomplete="family-name" error/>
                </div>
                <Field label="Email address" name="email_address" field="emailAddress" kind="email" autocomplete="email" required=true error/>
                <Field label="Password" name="password" field="password" kind="password" autocomplete="new-password" required=true error/>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_up.pending()/>
            </form>
            <p class="switch">"Already have an account? " <a href=sign_in_url>"Sign in"</a></p>
        </section>
    }
}

#[component]
fn VerifyEmailStep(navigate: Option<Callback<NavigateArgs>>) -> impl IntoView {
    let sign_up = sign_up_for(Some(endpoint::VERIFY_EMAIL_CODE));
    let resender = sign_up_for(Some(endpoint::RESEND_EMAIL_CODE));
    let resent = RwSignal::new(false);
    let on_submit = on_step!(sign_up, navigate, |form| {
        let code = form.value("code");
        async move { sign_up.verifications().verify_email_code(code).await }
    });
    let resend = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            resent.set(resender.verifications().send_email_code().await.is_ok());
        });
    });
    let error = sign_up.last_error();
    let redirect_url = redirect_url_param();
    let current = Resource::new(|| (), |_| crate::api::current_sign_up());
    view! {
        <section class="card auth-card">
            <h1>"Verify your email"</h1>
            <p class="subtitle">
                "Enter the verification code sent to your email"
                <Transition fallback=|| ()>
                    {move || current.get().and_then(|r| r.ok()).flatten().map(|step| view! { <strong class="sent-to">" " {step.email_address}</strong> })}
                </Transition>
            </p>
            <form method="post" action=endpoint::VERIFY_EMAIL_CODE on:submit=on_submit>
                <GlobalError error/>
                <Field label="Verification code" name="code" field="code" autocomplete="one-time-code" required=true error/>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <SubmitButton pending=sign_up.pending()/>
            </form>
            <ResendCode endpoint=endpoint::RESEND_EMAIL_CODE resend error=resender.last_error() pending=resender.pending() resent=resent.into()/>
        </section>
    }
}
