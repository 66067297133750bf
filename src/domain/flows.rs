//! One entry point for the sign-in and sign-up flows: a step in ([`FlowRequest`], as the hooks
//! send it and as each plain form posts it), one answer out ([`FlowResult`]). The JSON flow
//! endpoint, every per-step form endpoint and the SSO callback page's "Continue" all call
//! [`run`], so a decision of these flows is written here once: which step comes next and its
//! page, that an enterprise email goes to its provider, that a user already signed in on this
//! browser is switched to rather than signed in twice, how an SSO transfer continues, and the
//! strings a step names (strategies, intents) read into their enums.

use super::{
    audit::{self, AuditEvent, AuditKind},
    invitation::InvitationKey,
    notices::Device,
    outcome::Outcome,
    passkeys::{self, PasskeySignIn},
    secret::Secret,
    session,
    session_change::{self, ChangeContext, SessionChange},
    sign_in::{self, SecondFactorStrategy, SignInNext},
    sign_up::{self, SignUpForm, SignUpView},
    sso,
    tasks::NewPassword,
    tokens::SecretToken,
    Gatehouse, Timestamp,
};
use crate::model::{
    flow::{AuthChange, FlowRequest, FlowResponse, SignInStep, SignUpStep},
    with_redirect_url, AuthError, ClientId, ErrorCode, GatehouseError, SessionId, SignInStatus,
    SignUpStatus,
};

/// What a step needs to know about the request besides its own fields.
#[derive(Clone, Debug, Default)]
pub struct FlowContext {
    /// The browser's client, when its cookie names a live one.
    pub client_id: Option<ClientId>,
    /// The browser the step comes from (named in security notices).
    pub device: Device,
    /// Where to go once signed in (empty values are ignored).
    pub redirect_url: Option<String>,
}

/// A step's answer, and the client token to set as the cookie when it changed (a new browser's
/// first token, or the one a new session rotated to).
#[derive(Debug)]
pub struct FlowResult {
    /// The answer the browser gets.
    pub response: FlowResponse,
    /// The new cookie token, if any.
    pub cookie: Option<SecretToken>,
}

/// What the sign-in form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInIntent {
    /// Sign in with the password.
    SignIn,
    /// "Forgot password?": email a reset code.
    ForgotPassword,
}

impl SignInIntent {
    /// The sign-in form's step: its password (carrying an invitation's `ticket`), or with
    /// "Forgot password?" the reset code.
    pub fn step(
        self,
        identifier: String,
        password: Option<String>,
        ticket: Option<String>,
    ) -> FlowRequest {
        match self {
            Self::SignIn => FlowRequest::SignInPassword {
                identifier,
                password: password.unwrap_or_default(),
                ticket: ticket.filter(|ticket| !ticket.trim().is_empty()),
            },
            Self::ForgotPassword => FlowRequest::SignInResetPasswordSendCode { identifier },
        }
    }

    /// `forgot_password`, or nothing for signing in; anything else is `request_invalid`.
    pub fn parse(intent: Option<&str>) -> Result<Self, AuthError> {
        match intent.map(str::trim).filter(|intent| !intent.is_empty()) {
            None => Ok(Self::SignIn),
            Some("forgot_password") => Ok(Self::ForgotPassword),
            Some(_) => Err(AuthError::request_invalid("unknown sign-in intent")),
        }
    }
}

impl SecondFactorStrategy {
    /// `totp` or `backup_code`; anything else is `request_invalid`.
    pub fn parse(strategy: &str) -> Result<Self, AuthError> {
        match strategy {
            "totp" => Ok(Self::Totp),
            "backup_code" => Ok(Self::BackupCode),
            _ => Err(AuthError::request_invalid("unknown second-factor strategy")),
        }
    }
}

/// Runs one step of a sign-in or sign-up flow for the request described by `context`, at
/// `now`.
pub async fn run(
    gatehouse: &Gatehouse,
    step: FlowRequest,
    context: FlowContext,
    now: Timestamp,
) -> Result<FlowResult, GatehouseError> {
    let mut flow = Flow::new(gatehouse, context, now);
    let response = flow.step(step).await?;
    Ok(flow.finish(response))
}

