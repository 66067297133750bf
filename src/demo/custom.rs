//! `/custom/sign-in` and `/custom/sign-up`: the seeds' Core 3 custom flows, written only with
//! `use_sign_in()` / `use_sign_up()` — put them beside the seed (`seeds/003_*`, "Migrating custom
//! sign-in flows") and compare. Without JavaScript the forms post to the kit's endpoints, which
//! continue on the kit's own step pages.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::prelude::{
    endpoints, use_instance_urls, use_sign_in, use_sign_up, FetchStatus, NavigateArgs, PasskeyFlow,
    SignInStatus, SignUpStatus,
};

/// The seeds' `navigate`: `decorate_url('/dashboard')`.
fn to_dashboard() -> Callback<NavigateArgs> {
    let go = go_to();
    Callback::new(move |args: NavigateArgs| go.run(args.decorate_url("/dashboard")))
}

/// Goes to a URL. These pages are islands, with no client-side router, so every target loads
/// as a page (the seeds navigate paths client-side in their router).
fn go_to() -> Callback<String> {
    Callback::new(move |url: String| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = leptos::web_sys::window() {
            let _ = window.location().set_href(&url);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    })
}

/// The seeds' custom sign-in page, with its MFA and client-trust branches.
#[component]
pub fn CustomSignInPage() -> impl IntoView {
    let sign_in = use_sign_in();
    let navigate = to_dashboard();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let use_backup_code = RwSignal::new(false);
    let fetching = move || sign_in.fetch_status.get() == FetchStatus::Fetching;
    let field_error = move |name: &'static str| {
        move || {
            sign_in
                .errors
                .with(|errors| errors.field(name).map(|e| e.long_message.clone()))
        }
    };
    let global_error = move || {
        sign_in.errors.with(|errors| {
            errors
                .global
                .iter()
                .map(|e| e.long_message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let finish = move || {
        if sign_in.status.get_untracked() == SignInStatus::Complete {
            let _ = sign_in.finalize(Some(navigate));
        }
    };
    let handle_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            if sign_in
                .password(email.get_untracked(), password.get_untracked())
                .await
                .is_ok()
            {
                finish();
            }
        });
    };
    // Where the instance offers passkeys; the page loads the kit's <PasskeyScript/>, which shows
    // the button (WebAuthn needs JavaScript).
    let passkeys = use_instance_urls().passkeys;
    let handle_passkey = move |_| {
        spawn_local(async move {
            if sign_in.passkey(PasskeyFlow::Discoverable).await.is_ok() {
                finish();
            }
        });
    };
    let handle_code = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let code = code.get_untracked();
            let result = match sign_in.status.get_untracked() {
                SignInStatus::NeedsSecondFactor if use_backup_code.get_untracked() => {
                    sign_in.mfa().verify_backup_code(code).await
                }
                SignInStatus::NeedsSecondFactor => sign_in.mfa().verify_totp(code).await,
                SignInStatus::NeedsClientTrust => sign_in.client_trust().verify_code(code).await,
                _ => return,
            };
            if result.is_ok() {
                finish();
            }
        });
    };
    view! {
        <section class="card auth-card custom-flow">
            {move || match sign_in.status.get() {
                SignInStatus::NeedsSecondFactor | SignInStatus::NeedsClientTrust => {
                    let trust = sign_in.status.get() == SignInStatus::NeedsClientTrust;
                    let (heading, label) = match (trust, use_backup_code.get()) {
                        (true, _) => ("Check your email", "Verification code"),
                        (false, true) => ("Two-step verification", "Backup code"),
                        (false, false) => ("Two-step verification", "Authentication code"),
                    };
                    view! {
                        <h1>{heading}</h1>
                        <form on:submit=handle_code>
                            <div class="field">
                                <label for="custom-code">{label}</label>
                                <input id="custom-code" name="code" type="text" autocomplete="one-time-code" bind:value=code/>
                                <p class="field-error">{field_error("code")}</p>
                            </div>
                            <p class="global-error" role="alert">{global_error}</p>
                            <button type="submit" class="primary" disabled=fetching>"Continue"</button>
                        </form>
                        {(!trust).then(|| view! {
                            <button type="button" class="link" on:click=move |_| use_backup_code.update(|b| *b = !*b)>
                                {move || if use_backup_code.get() { "Use your authenticator app" } else { "Use a backup code" }}
                            </button>
                        })}
                        <button type="button" class="link" on:click=move |_| sign_in.reset()>"Start over"</button>
                    }.into_any()
                }
                _ => view! {
                    <h1>"Sign in"</h1>
                    <form method="post" action=endpoints::SIGN_IN on:submit=handle_submit>
                        <div class="field">
                            <label for="custom-email">"Email address"</label>
                            <input id="custom-email" name="identifier" type="email" autocomplete="email" bind:value=email/>
                            <p class="field-error">{field_error("identifier")}</p>
                        </div>
                        <div class="field">
                            <label for="custom-password">"Password"</label>
                            <input id="custom-password" name="password" type="password" autocomplete="current-password" bind:value=password/>
                            <p class="field-error">{field_error("password")}</p>
                        </div>
                        <p class="global-error" role="alert">{global_error}</p>
                        <button type="submit" class="primary" disabled=fetching>"Continue"</button>
                    </form>
                    {passkeys.then(|| view! {
                        // Hidden until the passkey script shows it: WebAuthn needs JavaScript.
                        <button type="button" class="secondary" hidden data-gatehouse-show-with-passkeys=""
                            disabled=fetching on:click=handle_passkey>
                            "Sign in with passkey"
                        </button>
                    })}
                }.into_any(),
            }}
        </section>
    }
}

