//! The user's own account (`<UserProfile/>`): reverification, and the changes it guards.
//!
//! A sensitive change (the list is [`SensitiveChange`]) first asks [`AccountHolder::require`]:
//! the session must have verified its factors recently enough for `account.reverification`
//! (Clerk's rule, in [`Reverification::needed`]). Otherwise the answer is `session_reverification_required`
//! (HTTP 403 with Clerk's body) and the browser re-verifies with [`reverify`] — a password, an
//! authenticator code or a backup code, counted toward the lockout like any guess — then retries.

use super::{
    audit::{self, AuditKind},
    codes, emails, lockout, mfa,
    notices::SecurityNotice,
    passkeys,
    ports::{CodeKey, ExternalAccountRow, NewBackupCodes, Unlink, VerifiedFactor},
    secret::Secret,
    sensitive::SensitiveChange,
    sign_in,
    tasks::{self, NewPassword},
    Gatehouse, Timestamp,
};
pub use super::{holder::AccountHolder, notices::describe_last_active};
use crate::model::{
    account::{AccountProfile, MfaSetup, MfaSetupProgress},
    limits::PASSWORD_MAX_CHARS,
    AuthError, AuthSnapshot, ErrorCode, FactorAges, GatehouseError, Notice, Reverification,
    SessionId,
};

pub use super::notices::describe_user_agent;

/// What the delete-account form's confirmation field must read.
pub const DELETE_CONFIRMATION: &str = "Delete account";

/// Refuses a delete-account form whose confirmation does not read [`DELETE_CONFIRMATION`].
pub fn check_delete_confirmation(confirmation: &str) -> Result<(), AuthError> {
    match confirmation.trim() == DELETE_CONFIRMATION {
        true => Ok(()),
        false => Err(AuthError::param_format_invalid("confirmation")),
    }
}

/// What the account page shows beside the session's own data.
#[derive(Clone, Debug)]
pub struct AccountFacts {
    /// The user has a password.
    pub has_password: bool,
    /// The user has an authenticator app.
    pub second_factor_enabled: bool,
    /// Backup codes not used yet.
    pub unused_backup_codes: u32,
    /// Linked external accounts.
    pub external_accounts: Vec<ExternalAccountRow>,
}

/// The holder's account facts.
pub async fn facts(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
) -> Result<AccountFacts, AuthError> {
    let user = gatehouse
        .store
        .find_user_by_email(&holder.email)
        .await?
        .filter(|user| user.id == holder.user_id)
        .ok_or_else(AuthError::unauthorized)?;
    Ok(AccountFacts {
        has_password: user.password_hash.is_some(),
        second_factor_enabled: user.second_factor_enabled,
        unused_backup_codes: gatehouse.store.unused_backup_codes(&holder.user_id).await?,
        external_accounts: gatehouse
            .store
            .list_external_accounts(&holder.user_id)
            .await?,
    })
}

/// How the session re-verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReverifyStrategy {
    /// The password (the first factor).
    Password,
    /// An authenticator code (the second factor).
    Totp,
    /// A backup code (the second factor; used up).
    BackupCode,
    /// An emailed code: the first factor of a user without a password (SSO only).
    EmailCode,
}

impl ReverifyStrategy {
    /// `password`, `totp`, `backup_code` or `email_code`; anything else is `request_invalid`.
    pub fn parse(strategy: &str) -> Result<Self, AuthError> {
        match strategy {
            "password" => Ok(Self::Password),
            "totp" => Ok(Self::Totp),
            "backup_code" => Ok(Self::BackupCode),
            "email_code" => Ok(Self::EmailCode),
            _ => Err(AuthError::request_invalid(
                "unknown reverification strategy",
            )),
        }
    }
}

/// Refuses with `session_reverification_required` (naming `reverification`) unless the holder's
/// session verified its factors recently enough. For an app's own server functions (its own
/// requirement); the kit's changes ask [`AccountHolder::require`] with their [`SensitiveChange`].
pub fn require_reverification(
    holder: &AccountHolder,
    reverification: Reverification,
) -> Result<(), AuthError> {
    if reverification.is_fresh(holder.factor_verification_age) {
        Ok(())
    } else {
        Err(AuthError::reverification_required(reverification))
    }
}