/// The SSO callback page's "Continue": the sign-in SSO moved on — finalized when complete, the
/// factor-two step when one is needed — or, when the identity has no account, the sign-up it
/// transfers to.
pub async fn sso_continue(
    gatehouse: &Gatehouse,
    context: FlowContext,
    now: Timestamp,
) -> Result<FlowResult, GatehouseError> {
    let mut flow = Flow::new(gatehouse, context, now);
    let mut response = flow.step(FlowRequest::SignInReload).await?;
    if matches!(&response, FlowResponse::SignIn(step) if step.status == SignInStatus::NeedsIdentifier)
    {
        response = flow.step(FlowRequest::SignUpTransfer).await?;
    }
    Ok(flow.finish(response))
}

/// The options of a passkey sign-in ceremony (`passkeys::sign_in_options`), for this browser's
/// client — made now for a browser that has none — and the new cookie token, if one was made.
pub async fn passkey_sign_in_options(
    gatehouse: &Gatehouse,
    context: FlowContext,
    identifier: Option<&str>,
    now: Timestamp,
) -> Result<(crate::model::flow::PasskeyOptions, Option<SecretToken>), AuthError> {
    let mut flow = Flow::new(gatehouse, context, now);
    let client_id = flow.client().await?;
    let options = passkeys::sign_in_options(gatehouse, &client_id, identifier, now).await?;
    Ok((options, flow.new_client))
}

/// A step the audit log records, with the factor it verifies.
struct AuditedStep {
    factor: &'static str,
    /// The email typed with it (the password step).
    identifier: Option<String>,
    /// It completes a sign-up (else a sign-in).
    sign_up: bool,
}

impl AuditedStep {
    fn of(step: &FlowRequest) -> Option<Self> {
        use FlowRequest as Step;
        let (factor, identifier, sign_up) = match step {
            Step::SignInPassword { identifier, .. } => {
                ("password", Some(identifier.clone()), false)
            }
            Step::SignInSecondFactor { strategy, .. } if strategy == "backup_code" => {
                ("backup_code", None, false)
            }
            Step::SignInSecondFactor { .. } => ("totp", None, false),
            Step::SignInEmailCode { .. } => ("email_code", None, false),
            Step::SignInPasskey { .. } => ("passkey", None, false),
            Step::SignInNewPassword { .. } => ("password_reset", None, false),
            Step::SignInReload => ("sso", None, false),
            Step::SignUpVerifyEmailCode { .. } => ("email_code", None, true),
            Step::SignUpPassword {
                ticket: Some(_), ..
            } => ("ticket", None, true),
            Step::SignUpTransfer | Step::SignUpContinue { .. } => ("sso", None, true),
            _ => return None,
        };
        Some(Self {
            factor,
            identifier,
            sign_up,
        })
    }
}

/// A wrong answer to a sign-in factor (what a failed sign-in is).
fn is_wrong_factor(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::FormPasswordIncorrect
            | ErrorCode::FormCodeIncorrect
            | ErrorCode::VerificationFailed
            | ErrorCode::UserLocked
            | ErrorCode::PasskeyAuthenticationFailure
            | ErrorCode::PasskeyNotRegistered
    )
}

/// `event` about the session `change` made.
fn signed_in(event: AuditEvent, change: &AuthChange) -> AuditEvent {
    let snapshot = &change.snapshot;
    let mut event = event;
    if let Some(user) = &snapshot.user {
        event = event.user(&user.id).email(&user.email_address);
    }
    if let Some(session_id) = &snapshot.session_id {
        event = event.session(session_id);
    }
    event
}

/// The state of one run: the request and the client made for it, if any.
struct Flow<'a> {
    gatehouse: &'a Gatehouse,
    context: FlowContext,
    new_client: Option<SecretToken>,
    now: Timestamp,
    /// The run made an existing session of this browser current instead of signing in.
    switched: bool,
}

impl<'a> Flow<'a> {
    fn new(gatehouse: &'a Gatehouse, context: FlowContext, now: Timestamp) -> Self {
        Self {
            gatehouse,
            context,
            new_client: None,
            now,
            switched: false,
        }
    }

