//! The sign-in and sign-up flows on the wire: a step the browser sends ([`FlowRequest`], as the
//! hooks build it) and the answer it gets ([`FlowResponse`]). The server runs every step through
//! one entry point (`domain::flows::run`), whether it came as JSON from the hooks or as a plain
//! form post of one step.

use serde::{Deserialize, Serialize};

use super::{AuthError, AuthSnapshot, GatehouseError, SignInStatus};

/// The result of an auth change (finalize, sign-out): the new state and where to go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthChange {
    /// The new auth state (the provider adopts it without another round trip).
    pub snapshot: AuthSnapshot,
    /// The current task's page when the session is pending (wins over `navigate`).
    pub task_url: Option<String>,
    /// The decorated redirect target.
    pub redirect_url: String,
}

/// A sign-up attempt as the form sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpStep {
    /// `missing_requirements` until the email code is verified.
    pub status: crate::model::SignUpStatus,
    /// Fields still to verify (`email_address`).
    pub unverified_fields: Vec<String>,
    /// Fields still to fill in (`email_address` when an SSO provider gave none).
    pub missing_fields: Vec<String>,
    /// Where the code was sent (empty while the email is missing).
    pub email_address: String,
    /// The verification page, carrying `redirect_url`.
    pub verify_url: String,
    /// The page asking for the missing fields (`<sign_up_url>/continue`), when there are any.
    pub continue_url: Option<String>,
}

impl SignUpStep {
    /// The page of the next step: the missing fields first, else the verification.
    pub fn next_url(&self) -> &str {
        self.continue_url.as_deref().unwrap_or(&self.verify_url)
    }
}

/// The result of a sign-in step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStep {
    /// The attempt's status.
    pub status: SignInStatus,
    /// Present when the attempt completed and was finalized.
    pub change: Option<AuthChange>,
    /// The page of the next step (e.g. `<sign_in_url>/factor-two`, carrying `redirect_url`)
    /// while the attempt is not complete.
    pub next_url: Option<String>,
}

/// A passkey ceremony's options for the browser: `options` is the WebAuthn JSON
/// (`{"publicKey": …}`, binary values in base64url) to hand to `navigator.credentials`, and
/// `ceremony` names the server-side state the answer is checked against (single-use, this
/// browser only, 5 minutes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyOptions {
    /// The ceremony's id, sent back with the browser's answer.
    pub ceremony: String,
    /// The options, as JSON.
    pub options: String,
}

/// How `use_sign_in().passkey(flow)` asks the browser (Clerk's `flow`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasskeyFlow {
    /// A prompt listing the passkeys the browser has for this site: no email typed.
    #[default]
    Discoverable,
    /// Offered in the email field's autofill (conditional mediation): no prompt opens until
    /// the user picks one; the call waits until then.
    Autofill,
}

