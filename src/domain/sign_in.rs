//! Sign-in as an explicit state machine. An attempt is a [`SignIn`] value; transitions are pure
//! functions of the current state, an input and the time; the store persists the serialized
//! state without interpreting it and makes every transition a compare-and-swap. `finalize`
//! accepts only [`SignIn::Complete`], so no session (and no session cookie) exists before it.
//!
//! Unknown emails get the same error, after the same work, and lock the same way as wrong
//! passwords: every guess (password, TOTP, backup code) reserves a lockout slot first.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::{
    audit::{self, AuditEvent, AuditKind},
    codes,
    email::normalize_email,
    emails,
    ids::new_id,
    invitation::{self, TicketClaim},
    lockout, mfa,
    notices::{self, Device, SecurityNotice},
    outcome::Outcome,
    ports::{CodeKey, CodePurpose, ExternalIdentity, StoredSignIn},
    secret::Secret,
    session,
    tasks::{self, NewPassword},
    tokens::sha256,
    Gatehouse, Timestamp,
};
use crate::{
    config::Config,
    model::{
        limits::PASSWORD_MAX_CHARS, with_redirect_url, AuthError, ClientId, ErrorCode,
        GatehouseError, SignInId, SignInStatus, UserId,
    },
};

/// How long an attempt may take from the password to `finalize`.
pub const SIGN_IN_TTL_SECONDS: i64 = 10 * 60;
/// Longest accepted second-factor code (TOTP 6 digits, backup codes 8 characters; some slack for
/// spaces and dashes).
const SECOND_FACTOR_MAX_CHARS: usize = 32;

/// A second-factor strategy (Clerk's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorStrategy {
    /// A code from an authenticator app.
    Totp,
    /// One of the single-use backup codes.
    BackupCode,
}

/// What an attempt waiting for the provider keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingProvider {
    /// The connection's key.
    pub connection: String,
    /// Hex SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    /// The nonce the ID token must carry.
    pub nonce: Secret<String>,
    /// The PKCE verifier for the code exchange.
    pub pkce_verifier: Secret<String>,
    /// The app's callback page.
    pub redirect_callback_url: String,
    /// Where the app goes after the session is created.
    pub redirect_url: Option<String>,
    /// The provider answered once already: any later answer is a replay.
    pub answered: bool,
}

/// The provider's answer on the callback URL.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProviderAnswer<'a> {
    /// `code`.
    pub code: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `error` (e.g. `access_denied`).
    pub error: Option<&'a str>,
}

impl PendingProvider {
    /// Whether `answer` is the first answer to this attempt from `connection`, with its `state`.
    pub fn accepts(&self, connection: &str, answer: &ProviderAnswer<'_>) -> bool {
        let Some(state) = answer.state else {
            return false;
        };
        let hash = hex::encode(sha256(state.as_bytes()));
        !self.answered
            && self.connection == connection
            && bool::from(hash.as_bytes().ct_eq(self.state_hash.as_bytes()))
    }
}