    /// The answer, with the cookie the run made or rotated.
    fn finish(self, response: FlowResponse) -> FlowResult {
        FlowResult {
            response,
            cookie: self.new_client,
        }
    }
    /// Runs `step`, and records in the audit log what it did to a sign-in or a sign-up: a
    /// session made (with the factor that completed it) or a wrong factor.
    async fn step(&mut self, step: FlowRequest) -> Result<FlowResponse, GatehouseError> {
        let audited = AuditedStep::of(&step);
        let result = self.run_step(step).await;
        if let Some(audited) = audited {
            self.audit(audited, &result).await;
        }
        result
    }

    async fn audit(&self, step: AuditedStep, result: &Result<FlowResponse, GatehouseError>) {
        let device = &self.context.device;
        let mut event = match result {
            Ok(FlowResponse::SignIn(SignInStep {
                change: Some(change),
                ..
            })) if !self.switched && !step.sign_up => {
                signed_in(AuditEvent::new(AuditKind::SignIn), change)
            }
            Ok(FlowResponse::SignUpComplete(change)) if step.sign_up => {
                signed_in(AuditEvent::new(AuditKind::SignUp), change)
            }
            Err(error) if !step.sign_up && is_wrong_factor(error.first_error().code) => {
                let mut event = AuditEvent::new(AuditKind::SignIn).failed();
                let identifier = match &step.identifier {
                    Some(identifier) => Some(identifier.trim().to_lowercase()),
                    None => self.attempt_identifier().await,
                };
                if let Some(identifier) = identifier {
                    event = event.email(&identifier);
                }
                event.detail(&format!("{}: {}", step.factor, error.first_error().code))
            }
            _ => return,
        };
        if result.is_ok() {
            event = event.detail(step.factor);
        }
        if let Some(client_id) = &self.context.client_id {
            event = event.client(client_id);
        }
        audit::record(self.gatehouse, event.device(device), self.now);
    }

    /// The email of the sign-in in progress on this browser (a wrong second factor names it).
    async fn attempt_identifier(&self) -> Option<String> {
        let client_id = self.context.client_id.as_ref()?;
        let attempt = sign_in::current(self.gatehouse, client_id, self.now)
            .await
            .ok()??;
        attempt.state.identifier().map(str::to_string)
    }

