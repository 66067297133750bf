//! `/sso-callback`: the minimal app's own SSO callback page, written only with the kit's hooks
//! the way the seeds' custom callback is (`seeds/003_*`, "Migrating OAuth and SSO flows"): the
//! provider
//! returned through the server (`/sso/callback/<key>`), which moved the sign-in on; this page
//! finishes it once. `complete` → `finalize(navigate)`; no account (`is_transferable`) → a
//! sign-up by transfer, then `finalize` (or the sign-up's next step when the provider's email
//! is unverified or missing); a user with a second factor → that step's page. Without
//! JavaScript the "Continue" button posts the same decision to the server.

use gatehouse::prelude::{
    task_url, use_auth, use_instance_urls, use_sign_in, use_sign_up, NavigateArgs, SignInStatus,
    SignUpStatus,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::{use_navigate, use_query_map};

/// The seeds' callback page.
#[component]
pub fn SsoCallbackPage() -> impl IntoView {
    let sign_in = use_sign_in();
    let sign_up = use_sign_up();
    let auth = use_auth();
    let navigate = use_navigate();
    let go = Callback::new(move |url: String| navigate(&url, Default::default()));
    // The seeds' `handleNavigate`: a pending session goes to its current task's page (the kit
    // already sent it there when `task_urls` names one); otherwise the decorated target.
    let urls = use_instance_urls();
    let handle_navigate = Callback::new(move |args: NavigateArgs| {
        if let Some(task) = args.session.current_task() {
            go.run(task_url(task, &urls.task_urls, &urls.sign_in_url, None));
            return;
        }
        go.run(args.decorate_url(&args.redirect_url));
    });
    let has_run = StoredValue::new(false);
    Effect::new(move |_| {
        if has_run.get_value() {
            return;
        }
        has_run.set_value(true);
        spawn_local(async move {
            if sign_in.reload().await.is_err() {
                // Nothing in progress (a reload or a second tab after success): no second session.
                let signed_in = auth.get_untracked().is_signed_in();
                go.run(if signed_in { "/" } else { "/sign-in" }.to_string());
                return;
            }
            // Happy path: the provider's identity signed an account in.
            if sign_in.status.get_untracked() == SignInStatus::Complete {
                let _ = sign_in.finalize(Some(handle_navigate));
                return;
            }
            // A user with a second factor still needs it.
            if sign_in.status.get_untracked() == SignInStatus::NeedsSecondFactor {
                if let Some(step) = sign_in.next_step_url() {
                    go.run(step);
                }
                return;
            }
            // Transfer: no account for this identity, so it becomes a sign-up.
            if sign_in.is_transferable() {
                if sign_up.create_transfer().await.is_err() {
                    return;
                }
                if sign_up.status.get_untracked() == Some(SignUpStatus::Complete) {
                    let _ = sign_up.finalize(Some(handle_navigate));
                } else if let Some(step) = sign_up.next_step_url() {
                    // The email must be verified, or the provider gave none.
                    go.run(step);
                }
                return;
            }
            go.run("/sign-in".to_string());
        });
    });
    let redirect_url =
        use_query_map().with_untracked(|q| q.get("redirect_url").unwrap_or_default());
    let errors = move || {
        let message = sign_up.errors.with(super::error_line);
        if message.is_empty() {
            sign_in.errors.with(super::error_line)
        } else {
            message
        }
    };
    view! {
        <section class="card auth-card">
            <h1>"Signing you in"</h1>
            <p class="global-error" role="alert">{errors}</p>
            <form method="post" action=gatehouse::api::endpoints::SSO_CONTINUE>
                <input type="hidden" name="redirect_url" value=redirect_url/>
                <button type="submit" class="primary">"Continue"</button>
            </form>
            <p class="switch"><a href="/sign-in">"Back to sign in"</a></p>
        </section>
    }
}
