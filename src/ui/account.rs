//! `<UserProfile/>`: the signed-in user's own account page — name, password, connected (SSO)
//! accounts, deleting the account. Sensitive changes go through `use_reverification`; every
//! form also works as a plain HTML form (its reverification fields appear after a refusal).

use leptos::{prelude::*, task::spawn_local};

use super::{
    context::auth_context,
    fields::{Field, GlobalError, SubmitButton},
    form::{error_in_url, Submitted},
    navigation::apply_change_in,
    page::GoTo,
    reverification::{use_reverification, ReverifyFields},
};
use crate::{
    api::{self, AccountProfile},
    model::{GatehouseError, Notice},
};

use crate::api::endpoints as endpoint;

/// A form's request state: pending, its error, and its result line.
#[derive(Clone, Copy)]
struct FormState {
    pending: RwSignal<bool>,
    error: RwSignal<Option<GatehouseError>>,
    done: RwSignal<Option<Notice>>,
}

impl FormState {
    /// The state of a form posting to `endpoints`: a plain (no JavaScript) post refused by one
    /// of them comes back with its error in the URL, shown next to the form (a reverification
    /// refusal is not an error to show: the form asks for the password instead); one that
    /// succeeded comes back with `left`, its result line, when it is one of this form's
    /// `notices`.
    fn new(endpoints: &[&'static str], notices: &[Notice], left: Option<Notice>) -> Self {
        let refused = endpoints
            .iter()
            .find_map(|endpoint| error_in_url(endpoint))
            .filter(|error| error.reverification_required().is_none());
        Self {
            pending: RwSignal::new(false),
            error: RwSignal::new(refused),
            done: RwSignal::new(left.filter(|notice| notices.contains(notice))),
        }
    }

    /// Runs `request`; on success shows `notice` and reloads the profile. (The request is
    /// boxed: one copy of this code in the wasm serves every form.)
    fn run(
        self,
        request: impl std::future::Future<Output = Result<(), GatehouseError>> + 'static,
        notice: Notice,
        profile: Resource<Result<AccountProfile, GatehouseError>>,
    ) {
        self.run_boxed(Box::pin(request), notice, profile);
    }

    fn run_boxed(
        self,
        request: std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), GatehouseError>>>>,
        notice: Notice,
        profile: Resource<Result<AccountProfile, GatehouseError>>,
    ) {
        self.pending.set(true);
        self.done.set(None);
        spawn_local(async move {
            let result = request.await;
            self.pending.set(false);
            match result {
                Ok(()) => {
                    self.error.set(None);
                    self.done.set(Some(notice));
                    profile.refetch();
                }
                Err(error) => self.error.set(Some(error)),
            }
        });
    }

    fn error(self) -> Signal<Option<GatehouseError>> {
        self.error.into()
    }

    fn pending(self) -> Signal<bool> {
        self.pending.into()
    }
}

/// The result line under a form ("Password updated").
#[component]
fn Done(state: FormState) -> impl IntoView {
    view! { <p class="form-done" role="status">{move || state.done.get().map(Notice::message)}</p> }
}

