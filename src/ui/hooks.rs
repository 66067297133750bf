//! Hooks for custom flows, in the shapes of Clerk Core 3's `useSignIn()` / `useSignUp()`:
//! `status`, `errors` (`fields` by camelCase name, `global`, `raw`), `fetch_status`, one method
//! per step (each returns `Result<(), AuthError>`), and `finalize(navigate)`.
//!
//! Every method sends its step through one server function (`auth_flow`, JSON): the one client
//! path all flows take from the browser.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::{
    context::{auth_context, AuthContext},
    form::error_in_url,
    navigation::{apply_change_in, redirect_url_param, NavigateArgs},
    page::GoTo,
};
use crate::{
    api::{auth_flow, AuthChange, FlowRequest, FlowResponse, PasskeyFlow},
    model::{
        AuthError, ErrorCode, GatehouseError, SessionId, SessionSummary, SignInStatus, SignUpStatus,
    },
};

/// Whether a request of the hook is running (Clerk's `fetchStatus`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FetchStatus {
    /// Nothing running.
    #[default]
    Idle,
    /// A request is on its way: disable the buttons.
    Fetching,
}

/// Clerk's `errors` of a hook: field errors by camelCase name (`identifier`, `password`, `code`,
/// `emailAddress`, …), errors not tied to a field (`global`, empty when any field error exists),
/// and every error as received (`raw`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    /// Field errors by camelCase name.
    pub fields: BTreeMap<String, AuthError>,
    /// Errors not tied to a field.
    pub global: Vec<AuthError>,
    /// Every error.
    pub raw: Vec<AuthError>,
}

impl Errors {
    fn from_error(error: &GatehouseError) -> Self {
        // Inserted one by one: collecting into the map would sort, and bring a sort into the wasm.
        let mut fields = BTreeMap::new();
        for e in error.errors() {
            if let Some(field) = e.field() {
                fields.insert(field, e.clone());
            }
        }
        Self {
            fields,
            global: error.global().into_iter().cloned().collect(),
            raw: error.errors().to_vec(),
        }
    }

    /// The error of one field (camelCase), if any.
    pub fn field(&self, name: &str) -> Option<&AuthError> {
        self.fields.get(name)
    }
}

/// What the hooks share: the state of the last request and the completed flow's change.
#[derive(Clone, Copy)]
struct Flow {
    errors: RwSignal<Errors>,
    last_error: RwSignal<Option<GatehouseError>>,
    fetch_status: RwSignal<FetchStatus>,
    change: RwSignal<Option<AuthChange>>,
    next_url: RwSignal<Option<String>>,
    redirect_url: Signal<String>,
    context: AuthContext,
    go: GoTo,
}

impl Flow {
    /// `endpoint`: the server function a plain form (no JavaScript) of this step posts to; its
    /// error comes back in Leptos' `__err` URL parameter and is shown (in the words of its code).
    fn new(endpoint: Option<&'static str>) -> Self {
        let url_error = endpoint.and_then(error_in_url);
        Self {
            errors: RwSignal::new(
                url_error
                    .as_ref()
                    .map(Errors::from_error)
                    .unwrap_or_default(),
            ),
            last_error: RwSignal::new(url_error),
            fetch_status: RwSignal::new(FetchStatus::Idle),
            change: RwSignal::new(None),
            next_url: RwSignal::new(None),
            redirect_url: redirect_url_param(),
            context: auth_context(),
            go: GoTo::new(),
        }
    }

    /// Whether a request is running (the kit's buttons disable themselves meanwhile).
    fn pending(self) -> Signal<bool> {
        let fetch_status = self.fetch_status;
        Signal::derive(move || fetch_status.get() == FetchStatus::Fetching)
    }

    /// After a successful step: finalize when the flow completed, else the next step's page.
    fn follow(self, navigate: Option<Callback<NavigateArgs>>) {
        if let Some(change) = self.change.get_untracked() {
            apply_change_in(self.context, self.go, &change, navigate);
        } else if let Some(next) = self.next_url.get_untracked() {
            self.go.run(&next);
        }
    }