/// A sign-in attempt. Each state carries what its next step needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignIn {
    /// "Forgot password?": a code was emailed (only when the email has an account; an unknown
    /// email goes through the same steps and timing, and its code can never match).
    NeedsResetCode {
        /// The account, when the email has one.
        user_id: Option<UserId>,
        /// The identifier typed (lockout key, where the code went).
        identifier: String,
    },
    /// The reset code was right: a new password is needed.
    NeedsNewPassword {
        /// The user resetting their password.
        user_id: UserId,
        /// The identifier typed (lockout key).
        identifier: String,
    },
    /// The password was right but this browser never held a session of this user: an emailed
    /// code is needed (client trust).
    NeedsClientTrust {
        /// The user signing in.
        user_id: UserId,
        /// The identifier typed (lockout key, where the code went).
        identifier: String,
        /// When the password was verified.
        first_factor_at: Timestamp,
        /// An invitation's ticket: its organization is joined when the sign-in completes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invitation: Option<TicketClaim>,
    },
    /// The password was right; the user has a second factor to verify.
    NeedsSecondFactor {
        /// The user signing in.
        user_id: UserId,
        /// The identifier typed (lockout key).
        identifier: String,
        /// When the password was verified.
        first_factor_at: Timestamp,
        /// The strategies the user can use.
        strategies: Vec<SecondFactorStrategy>,
        /// SSO: the identity to link once the sign-in completes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<Box<PendingLink>>,
        /// An invitation's ticket: its organization is joined when the sign-in completes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invitation: Option<TicketClaim>,
    },
    /// SSO: the browser was sent to the identity provider, whose answer must carry this
    /// attempt's `state`.
    AwaitingProvider(Box<PendingProvider>),
    /// SSO verified an identity that has no account: the attempt is transferable to a sign-up.
    Transferable {
        /// What the provider vouched for.
        identity: ExternalIdentity,
    },
    /// Every factor is verified: `finalize` may create the session.
    Complete {
        /// The user signing in.
        user_id: UserId,
        /// When the password was verified.
        first_factor_at: Timestamp,
        /// When the second factor was verified, if one was needed.
        second_factor_at: Option<Timestamp>,
        /// SSO: the identity to link when `finalize` creates the session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link: Option<Box<PendingLink>>,
        /// An invitation's ticket: `finalize` joins its organization, which the session starts
        /// in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invitation: Option<TicketClaim>,
    },
}

/// An SSO identity that matched an existing user by a verified email. It is linked to them
/// only when the sign-in completes — after any second factor, in `finalize` — so a sign-in
/// stopped by the second factor leaves no new way into the account; the owner is emailed then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    /// What the provider vouched for.
    pub identity: ExternalIdentity,
    /// The user's email (the notice goes there).
    pub owner_email: String,
    /// The browser that came back from the provider.
    pub device: Device,
}

/// What the state machine needs to know about a user whose password was just verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstFactorFacts {
    /// The user has a second factor (it takes precedence over client trust).
    pub has_second_factor: bool,
    /// Client trust is on and this browser never held a session of this user.
    pub untrusted_client: bool,
}

impl SignIn {
    /// The state after "Forgot password?" for `identifier` (`user_id` when it has an account).
    pub fn reset_requested(user_id: Option<&UserId>, identifier: &str) -> Self {
        Self::NeedsResetCode {
            user_id: user_id.cloned(),
            identifier: identifier.to_string(),
        }
    }

    /// The state after a verified password at `now`: the second factor first, else client
    /// trust, else complete.
    pub fn after_first_factor(
        user_id: &UserId,
        identifier: &str,
        facts: FirstFactorFacts,
        now: Timestamp,
    ) -> Self {
        if facts.untrusted_client && !facts.has_second_factor {
            return Self::NeedsClientTrust {
                user_id: user_id.clone(),
                identifier: identifier.to_string(),
                first_factor_at: now,
                invitation: None,
            };
        }
        if facts.has_second_factor {
            Self::NeedsSecondFactor {
                user_id: user_id.clone(),
                identifier: identifier.to_string(),
                first_factor_at: now,
                strategies: vec![SecondFactorStrategy::Totp, SecondFactorStrategy::BackupCode],
                link: None,
                invitation: None,
            }
        } else {
            Self::Complete {
                user_id: user_id.clone(),
                first_factor_at: now,
                second_factor_at: None,
                link: None,
                invitation: None,
            }
        }
    }

    /// The same state, joining the organization of `claim` when the sign-in completes (an
    /// invitation's ticket); states past the first factor only.
    pub fn inviting(mut self, claim: Option<TicketClaim>) -> Self {
        match &mut self {
            Self::NeedsClientTrust { invitation, .. }
            | Self::NeedsSecondFactor { invitation, .. }
            | Self::Complete { invitation, .. } => *invitation = claim,
            _ => {}
        }
        self
    }