/// The signed-in user's account: profile, password, connected accounts, delete account.
/// Rendered on the server with its data: the page works without JavaScript (render it whole,
/// `SsrMode::Async`, so a form's result line shows once), and in an app in Leptos' islands
/// mode it can stay outside the islands.
#[component]
pub fn UserProfile() -> impl IntoView {
    let profile = Resource::new(|| (), |_| api::account_overview());
    // What a plain form post that succeeded left for this page (read once, on the server).
    let left = notice_left();
    // Created once: a reload of the data after a change keeps each form's result line.
    let states = Sections {
        name: FormState::new(&[endpoint::UPDATE_NAME], &[Notice::ProfileUpdated], left),
        password: FormState::new(
            &[endpoint::CHANGE_PASSWORD],
            &[Notice::PasswordUpdated],
            left,
        ),
        two_step: FormState::new(
            &[
                endpoint::TWO_STEP,
                endpoint::VERIFY_TOTP,
                endpoint::BACKUP_CODES_SAVED,
            ],
            &[
                Notice::AuthenticatorStarted,
                Notice::TwoStepOn,
                Notice::BackupCodesRegenerated,
                Notice::BackupCodesSaved,
                Notice::AuthenticatorRemoved,
            ],
            left,
        ),
        connected: FormState::new(&[endpoint::UNLINK], &[Notice::ConnectionRemoved], left),
        devices: FormState::new(
            &[endpoint::REVOKE_SESSION],
            &[Notice::DeviceSignedOut],
            left,
        ),
        passkeys: FormState::new(
            &[
                endpoint::ADD_PASSKEY,
                endpoint::RENAME_PASSKEY,
                endpoint::REMOVE_PASSKEY,
            ],
            &[
                Notice::PasskeyAdded,
                Notice::PasskeyRenamed,
                Notice::PasskeyRemoved,
            ],
            left,
        ),
    };
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || profile.get().map(|result| match result {
                Ok(account) => view! { <ProfileSections account profile states/> }.into_any(),
                Err(error) => view! { <p class="global-error" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// The notice's name, as the page carries it to the browser (a fully hydrated app).
/// What a plain form post that succeeded left for this page: read once, on the server, and
/// carried to the browser with the page.
pub(crate) fn notice_left() -> Option<Notice> {
    SharedValue::new(left_notice)
        .into_inner()
        .and_then(|name| Notice::parse(&name))
}

fn left_notice() -> Option<String> {
    #[cfg(feature = "server")]
    {
        api::take_notice().map(|notice| notice.as_str().to_string())
    }
    #[cfg(not(feature = "server"))]
    {
        None
    }
}

/// The forms' states, kept across reloads of the profile.
#[derive(Clone, Copy)]
struct Sections {
    name: FormState,
    password: FormState,
    two_step: FormState,
    connected: FormState,
    devices: FormState,
    passkeys: FormState,
}

#[component]
fn ProfileSections(
    account: AccountProfile,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    states: Sections,
) -> impl IntoView {
    view! {
        <div class="user-profile">
            <h1>"Account"</h1>
            <p>"Email address: " <strong data-testid="account-email">{account.email_address.clone()}</strong></p>
            <NameSection account=account.clone() profile state=states.name/>
            <PasswordSection has_password=account.has_password profile state=states.password/>
            <TwoStepSection account=account.clone() profile state=states.two_step/>
            {account.passkeys_available.then(|| view! {
                <PasskeysSection passkeys=account.passkeys.clone() profile state=states.passkeys/>
            })}
            <ConnectedAccounts account=account.clone() profile state=states.connected/>
            <ActiveDevices devices=account.devices.clone() profile state=states.devices/>
            <SecurityActivity activity=account.activity.clone()/>
            <DeleteAccountSection/>
        </div>
    }
}

#[component]
fn NameSection(
    account: AccountProfile,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let (first, last) = (form.optional("first_name"), form.optional("last_name"));
        state.run(
            api::update_name(first, last),
            Notice::ProfileUpdated,
            profile,
        );
    };
    let error = state.error();
    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <form method="post" action=endpoint::UPDATE_NAME on:submit=on_submit>
                <GlobalError error/>
                <div class="field-row">
                    <Field label="First name" name="first_name" field="firstName" autocomplete="given-name" value=account.first_name.unwrap_or_default() error/>
                    <Field label="Last name" name="last_name" field="lastName" autocomplete="family-name" value=account.last_name.unwrap_or_default() error/>
                </div>
                <SubmitButton label="Save" pending=state.pending()/>
                <Done state/>
            </form>
        </section>
    }
}

#[derive(Clone)]
struct NewPasswordArgs {
    new_password: String,
    confirm_password: String,
    sign_out_of_other_sessions: bool,
}

#[component]
fn PasswordSection(
    has_password: bool,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    let change = use_reverification(|args: NewPasswordArgs| {
        api::change_password(
            args.new_password,
            args.confirm_password,
            args.sign_out_of_other_sessions.then(|| "true".to_string()),
            None,
            None,
        )
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let args = NewPasswordArgs {
            new_password: form.value("new_password"),
            confirm_password: form.value("confirm_password"),
            sign_out_of_other_sessions: form.optional("sign_out_of_other_sessions").is_some(),
        };
        let change = change.clone();
        state.run(
            async move { change.call(args).await },
            Notice::PasswordUpdated,
            profile,
        );
    };
    let error = state.error();
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <form method="post" action=endpoint::CHANGE_PASSWORD on:submit=on_submit>
                <GlobalError error/>
                <ReverifyFields endpoint=endpoint::CHANGE_PASSWORD/>
                <Field label="New password" name="new_password" field="newPassword" kind="password" autocomplete="new-password" required=true error/>
                <Field label="Confirm password" name="confirm_password" field="confirmPassword" kind="password" autocomplete="new-password" required=true error/>
                <label class="checkbox">
                    <input type="checkbox" name="sign_out_of_other_sessions" value="true" checked/>
                    "Sign out of all other devices"
                </label>
                <SubmitButton label=if has_password { "Update password" } else { "Set password" } pending=state.pending()/>
                <Done state/>
            </form>
        </section>
    }
}

/// Two-step verification: add an authenticator app (QR code, then its first code), see and
/// regenerate backup codes, remove the app. Each step is a plain form too; the backup codes wait
/// on the server for this session until "I've saved these codes".
#[component]
fn TwoStepSection(
    account: AccountProfile,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    // One reverified call for the three changes (each generic instance costs wasm bytes).
    let change = use_reverification(|action: &'static str| {
        api::change_two_step(action.to_string(), None, None)
    });
    let on_change = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let (action, done) = match form.value("action").as_str() {
            "add" => ("add", Notice::AuthenticatorStarted),
            "regenerate_backup_codes" => {
                ("regenerate_backup_codes", Notice::BackupCodesRegenerated)
            }
            "remove" => ("remove", Notice::AuthenticatorRemoved),
            _ => return,
        };
        let change = change.clone();
        state.run(async move { change.call(action).await }, done, profile);
    };
    let context = auth_context();
    // Adding a factor is a sensitive change: a session gone stale since "Add" re-verifies first.
    let confirm =
        use_reverification(|code: String| api::verify_mfa_setup(code, None, None, None, None));
    let on_verify = move |ev: leptos::ev::SubmitEvent| {
        let code = Submitted::take(&ev).value("code");
        let confirm = confirm.clone();
        let verify = async move {
            let done = confirm.call(code).await?;
            // The session now has a second factor, not verified by it yet: the next sensitive
            // change asks for its code.
            context.snapshot.set(done.change.snapshot);
            Ok::<(), GatehouseError>(())
        };
        state.run(verify, Notice::TwoStepOn, profile);
    };
    let on_saved = move |ev: leptos::ev::SubmitEvent| {
        Submitted::take(&ev);
        let saved = async move { api::backup_codes_saved(None, None).await.map(drop) };
        state.run(saved, Notice::BackupCodesSaved, profile);
    };
    let error = state.error();
    let pending = state.pending();
    // Without JavaScript, "I've saved these codes" comes back to this page.
    let here = super::page::Here::new().pathname.get_untracked();
    let body = match (account.backup_codes, account.totp_setup) {
        (Some(codes), _) => view! {
            <p>"Save these backup codes somewhere safe: each works once, and they will not be shown again."</p>
            <ol class="backup-codes" data-testid="backup-codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ol>
            <form method="post" action=endpoint::BACKUP_CODES_SAVED on:submit=on_saved>
                <input type="hidden" name="redirect_url" value=here/>
                <SubmitButton label="I've saved these codes" pending/>
            </form>
        }
        .into_any(),
        (None, Some(setup)) => view! {
            <p>"Scan the QR code with your authenticator app, or enter the key by hand, then type the 6-digit code it shows."</p>
            <div class="qr" inner_html=setup.qr_svg></div>
            <p class="secret">"Key: " <code data-testid="totp-secret">{setup.secret}</code></p>
            <form method="post" action=endpoint::VERIFY_TOTP on:submit=on_verify>
                <ReverifyFields endpoint=endpoint::VERIFY_TOTP/>
                <Field label="Authentication code" name="code" field="code" autocomplete="one-time-code" required=true error/>
                <SubmitButton label="Verify" pending/>
            </form>
        }
        .into_any(),
        (None, None) if account.second_factor_enabled => view! {
            <p data-testid="two-step-status">"Authenticator app: on. "
                {format!("{} backup codes left.", account.unused_backup_codes)}</p>
            // One form, its buttons naming the change: a refusal asks for the re-verification
            // once, above both.
            <form method="post" action=endpoint::TWO_STEP on:submit=on_change.clone()>
                <ReverifyFields endpoint=endpoint::TWO_STEP/>
                <button type="submit" name="action" value="regenerate_backup_codes" class="secondary" disabled=move || pending.get()>"Regenerate backup codes"</button>
                {(!account.mfa_required).then(|| view! {
                    " "
                    <button type="submit" name="action" value="remove" class="secondary" disabled=move || pending.get()>"Remove authenticator app"</button>
                })}
            </form>
        }
        .into_any(),
        (None, None) => view! {
            <p data-testid="two-step-status">"Two-step verification is off."</p>
            <form method="post" action=endpoint::TWO_STEP on:submit=on_change.clone()>
                <ReverifyFields endpoint=endpoint::TWO_STEP/>
                <input type="hidden" name="action" value="add"/>
                <SubmitButton label="Add authenticator app" pending/>
            </form>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="two-step-title">
            <h2 id="two-step-title">"Two-step verification"</h2>
            <GlobalError error/>
            {body}
            <Done state/>
        </section>
    }
}

#[component]
fn ConnectedAccounts(
    account: AccountProfile,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    let unlink = use_reverification(|id: String| api::unlink_external_account(id, None, None));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let id = form.value("external_account_id");
        let unlink = unlink.clone();
        state.run(
            async move { unlink.call(id).await },
            Notice::ConnectionRemoved,
            profile,
        );
    };
    let error = state.error();
    let rows_empty = account.external_accounts.is_empty();
    let rows = account
        .external_accounts
        .into_iter()
        .map(|external| {
            let label = format!("Remove {} account", external.provider_name);
            view! {
                <li data-testid="external-account">
                    <span>{external.provider_name.clone()}</span>
                    " "
                    <span class="muted">{external.email_address.unwrap_or_default()}</span>
                    <form method="post" action=endpoint::UNLINK on:submit=on_submit.clone()>
                        <ReverifyFields endpoint=endpoint::UNLINK/>
                        <input type="hidden" name="external_account_id" value=external.id/>
                        <button type="submit" class="secondary" aria-label=label disabled=move || state.pending.get()>"Remove"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="connected-title">
            <h2 id="connected-title">"Connected accounts"</h2>
            <GlobalError error/>
            {rows_empty.then(|| view! { <p class="muted">"No connected accounts."</p> })}
            <ul class="connected-accounts">{rows}</ul>
            <Done state/>
        </section>
    }
}

/// Passkeys: the list (name, added, last used), rename, remove (after reverification), and
/// "Add a passkey" — which needs the browser's WebAuthn, so the passkey script shows it and
/// runs its ceremony; the answer is posted as a plain form.
#[component]
fn PasskeysSection(
    passkeys: Vec<api::PasskeySummary>,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    let remove = use_reverification(|id: String| api::remove_passkey(id, None, None));
    let on_remove = move |ev: leptos::ev::SubmitEvent| {
        let id = Submitted::take(&ev).value("passkey_id");
        let remove = remove.clone();
        state.run(
            async move { remove.call(id).await },
            Notice::PasskeyRemoved,
            profile,
        );
    };
    let on_rename = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let (id, name) = (form.value("passkey_id"), form.value("name"));
        state.run(
            api::rename_passkey(id, name),
            Notice::PasskeyRenamed,
            profile,
        );
    };
    let error = state.error();
    let pending = state.pending();
    let none = passkeys.is_empty();
    let rows = passkeys
        .into_iter()
        .map(|passkey| {
            let used = passkey
                .last_used
                .map_or_else(|| "never used".to_string(), |ago| format!("last used {ago}"));
            let remove_label = format!("Remove {}", passkey.name);
            let rename_label = format!("New name for {}", passkey.name);
            view! {
                <li data-testid="passkey">
                    <strong>{passkey.name.clone()}</strong>
                    {passkey.flagged.then(|| view! {
                        " " <span class="badge warning">"Refused: its counter went backwards (a copy?)"</span>
                    })}
                    <br/>
                    <span class="muted">"Added " {passkey.created} " · " {used}</span>
                    <form method="post" action=endpoint::RENAME_PASSKEY on:submit=on_rename>
                        <input type="hidden" name="passkey_id" value=passkey.id.clone()/>
                        <input name="name" aria-label=rename_label value=passkey.name required maxlength="64"/>
                        <button type="submit" class="secondary" disabled=move || pending.get()>"Rename"</button>
                    </form>
                    <form method="post" action=endpoint::REMOVE_PASSKEY on:submit=on_remove.clone()>
                        <ReverifyFields endpoint=endpoint::REMOVE_PASSKEY/>
                        <input type="hidden" name="passkey_id" value=passkey.id/>
                        <button type="submit" class="secondary" aria-label=remove_label disabled=move || pending.get()>"Remove"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            <GlobalError error/>
            {none.then(|| view! { <p class="muted">"No passkeys yet: sign in with your fingerprint, face or screen lock instead of a password."</p> })}
            <ul class="passkeys">{rows}</ul>
            // Shown by the passkey script (WebAuthn needs JavaScript), which runs the ceremony.
            <form method="post" action=endpoint::ADD_PASSKEY hidden
                data-gatehouse-passkey="register" data-options=endpoint::PASSKEY_REGISTRATION_OPTIONS>
                <ReverifyFields endpoint=endpoint::ADD_PASSKEY/>
                <input type="hidden" name="ceremony"/>
                <input type="hidden" name="credential"/>
                <SubmitButton label="Add a passkey" pending/>
            </form>
            <Done state/>
            <super::passkeys::PasskeyScript/>
        </section>
    }
}

/// The latest security events about the user ("Security activity"): sign-ins that succeeded or
/// failed, password and factor changes, signed-out devices — so a takeover shows up.
#[component]
fn SecurityActivity(activity: Vec<crate::model::account::ActivityEntry>) -> impl IntoView {
    let none = activity.is_empty();
    let rows = activity
        .into_iter()
        .map(|event| {
            let from = [event.browser, event.ip_address]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            let detail = event.detail.map(|detail| format!(" ({detail})"));
            view! {
                <li data-testid="activity" class=if event.failed { "failed" } else { "" }>
                    <strong>{event.what}</strong>
                    <span class="muted">{detail}</span>
                    <br/>
                    <span class="muted">{event.when} {(!from.is_empty()).then(|| format!(" · {from}"))}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="activity-title">
            <h2 id="activity-title">"Security activity"</h2>
            {none.then(|| view! { <p class="muted">"Nothing yet."</p> })}
            <ul class="activity">{rows}</ul>
        </section>
    }
}

/// Every browser signed in as the user; any other one can be signed out (after reverification).
#[component]
fn ActiveDevices(
    devices: Vec<api::ActiveDevice>,
    profile: Resource<Result<AccountProfile, GatehouseError>>,
    state: FormState,
) -> impl IntoView {
    let revoke = use_reverification(|id: String| api::revoke_session(id, None, None));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let id = Submitted::take(&ev).value("session_id");
        let revoke = revoke.clone();
        state.run(
            async move { revoke.call(id).await },
            Notice::DeviceSignedOut,
            profile,
        );
    };
    let error = state.error();
    let rows = devices
        .into_iter()
        .map(|device| {
            let where_from = device
                .ip_address
                .map(|ip| format!("{ip} · "))
                .unwrap_or_default();
            let action = (!device.this_device).then(|| {
                let label = format!("Sign out of {}", device.browser);
                view! {
                    <form method="post" action=endpoint::REVOKE_SESSION on:submit=on_submit.clone()>
                        <ReverifyFields endpoint=endpoint::REVOKE_SESSION/>
                        <input type="hidden" name="session_id" value=device.session_id/>
                        <button type="submit" class="secondary" aria-label=label disabled=move || state.pending.get()>"Sign out of device"</button>
                    </form>
                }
            });
            view! {
                <li data-testid="device">
                    <strong>{device.browser}</strong>
                    {device.this_device.then(|| view! { " " <span class="badge">"This device"</span> })}
                    <br/>
                    <span class="muted">{where_from}"Last active " {device.last_active}</span>
                    {action}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="devices-title">
            <h2 id="devices-title">"Active devices"</h2>
            <GlobalError error/>
            <ul class="devices">{rows}</ul>
            <Done state/>
        </section>
    }
}

#[component]
fn DeleteAccountSection() -> impl IntoView {
    let state = FormState::new(&[endpoint::DELETE_ACCOUNT], &[], None);
    let (context, go) = (auth_context(), GoTo::new());
    let delete =
        use_reverification(|confirmation: String| api::delete_account(confirmation, None, None));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let form = Submitted::take(&ev);
        let confirmation = form.value("confirmation");
        let delete = delete.clone();
        state.pending.set(true);
        spawn_local(async move {
            let result = delete.call(confirmation).await;
            state.pending.set(false);
            match result {
                Ok(change) => apply_change_in(context, go, &change, None),
                Err(error) => state.error.set(Some(error)),
            }
        });
    };
    let error = state.error();
    view! {
        <section class="card danger" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete account"</h2>
            <p>"Deleting your account signs you out everywhere and removes your data. This cannot be undone."</p>
            <form method="post" action=endpoint::DELETE_ACCOUNT on:submit=on_submit>
                <GlobalError error/>
                <ReverifyFields endpoint=endpoint::DELETE_ACCOUNT/>
                <Field label="Type \"Delete account\" to confirm" name="confirmation" field="confirmation" required=true error/>
                <SubmitButton label="Delete account" pending=state.pending()/>
            </form>
        </section>
    }
}