    async fn send(self, request: FlowRequest) -> Result<FlowResponse, AuthError> {
        let redirect_url = self.redirect_url.get_untracked();
        self.send_to(request, redirect_url).await
    }

    /// [`Flow::send`] with an explicit `redirect_url` (empty: the instance's default).
    async fn send_to(
        self,
        request: FlowRequest,
        redirect_url: String,
    ) -> Result<FlowResponse, AuthError> {
        self.fetch_status.set(FetchStatus::Fetching);
        let redirect_url = Some(redirect_url).filter(|url| !url.is_empty());
        let result = auth_flow(request, redirect_url).await;
        self.fetch_status.set(FetchStatus::Idle);
        match result {
            Ok(response) => {
                self.errors.set(Errors::default());
                self.last_error.set(None);
                Ok(response)
            }
            Err(error) => {
                self.errors.set(Errors::from_error(&error));
                self.last_error.set(Some(error.clone()));
                Err(error.first_error())
            }
        }
    }

    /// Adopts the completed flow's session and navigates (task page, `navigate`, or the
    /// redirect target: see `<SignIn/>`).
    /// Shows `error` as this flow's, and returns its first error.
    fn fail(self, error: GatehouseError) -> AuthError {
        self.errors.set(Errors::from_error(&error));
        self.last_error.set(Some(error.clone()));
        error.first_error()
    }

    fn finalize(
        self,
        navigate: Option<Callback<NavigateArgs>>,
        not_complete: ErrorCode,
    ) -> Result<(), AuthError> {
        let change = self
            .change
            .get_untracked()
            .ok_or_else(|| AuthError::new(not_complete))?;
        apply_change_in(self.context, self.go, &change, navigate);
        Ok(())
    }
}

/// `use_sign_in()`: a sign-in flow driven from your own components.
#[derive(Clone, Copy)]
pub struct UseSignIn {
    /// The attempt's status (`needs_first_factor` until a step moves it).
    pub status: RwSignal<SignInStatus>,
    /// The last request's errors.
    pub errors: RwSignal<Errors>,
    /// Whether a request is running.
    pub fetch_status: RwSignal<FetchStatus>,
    flow: Flow,
}

/// A sign-in flow for custom pages. Create it in a component; call its methods from event
/// handlers (`leptos::task::spawn_local(async move { sign_in.password(…).await })`).
pub fn use_sign_in() -> UseSignIn {
    sign_in_for(None)
}

/// [`use_sign_in`] for a kit step whose plain form posts to `endpoint`.
pub(crate) fn sign_in_for(endpoint: Option<&'static str>) -> UseSignIn {
    let flow = Flow::new(endpoint);
    UseSignIn {
        status: RwSignal::new(SignInStatus::NeedsFirstFactor),
        errors: flow.errors,
        fetch_status: flow.fetch_status,
        flow,
    }
}

/// The second-factor methods of a sign-in (`sign_in.mfa()`).
#[derive(Clone, Copy)]
pub struct SignInMfa(UseSignIn);

/// The "Forgot password?" methods of a sign-in (`sign_in.reset_password_email_code()`).
#[derive(Clone, Copy)]
pub struct ResetPasswordEmailCode(UseSignIn);

/// The new-device methods of a sign-in (`sign_in.client_trust()`).
#[derive(Clone, Copy)]
pub struct ClientTrust(UseSignIn);

impl UseSignIn {
    async fn step(self, request: FlowRequest) -> Result<(), AuthError> {
        if let FlowResponse::SignIn(step) = self.flow.send(request).await? {
            self.status.set(step.status);
            self.flow.change.set(step.change);
            self.flow.next_url.set(step.next_url);
        }
        Ok(())
    }

    /// The kit's steps: the last error, whether a request runs, and what to do after a step.
    pub(crate) fn last_error(self) -> Signal<Option<GatehouseError>> {
        self.flow.last_error.into()
    }

    pub(crate) fn pending(self) -> Signal<bool> {
        self.flow.pending()
    }

    pub(crate) fn follow(self, navigate: Option<Callback<NavigateArgs>>) {
        self.flow.follow(navigate);
    }

