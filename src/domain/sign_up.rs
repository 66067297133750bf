//! Sign-up with email and password, as a state machine like sign-in: `create` → code emailed
//! ([`SignUp::NeedsEmailCode`]: status `missing_requirements`, `unverified_fields =
//! ["email_address"]`) → `verify_email_code` → [`SignUp::Complete`] → `finalize` creates the user
//! and the session ([`SignUp::UserCreated`]). Abandoned after 24 hours unless complete.
//!
//! A taken email proceeds exactly like a new one (the owner is mailed a notice instead of a
//! code), so sign-up never reveals which addresses have accounts.

use serde::{Deserialize, Serialize};

use super::{
    codes::{self, CodeState},
    email::normalize_email,
    emails,
    ids::new_id,
    invitation::{self, TicketClaim},
    outcome::Outcome,
    password::validate_new_password,
    ports::{CodeKey, ExternalIdentity, SignUpRecord, UserCreation},
    secret::Secret,
    session::{self, FinalizeRequest},
    Gatehouse, Timestamp,
};
use crate::model::{
    limits::NAME_MAX_CHARS, AuthError, ClientId, ErrorCode, GatehouseError, SignUpId, SignUpStatus,
    UserId,
};

/// Hours after which an unfinished sign-up is abandoned.
pub const ABANDON_AFTER_SECONDS: i64 = 24 * 3600;

/// A sign-up attempt's progress. Each state carries what its next step needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignUp {
    /// The emailed code is awaited.
    NeedsEmailCode,
    /// The email address is verified: `finalize` may create the user.
    Complete {
        /// When the code (or the invitation's ticket) was verified.
        email_verified_at: Timestamp,
        /// The invitation whose ticket verified the address: `finalize` joins its organization.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invitation: Option<TicketClaim>,
    },
    /// `finalize` created the user; the attempt is used up.
    UserCreated {
        /// The new user.
        user_id: UserId,
        /// When the code was verified.
        email_verified_at: Timestamp,
    },
}

impl SignUp {
    /// The state after the emailed code was verified at `now`; refused in any other step.
    pub fn after_email_code(self, now: Timestamp) -> Result<Self, AuthError> {
        match self {
            Self::NeedsEmailCode => Ok(Self::Complete {
                email_verified_at: now,
                invitation: None,
            }),
            _ => Err(AuthError::verification_already_verified()),
        }
    }

    /// The state once `finalize` created `user_id`: only a complete attempt, only once.
    pub fn after_user_created(self, user_id: &UserId) -> Result<Self, AuthError> {
        match self {
            Self::Complete {
                email_verified_at, ..
            } => Ok(Self::UserCreated {
                user_id: user_id.clone(),
                email_verified_at,
            }),
            Self::NeedsEmailCode => Err(AuthError::new(ErrorCode::SignUpNotComplete)),
            Self::UserCreated { .. } => Err(AuthError::no_attempt()),
        }
    }

    /// Clerk's status at `now`: abandoned at `abandon_at` unless complete.
    pub fn status_at(&self, abandon_at: Timestamp, now: Timestamp) -> SignUpStatus {
        match self {
            Self::NeedsEmailCode if now >= abandon_at => SignUpStatus::Abandoned,
            Self::NeedsEmailCode => SignUpStatus::MissingRequirements,
            Self::Complete { .. } | Self::UserCreated { .. } => SignUpStatus::Complete,
        }
    }

    /// The fields still to verify.
    pub fn unverified_fields(&self) -> Vec<String> {
        match self {
            Self::NeedsEmailCode => vec!["email_address".to_string()],
            Self::Complete { .. } | Self::UserCreated { .. } => Vec::new(),
        }
    }
}

/// A stored attempt with its state read back.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// What the store holds (email, password hash, code, version).
    pub record: SignUpRecord,
    /// The state.
    pub state: SignUp,
}

impl Attempt {
    fn from_record(record: SignUpRecord) -> Result<Self, AuthError> {
        let state = serde_json::from_str(&record.state)
            .map_err(|e| super::internal("stored sign-up state unreadable", e))?;
        Ok(Self { record, state })
    }