    async fn run_step(&mut self, step: FlowRequest) -> Result<FlowResponse, GatehouseError> {
        use FlowRequest as Step;
        let now = self.now;
        let gatehouse = self.gatehouse;
        Ok(match step {
            Step::SignInPassword {
                identifier,
                password,
                ticket,
            } => self.sign_in_password(identifier, password, ticket).await?,
            Step::SignInPasskey {
                ceremony,
                credential,
            } => {
                let client_id = self.existing_client()?;
                match passkeys::sign_in(gatehouse, &client_id, &ceremony, &credential, now).await? {
                    PasskeySignIn::Attempt(view) => {
                        self.sign_in_next(&client_id, view.status).await?
                    }
                    PasskeySignIn::AlreadySignedIn { email } => {
                        let redirect_url = self.redirect_url();
                        self.switched = true;
                        let outcome = sign_in::activate_signed_in(
                            gatehouse,
                            &client_id,
                            &email,
                            redirect_url.as_deref(),
                            now,
                        )
                        .await?;
                        FlowResponse::SignIn(SignInStep {
                            status: SignInStatus::Complete,
                            change: Some(self.change(outcome)),
                            next_url: None,
                        })
                    }
                }
            }
            Step::SignInResetPasswordSendCode { identifier } => {
                let client_id = self.client().await?;
                let view =
                    sign_in::start_password_reset(gatehouse, &client_id, &identifier, now).await?;
                self.sign_in_next(&client_id, view.status).await?
            }
            Step::SignInEmailCode { code } => {
                let client_id = self.existing_client()?;
                let view = sign_in::verify_email_code(gatehouse, &client_id, &code, now).await?;
                self.sign_in_next(&client_id, view.status).await?
            }
            Step::SignInResendCode => {
                let client_id = self.existing_client()?;
                let view = sign_in::resend_email_code(gatehouse, &client_id, now).await?;
                self.sign_in_next(&client_id, view.status).await?
            }
            Step::SignInSecondFactor { strategy, code } => {
                let client_id = self.existing_client()?;
                let strategy = SecondFactorStrategy::parse(&strategy)?;
                let view =
                    sign_in::verify_second_factor(gatehouse, &client_id, strategy, &code, now)
                        .await?;
                self.sign_in_next(&client_id, view.status).await?
            }
            Step::SignInNewPassword {
                new_password,
                confirm_password,
                sign_out_of_other_sessions,
            } => {
                let client_id = self.existing_client()?;
                let form = NewPassword {
                    new_password: Secret::new(new_password),
                    confirm_password: Secret::new(confirm_password),
                    sign_out_of_other_sessions,
                };
                let device = self.context.device.clone();
                let view =
                    sign_in::set_new_password(gatehouse, &client_id, form, &device, now).await?;
                self.sign_in_next(&client_id, view.status).await?
            }
            Step::Sso {
                strategy,
                identifier,
                redirect_callback_url,
            } => {
                self.sso_start(&strategy, identifier.as_deref(), redirect_callback_url)
                    .await?
            }
            Step::SignInReload => self.sign_in_reload().await?,
            Step::SignUpTransfer => self.sign_up_transfer().await?,
            Step::SignUpContinue { email_address } => {
                let client_id = self.existing_client()?;
                let view =
                    sso::continue_sign_up(gatehouse, &client_id, &email_address, now).await?;
                FlowResponse::SignUp(self.sign_up_step(view))
            }
            Step::SignUpPassword {
                email_address,
                password,
                first_name,
                last_name,
                ticket: Some(ticket),
            } => {
                // The ticket verifies the address: the user and the session at once.
                let (email_address, claim) =
                    sign_up::invited_address(gatehouse, &ticket, &email_address, now).await?;
                let form = sign_up::validate(
                    SignUpForm {
                        email_address,
                        password: Secret::new(password),
                        first_name,
                        last_name,
                    },
                    gatehouse.config.passwords.reject_compromised,
                )?;
                let client_id = self.client().await?;
                sign_up::create_invited(gatehouse, &client_id, form, claim, now).await?;
                let redirect_url = self.redirect_url();
                let outcome =
                    sign_up::finalize(gatehouse, &client_id, redirect_url.as_deref(), now).await?;
                FlowResponse::SignUpComplete(self.change(outcome))
            }
            Step::SignUpPassword {
                email_address,
                password,
                first_name,
                last_name,
                ticket: None,
            } => {
                // Validated before a client is made, so bad input leaves nothing behind.
                let form = sign_up::validate(
                    SignUpForm {
                        email_address,
                        password: Secret::new(password),
                        first_name,
                        last_name,
                    },
                    gatehouse.config.passwords.reject_compromised,
                )?;
                let client_id = self.client().await?;
                let view = sign_up::create(gatehouse, &client_id, form, now).await?;
                FlowResponse::SignUp(self.sign_up_step(view))
            }
            Step::SignUpVerifyEmailCode { code } => {
                let client_id = self.existing_client()?;
                sign_up::verify_email_code(gatehouse, &client_id, &code, now).await?;
                let redirect_url = self.redirect_url();
                let outcome =
                    sign_up::finalize(gatehouse, &client_id, redirect_url.as_deref(), now).await?;
                FlowResponse::SignUpComplete(self.change(outcome))
            }
            Step::SignUpResendEmailCode => {
                let client_id = self.existing_client()?;
                let view = sign_up::resend_code(gatehouse, &client_id, now).await?;
                FlowResponse::SignUp(self.sign_up_step(view))
            }
            Step::SetActiveSession { session_id } => {
                let client_id = self
                    .context
                    .client_id
                    .clone()
                    .ok_or_else(AuthError::unauthorized)?;
                let redirect_url = self.redirect_url();
                let outcome = session::set_active(
                    gatehouse,
                    &client_id,
                    &SessionId::new(session_id),
                    redirect_url.as_deref(),
                    now,
                )
                .await?;
                FlowResponse::Changed(self.change(outcome))
            }
            Step::SignOut { session_id } => {
                let session_id = session_id
                    .filter(|id| !id.trim().is_empty())
                    .map(SessionId::new);
                // Sign-out keeps an empty `redirect_url` as it came (its own fallback).
                let outcome = session::sign_out(
                    gatehouse,
                    self.context.client_id.as_ref(),
                    session_id.as_ref(),
                    self.context.redirect_url.as_deref(),
                    now,
                )
                .await?;
                FlowResponse::Changed(self.change(outcome))
            }
        })
    }

