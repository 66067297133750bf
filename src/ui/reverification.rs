//! `use_reverification(action)`: runs a server call; when it answers
//! `session_reverification_required` (Clerk's 403), opens the in-place prompt (password, or the
//! authenticator / backup code when the user has a second factor), re-verifies the session and
//! retries the call by itself. Cancel rejects with `reverification_cancelled`.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
};

use futures_channel::oneshot;
use leptos::prelude::*;

use super::{
    context::auth_context,
    fields::{Field, GlobalError, SubmitButton},
    form::{error_in_url, Submitted},
};
use crate::model::{AuthError, ErrorCode, GatehouseError, Reverification};

/// A provider's prompt: its state, created with the dialog the first time one of the provider's
/// calls is asked to re-verify. The dialog is mounted then (at the end of the page's `<body>`),
/// under the provider's owner so it reads the provider's context: an app (or an island) that
/// never calls `use_reverification` carries neither the prompt nor its dialog in its wasm, and
/// the provider renders nothing for it.
#[derive(Clone, Copy)]
pub(crate) struct ReverificationPrompt {
    /// The requirement asked for, while the prompt is open.
    open: RwSignal<Option<Reverification>>,
    /// Where the prompt's answer goes (verified or cancelled).
    answer: StoredValue<Option<oneshot::Sender<bool>>>,
}

/// Where a provider's prompt lives (provided by `<AuthProvider>`): the provider's owner (weak:
/// the host is in that owner's own context), and the prompt once one opened.
#[derive(Clone)]
struct PromptHost {
    owner: WeakOwner,
    prompt: Arc<Mutex<Option<ReverificationPrompt>>>,
}

impl PromptHost {
    /// The provider's prompt, created (and its dialog mounted) the first time; `None` once the
    /// provider is gone.
    fn prompt(&self) -> Option<ReverificationPrompt> {
        let mut prompt = self.prompt.lock().unwrap_or_else(PoisonError::into_inner);
        if prompt.is_none() {
            let owner = self.owner.upgrade()?;
            *prompt = Some(owner.with(ReverificationPrompt::create));
        }
        *prompt
    }
}

impl ReverificationPrompt {
    /// Makes the provider's owner the home of its prompt (none is created yet).
    pub(crate) fn provide() {
        if let Some(owner) = Owner::current() {
            provide_context(PromptHost {
                owner: owner.downgrade(),
                prompt: Arc::default(),
            });
        }
    }

    /// The prompt's state, and its dialog mounted (in the browser; nothing asks on the server).
    fn create() -> Self {
        let prompt = Self {
            open: RwSignal::new(None),
            answer: StoredValue::new(None),
        };
        #[cfg(feature = "hydrate")]
        leptos::mount::mount_to_body(move || view! { <ReverificationModal prompt/> });
        #[cfg(not(feature = "hydrate"))]
        let _ = ReverificationModal;
        prompt
    }

    /// Opens the prompt for `requirement`; `true` once the session is fresh enough, `false`
    /// when the user cancels.
    async fn ask(self, requirement: Reverification) -> bool {
        let (sender, receiver) = oneshot::channel();
        // A prompt already open for another call is cancelled for it.
        if let Some(previous) = self
            .answer
            .try_update_value(|a| a.replace(sender))
            .flatten()
        {
            let _ = previous.send(false);
        }
        self.open.set(Some(requirement));
        receiver.await.unwrap_or(false)
    }

    fn finish(self, verified: bool) {
        self.open.set(None);
        if let Some(sender) = self.answer.try_update_value(Option::take).flatten() {
            let _ = sender.send(verified);
        }
    }
}

type Action<A, T> =
    Arc<dyn Fn(A) -> Pin<Box<dyn Future<Output = Result<T, GatehouseError>>>> + Send + Sync>;

/// A server call that re-verifies the session when asked to (see [`use_reverification`]).
pub struct Reverified<A, T> {
    action: Action<A, T>,
    host: Option<PromptHost>,
}

