//! Sign-up with email and password: `create` → code emailed (status `missing_requirements`,
//! `unverified_fields = ["email_address"]`) → `verify_email_code` → `complete` → `finalize`
//! creates the user and the session. Abandoned after 24 hours.
//!
//! A taken email proceeds exactly like a new one (the owner is mailed a notice instead of a
//! code), so sign-up never reveals which addresses have accounts.

use serde::{Deserialize, Serialize};

use super::{
    codes::{self, CodeState},
    email::normalize_email,
    ids::new_id,
    password::validate_new_password,
    session::{self, FinalizeRequest, Finalized},
    Gatehouse, Timestamp,
};
use crate::{
    mail::templates,
    model::{limits::NAME_MAX_CHARS, AuthError, GatehouseError, SignUpStatus},
    store::{SignUpRecord, SIGN_UP_EMAIL},
};

/// Hours after which an unfinished sign-up is abandoned.
pub const ABANDON_AFTER_SECONDS: i64 = 24 * 3600;

/// What the sign-up form sends.
#[derive(Clone, Debug, Default)]
pub struct SignUpForm {
    /// Email address.
    pub email_address: String,
    /// Password.
    pub password: String,
    /// Optional first name.
    pub first_name: Option<String>,
    /// Optional last name.
    pub last_name: Option<String>,
}

/// A sign-up attempt as the browser sees it (Clerk's `SignUp` resource, trimmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpView {
    /// Attempt id (`sua_…`).
    pub id: String,
    /// Status.
    pub status: SignUpStatus,
    /// Fields still to verify.
    pub unverified_fields: Vec<String>,
    /// The address the code went to.
    pub email_address: String,
}

fn view_of(record: &SignUpRecord, now: Timestamp) -> SignUpView {
    let status = status_at(record, now);
    SignUpView {
        id: record.id.clone(),
        status,
        unverified_fields: if status == SignUpStatus::MissingRequirements {
            vec!["email_address".to_string()]
        } else {
            Vec::new()
        },
        email_address: record.email.clone(),
    }
}

/// The attempt's status at `now` (abandoned after 24 h of inactivity unless complete).
pub fn status_at(record: &SignUpRecord, now: Timestamp) -> SignUpStatus {
    if record.status != SignUpStatus::Complete && now >= record.abandon_at {
        SignUpStatus::Abandoned
    } else {
        record.status
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

/// Validates the whole form, reporting every field's error at once.
pub fn validate(form: SignUpForm, reject_compromised: bool) -> Result<SignUpForm, GatehouseError> {
    let mut errors = Vec::new();
    let email = normalize_email(&form.email_address, "email_address")
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(error) = validate_new_password(&form.password, reject_compromised) {
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
    client_id: &str,
    form: SignUpForm,
    now: Timestamp,
) -> Result<SignUpView, GatehouseError> {
    let form = validate(form, gatehouse.config.passwords.reject_compromised)?;
    let password_hash = gatehouse.hasher.hash(form.password).await?;
    let existing_user = gatehouse
        .store
        .find_user_by_email(&form.email_address)
        .await?;
    let id = new_id("sua");
    let code = codes::generate_code();
    let record = SignUpRecord {
        id: id.clone(),
        client_id: client_id.to_string(),
        email: form.email_address.clone(),
        password_hash,
        first_name: form.first_name,
        last_name: form.last_name,
        status: SignUpStatus::MissingRequirements,
        existing_user_id: existing_user.as_ref().map(|user| user.id.clone()),
        created_user_id: None,
        abandon_at: now + ABANDON_AFTER_SECONDS,
        code: CodeState::issue(&id, &code, now),
    };
    gatehouse.store.insert_sign_up(&record, now).await?;
    send_code_or_notice(gatehouse, &record, &code).await;
    Ok(view_of(&record, now))
}

async fn send_code_or_notice(gatehouse: &Gatehouse, record: &SignUpRecord, code: &str) {
    let email = if record.existing_user_id.is_some() {
        // The owner learns someone tried; the requester sees the same "check your email" step.
        templates::sign_up_for_existing_account(&record.email, &gatehouse.config.instance)
    } else {
        templates::verification_code(&record.email, code)
    };
    gatehouse.mailer.send(email).await;
}

/// The client's newest sign-up, unless abandoned.
async fn live_attempt(
    gatehouse: &Gatehouse,
    client_id: &str,
    now: Timestamp,
) -> Result<Option<SignUpRecord>, AuthError> {
    Ok(gatehouse
        .store
        .latest_sign_up(client_id)
        .await?
        .filter(|record| status_at(record, now) != SignUpStatus::Abandoned))
}

async fn current_attempt(
    gatehouse: &Gatehouse,
    client_id: &str,
    now: Timestamp,
) -> Result<SignUpRecord, AuthError> {
    live_attempt(gatehouse, client_id, now)
        .await?
        .ok_or_else(AuthError::no_attempt)
}

/// The sign-up in progress on this browser, if any.
pub async fn current(
    gatehouse: &Gatehouse,
    client_id: &str,
    now: Timestamp,
) -> Result<Option<SignUpView>, AuthError> {
    Ok(live_attempt(gatehouse, client_id, now)
        .await?
        .filter(|record| record.created_user_id.is_none())
        .map(|record| view_of(&record, now)))
}

/// Checks the emailed code; on success the attempt is `complete`.
pub async fn verify_email_code(
    gatehouse: &Gatehouse,
    client_id: &str,
    code: &str,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let mut record = current_attempt(gatehouse, client_id, now).await?;
    if record.status == SignUpStatus::Complete {
        return Err(AuthError::verification_already_verified());
    }
    codes::verify(gatehouse, &record.id, SIGN_UP_EMAIL, code, now).await?;
    gatehouse
        .store
        .set_sign_up_status(&record.id, SignUpStatus::Complete, now)
        .await?;
    record.status = SignUpStatus::Complete;
    Ok(view_of(&record, now))
}

/// Sends a new code (at most every 30 s, at most 3 times); earlier codes stop working and the
/// wrong-try count carries over.
pub async fn resend_code(
    gatehouse: &Gatehouse,
    client_id: &str,
    now: Timestamp,
) -> Result<SignUpView, AuthError> {
    let record = current_attempt(gatehouse, client_id, now).await?;
    if record.status == SignUpStatus::Complete {
        return Err(AuthError::verification_already_verified());
    }
    let code = codes::resend(gatehouse, &record.id, SIGN_UP_EMAIL, now).await?;
    send_code_or_notice(gatehouse, &record, &code).await;
    Ok(view_of(&record, now))
}

/// Turns a complete sign-up into a user (email verified) and a session.
pub async fn finalize(
    gatehouse: &Gatehouse,
    client_id: &str,
    redirect_url: Option<&str>,
    now: Timestamp,
) -> Result<Finalized, AuthError> {
    let record = current_attempt(gatehouse, client_id, now).await?;
    if record.status != SignUpStatus::Complete || record.existing_user_id.is_some() {
        return Err(AuthError::new(crate::model::ErrorCode::SignUpNotComplete));
    }
    if record.created_user_id.is_some() {
        return Err(AuthError::no_attempt());
    }
    let user_id = gatehouse
        .store
        .create_user_from_sign_up(&record, now)
        .await?
        .ok_or_else(|| AuthError::identifier_exists("email_address"))?;
    session::finalize(
        gatehouse,
        FinalizeRequest {
            client_id,
            user_id: &user_id,
            first_factor_at: now,
            second_factor_at: None,
            redirect_url,
            fallback_url: &gatehouse.config.instance.after_sign_up_url,
        },
        now,
    )
    .await
}