    /// The status at `now`.
    pub fn status_at(&self, now: Timestamp) -> SignUpStatus {
        self.state.status_at(self.record.abandon_at, now)
    }
}

fn serialize(state: &SignUp) -> Result<String, AuthError> {
    serde_json::to_string(state).map_err(|e| super::internal("sign-up state not serializable", e))
}

/// What the sign-up form sends.
#[derive(Clone, Debug, Default)]
pub struct SignUpForm {
    /// Email address.
    pub email_address: String,
    /// Password.
    pub password: Secret<String>,
    /// Optional first name.
    pub first_name: Option<String>,
    /// Optional last name.
    pub last_name: Option<String>,
}

/// A sign-up attempt as the browser sees it (Clerk's `SignUp` resource, trimmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpView {
    /// The attempt.
    pub id: SignUpId,
    /// Status.
    pub status: SignUpStatus,
    /// Fields still to verify.
    pub unverified_fields: Vec<String>,
    /// The address the code went to.
    pub email_address: String,
}

fn view_of(attempt: &Attempt, now: Timestamp) -> SignUpView {
    SignUpView {
        id: attempt.record.id.clone(),
        status: attempt.status_at(now),
        unverified_fields: attempt.state.unverified_fields(),
        email_address: attempt.record.email.clone(),
    }
}

fn clean_name(value: Option<String>, param: &str) -> Result<Option<String>, AuthError> {
    let Some(value) = value else { return Ok(None) };
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > NAME_MAX_CHARS {
        return Err(AuthError::param_too_long(param));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AuthError::param_format_invalid(param));
    }
    Ok(Some(trimmed.to_string()))
}