/// The seeds' custom sign-up page: password, then the emailed code.
#[component]
pub fn CustomSignUpPage() -> impl IntoView {
    let sign_up = use_sign_up();
    let navigate = to_dashboard();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let fetching = move || sign_up.fetch_status.get() == FetchStatus::Fetching;
    let field_error = move |name: &'static str| {
        move || {
            sign_up
                .errors
                .with(|errors| errors.field(name).map(|e| e.long_message.clone()))
        }
    };
    let handle_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            if sign_up
                .password(email.get_untracked(), password.get_untracked(), None, None)
                .await
                .is_ok()
            {
                let _ = sign_up.verifications().send_email_code().await;
            }
        });
    };
    let handle_verify = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            if sign_up
                .verifications()
                .verify_email_code(code.get_untracked())
                .await
                .is_ok()
            {
                let _ = sign_up.finalize(Some(navigate));
            }
        });
    };
    let verifying = move || {
        sign_up.status.get() == Some(SignUpStatus::MissingRequirements)
            && sign_up
                .unverified_fields
                .with(|fields| fields.iter().any(|f| f == "email_address"))
            && sign_up.missing_fields.with(Vec::is_empty)
    };
    view! {
        <section class="card auth-card custom-flow">
            {move || if verifying() {
                view! {
                    <h1>"Verify your email"</h1>
                    <form method="post" action=endpoints::VERIFY_EMAIL_CODE on:submit=handle_verify>
                        <div class="field">
                            <label for="custom-code">"Verification code"</label>
                            <input id="custom-code" name="code" type="text" autocomplete="one-time-code" bind:value=code/>
                            <p class="field-error">{field_error("code")}</p>
                        </div>
                        <button type="submit" class="primary" disabled=fetching>"Verify"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <h1>"Create your account"</h1>
                    <form method="post" action=endpoints::SIGN_UP on:submit=handle_submit>
                        <div class="field">
                            <label for="custom-email">"Email address"</label>
                            <input id="custom-email" name="email_address" type="email" autocomplete="email" bind:value=email/>
                            <p class="field-error">{field_error("emailAddress")}</p>
                        </div>
                        <div class="field">
                            <label for="custom-password">"Password"</label>
                            <input id="custom-password" name="password" type="password" autocomplete="new-password" bind:value=password/>
                            <p class="field-error">{field_error("password")}</p>
                        </div>
                        <button type="submit" class="primary" disabled=fetching>"Continue"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}