    /// Email address + password. Then `status` is `complete`, `needs_second_factor` or
    /// `needs_client_trust`.
    pub async fn password(self, email_address: String, password: String) -> Result<(), AuthError> {
        self.step(FlowRequest::SignInPassword {
            identifier: email_address,
            password,
            ticket: None,
        })
        .await
    }

    /// Signs in with a passkey (Clerk's `sign_in.passkey({ flow })`): no email typed, the passkey
    /// says who. [`PasskeyFlow::Discoverable`] opens the browser's prompt;
    /// [`PasskeyFlow::Autofill`] offers the passkeys in the email field's autofill (its
    /// `autocomplete` must include `webauthn`) and waits until one is picked. Then `status` is
    /// `complete`, or `needs_second_factor` for a user with an authenticator app. A cancelled
    /// prompt is `Ok(())` with nothing changed (nothing to show). Needs
    /// [`crate::ui::PasskeyScript`] on the page.
    pub async fn passkey(self, flow: PasskeyFlow) -> Result<(), AuthError> {
        let (ceremony, credential) = match super::passkeys::sign_in(flow).await {
            Ok(Some(answer)) => answer,
            Ok(None) => return Ok(()),
            Err(error) => return Err(self.flow.fail(error.into())),
        };
        self.step(FlowRequest::SignInPasskey {
            ceremony,
            credential,
        })
        .await
    }

    /// The second factor: an authenticator code or a backup code.
    pub fn mfa(self) -> SignInMfa {
        SignInMfa(self)
    }

    /// Forgot password: a code by email, then `submit_reset_password`.
    pub fn reset_password_email_code(self) -> ResetPasswordEmailCode {
        ResetPasswordEmailCode(self)
    }

    /// A new device (`needs_client_trust`): the emailed code.
    pub fn client_trust(self) -> ClientTrust {
        ClientTrust(self)
    }

    /// Sets the new password after a verified reset code (`needs_new_password`).
    pub async fn submit_reset_password(
        self,
        password: String,
        sign_out_of_other_sessions: bool,
    ) -> Result<(), AuthError> {
        self.submit_new_password(password.clone(), password, sign_out_of_other_sessions)
            .await
    }

    /// The kit's "Set new password" form, which asks for the password twice.
    pub(crate) async fn submit_new_password(
        self,
        new_password: String,
        confirm_password: String,
        sign_out_of_other_sessions: bool,
    ) -> Result<(), AuthError> {
        self.step(FlowRequest::SignInNewPassword {
            new_password,
            confirm_password,
            sign_out_of_other_sessions,
        })
        .await
    }

    /// Single sign-on (SPEC §3.6): `strategy` is `oauth_<connection key>` (a social
    /// connection). The browser goes to the provider, which returns through the server to
    /// `redirect_callback_url` (your callback page, default `/sso-callback`); `redirect_url` is
    /// where the session starts. Errors (no such connection, provider down) come back here.
    pub async fn sso(
        self,
        strategy: String,
        redirect_callback_url: String,
        redirect_url: String,
    ) -> Result<(), AuthError> {
        self.start_sso(strategy, None, redirect_callback_url, redirect_url)
            .await
    }

    /// [`UseSignIn::sso`] with `enterprise_sso`: the domain of `email_address` picks the
    /// enterprise connection, and the provider's login is pre-filled with it.
    pub async fn enterprise_sso(
        self,
        email_address: String,
        redirect_callback_url: String,
        redirect_url: String,
    ) -> Result<(), AuthError> {
        self.start_sso(
            "enterprise_sso".to_string(),
            Some(email_address),
            redirect_callback_url,
            redirect_url,
        )
        .await
    }

    async fn start_sso(
        self,
        strategy: String,
        identifier: Option<String>,
        redirect_callback_url: String,
        redirect_url: String,
    ) -> Result<(), AuthError> {
        let request = FlowRequest::Sso {
            strategy,
            identifier,
            redirect_callback_url: Some(redirect_callback_url).filter(|url| !url.is_empty()),
        };
        if let FlowResponse::SignIn(step) = self.flow.send_to(request, redirect_url).await? {
            self.status.set(step.status);
            if let Some(provider) = step.next_url {
                self.flow.go.run(&provider);
            }
        }
        Ok(())
    }