/// Emails the holder a code that re-verifies their first factor — for a user without a
/// password (signed up with SSO), whose mailbox is that factor. While a code is live this is a
/// resend (at most every 30 seconds, at most 3 times); otherwise a new code. A user with a
/// password re-verifies with it: `request_invalid`.
pub async fn send_reverification_code(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<(), AuthError> {
    if gatehouse
        .store
        .password_hash(&holder.user_id)
        .await?
        .is_some()
    {
        return Err(AuthError::request_invalid(
            "a user with a password re-verifies with it",
        ));
    }
    let key = CodeKey::reverification(&holder.session_id);
    let live = gatehouse
        .store
        .code_state(key)
        .await?
        .is_some_and(|state| state.refusal(now).is_none());
    let code = if live {
        codes::resend(gatehouse, key, now).await?
    } else {
        let code = codes::generate_code();
        let state = codes::CodeState::issue(key.attempt_id, code.expose(), now);
        gatehouse.store.insert_code(key, &state).await?;
        code
    };
    let email = emails::reverification_code(&holder.email, code.expose());
    gatehouse.mailer.send(email);
    Ok(())
}

/// Re-verifies one factor of the holder's session at `now`: the password or an emailed code
/// (first factor), or an authenticator or backup code (second factor). Every wrong answer
/// counts toward the lockout (and an emailed code also allows only 5 tries).
pub async fn reverify(
    gatehouse: &Gatehouse,
    holder: &mut AccountHolder,
    strategy: ReverifyStrategy,
    secret: Secret<String>,
    now: Timestamp,
) -> Result<(), AuthError> {
    let param = match strategy {
        ReverifyStrategy::Password => "password",
        ReverifyStrategy::Totp | ReverifyStrategy::BackupCode | ReverifyStrategy::EmailCode => {
            "code"
        }
    };
    let answer = secret.expose().trim().to_string();
    if answer.is_empty() {
        return Err(AuthError::param_missing(param));
    }
    let guess = lockout::reserve(gatehouse, &holder.email, now).await?;
    let (accepted, factor) = match strategy {
        ReverifyStrategy::Password => {
            let valid = secret.expose().chars().count() <= PASSWORD_MAX_CHARS
                && gatehouse
                    .hasher
                    .verify(
                        secret,
                        gatehouse.store.password_hash(&holder.user_id).await?,
                    )
                    .await?;
            (valid, VerifiedFactor::First)
        }
        ReverifyStrategy::Totp => (
            sign_in::verify_totp(gatehouse, &holder.user_id, &answer, now).await?,
            VerifiedFactor::Second,
        ),
        ReverifyStrategy::BackupCode => {
            let hash = mfa::hash_backup_code(&holder.user_id, &answer);
            let used = gatehouse
                .store
                .consume_backup_code(&holder.user_id, &hash, now)
                .await?;
            (used, VerifiedFactor::Second)
        }
        ReverifyStrategy::EmailCode => {
            let key = CodeKey::reverification(&holder.session_id);
            match codes::verify(gatehouse, key, &answer, now).await {
                Ok(()) => (true, VerifiedFactor::First),
                // A wrong code, or one spent by wrong codes, counts toward the lockout.
                Err(error)
                    if matches!(
                        error.code,
                        ErrorCode::FormCodeIncorrect | ErrorCode::VerificationFailed
                    ) =>
                {
                    return Err(guess.failed(error));
                }
                // Expired, used up or never sent: not a guess.
                Err(error) => {
                    guess.released(gatehouse).await?;
                    return Err(error);
                }
            }
        }
    };
    if !accepted {
        let wrong = match strategy {
            ReverifyStrategy::Password => AuthError::password_incorrect().for_param("password"),
            _ => AuthError::new(ErrorCode::FormCodeIncorrect).for_param("code"),
        };
        return Err(guess.failed(wrong));
    }
    guess.succeeded(gatehouse).await?;
    gatehouse
        .store
        .mark_factor_verified(&holder.session_id, factor, now)
        .await?;
    // The rest of this request sees the fresh age, as the next request will.
    if let Some(ages) = holder.factor_verification_age.as_mut() {
        match factor {
            VerifiedFactor::First => ages.first = Some(0),
            VerifiedFactor::Second if ages.second.is_some() => ages.second = Some(0),
            VerifiedFactor::Second => {}
        }
    }
    tracing::info!(user_id = %holder.user_id, ?factor, "session re-verified");
    Ok(())
}

/// Sets the holder's first and last name (empty clears one).
pub async fn update_name(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    first_name: Option<String>,
    last_name: Option<String>,
    now: Timestamp,
) -> Result<(), GatehouseError> {
    let (first_name, last_name) = super::sign_up::clean_names(first_name, last_name)?;
    gatehouse
        .store
        .update_name(
            &holder.user_id,
            first_name.as_deref(),
            last_name.as_deref(),
            now,
        )
        .await?;
    Ok(())
}

/// Changes the password (after reverification); with `sign_out_of_other_sessions` (checked by
/// default) every other session of the user ends.
pub async fn change_password(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    form: NewPassword,
    now: Timestamp,
) -> Result<(), GatehouseError> {
    holder.require(SensitiveChange::ChangePassword, &gatehouse.config)?;
    tasks::validate_new_password_form(&form, gatehouse.config.passwords.reject_compromised)?;
    let current = gatehouse.store.password_hash(&holder.user_id).await?;
    if current.is_some()
        && gatehouse
            .hasher
            .verify(form.new_password.clone(), current)
            .await?
    {
        return Err(AuthError::new_password_matches_current().into());
    }
    let hash = gatehouse.hasher.hash(form.new_password).await?;
    gatehouse
        .store
        .replace_password(
            &holder.user_id,
            &hash,
            Some(&holder.session_id),
            form.sign_out_of_other_sessions,
            now,
        )
        .await?;
    tracing::info!(user_id = %holder.user_id, signed_out_others = form.sign_out_of_other_sessions, "password changed");
    holder.audit(gatehouse, AuditKind::PasswordChanged, now);
    holder.notify(gatehouse, SecurityNotice::PasswordChanged, now);
    Ok(())
}

/// Starts adding an authenticator app (after reverification, or as the `setup-mfa` task): the
/// secret and its QR code, kept until the first code from the app confirms it
/// ([`confirm_totp`]).
pub async fn add_totp(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<mfa::Enrollment, AuthError> {
    // Already on: said before any reverification is asked for.
    let factor = gatehouse.store.totp_factor(&holder.user_id).await?;
    if factor.is_some_and(|factor| factor.verified) {
        return Err(AuthError::new(ErrorCode::TotpAlreadyEnabled));
    }
    holder.require(SensitiveChange::AddSecondFactor, &gatehouse.config)?;
    mfa::start_enrollment(gatehouse, &holder.user_id, &holder.email, now).await
}

/// The authenticator app being added (its secret, before its first code), shown only to a
/// session that may add it now: a stale session never reads a secret that is about to become
/// the account's second factor.
pub async fn pending_totp(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
) -> Result<Option<mfa::Enrollment>, AuthError> {
    if holder
        .require(SensitiveChange::AddSecondFactor, &gatehouse.config)
        .is_err()
    {
        return Ok(None);
    }
    mfa::pending_enrollment(gatehouse, &holder.user_id, &holder.email).await
}

/// Confirms the authenticator app with its first code (after reverification, or as the
/// `setup-mfa` task): two-step verification is on, the owner is emailed, and the 10 backup codes
/// are returned. The session's second factor is not "just verified" by this: only a sign-in or
/// the reverification prompt makes a session fresh.
pub async fn confirm_totp(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    code: &str,
    now: Timestamp,
) -> Result<Vec<String>, AuthError> {
    holder.require(SensitiveChange::AddSecondFactor, &gatehouse.config)?;
    let codes = mfa::confirm_enrollment(
        gatehouse,
        &holder.user_id,
        &holder.email,
        &holder.session_id,
        code,
        now,
    )
    .await?;
    holder.notify(gatehouse, SecurityNotice::SecondFactorAdded, now);
    holder.audit(gatehouse, AuditKind::SecondFactorAdded, now);
    Ok(codes)
}

/// Replaces the holder's backup codes with 10 new ones (after reverification); the old ones stop
/// working at once. The new codes are returned and wait for this session to show them, like the
/// codes of an enrolment.
pub async fn regenerate_backup_codes(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<Vec<String>, AuthError> {
    holder.require(SensitiveChange::RegenerateBackupCodes, &gatehouse.config)?;
    let (codes, hashes) = mfa::issue_backup_codes(&holder.user_id);
    let replaced = gatehouse
        .store
        .replace_backup_codes(NewBackupCodes {
            user_id: &holder.user_id,
            session_id: &holder.session_id,
            hashes: &hashes,
            codes: &codes,
            reveal_until: now + mfa::BACKUP_CODE_REVEAL_SECONDS,
        })
        .await?;
    if !replaced {
        return Err(AuthError::not_found());
    }
    tracing::info!(user_id = %holder.user_id, "backup codes regenerated");
    holder.audit(gatehouse, AuditKind::BackupCodesRegenerated, now);
    Ok(codes.into_exposed())
}

/// Removes the holder's authenticator app and backup codes (after reverification), unless the
/// instance requires two-step verification (`mfa_required`).
pub async fn remove_totp(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<(), AuthError> {
    holder.require(SensitiveChange::RemoveSecondFactor, &gatehouse.config)?;
    if gatehouse.config.mfa.required {
        return Err(AuthError::new(ErrorCode::MfaRequired));
    }
    if !gatehouse
        .store
        .remove_second_factor(&holder.user_id, now)
        .await?
    {
        return Err(AuthError::not_found());
    }
    tracing::info!(user_id = %holder.user_id, "authenticator app removed");
    holder.audit(gatehouse, AuditKind::SecondFactorRemoved, now);
    holder.notify(gatehouse, SecurityNotice::SecondFactorRemoved, now);
    Ok(())
}

/// One of the user's signed-in browsers, as "Active devices" lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveDevice {
    /// The session on that browser.
    pub session_id: SessionId,
    /// "Chrome on Linux" (from the user agent; "Unknown browser" without one).
    pub browser: String,
    /// The IP address it last came from.
    pub ip_address: Option<String>,
    /// When it was last active (its session's start at the latest).
    pub last_active_at: Timestamp,
    /// It is the browser asking.
    pub this_device: bool,
}

/// Every live session of the holder, most recently active first.
pub async fn active_devices(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<Vec<ActiveDevice>, AuthError> {
    let rows = gatehouse
        .store
        .list_user_sessions(&holder.user_id, now)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| ActiveDevice {
            this_device: row.session_id == holder.session_id,
            browser: describe_user_agent(row.user_agent.as_deref()),
            ip_address: row.ip_address,
            last_active_at: row.last_active_at.unwrap_or(0).max(row.created_at),
            session_id: row.session_id,
        })
        .collect())
}

/// Signs another of the holder's devices out (after reverification). Only the holder's own
/// sessions can be ended (anyone else's answers `not_found`, as a missing one does); this
/// browser's session ends with "Sign out" instead.
pub async fn revoke_session(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    session_id: &SessionId,
    now: Timestamp,
) -> Result<(), AuthError> {
    holder.require(SensitiveChange::RevokeOtherSession, &gatehouse.config)?;
    if *session_id == holder.session_id {
        return Err(AuthError::request_invalid(
            "this device's session ends with Sign out",
        ));
    }
    if !gatehouse
        .store
        .end_session_of_user(&holder.user_id, session_id, now)
        .await?
    {
        return Err(AuthError::not_found());
    }
    tracing::info!(user_id = %holder.user_id, %session_id, "session revoked from the account page");
    let event = holder
        .event(AuditKind::SessionRevoked)
        .detail(session_id.as_str());
    audit::record(gatehouse, event, now);
    Ok(())
}

/// Unlinks an external account of the holder (after reverification); never their last way to
/// sign in.
pub async fn unlink_external_account(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    external_account_id: &str,
    now: Timestamp,
) -> Result<(), AuthError> {
    holder.require(SensitiveChange::UnlinkExternalAccount, &gatehouse.config)?;
    match gatehouse
        .store
        .unlink_external_account(&holder.user_id, external_account_id)
        .await?
    {
        Unlink::Removed => {
            tracing::info!(user_id = %holder.user_id, "external account unlinked");
            holder.audit(gatehouse, AuditKind::ExternalAccountUnlinked, now);
            Ok(())
        }
        Unlink::LastWayToSignIn => Err(AuthError::new(ErrorCode::IdentificationDeletionFailed)),
        Unlink::NotFound => Err(AuthError::not_found()),
    }
}

/// Deletes the holder's account (after reverification): the user, their sessions everywhere,
/// memberships, factors and links go with it.
pub async fn delete_account(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<(), AuthError> {
    holder.require(SensitiveChange::DeleteAccount, &gatehouse.config)?;
    gatehouse.store.delete_user(&holder.user_id).await?;
    tracing::info!(user_id = %holder.user_id, "account deleted");
    holder.audit(gatehouse, AuditKind::AccountDeleted, now);
    Ok(())
}

/// The answers a plain form sends along with a protected change: the first factor (the
/// password, or for a user without one the code emailed to them) and the second (an
/// authenticator code, or a backup code).
#[derive(Clone, Debug, Default)]
pub struct ReverifyAnswers {
    /// `reverify_password`.
    pub first_factor: Option<Secret<String>>,
    /// `reverify_code`.
    pub second_factor: Option<Secret<String>>,
    /// The user has no password: the first factor is an emailed code.
    pub by_email: bool,
}

impl ReverifyStrategy {
    /// The second-factor strategy a code is for: six digits are an authenticator code, anything
    /// else a backup code.
    pub fn for_second_factor(code: &str) -> Self {
        let code = code.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Self::Totp
        } else {
            Self::BackupCode
        }
    }
}

/// Re-verifies the holder's session with the answers sent along, if any. A refusal belongs to
/// the field that was wrong (`reverify_password` or `reverify_code`) and names the requirement,
/// so the form's page asks again with the error next to that field.
pub async fn reverify_answers(
    gatehouse: &Gatehouse,
    holder: &mut AccountHolder,
    answers: ReverifyAnswers,
    now: Timestamp,
) -> Result<(), AuthError> {
    let requirement = gatehouse.config.account.reverification;
    let still_asking = |field: &'static str| {
        move |refused: AuthError| {
            AuthError::with_meta(
                refused.code,
                crate::model::ErrorMeta {
                    param_name: Some(field.to_string()),
                    reverification: Some(requirement),
                    ..refused.meta
                },
            )
        }
    };
    if let Some(answer) = answers.first_factor {
        let strategy = if answers.by_email {
            ReverifyStrategy::EmailCode
        } else {
            ReverifyStrategy::Password
        };
        reverify(gatehouse, holder, strategy, answer, now)
            .await
            .map_err(still_asking("reverify_password"))?;
    }
    if let Some(code) = answers.second_factor {
        let code = Secret::new(code.expose().trim().to_string());
        let strategy = ReverifyStrategy::for_second_factor(code.expose());
        reverify(gatehouse, holder, strategy, code, now)
            .await
            .map_err(still_asking("reverify_code"))?;
    }
    Ok(())
}

/// What a page asking to re-verify needs first: a user without a password whose first factor
/// is stale proves it with a code, emailed now.
pub async fn prepare_reverification(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    snapshot: &AuthSnapshot,
    requirement: Reverification,
    now: Timestamp,
) -> Result<(), AuthError> {
    if snapshot.reverifies_by_email() && requirement.needed(snapshot.factor_verification_age).first
    {
        send_reverification_code(gatehouse, holder, now).await?;
    }
    Ok(())
}

/// The account page's data: the profile, two-step verification (an enrolment in progress
/// only for a session that may add it, backup codes waiting for this session), connected
/// accounts by their connection's name, and every signed-in browser.
pub async fn overview(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    user: Option<crate::model::UserSummary>,
    now: Timestamp,
) -> Result<AccountProfile, AuthError> {
    let facts = facts(gatehouse, holder).await?;
    let user = user.unwrap_or_else(|| crate::model::UserSummary {
        id: holder.user_id.clone(),
        email_address: holder.email.clone(),
        first_name: None,
        last_name: None,
        password_enabled: facts.has_password,
    });
    let backup_codes = mfa::backup_codes_to_show(gatehouse, &holder.session_id, now).await?;
    let totp_setup = pending_totp(gatehouse, holder).await?.map(MfaSetup::from);
    let devices = active_devices(gatehouse, holder, now)
        .await?
        .into_iter()
        .map(|device| crate::model::account::ActiveDevice {
            session_id: device.session_id.to_string(),
            browser: device.browser,
            ip_address: device.ip_address,
            last_active: describe_last_active(device.last_active_at, now),
            this_device: device.this_device,
        })
        .collect();
    let sso = &gatehouse.config.sso;
    Ok(AccountProfile {
        first_name: user.first_name,
        last_name: user.last_name,
        email_address: user.email_address,
        has_password: facts.has_password,
        second_factor_enabled: facts.second_factor_enabled,
        unused_backup_codes: facts.unused_backup_codes,
        mfa_required: gatehouse.config.mfa.required,
        totp_setup,
        backup_codes,
        external_accounts: facts
            .external_accounts
            .into_iter()
            .map(|row| crate::model::account::ExternalAccount {
                provider_name: sso
                    .connection(&row.provider)
                    .map_or_else(|| row.provider.clone(), |c| c.name.clone()),
                id: row.id,
                email_address: row.email,
            })
            .collect(),
        devices,
        passkeys: passkeys::list(gatehouse, holder, now).await?,
        passkeys_available: gatehouse.config.passkeys_available(),
        activity: audit::user_activity(gatehouse, &holder.user_id, &holder.email, 20, now).await?,
    })
}

impl From<mfa::Enrollment> for MfaSetup {
    fn from(enrollment: mfa::Enrollment) -> Self {
        Self {
            secret: enrollment.secret,
            uri: enrollment.uri,
            qr_svg: enrollment.qr_svg,
        }
    }
}

/// Re-verifies the session (`use_reverification`'s prompt) and answers with its fresh factor
/// ages. An empty emailed code asks for one to be sent (Clerk's prepare, then attempt).
pub async fn reverify_session(
    gatehouse: &Gatehouse,
    mut holder: AccountHolder,
    strategy: ReverifyStrategy,
    code: Secret<String>,
    now: Timestamp,
) -> Result<FactorAges, AuthError> {
    if strategy == ReverifyStrategy::EmailCode && code.expose().trim().is_empty() {
        send_reverification_code(gatehouse, &holder, now).await?;
    } else {
        reverify(gatehouse, &mut holder, strategy, code, now).await?;
    }
    Ok(holder.factor_verification_age.unwrap_or(FactorAges::NEVER))
}

/// A change the account page makes, each guarded by its own rule (most are a
/// [`SensitiveChange`]); [`change`] is the one entry point for all of them but deletion, which
/// also ends the browser's session.
#[derive(Debug)]
pub enum AccountChange {
    /// First and last name.
    UpdateName {
        /// The first name (empty clears it).
        first_name: Option<String>,
        /// The last name (empty clears it).
        last_name: Option<String>,
    },
    /// A new password (or a first one).
    ChangePassword(NewPassword),
    /// An SSO connection removed (never the last way in).
    UnlinkExternalAccount {
        /// The external account's id.
        external_account_id: String,
    },
    /// The two-step verification section.
    TwoStep(TwoStepChange),
    /// Another device of the user signed out.
    RevokeSession(SessionId),
    /// A passkey added: the browser's answer to the ceremony of
    /// `passkeys::registration_options`, made on `client_id`.
    AddPasskey {
        /// The browser.
        client_id: crate::model::ClientId,
        /// The ceremony's id.
        ceremony: String,
        /// The browser's `PublicKeyCredential`, as JSON.
        credential: String,
    },
    /// A passkey renamed.
    RenamePasskey {
        /// The passkey's id.
        passkey_id: String,
        /// Its new name.
        name: String,
    },
    /// A passkey removed.
    RemovePasskey {
        /// The passkey's id.
        passkey_id: String,
    },
}

/// Makes `change` for `holder`, and says what the page shows once it is done.
pub async fn change(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    change: AccountChange,
    now: Timestamp,
) -> Result<Notice, GatehouseError> {
    Ok(match change {
        AccountChange::UpdateName {
            first_name,
            last_name,
        } => {
            update_name(gatehouse, holder, first_name, last_name, now).await?;
            Notice::ProfileUpdated
        }
        AccountChange::ChangePassword(form) => {
            change_password(gatehouse, holder, form, now).await?;
            Notice::PasswordUpdated
        }
        AccountChange::UnlinkExternalAccount {
            external_account_id,
        } => {
            unlink_external_account(gatehouse, holder, &external_account_id, now).await?;
            Notice::ConnectionRemoved
        }
        // The page shows the secret or the new codes from the profile (kept for this session).
        AccountChange::TwoStep(two_step) => {
            change_two_step(gatehouse, holder, two_step, now).await?;
            match two_step {
                TwoStepChange::Add => Notice::AuthenticatorStarted,
                TwoStepChange::RegenerateBackupCodes => Notice::BackupCodesRegenerated,
                TwoStepChange::Remove => Notice::AuthenticatorRemoved,
            }
        }
        AccountChange::RevokeSession(session_id) => {
            revoke_session(gatehouse, holder, &session_id, now).await?;
            Notice::DeviceSignedOut
        }
        AccountChange::AddPasskey {
            client_id,
            ceremony,
            credential,
        } => passkeys::add(gatehouse, holder, &client_id, &ceremony, &credential, now).await?,
        AccountChange::RenamePasskey { passkey_id, name } => {
            passkeys::rename(gatehouse, holder, &passkey_id, &name).await?
        }
        AccountChange::RemovePasskey { passkey_id } => {
            passkeys::remove(gatehouse, holder, &passkey_id, now).await?
        }
    })
}

/// Where the session's authenticator set-up stands: the backup codes while they are still to
/// be shown, else the enrolment in progress (its secret only for a session that may add it).
pub async fn mfa_progress(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<MfaSetupProgress, AuthError> {
    let backup_codes = mfa::backup_codes_to_show(gatehouse, &holder.session_id, now).await?;
    let pending = match backup_codes {
        Some(_) => None,
        None => pending_totp(gatehouse, holder).await?.map(MfaSetup::from),
    };
    Ok(MfaSetupProgress {
        pending,
        backup_codes,
    })
}

/// A change of the two-step verification section (its form's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoStepChange {
    /// "Add authenticator app".
    Add,
    /// "Regenerate backup codes".
    RegenerateBackupCodes,
    /// "Remove authenticator app".
    Remove,
}

impl TwoStepChange {
    /// `add`, `regenerate_backup_codes` or `remove`; anything else is `request_invalid`.
    pub fn parse(action: &str) -> Result<Self, AuthError> {
        match action {
            "add" => Ok(Self::Add),
            "regenerate_backup_codes" => Ok(Self::RegenerateBackupCodes),
            "remove" => Ok(Self::Remove),
            _ => Err(AuthError::request_invalid("unknown two-step action")),
        }
    }
}

/// Makes a change of the two-step verification section (each one a sensitive change).
pub async fn change_two_step(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    change: TwoStepChange,
    now: Timestamp,
) -> Result<(), AuthError> {
    match change {
        TwoStepChange::Add => add_totp(gatehouse, holder, now).await.map(drop),
        TwoStepChange::RegenerateBackupCodes => regenerate_backup_codes(gatehouse, holder, now)
            .await
            .map(drop),
        TwoStepChange::Remove => remove_totp(gatehouse, holder, now).await,
    }
}