/// Trimmed first and last names (empty → `None`), every field's error at once.
pub fn clean_names(
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(Option<String>, Option<String>), GatehouseError> {
    match (
        clean_name(first_name, "first_name"),
        clean_name(last_name, "last_name"),
    ) {
        (Ok(first), Ok(last)) => Ok((first, last)),
        (first, last) => Err(GatehouseError(crate::model::ApiErrors {
            errors: [first.err(), last.err()].into_iter().flatten().collect(),
        })),
    }
}

/// Validates the whole form, reporting every field's error at once.
pub fn validate(form: SignUpForm, reject_compromised: bool) -> Result<SignUpForm, GatehouseError> {
    let mut errors = Vec::new();
    let email = normalize_email(&form.email_address, "email_address")
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(error) = validate_new_password(form.password.expose(), reject_compromised) {
        errors.push(error);
    }
    let first_name = clean_name(form.first_name, "first_name")
        .map_err(|e| errors.push(e))
        .ok();
    let last_name = clean_name(form.last_name, "last_name")
        .map_err(|e| errors.push(e))
        .ok();
    match (email, first_name, last_name) {
        (Some(email_address), Some(first_name), Some(last_name)) if errors.is_empty() => {
            Ok(SignUpForm {
                email_address,
                password: form.password,
                first_name,
                last_name,
            })
        }
        _ => Err(GatehouseError(crate::model::ApiErrors { errors })),
    }
}

/// Starts a sign-up on `client_id` and emails the code.
pub async fn create(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    form: SignUpForm,
    now: Timestamp,
) -> Result<SignUpView, GatehouseError> {
    let form = validate(form, gatehouse.config.passwords.reject_compromised)?;
    let password_hash = gatehouse.hasher.hash(form.password).await?;
    let applicant = Applicant {
        email: form.email_address,
        password_hash: Some(password_hash),
        first_name: form.first_name,
        last_name: form.last_name,
        external_identity: None,
    };
    Ok(start(gatehouse, client_id, applicant, now).await?)
}

/// Starts the sign-up that continues an SSO transfer whose provider email is unverified or
/// missing: no password; `email` (normalised: the provider's, or the one typed on
/// `/sign-up/continue`) gets the code, and the user it creates has `identity` linked. A taken
/// email proceeds like any sign-up (the owner gets a notice, nothing is linked).
pub async fn create_for_identity(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identity: ExternalIdentity,
    email: String,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let applicant = Applicant {
        email,
        password_hash: None,
        first_name: identity.first_name.clone(),
        last_name: identity.last_name.clone(),
        external_identity: Some(identity),
    };
    start(gatehouse, client_id, applicant, now).await
}

/// The address of a sign-up with an invitation's `ticket` and the claim its attempt keeps: the
/// invitation's address (when `email_address` is empty), never another
/// (`ticket_invalid_code` on `email_address`). The ticket's own errors come first.
pub async fn invited_address(
    gatehouse: &Gatehouse,
    ticket: &str,
    email_address: &str,
    now: Timestamp,
) -> Result<(String, TicketClaim), AuthError> {
    let (row, claim) = invitation::check_ticket(gatehouse, ticket, now).await?;
    if !email_address.trim().is_empty()
        && normalize_email(email_address, "email_address")? != row.email
    {
        return Err(AuthError::ticket_for_another_address("email_address"));
    }
    Ok((row.email, claim))
}

/// Starts a sign-up whose address an invitation's ticket verified (`form`'s address is the
/// invitation's: see [`invited_address`]): no code is emailed, the attempt is complete at once,
/// and `finalize` joins the invitation's organization. An address with an account is refused
/// (`form_identifier_exists`): the ticket proves the mailbox, so its holder may know, and signs
/// in instead.
pub async fn create_invited(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    form: SignUpForm,
    claim: TicketClaim,
    now: Timestamp,
) -> Result<SignUpView, GatehouseError> {
    let form = validate(form, gatehouse.config.passwords.reject_compromised)?;
    if gatehouse
        .store
        .find_user_by_email(&form.email_address)
        .await?
        .is_some()
    {
        return Err(AuthError::identifier_exists("email_address").into());
    }
    let password_hash = gatehouse.hasher.hash(form.password).await?;
    let id: SignUpId = new_id();
    let state = SignUp::Complete {
        email_verified_at: now,
        invitation: Some(claim),
    };
    let record = SignUpRecord {
        id: id.clone(),
        client_id: client_id.clone(),
        email: form.email_address,
        password_hash: Some(password_hash),
        first_name: form.first_name,
        last_name: form.last_name,
        state: serialize(&state)?,
        version: 0,
        existing_user_id: None,
        external_identity: None,
        abandon_at: now + ABANDON_AFTER_SECONDS,
        // A code the store keeps with every attempt; never sent, never asked for.
        code: CodeState::issue(id.as_str(), codes::generate_code().expose(), now),
    };
    gatehouse.store.insert_sign_up(&record, now).await?;
    Ok(view_of(&Attempt { record, state }, now))
}

/// Who a new sign-up is for.
struct Applicant {
    email: String,
    password_hash: Option<Secret<String>>,
    first_name: Option<String>,
    last_name: Option<String>,
    external_identity: Option<ExternalIdentity>,
}

/// Stores a new attempt and emails its code (or the notice, when the email is taken).
async fn start(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    applicant: Applicant,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let existing_user = gatehouse.store.find_user_by_email(&applicant.email).await?;
    let id: SignUpId = new_id();
    let code = codes::generate_code();
    let state = SignUp::NeedsEmailCode;
    let record = SignUpRecord {
        id: id.clone(),
        client_id: client_id.clone(),
        email: applicant.email,
        password_hash: applicant.password_hash,
        first_name: applicant.first_name,
        last_name: applicant.last_name,
        state: serialize(&state)?,
        version: 0,
        existing_user_id: existing_user.map(|user| user.id),
        external_identity: applicant.external_identity,
        abandon_at: now + ABANDON_AFTER_SECONDS,
        code: CodeState::issue(id.as_str(), code.expose(), now),
    };
    gatehouse.store.insert_sign_up(&record, now).await?;
    send_code_or_notice(gatehouse, &record, &code).await;
    Ok(view_of(&Attempt { record, state }, now))
}

async fn send_code_or_notice(gatehouse: &Gatehouse, record: &SignUpRecord, code: &Secret<String>) {
    let email = if record.existing_user_id.is_some() {
        // The owner learns someone tried; the requester sees the same "check your email" step.
        emails::sign_up_for_existing_account(&record.email, &gatehouse.config.instance)
    } else {
        emails::verification_code(&record.email, code.expose())
    };
    gatehouse.mailer.deliver(email).await;
}

/// The client's newest sign-up, unless abandoned.
async fn live_attempt(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<Option<Attempt>, AuthError> {
    let Some(record) = gatehouse.store.latest_sign_up(client_id).await? else {
        return Ok(None);
    };
    let attempt = Attempt::from_record(record)?;
    Ok((attempt.status_at(now) != SignUpStatus::Abandoned).then_some(attempt))
}

async fn current_attempt(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<Attempt, AuthError> {
    live_attempt(gatehouse, client_id, now)
        .await?
        .ok_or_else(AuthError::no_attempt)
}

/// The sign-up in progress on this browser, if any.
pub async fn current(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<Option<SignUpView>, AuthError> {
    Ok(live_attempt(gatehouse, client_id, now)
        .await?
        .filter(|attempt| !matches!(attempt.state, SignUp::UserCreated { .. }))
        .map(|attempt| view_of(&attempt, now)))
}

/// Checks the emailed code; on success the attempt is `complete`.
pub async fn verify_email_code(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    code: &str,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let attempt = current_attempt(gatehouse, client_id, now).await?;
    let next = attempt.state.clone().after_email_code(now)?;
    codes::verify(gatehouse, CodeKey::sign_up(&attempt.record.id), code, now).await?;
    let record = &attempt.record;
    if !gatehouse
        .store
        .save_sign_up(&record.id, record.version, &serialize(&next)?, now)
        .await?
    {
        return Err(AuthError::verification_already_verified());
    }
    Ok(view_of(
        &Attempt {
            record: attempt.record,
            state: next,
        },
        now,
    ))
}

/// Sends a new code (at most every 30 s, at most 3 times); earlier codes stop working and the
/// wrong-try count carries over.
pub async fn resend_code(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let attempt = current_attempt(gatehouse, client_id, now).await?;
    if attempt.state != SignUp::NeedsEmailCode {
        return Err(AuthError::verification_already_verified());
    }
    let code = codes::resend(gatehouse, CodeKey::sign_up(&attempt.record.id), now).await?;
    send_code_or_notice(gatehouse, &attempt.record, &code).await;
    Ok(view_of(&attempt, now))
}

/// Turns a complete sign-up into a user (email verified) and a session: only `complete` is
/// accepted, and only once.
pub async fn finalize(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Outcome, AuthError> {
    let attempt = current_attempt(gatehouse, client_id, now).await?;
    if attempt.record.existing_user_id.is_some() {
        return Err(AuthError::new(ErrorCode::SignUpNotComplete));
    }
    // An invitation that cannot be accepted any more stops the sign-up with its error, before
    // the user is created.
    let invited = match &attempt.state {
        SignUp::Complete {
            invitation: Some(claim),
            ..
        } => {
            let row = invitation::claimed(gatehouse, claim, now).await?;
            if row.email != attempt.record.email {
                return Err(AuthError::ticket_for_another_address("email_address"));
            }
            Some(row)
        }
        _ => None,
    };
    let user_id: UserId = new_id();
    let next = attempt.state.clone().after_user_created(&user_id)?;
    let created = gatehouse
        .store
        .create_user_from_sign_up(&attempt.record, &user_id, &serialize(&next)?, now)
        .await?;
    match created {
        UserCreation::Created => {}
        UserCreation::EmailTaken => return Err(AuthError::identifier_exists("email_address")),
        UserCreation::AttemptMoved => return Err(AuthError::no_attempt()),
    }
    super::verified_domain::enroll_new_user(gatehouse, &attempt.record.email, now).await;
    let organization = match &invited {
        Some(row) => Some(invitation::join(gatehouse, row, &user_id, now).await?),
        None => None,
    };
    session::finalize(
        gatehouse,
        FinalizeRequest {
            client_id,
            user_id: &user_id,
            first_factor_at: now,
            second_factor_at: None,
            redirect_url,
            fallback_url: &gatehouse.config.instance.after_sign_up_url,
            organization: organization.as_ref(),
        },
        now,
    )
    .await
}