    /// Loads the sign-in in progress on this browser (the SSO callback page starts here). A
    /// sign-in SSO completed is activated now, so `finalize(navigate)` follows; `status` may
    /// also be `needs_second_factor` (then `next_step_url()`), or `needs_identifier` when the
    /// identity has no account (`is_transferable()`: `use_sign_up().create_transfer()`).
    /// `resource_not_found` when nothing is in progress (e.g. a reload after success).
    pub async fn reload(self) -> Result<(), AuthError> {
        self.step(FlowRequest::SignInReload).await
    }

    /// Whether SSO verified an identity with no account: transfer it to a sign-up.
    pub fn is_transferable(self) -> bool {
        self.status.get_untracked() == SignInStatus::NeedsIdentifier
    }

    /// The page of the step the attempt waits for (e.g. the second factor), after `reload`.
    pub fn next_step_url(self) -> Option<String> {
        self.flow.next_url.get_untracked()
    }

    /// Forgets the attempt on this page: back to `needs_first_factor`, no errors.
    pub fn reset(self) {
        self.status.set(SignInStatus::NeedsFirstFactor);
        self.errors.set(Errors::default());
        self.flow.change.set(None);
    }

    /// Activates the new session and navigates: the current task's page when pending
    /// (`task_urls` wins over `navigate`), else `navigate` with `{ session, decorate_url }`,
    /// else the redirect target. Only a `complete` sign-in can be finalized.
    pub fn finalize(self, navigate: Option<Callback<NavigateArgs>>) -> Result<(), AuthError> {
        self.flow.finalize(navigate, ErrorCode::SignInNotComplete)
    }
}

impl SignInMfa {
    /// A code from the authenticator app.
    pub async fn verify_totp(self, code: String) -> Result<(), AuthError> {
        self.0
            .step(FlowRequest::SignInSecondFactor {
                strategy: "totp".into(),
                code,
            })
            .await
    }

    /// One of the backup codes.
    pub async fn verify_backup_code(self, code: String) -> Result<(), AuthError> {
        self.0
            .step(FlowRequest::SignInSecondFactor {
                strategy: "backup_code".into(),
                code,
            })
            .await
    }
}

impl ResetPasswordEmailCode {
    /// Emails a reset code to `email_address` (the same answer whether or not it has an account).
    pub async fn send_code(self, email_address: String) -> Result<(), AuthError> {
        self.0
            .step(FlowRequest::SignInResetPasswordSendCode {
                identifier: email_address,
            })
            .await
    }

    /// The emailed code; then `status` is `needs_new_password`.
    pub async fn verify_code(self, code: String) -> Result<(), AuthError> {
        self.0.step(FlowRequest::SignInEmailCode { code }).await
    }
}

impl ClientTrust {
    /// The emailed code; then `status` is `complete`.
    pub async fn verify_code(self, code: String) -> Result<(), AuthError> {
        self.0.step(FlowRequest::SignInEmailCode { code }).await
    }

    /// Emails a new code (the first one is sent with the password step).
    pub async fn send_code(self) -> Result<(), AuthError> {
        self.0.step(FlowRequest::SignInResendCode).await
    }
}

/// `use_sign_up()`: a sign-up flow driven from your own components.
#[derive(Clone, Copy)]
pub struct UseSignUp {
    /// The attempt's status (`None` before `password`).
    pub status: RwSignal<Option<SignUpStatus>>,
    /// Fields still to verify (`email_address` until the code is verified).
    pub unverified_fields: RwSignal<Vec<String>>,
    /// Fields still to fill in (`email_address` when an SSO provider gave none; always empty
    /// for email + password sign-up).
    pub missing_fields: RwSignal<Vec<String>>,
    /// Whether this sign-up can be transferred to a sign-in (SSO; never for email + password).
    pub is_transferable: RwSignal<bool>,
    /// The last request's errors.
    pub errors: RwSignal<Errors>,
    /// Whether a request is running.
    pub fetch_status: RwSignal<FetchStatus>,
    code_on_its_way: RwSignal<bool>,
    flow: Flow,
}

/// A sign-up flow for custom pages (see [`use_sign_in`]).
pub fn use_sign_up() -> UseSignUp {
    sign_up_for(None)
}