impl<A, T> Clone for Reverified<A, T> {
    fn clone(&self) -> Self {
        Self {
            action: self.action.clone(),
            host: self.host.clone(),
        }
    }
}

impl<A: Clone + 'static, T: 'static> Reverified<A, T> {
    /// Runs the action with `args`. On `session_reverification_required` the prompt opens; once
    /// the session is re-verified the action runs again (once), and its answer is returned.
    /// Cancelling returns `reverification_cancelled` and the action does not run again.
    pub async fn call(&self, args: A) -> Result<T, GatehouseError> {
        let first = (self.action)(args.clone()).await;
        let requirement = match &first {
            Err(error) => error.reverification_required(),
            Ok(_) => None,
        };
        let Some(requirement) = requirement else {
            return first;
        };
        let verified = match self.host.as_ref().and_then(PromptHost::prompt) {
            Some(prompt) => prompt.ask(requirement).await,
            None => false,
        };
        if !verified {
            return Err(AuthError::new(ErrorCode::ReverificationCancelled).into());
        }
        (self.action)(args).await
    }
}

/// Clerk's `useReverification(action)`: wraps a server call (an app's own server function that
/// calls `gatehouse::server::require_reverification`, or the kit's account changes) so that a
/// reverification error opens the prompt and the call is retried without a second click.
pub fn use_reverification<A, T, F, Fut>(action: F) -> Reverified<A, T>
where
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, GatehouseError>> + 'static,
{
    Reverified {
        action: Arc::new(move |args| Box::pin(action(args))),
        host: use_context::<PromptHost>(),
    }
}

/// The prompt, mounted by the first prompt opened and shown while a call waits for it.
#[component]
fn ReverificationModal(prompt: ReverificationPrompt) -> impl IntoView {
    move || {
        let requirement = prompt.open.get()?;
        Some(view! { <ReverificationDialog prompt requirement/> })
    }
}