/// One step of a sign-in or sign-up flow, as the hooks send it (the one client path every flow's
/// browser request takes; the per-step server functions above serve plain HTML forms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum FlowRequest {
    /// `sign_in.password(email, password)`.
    SignInPassword {
        /// Email address.
        identifier: String,
        /// Password.
        password: String,
        /// An invitation's ticket (`__clerk_ticket`), kept through every step: the
        /// organization is joined once signed in.
        #[serde(default)]
        ticket: Option<String>,
    },
    /// `sign_in.passkey(…)`: the browser's answer to the ceremony of `passkey_sign_in_options`.
    SignInPasskey {
        /// The ceremony's id.
        ceremony: String,
        /// The browser's `PublicKeyCredential`, as JSON (binary values in base64url).
        credential: String,
    },
    /// `sign_in.reset_password_email_code().send_code(email)`.
    SignInResetPasswordSendCode {
        /// Email address.
        identifier: String,
    },
    /// `verify_code(code)` of the reset-password or client-trust step.
    SignInEmailCode {
        /// The emailed code.
        code: String,
    },
    /// `send_code()` again for the reset-password or client-trust step.
    SignInResendCode,
    /// `sign_in.mfa().verify_totp(code)` / `verify_backup_code(code)`.
    SignInSecondFactor {
        /// `totp` or `backup_code`.
        strategy: String,
        /// The code.
        code: String,
    },
    /// `sign_in.submit_reset_password(password, sign_out_of_other_sessions)`.
    SignInNewPassword {
        /// The new password.
        new_password: String,
        /// Its confirmation.
        confirm_password: String,
        /// End every other session of the user.
        sign_out_of_other_sessions: bool,
    },
    /// `sign_up.password(…)`: the code is emailed at once.
    SignUpPassword {
        /// Email address.
        email_address: String,
        /// Password.
        password: String,
        /// First name.
        first_name: Option<String>,
        /// Last name.
        last_name: Option<String>,
        /// An invitation's ticket: it verifies the address (the invitation's; empty takes it),
        /// so no code is emailed; the user is created and joins the organization at once.
        #[serde(default)]
        ticket: Option<String>,
    },
    /// `sign_up.verifications().verify_email_code(code)`.
    SignUpVerifyEmailCode {
        /// The emailed code.
        code: String,
    },
    /// `sign_up.verifications().send_email_code()` again.
    SignUpResendEmailCode,
    /// `sign_in.sso(…)` / `sign_up.sso(…)`: starts SSO; the answer's `next_url` is the
    /// provider's authorization URL.
    Sso {
        /// `oauth_<connection key>` or `enterprise_sso`.
        strategy: String,
        /// The email (required for `enterprise_sso`, whose domain picks the connection).
        identifier: Option<String>,
        /// The app's callback page (default `/sso-callback`).
        redirect_callback_url: Option<String>,
    },
    /// The sign-in in progress, as it is now (`sign_in.reload()`; the SSO callback page starts
    /// with it). One that SSO completed is finalized, as every step that completes is.
    SignInReload,
    /// `sign_up.create_transfer()`: a sign-in that SSO made transferable (no account) becomes the
    /// new user, and the session is created (a provider-verified email); an unverified email is
    /// verified by code first, a missing one is asked for.
    SignUpTransfer,
    /// `sign_up.update_email_address(email)`: the email a transfer lacked (`missing_fields`).
    SignUpContinue {
        /// Email address.
        email_address: String,
    },
    /// `set_active({ session })`: switches to another session of this browser.
    SetActiveSession {
        /// The session to make current.
        session_id: String,
    },
    /// `sign_out({ session_id })`: one session of this browser, or all of them.
    SignOut {
        /// The session to end (`None`: every session of this browser).
        session_id: Option<String>,
    },
}

/// The answer to a flow step: the attempt's new status, and the auth change when the flow
/// completed (`finalize` then only navigates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowResponse {
    /// A sign-in step.
    SignIn(SignInStep),
    /// A sign-up step that is not complete yet.
    SignUp(SignUpStep),
    /// A completed sign-up (user and session created).
    SignUpComplete(AuthChange),
    /// A session switch or a sign-out.
    Changed(AuthChange),
}

impl FlowResponse {
    /// The page a plain form post goes to next: the next step's page, the current task's, or
    /// the target after the change.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::SignIn(step) => step
                .change
                .as_ref()
                .map(AuthChange::target)
                .or(step.next_url.as_deref()),
            Self::SignUp(step) => Some(step.next_url()),
            Self::SignUpComplete(change) | Self::Changed(change) => Some(change.target()),
        }
    }

    /// The answer as a sign-in step: a completed sign-up or a change is a complete sign-in; a
    /// sign-up step (an SSO transfer) goes on at its page.
    pub fn into_sign_in(self) -> SignInStep {
        match self {
            Self::SignIn(step) => step,
            Self::SignUpComplete(change) | Self::Changed(change) => SignInStep {
                status: SignInStatus::Complete,
                change: Some(change),
                next_url: None,
            },
            Self::SignUp(sign_up) => SignInStep {
                status: SignInStatus::NeedsIdentifier,
                change: None,
                next_url: Some(sign_up.next_url().to_string()),
            },
        }
    }

    /// The answer as a sign-up step (`request_invalid` for any other answer).
    pub fn into_sign_up(self) -> Result<SignUpStep, GatehouseError> {
        match self {
            Self::SignUp(step) => Ok(step),
            _ => Err(AuthError::request_invalid("not a sign-up step").into()),
        }
    }

    /// The auth change this answer made (`request_invalid` when it made none).
    pub fn into_change(self) -> Result<AuthChange, GatehouseError> {
        match self {
            Self::SignUpComplete(change) | Self::Changed(change) => Ok(change),
            Self::SignIn(SignInStep {
                change: Some(change),
                ..
            }) => Ok(change),
            _ => Err(AuthError::request_invalid("no change was made").into()),
        }
    }
}

impl AuthChange {
    /// Where the browser goes now: the current task while pending, else the target.
    pub fn target(&self) -> &str {
        self.task_url.as_deref().unwrap_or(&self.redirect_url)
    }
}