/// [`use_sign_up`] for a kit step whose plain form posts to `endpoint`.
pub(crate) fn sign_up_for(endpoint: Option<&'static str>) -> UseSignUp {
    let flow = Flow::new(endpoint);
    UseSignUp {
        status: RwSignal::new(None),
        unverified_fields: RwSignal::new(Vec::new()),
        missing_fields: RwSignal::new(Vec::new()),
        is_transferable: RwSignal::new(false),
        errors: flow.errors,
        fetch_status: flow.fetch_status,
        code_on_its_way: RwSignal::new(false),
        flow,
    }
}

/// The email-verification methods of a sign-up (`sign_up.verifications()`).
#[derive(Clone, Copy)]
pub struct SignUpVerifications(UseSignUp);

impl UseSignUp {
    async fn step(self, request: FlowRequest) -> Result<(), AuthError> {
        match self.flow.send(request).await? {
            FlowResponse::SignUp(step) => {
                self.status.set(Some(step.status));
                self.flow.next_url.set(Some(step.next_url().to_string()));
                self.unverified_fields.set(step.unverified_fields);
                self.missing_fields.set(step.missing_fields);
            }
            FlowResponse::SignUpComplete(change) => {
                self.status.set(Some(SignUpStatus::Complete));
                self.unverified_fields.set(Vec::new());
                self.flow.change.set(Some(change));
            }
            FlowResponse::SignIn(_) | FlowResponse::Changed(_) => {}
        }
        Ok(())
    }

    /// Email address + password (and optional names). The code is emailed at once; then
    /// `status` is `missing_requirements` with `unverified_fields = ["email_address"]`.
    pub async fn password(
        self,
        email_address: String,
        password: String,
        first_name: Option<String>,
        last_name: Option<String>,
    ) -> Result<(), AuthError> {
        self.step(FlowRequest::SignUpPassword {
            email_address,
            password,
            first_name,
            last_name,
            ticket: None,
        })
        .await?;
        self.code_on_its_way.set(true);
        Ok(())
    }

    /// Single sign-on from a sign-up page (see [`UseSignIn::sso`]): an identity that already
    /// has an account signs that account in.
    pub async fn sso(
        self,
        strategy: String,
        redirect_callback_url: String,
        redirect_url: String,
    ) -> Result<(), AuthError> {
        let request = FlowRequest::Sso {
            strategy,
            identifier: None,
            redirect_callback_url: Some(redirect_callback_url).filter(|url| !url.is_empty()),
        };
        if let FlowResponse::SignIn(step) = self.flow.send_to(request, redirect_url).await? {
            if let Some(provider) = step.next_url {
                self.flow.go.run(&provider);
            }
        }
        Ok(())
    }

    /// Creates the user from a sign-in that SSO made transferable (`sign_in.is_transferable()`)
    /// and activates the session; then `status` is `complete` and `finalize(navigate)` follows.
    /// When the provider's email is unverified, `status` stays `missing_requirements` with
    /// `unverified_fields = ["email_address"]` (the code is emailed); when it gave none,
    /// `missing_fields = ["email_address"]` (then `update_email_address`). `next_step_url()`
    /// is that step's page.
    pub async fn create_transfer(self) -> Result<(), AuthError> {
        self.step(FlowRequest::SignUpTransfer).await
    }

    /// Fills in the missing email address of a transfer; its code is emailed at once (then
    /// `verifications().verify_email_code(code)`).
    pub async fn update_email_address(self, email_address: String) -> Result<(), AuthError> {
        self.step(FlowRequest::SignUpContinue { email_address })
            .await?;
        self.code_on_its_way.set(true);
        Ok(())
    }

    /// The page of the step the sign-up waits for (verification, or the missing fields).
    pub fn next_step_url(self) -> Option<String> {
        self.flow.next_url.get_untracked()
    }

    /// Email verification.
    pub fn verifications(self) -> SignUpVerifications {
        SignUpVerifications(self)
    }

    pub(crate) fn last_error(self) -> Signal<Option<GatehouseError>> {
        self.flow.last_error.into()
    }