    /// The same state, linking `link` when the sign-in completes (SSO); states past the first
    /// factor only.
    pub fn linking(self, link: Option<PendingLink>) -> Self {
        let link = link.map(Box::new);
        match self {
            Self::NeedsSecondFactor {
                user_id,
                identifier,
                first_factor_at,
                strategies,
                invitation,
                ..
            } => Self::NeedsSecondFactor {
                user_id,
                identifier,
                first_factor_at,
                strategies,
                link,
                invitation,
            },
            Self::Complete {
                user_id,
                first_factor_at,
                second_factor_at,
                invitation,
                ..
            } => Self::Complete {
                user_id,
                first_factor_at,
                second_factor_at,
                link,
                invitation,
            },
            other => other,
        }
    }

    /// The state after a verified second factor at `now`; refused in any other step.
    pub fn after_second_factor(self, now: Timestamp) -> Result<Self, AuthError> {
        match self {
            Self::NeedsSecondFactor {
                user_id,
                first_factor_at,
                link,
                invitation,
                ..
            } => Ok(Self::Complete {
                user_id,
                first_factor_at,
                second_factor_at: Some(now),
                link,
                invitation,
            }),
            _ => Err(AuthError::verification_already_verified()),
        }
    }

    /// The state after the emailed code of this step (client trust or password reset) was
    /// verified; refused in any other step.
    pub fn after_email_code(self) -> Result<Self, AuthError> {
        match self {
            Self::NeedsClientTrust {
                user_id,
                first_factor_at,
                invitation,
                ..
            } => Ok(Self::Complete {
                user_id,
                first_factor_at,
                second_factor_at: None,
                link: None,
                invitation,
            }),
            Self::NeedsResetCode {
                user_id: Some(user_id),
                identifier,
            } => Ok(Self::NeedsNewPassword {
                user_id,
                identifier,
            }),
            // No account: no code was ever sent, so none can have matched.
            Self::NeedsResetCode { user_id: None, .. } => Err(AuthError::code_incorrect()),
            _ => Err(AuthError::verification_already_verified()),
        }
    }

    /// The state after the new password was set at `now`: the second factor when the user has
    /// one, else complete (the new password is the first factor).
    pub fn after_new_password(
        self,
        has_second_factor: bool,
        now: Timestamp,
    ) -> Result<Self, AuthError> {
        match self {
            Self::NeedsNewPassword {
                user_id,
                identifier,
            } => Ok(Self::after_first_factor(
                &user_id,
                &identifier,
                FirstFactorFacts {
                    has_second_factor,
                    untrusted_client: false,
                },
                now,
            )),
            _ => Err(AuthError::verification_already_verified()),
        }
    }

    /// The emailed code this state waits for, if any.
    pub fn email_code_purpose(&self) -> Option<CodePurpose> {
        match self {
            Self::NeedsClientTrust { .. } => Some(CodePurpose::ClientTrust),
            Self::NeedsResetCode { .. } => Some(CodePurpose::ResetPassword),
            _ => None,
        }
    }

    /// The email this attempt signs in, once it is known.
    pub fn identifier(&self) -> Option<&str> {
        identifier_of(self)
    }

    /// Clerk's status of this state.
    pub fn status(&self) -> SignInStatus {
        match self {
            Self::NeedsResetCode { .. } | Self::AwaitingProvider(_) => {
                SignInStatus::NeedsFirstFactor
            }
            Self::Transferable { .. } => SignInStatus::NeedsIdentifier,
            Self::NeedsNewPassword { .. } => SignInStatus::NeedsNewPassword,
            Self::NeedsClientTrust { .. } => SignInStatus::NeedsClientTrust,
            Self::NeedsSecondFactor { .. } => SignInStatus::NeedsSecondFactor,
            Self::Complete { .. } => SignInStatus::Complete,
        }
    }
}