#[component]
fn ReverificationDialog(
    prompt: ReverificationPrompt,
    requirement: Reverification,
) -> impl IntoView {
    let context = auth_context();
    let ages = RwSignal::new(
        context
            .snapshot
            .with_untracked(|snapshot| snapshot.factor_verification_age),
    );
    let backup_code = RwSignal::new(false);
    let error = RwSignal::new(None::<GatehouseError>);
    let pending = RwSignal::new(false);
    let asks_first = move || requirement.needed(ages.get()).first;
    // A user without a password (SSO only) proves the first factor with an emailed code.
    let (email_code, email) = context.snapshot.with_untracked(|snapshot| {
        (
            snapshot.reverifies_by_email(),
            snapshot
                .user
                .as_ref()
                .map(|user| user.email_address.clone())
                .unwrap_or_default(),
        )
    });
    let send_code = move || {
        leptos::task::spawn_local(async move {
            let sent = crate::api::reverify_session("email_code".to_string(), String::new()).await;
            error.set(sent.err());
        });
    };
    if email_code && requirement.needed(ages.get_untracked()).first {
        send_code();
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let (strategy, answer) = if asks_first() && email_code {
            ("email_code", form.value("code"))
        } else if asks_first() {
            ("password", form.value("password"))
        } else if backup_code.get_untracked() {
            ("backup_code", form.value("code"))
        } else {
            ("totp", form.value("code"))
        };
        pending.set(true);
        leptos::task::spawn_local(async move {
            let result = crate::api::reverify_session(strategy.to_string(), answer).await;
            pending.set(false);
            match result {
                Ok(fresh) => {
                    error.set(None);
                    ages.set(Some(fresh));
                    context
                        .snapshot
                        .update(|snapshot| snapshot.factor_verification_age = Some(fresh));
                    if requirement.needed(Some(fresh)).none() {
                        prompt.finish(true);
                    }
                }
                Err(failure) => error.set(Some(failure)),
            }
        });
    };
    let error: Signal<Option<GatehouseError>> = error.into();
    let pending: Signal<bool> = pending.into();
    view! {
        <div class="modal-backdrop">
            <section class="card auth-card modal" role="dialog" aria-modal="true" aria-labelledby="reverify-title">
                <h2 id="reverify-title">"Verification required"</h2>
                {move || if asks_first() && email_code {
                    view! {
                        <p class="subtitle">"Enter the verification code sent to " <strong>{email.clone()}</strong></p>
                        <form on:submit=on_submit>
                            <GlobalError error/>
                            <Field label="Verification code" name="code" field="code" autocomplete="one-time-code" required=true error/>
                            <SubmitButton pending/>
                        </form>
                        <button type="button" class="link" on:click=move |_| send_code()>"Resend code"</button>
                    }.into_any()
                } else if asks_first() {
                    view! {
                        <p class="subtitle">"Enter your current password to continue"</p>
                        <form on:submit=on_submit>
                            <GlobalError error/>
                            <Field label="Password" name="password" field="password" kind="password" autocomplete="current-password" required=true error/>
                            <SubmitButton pending/>
                        </form>
                    }.into_any()
                } else {
                    let label = if backup_code.get() { "Backup code" } else { "Authentication code" };
                    view! {
                        <p class="subtitle">{if backup_code.get() { "Enter one of your backup codes to continue" } else { "Enter the code from your authenticator app to continue" }}</p>
                        <form on:submit=on_submit>
                            <GlobalError error/>
                            <Field label name="code" field="code" autocomplete="one-time-code" required=true error/>
                            <SubmitButton pending/>
                        </form>
                        <button type="button" class="link" on:click=move |_| backup_code.update(|b| *b = !*b)>
                            {if backup_code.get() { "Use your authenticator app" } else { "Use a backup code" }}
                        </button>
                    }.into_any()
                }}
                <button type="button" class="secondary" on:click=move |_| prompt.finish(false)>"Cancel"</button>
            </section>
        </div>
    }
}

/// The fields a protected form shows after a plain (no JavaScript) post was refused for
/// reverification: the password (or, for a user without one, the code the refusal emailed)
/// and/or the authenticator code, sent along with the form the next time.
#[component]
pub(crate) fn ReverifyFields(
    /// The form's endpoint (its error comes back in the URL).
    endpoint: &'static str,
) -> impl IntoView {
    let context = auth_context();
    // Asked for by the refusal, or still asked for after a wrong answer (its error then goes
    // next to the field that was wrong).
    let refused = error_in_url(endpoint);
    let requirement = refused.as_ref().and_then(|error| {
        error.reverification_required().or_else(|| {
            error
                .errors()
                .iter()
                .find_map(|e| e.meta.reverification.filter(|_| e.field().is_some()))
        })
    });
    let failed = refused.filter(|error| error.reverification_required().is_none());
    requirement.map(|requirement| {
        let (ages, email_code) = context.snapshot.with_untracked(|snapshot| {
            (
                snapshot.factor_verification_age,
                snapshot.reverifies_by_email(),
            )
        });
        let needed = requirement.needed(ages);
        let error: Signal<Option<GatehouseError>> = Signal::stored(failed);
        view! {
            <p class="subtitle" role="alert">"Verification required: confirm it's you, then submit again."</p>
            {(needed.first && email_code).then(|| view! {
                <p class="subtitle">"We emailed you a verification code."</p>
                <Field label="Verification code" name="reverify_password" field="reverifyPassword" autocomplete="one-time-code" required=true error/>
            })}
            {(needed.first && !email_code).then(|| view! {
                <Field label="Password" name="reverify_password" field="reverifyPassword" kind="password" autocomplete="current-password" required=true error/>
            })}
            {needed.second.then(|| view! {
                <Field label="Authentication code" name="reverify_code" field="reverifyCode" autocomplete="one-time-code" required=true error/>
            })}
        }
    })
}