    pub(crate) fn pending(self) -> Signal<bool> {
        self.flow.pending()
    }

    pub(crate) fn follow(self, navigate: Option<Callback<NavigateArgs>>) {
        self.flow.follow(navigate);
    }

    /// Activates the new session and navigates (see [`UseSignIn::finalize`]).
    pub fn finalize(self, navigate: Option<Callback<NavigateArgs>>) -> Result<(), AuthError> {
        self.flow.finalize(navigate, ErrorCode::SignUpNotComplete)
    }
}

impl SignUpVerifications {
    /// Sends the code: right after `password` it is already on its way (nothing is sent twice);
    /// later it emails a new one (at most every 30 s, at most 3 times).
    pub async fn send_email_code(self) -> Result<(), AuthError> {
        if self.0.code_on_its_way.get_untracked() {
            self.0.code_on_its_way.set(false);
            return Ok(());
        }
        self.0.step(FlowRequest::SignUpResendEmailCode).await
    }

    /// The emailed code; then `status` is `complete` (the user and session exist).
    pub async fn verify_email_code(self, code: String) -> Result<(), AuthError> {
        self.0
            .step(FlowRequest::SignUpVerifyEmailCode { code })
            .await
    }
}

/// `use_session_list()`: every session of this browser (Clerk's `client.sessions`) and the
/// two things done with them — `set_active` (Clerk's `setActive({ session, navigate })`) and
/// `sign_out` (Clerk's `signOut({ sessionId })`). Other tabs of the browser follow either
/// within moments (`<AuthProvider>` tells them).
#[derive(Clone, Copy)]
pub struct SessionList {
    /// The live sessions: the current one first, then the others, most recently used first.
    pub sessions: Signal<Vec<SessionSummary>>,
    /// The last request's errors.
    pub errors: RwSignal<Errors>,
    /// Whether a request is running.
    pub fetch_status: RwSignal<FetchStatus>,
    flow: Flow,
}

/// The browser's sessions, with `set_active` and `sign_out` (see [`SessionList`]).
pub fn use_session_list() -> SessionList {
    let flow = Flow::new(None);
    let snapshot = flow.context.snapshot;
    SessionList {
        sessions: Signal::derive(move || snapshot.with(|snapshot| snapshot.sessions())),
        errors: flow.errors,
        fetch_status: flow.fetch_status,
        flow,
    }
}

impl SessionList {
    /// Makes another session of this browser current, then goes on as `finalize` does: a
    /// pending session to its task page, else `navigate` with `{ session, decorate_url }`,
    /// else `redirect_url` (through `decorate_url`; `None`: `after_sign_in_url`). Only this
    /// browser's own live sessions are accepted (`not_found` otherwise).
    pub async fn set_active(
        self,
        session_id: SessionId,
        redirect_url: Option<String>,
        navigate: Option<Callback<NavigateArgs>>,
    ) -> Result<(), AuthError> {
        let request = FlowRequest::SetActiveSession {
            session_id: session_id.as_str().to_string(),
        };
        self.change(request, redirect_url, navigate).await
    }

    /// Ends `session_id` (when it was current, the most recently used other session takes
    /// over), or with `None` every session of this browser; then goes to `redirect_url`
    /// (`None`: `after_sign_out_url`, or the next session's task when it is pending).
    pub async fn sign_out(
        self,
        session_id: Option<SessionId>,
        redirect_url: Option<String>,
    ) -> Result<(), AuthError> {
        let request = FlowRequest::SignOut {
            session_id: session_id.map(|id| id.as_str().to_string()),
        };
        self.change(request, redirect_url, None).await
    }

    async fn change(
        self,
        request: FlowRequest,
        redirect_url: Option<String>,
        navigate: Option<Callback<NavigateArgs>>,
    ) -> Result<(), AuthError> {
        let response = self
            .flow
            .send_to(request, redirect_url.unwrap_or_default())
            .await?;
        if let FlowResponse::Changed(change) = response {
            apply_change_in(self.flow.context, self.flow.go, &change, navigate);
        }
        Ok(())
    }

    pub(crate) fn pending(self) -> Signal<bool> {
        self.flow.pending()
    }
}