/// An attempt as stored: its state, where it is in the compare-and-swap sequence, and its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The attempt.
    pub id: SignInId,
    /// The state.
    pub state: SignIn,
    /// The store's version of this state.
    pub version: i64,
    /// When the attempt stops being usable.
    pub expires_at: Timestamp,
}

impl Attempt {
    fn from_stored(stored: StoredSignIn) -> Result<Self, AuthError> {
        let state = serde_json::from_str(&stored.state)
            .map_err(|e| super::internal("stored sign-in state unreadable", e))?;
        Ok(Self {
            id: stored.id,
            state,
            version: stored.version,
            expires_at: stored.expires_at,
        })
    }
}

pub(super) fn serialize(state: &SignIn) -> Result<String, AuthError> {
    serde_json::to_string(state).map_err(|e| super::internal("sign-in state not serializable", e))
}

/// A sign-in attempt as the browser sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    /// The attempt.
    pub id: SignInId,
    /// Status.
    pub status: SignInStatus,
}

impl From<&Attempt> for SignInView {
    fn from(attempt: &Attempt) -> Self {
        Self {
            id: attempt.id.clone(),
            status: attempt.state.status(),
        }
    }
}

/// The client's attempt in progress (not finalized, not expired).
pub async fn current(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<Option<Attempt>, AuthError> {
    gatehouse
        .store
        .current_sign_in(client_id, now)
        .await?
        .map(Attempt::from_stored)
        .transpose()
}

/// The client's attempt in progress, or `no_attempt` (every step after the first needs one).
pub(super) async fn required(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<Attempt, AuthError> {
    current(gatehouse, client_id, now)
        .await?
        .ok_or_else(AuthError::no_attempt)
}

/// Checks an email + password pair. The attempt is `complete`, or `needs_second_factor` when the
/// user has one. With multi-session, a user who already has a session on this browser gets
/// `identifier_already_signed_in` before any password check (then [`activate_signed_in`]).
pub async fn password(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identifier: &str,
    password: Secret<String>,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    password_inviting(gatehouse, client_id, identifier, password, None, now).await
}

/// [`password`], carrying an invitation's `ticket` (strategy `ticket`, Clerk's
/// `__clerk_ticket`) through every step that follows — client trust, second factor — to
/// `finalize`, which joins its organization and starts the session in it. The ticket is checked
/// first: unknown, used, revoked, expired, or for another address than `identifier`, it gets its
/// own error and nothing else happens.
pub async fn password_inviting(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identifier: &str,
    password: Secret<String>,
    ticket: Option<&str>,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let email = normalize_email(identifier, "identifier")?;
    let claim = match ticket {
        Some(ticket) => {
            let (row, claim) = invitation::check_ticket(gatehouse, ticket, now).await?;
            if row.email != email {
                return Err(AuthError::ticket_for_another_address("identifier"));
            }
            Some(claim)
        }
        None => None,
    };
    // Multi-session: this browser already holds a session of the user; Clerk's components
    // activate it rather than sign in twice (the browser could switch to it anyway).
    if session::session_of_email(gatehouse, client_id, &email, now)
        .await?
        .is_some()
    {
        return Err(AuthError::identifier_already_signed_in());
    }
    if password.expose().is_empty() {
        return Err(AuthError::param_missing("password"));
    }
    let guess = lockout::reserve(gatehouse, &email, now).await?;
    if password.expose().chars().count() > PASSWORD_MAX_CHARS {
        // No stored password can be this long; answer like any wrong password.
        return Err(guess.failed(AuthError::password_incorrect()));
    }
    let user = gatehouse.store.find_user_by_email(&email).await?;
    let hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let valid = gatehouse.hasher.verify(password, hash).await?;
    let user = match user {
        Some(user) if valid => user,
        _ => return Err(guess.failed(AuthError::password_incorrect())),
    };
    let untrusted_client = gatehouse.config.client_trust.enabled
        && !gatehouse
            .store
            .client_has_held_session(client_id, &user.id)
            .await?;
    let facts = FirstFactorFacts {
        has_second_factor: user.second_factor_enabled,
        untrusted_client,
    };
    let state = SignIn::after_first_factor(&user.id, &email, facts, now).inviting(claim);
    // Only a finished sign-in resets the count: wrong later factors stay counted.
    if state.status() == SignInStatus::Complete {
        guess.succeeded(gatehouse).await?;
    } else {
        guess.released(gatehouse).await?;
    }
    let attempt = insert(gatehouse, client_id, state, now).await?;
    send_code(gatehouse, &attempt, now).await?;
    Ok(SignInView::from(&attempt))
}

/// After `identifier_already_signed_in`: makes the browser's session of `identifier` current
/// (what Clerk's components do with that error) and goes on as a switch does.
pub async fn activate_signed_in(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identifier: &str,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let email = normalize_email(identifier, "identifier")?;
    let session_id = session::session_of_email(gatehouse, client_id, &email, now)
        .await?
        .ok_or_else(AuthError::not_found)?;
    session::set_active(gatehouse, client_id, &session_id, redirect_url, now).await
}

pub(super) async fn insert(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    state: SignIn,
    now: Timestamp,
) -> Result<Attempt, AuthError> {
    let attempt = Attempt {
        id: new_id(),
        state,
        version: 0,
        expires_at: now + SIGN_IN_TTL_SECONDS,
    };
    let stored = StoredSignIn {
        id: attempt.id.clone(),
        state: serialize(&attempt.state)?,
        version: attempt.version,
        expires_at: attempt.expires_at,
    };
    gatehouse
        .store
        .insert_sign_in(&stored, client_id, now)
        .await?;
    Ok(attempt)
}

/// Issues the code the attempt's state waits for, if any, and emails it — in the background,
/// so a reset for an email without an account (which is sent nothing) answers in the same time.
async fn send_code(
    gatehouse: &Gatehouse,
    attempt: &Attempt,
    now: Timestamp,
) -> Result<(), AuthError> {
    let Some(purpose) = attempt.state.email_code_purpose() else {
        return Ok(());
    };
    let code = codes::generate_code();
    let state = codes::CodeState::issue(attempt.id.as_str(), code.expose(), now);
    gatehouse
        .store
        .insert_code(CodeKey::sign_in(&attempt.id, purpose), &state)
        .await?;
    mail_code(gatehouse, &attempt.state, &code);
    Ok(())
}

fn mail_code(gatehouse: &Gatehouse, state: &SignIn, code: &Secret<String>) {
    let code = code.expose();
    let email = match state {
        SignIn::NeedsClientTrust { identifier, .. } => emails::client_trust_code(identifier, code),
        SignIn::NeedsResetCode {
            user_id: Some(_),
            identifier,
        } => emails::reset_password_code(identifier, code),
        _ => return,
    };
    gatehouse.mailer.send(email);
}

/// "Forgot password?": starts a reset for `identifier` and emails a code when it has an
/// account. An unknown email gets the same answer, screens and timing (its code is never sent).
pub async fn start_password_reset(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identifier: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let email = normalize_email(identifier, "identifier")?;
    let user = gatehouse.store.find_user_by_email(&email).await?;
    let state = SignIn::reset_requested(user.as_ref().map(|user| &user.id), &email);
    let attempt = insert(gatehouse, client_id, state, now).await?;
    send_code(gatehouse, &attempt, now).await?;
    Ok(SignInView::from(&attempt))
}

/// Verifies the emailed code of the attempt's step (client trust, or the password-reset code).
/// Each wrong code counts toward the attempt's 5 tries and toward the lockout.
pub async fn verify_email_code(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    code: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let attempt = required(gatehouse, client_id, now).await?;
    let (Some(purpose), Some(identifier)) = (
        attempt.state.email_code_purpose(),
        identifier_of(&attempt.state),
    ) else {
        return Err(AuthError::verification_already_verified());
    };
    if code.trim().is_empty() {
        return Err(AuthError::param_missing("code"));
    }
    let guess = lockout::reserve(gatehouse, identifier, now).await?;
    let key = CodeKey::sign_in(&attempt.id, purpose);
    if let Err(error) = codes::verify(gatehouse, key, code, now).await {
        return Err(guess.failed(error));
    }
    let next = attempt.state.clone().after_email_code()?;
    if next.status() == SignInStatus::Complete {
        guess.succeeded(gatehouse).await?;
    } else {
        guess.released(gatehouse).await?;
    }
    save(gatehouse, &attempt, next).await
}

/// Emails a new code for the attempt's step (at most every 30 s, at most 3 times).
pub async fn resend_email_code(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let attempt = required(gatehouse, client_id, now).await?;
    let purpose = attempt
        .state
        .email_code_purpose()
        .ok_or_else(AuthError::verification_already_verified)?;
    let code = codes::resend(gatehouse, CodeKey::sign_in(&attempt.id, purpose), now).await?;
    mail_code(gatehouse, &attempt.state, &code);
    Ok(SignInView::from(&attempt))
}

/// "Set new password" after a verified reset code: the password is replaced (and, when asked,
/// every other session of the user ends), then the second factor if the user has one. The owner
/// is emailed about it (the change came from `device`).
pub async fn set_new_password(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    form: NewPassword,
    device: &Device,
    now: Timestamp,
) -> Result<SignInView, GatehouseError> {
    let attempt = required(gatehouse, client_id, now).await?;
    let SignIn::NeedsNewPassword {
        user_id,
        identifier,
    } = &attempt.state
    else {
        return Err(AuthError::verification_already_verified().into());
    };
    tasks::validate_new_password_form(&form, gatehouse.config.passwords.reject_compromised)?;
    let has_second_factor = gatehouse
        .store
        .find_user_by_email(identifier)
        .await?
        .is_some_and(|user| user.second_factor_enabled);
    let (user_id, identifier) = (user_id.clone(), identifier.clone());
    let next = attempt
        .state
        .clone()
        .after_new_password(has_second_factor, now)?;
    let hash = gatehouse.hasher.hash(form.new_password).await?;
    let view = save(gatehouse, &attempt, next).await?;
    gatehouse
        .store
        .replace_password(&user_id, &hash, None, form.sign_out_of_other_sessions, now)
        .await?;
    // Owning the mailbox proves the identity: a lock from guessed passwords ends here.
    gatehouse.store.clear_guesses(&identifier).await?;
    tracing::info!(user_id = %user_id, signed_out_others = form.sign_out_of_other_sessions, "password reset at sign-in");
    let event = AuditEvent::new(AuditKind::PasswordReset)
        .user(&user_id)
        .email(&identifier)
        .client(client_id)
        .device(device)
        .detail("forgot password");
    audit::record(gatehouse, event, now);
    notices::send(
        gatehouse,
        &identifier,
        &SecurityNotice::PasswordChanged,
        device,
        now,
    );
    Ok(view)
}

fn identifier_of(state: &SignIn) -> Option<&str> {
    match state {
        SignIn::NeedsResetCode { identifier, .. }
        | SignIn::NeedsNewPassword { identifier, .. }
        | SignIn::NeedsClientTrust { identifier, .. }
        | SignIn::NeedsSecondFactor { identifier, .. } => Some(identifier),
        SignIn::AwaitingProvider(_) | SignIn::Transferable { .. } | SignIn::Complete { .. } => None,
    }
}

/// Writes the attempt's next state (compare-and-swap): of two racing requests, one moves it on.
pub(super) async fn save(
    gatehouse: &Gatehouse,
    attempt: &Attempt,
    next: SignIn,
) -> Result<SignInView, AuthError> {
    if !gatehouse
        .store
        .save_sign_in(&attempt.id, attempt.version, &serialize(&next)?)
        .await?
    {
        return Err(AuthError::verification_already_verified());
    }
    Ok(SignInView {
        id: attempt.id.clone(),
        status: next.status(),
    })
}

/// Verifies the second factor of the client's attempt: a TOTP code (each 30-second step accepted
/// once per user, across sign-ins) or a backup code (single use). 5 wrong codes end the attempt;
/// every wrong code also counts toward the lockout. Of two parallel verifications of one
/// attempt, at most one moves it on.
pub async fn verify_second_factor(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    strategy: SecondFactorStrategy,
    code: &str,
    now: Timestamp,
) -> Result<SignInView, AuthError> {
    let attempt = required(gatehouse, client_id, now).await?;
    let SignIn::NeedsSecondFactor {
        user_id,
        identifier,
        strategies,
        ..
    } = &attempt.state
    else {
        return Err(AuthError::verification_already_verified());
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(AuthError::param_missing("code"));
    }
    if !strategies.contains(&strategy) {
        return Err(AuthError::request_invalid("strategy not available"));
    }
    // The attempt's own limit first (no evaluation once it is spent), then the lockout.
    let tries = gatehouse
        .store
        .reserve_sign_in_try(&attempt.id, codes::MAX_WRONG_CODES)
        .await?
        .ok_or_else(AuthError::verification_failed)?;
    let guess = lockout::reserve(gatehouse, identifier, now).await?;
    let accepted = code.chars().count() <= SECOND_FACTOR_MAX_CHARS
        && match strategy {
            SecondFactorStrategy::Totp => verify_totp(gatehouse, user_id, code, now).await?,
            SecondFactorStrategy::BackupCode => {
                let hash = mfa::hash_backup_code(user_id, code);
                gatehouse
                    .store
                    .consume_backup_code(user_id, &hash, now)
                    .await?
            }
        };
    if !accepted {
        return Err(guess.failed(codes::wrong_code_error(tries)));
    }
    guess.succeeded(gatehouse).await?;
    let next = attempt.state.clone().after_second_factor(now)?;
    save(gatehouse, &attempt, next).await
}

/// A TOTP code of the user's verified factor, accepted once: the step only moves forward, in one
/// atomic update, so a replayed or parallel code is refused.
pub(super) async fn verify_totp(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    code: &str,
    now: Timestamp,
) -> Result<bool, AuthError> {
    let Some(factor) = gatehouse
        .store
        .totp_factor(user_id)
        .await?
        .filter(|factor| factor.verified)
    else {
        return Ok(false);
    };
    match mfa::matching_step(factor.secret.expose(), code, now)? {
        Some(step) => gatehouse.store.advance_totp_step(user_id, step).await,
        None => Ok(false),
    }
}

/// Turns the client's complete sign-in attempt into a session (only `complete` is accepted, and
/// only once).
pub async fn finalize(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let fallback = gatehouse.config.instance.after_sign_in_url.clone();
    finalize_to(gatehouse, client_id, redirect_url, &fallback, now).await
}

/// [`finalize`], going to `fallback_url` when there is no `redirect_url` (a sign-up by transfer
/// goes to `after_sign_up_url`).
pub(super) async fn finalize_to(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<&str>,
    fallback_url: &str,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let attempt = required(gatehouse, client_id, now).await?;
    let SignIn::Complete {
        user_id,
        first_factor_at,
        second_factor_at,
        link,
        invitation,
    } = &attempt.state
    else {
        return Err(AuthError::new(ErrorCode::SignInNotComplete));
    };
    // An invitation that cannot be accepted any more (revoked, expired, resent meanwhile)
    // stops the sign-in with its error before anything is used up.
    let invited = match invitation {
        Some(claim) => Some(invitation::claimed(gatehouse, claim, now).await?),
        None => None,
    };
    // The identity is linked now that every factor is verified, with the attempt moved on in
    // the same transaction: of two parallel finalizes, one links and claims it.
    let version = match link {
        Some(link) => {
            let unlinked = SignIn::Complete {
                user_id: user_id.clone(),
                first_factor_at: *first_factor_at,
                second_factor_at: *second_factor_at,
                link: None,
                invitation: invitation.clone(),
            };
            let moved = gatehouse
                .store
                .link_external_account(
                    user_id,
                    &link.identity,
                    (&attempt.id, attempt.version, &serialize(&unlinked)?),
                    now,
                )
                .await?;
            if !moved {
                return Err(AuthError::no_attempt());
            }
            attempt.version + 1
        }
        None => attempt.version,
    };
    if !gatehouse
        .store
        .claim_sign_in(&attempt.id, version, now)
        .await?
    {
        return Err(AuthError::no_attempt());
    }
    if let Some(link) = link {
        tracing::info!(%user_id, provider = %link.identity.provider, "external account linked");
        let provider = gatehouse
            .config
            .sso
            .connection(&link.identity.provider)
            .map_or_else(|| link.identity.provider.clone(), |c| c.name.clone());
        let notice = SecurityNotice::ExternalAccountLinked {
            provider,
            email: link.identity.email.clone(),
        };
        notices::send(gatehouse, &link.owner_email, &notice, &link.device, now);
        let event = AuditEvent::new(AuditKind::ExternalAccountLinked)
            .user(user_id)
            .email(&link.owner_email)
            .client(client_id)
            .device(&link.device)
            .detail(&link.identity.provider);
        audit::record(gatehouse, event, now);
    }
    let organization = match &invited {
        Some(row) => Some(invitation::join(gatehouse, row, user_id, now).await?),
        None => None,
    };
    session::finalize(
        gatehouse,
        session::FinalizeRequest {
            client_id,
            user_id,
            first_factor_at: *first_factor_at,
            second_factor_at: *second_factor_at,
            redirect_url,
            fallback_url,
            organization: organization.as_ref(),
        },
        now,
    )
    .await
}

/// Where a sign-in step leads.
#[derive(Debug)]
pub enum SignInNext {
    /// The attempt was complete and is now a session.
    SignedIn(Box<Outcome>),
    /// Another step is needed, on this page.
    Step {
        /// The attempt's status.
        status: SignInStatus,
        /// The step's page under `sign_in_url`, carrying `redirect_url`.
        url: String,
    },
}

/// The page of the step for `status` under `sign_in_url`, carrying `redirect_url`.
pub fn step_url(config: &Config, status: SignInStatus, redirect_url: Option<&str>) -> String {
    let base = config.instance.sign_in_url.trim_end_matches('/');
    let step = match status {
        // Transferable: the sign-in page itself (its SSO callback page decides what follows).
        SignInStatus::NeedsIdentifier => return with_redirect_url(base, redirect_url),
        SignInStatus::NeedsFirstFactor => "factor-one",
        SignInStatus::NeedsSecondFactor => "factor-two",
        SignInStatus::NeedsClientTrust => "client-trust",
        SignInStatus::NeedsNewPassword | SignInStatus::Complete => "reset-password",
    };
    with_redirect_url(&format!("{base}/{step}"), redirect_url)
}

/// After any sign-in step: finalize when the attempt is complete, else the next step's page.
/// Server functions and plain routes (the SSO callback) share this.
pub async fn next(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    status: SignInStatus,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<SignInNext, AuthError> {
    if status == SignInStatus::Complete {
        return Ok(SignInNext::SignedIn(Box::new(
            finalize(gatehouse, client_id, redirect_url, now).await?,
        )));
    }
    Ok(SignInNext::Step {
        status,
        url: step_url(&gatehouse.config, status, redirect_url),
    })
}