    /// Email and password. An email whose domain has an enterprise connection goes straight to
    /// its provider (a password typed is ignored); a user already signed in on this browser
    /// has that session made current instead (what Clerk's components do with
    /// `identifier_already_signed_in`).
    async fn sign_in_password(
        &mut self,
        identifier: String,
        password: String,
        ticket: Option<String>,
    ) -> Result<FlowResponse, GatehouseError> {
        let gatehouse = self.gatehouse;
        if gatehouse
            .config
            .sso
            .enterprise_for_email(&identifier)
            .is_some()
        {
            return self
                .sso_start(sso::ENTERPRISE_STRATEGY, Some(&identifier), None)
                .await;
        }
        let client_id = self.client().await?;
        let now = self.now;
        match sign_in::password_inviting(
            gatehouse,
            &client_id,
            &identifier,
            Secret::new(password),
            ticket.as_deref(),
            now,
        )
        .await
        {
            Ok(view) => self.sign_in_next(&client_id, view.status).await,
            Err(error) if error.code == ErrorCode::IdentifierAlreadySignedIn => {
                let redirect_url = self.redirect_url();
                self.switched = true;
                let mut outcome = sign_in::activate_signed_in(
                    gatehouse,
                    &client_id,
                    &identifier,
                    redirect_url.as_deref(),
                    now,
                )
                .await?;
                // Signed in already: the invitation is accepted as a signed-in user's is.
                if let Some(ticket) = ticket {
                    let context = ChangeContext {
                        snapshot: &outcome.snapshot,
                        client_id: Some(&client_id),
                        device: &self.context.device,
                        target: redirect_url.as_deref(),
                    };
                    let change = SessionChange::AcceptInvitation(InvitationKey::Ticket(ticket));
                    let cookie = outcome.cookie.take();
                    outcome = session_change::apply(gatehouse, change, context, now).await?;
                    outcome.cookie = cookie;
                }
                Ok(FlowResponse::SignIn(SignInStep {
                    status: SignInStatus::Complete,
                    change: Some(self.change(outcome)),
                    next_url: None,
                }))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Starts SSO: the answer's next page is the provider's authorization URL.
    async fn sso_start(
        &mut self,
        strategy: &str,
        identifier: Option<&str>,
        redirect_callback_url: Option<String>,
    ) -> Result<FlowResponse, GatehouseError> {
        let client_id = self.client().await?;
        let redirect_callback_url = redirect_callback_url.filter(|url| !url.trim().is_empty());
        let redirect_url = self.redirect_url();
        let url = sso::start(
            self.gatehouse,
            &client_id,
            sso::SsoStart {
                strategy,
                identifier,
                redirect_callback_url: redirect_callback_url.as_deref(),
                redirect_url: redirect_url.as_deref(),
            },
            self.now,
        )
        .await?;
        Ok(FlowResponse::SignIn(SignInStep {
            status: SignInStatus::NeedsFirstFactor,
            change: None,
            next_url: Some(url),
        }))
    }

    /// The sign-in in progress as it is now; one that SSO completed is finalized (like every
    /// step that completes), so `finalize(navigate)` only navigates.
    async fn sign_in_reload(&mut self) -> Result<FlowResponse, GatehouseError> {
        let client_id = self.existing_client()?;
        let attempt = sign_in::current(self.gatehouse, &client_id, self.now)
            .await?
            .ok_or_else(AuthError::no_attempt)?;
        match attempt.state.status() {
            SignInStatus::NeedsIdentifier => Ok(FlowResponse::SignIn(SignInStep {
                status: SignInStatus::NeedsIdentifier,
                change: None,
                next_url: None,
            })),
            status => self.sign_in_next(&client_id, status).await,
        }
    }

    /// The sign-up side of an SSO transfer: the session, or the sign-up step that verifies or
    /// asks for the email.
    async fn sign_up_transfer(&mut self) -> Result<FlowResponse, GatehouseError> {
        let client_id = self.existing_client()?;
        let redirect_url = self.redirect_url();
        let transfer = sso::transfer_to_sign_up(
            self.gatehouse,
            &client_id,
            redirect_url.as_deref(),
            self.now,
        )
        .await?;
        Ok(match transfer {
            sso::Transfer::SignedUp(outcome) => FlowResponse::SignUpComplete(self.change(*outcome)),
            sso::Transfer::VerifyEmail(view) => FlowResponse::SignUp(self.sign_up_step(view)),
            sso::Transfer::NeedsEmailAddress => FlowResponse::SignUp(self.missing_email_step()),
        })
    }

    /// After a sign-in step: finalized when the attempt is complete, else the next step's page.
    async fn sign_in_next(
        &mut self,
        client_id: &ClientId,
        status: SignInStatus,
    ) -> Result<FlowResponse, GatehouseError> {
        let redirect_url = self.redirect_url();
        let next = sign_in::next(
            self.gatehouse,
            client_id,
            status,
            redirect_url.as_deref(),
            self.now,
        )
        .await?;
        Ok(FlowResponse::SignIn(match next {
            SignInNext::SignedIn(outcome) => SignInStep {
                status,
                change: Some(self.change(*outcome)),
                next_url: None,
            },
            SignInNext::Step { status, url } => SignInStep {
                status,
                change: None,
                next_url: Some(url),
            },
        }))
    }

    /// The request's client, making one (its token becomes the cookie) for a browser without.
    async fn client(&mut self) -> Result<ClientId, AuthError> {
        let handle = session::ensure_client(
            self.gatehouse.store.as_ref(),
            self.context.client_id.clone(),
            self.now,
        )
        .await?;
        if handle.new_token.is_some() {
            self.new_client = handle.new_token;
            self.context.client_id = Some(handle.client_id.clone());
        }
        Ok(handle.client_id)
    }

    /// The request's client; a step after the first needs one (`no_attempt` otherwise).
    fn existing_client(&self) -> Result<ClientId, AuthError> {
        self.context
            .client_id
            .clone()
            .ok_or_else(AuthError::no_attempt)
    }

    fn redirect_url(&self) -> Option<String> {
        self.context
            .redirect_url
            .clone()
            .filter(|url| !url.trim().is_empty())
    }

    /// An auth change as the browser gets it; a rotated token becomes the cookie.
    fn change(&mut self, outcome: Outcome) -> AuthChange {
        let (change, cookie) = outcome.into_change();
        if cookie.is_some() {
            self.new_client = cookie;
        }
        change
    }

    fn sign_up_step(&self, view: SignUpView) -> SignUpStep {
        let redirect_url = self.redirect_url();
        sign_up_step(self.gatehouse, view, redirect_url.as_deref())
    }

    /// The step of a transfer whose provider gave no email: `<sign_up_url>/continue` asks.
    fn missing_email_step(&self) -> SignUpStep {
        let redirect_url = self.redirect_url();
        SignUpStep {
            status: SignUpStatus::MissingRequirements,
            unverified_fields: Vec::new(),
            missing_fields: vec!["email_address".to_string()],
            email_address: String::new(),
            verify_url: sign_up_page(
                self.gatehouse,
                "verify-email-address",
                redirect_url.as_deref(),
            ),
            continue_url: Some(sign_up_page(
                self.gatehouse,
                "continue",
                redirect_url.as_deref(),
            )),
        }
    }
}

/// A step's page under the sign-up URL (`verify-email-address`, `continue`), carrying
/// `redirect_url`.
fn sign_up_page(gatehouse: &Gatehouse, step: &str, redirect_url: Option<&str>) -> String {
    let base = format!(
        "{}/{step}",
        gatehouse.config.instance.sign_up_url.trim_end_matches('/')
    );
    with_redirect_url(&base, redirect_url)
}

/// The sign-up in progress on the browser `client_id`, if any.
pub async fn current_sign_up(
    gatehouse: &Gatehouse,
    client_id: Option<&ClientId>,
    now: Timestamp,
) -> Result<Option<SignUpStep>, AuthError> {
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    let view = sign_up::current(gatehouse, client_id, now).await?;
    Ok(view.map(|view| sign_up_step(gatehouse, view, None)))
}

/// A sign-up attempt as the form sees it, its verification page carrying `redirect_url`.
pub fn sign_up_step(
    gatehouse: &Gatehouse,
    view: SignUpView,
    redirect_url: Option<&str>,
) -> SignUpStep {
    SignUpStep {
        status: view.status,
        unverified_fields: view.unverified_fields,
        missing_fields: Vec::new(),
        email_address: view.email_address,
        verify_url: sign_up_page(gatehouse, "verify-email-address", redirect_url),
        continue_url: None,
    }
}
