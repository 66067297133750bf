//! Passkeys (SPEC §2.11): WebAuthn discoverable credentials, verified by webauthn-rs with its
//! safe defaults (user verification required, the instance's origin and RP id only).
//!
//! A ceremony is two requests: its options (a challenge), then the browser's answer. The
//! ceremony's state stays on the server, in the database ([`CeremonyRow`]), so the answer may
//! land on any instance; it is taken once, by the browser (client) that asked, for the kind it
//! was made for — a registration challenge never signs in, and the other way round — within
//! [`CEREMONY_TTL_SECONDS`]. Of two parallel answers to one challenge, one gets the state.
//!
//! A passkey is a first factor: a user with an authenticator app is still asked for its code
//! unless `passkeys.count_as_second_factor`. Client trust asks nothing after one (it proves the
//! device). A failed assertion counts toward the owner's lockout as a wrong password does.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

use super::{
    audit::AuditKind,
    email::normalize_email,
    holder::AccountHolder,
    ids::new_row_id,
    lockout,
    notices::{describe_last_active, SecurityNotice},
    ports::{CeremonyKind, CeremonyRow, PasskeyCreation, PasskeyRow, MAX_PASSKEYS},
    sensitive::SensitiveChange,
    session,
    sign_in::{self, FirstFactorFacts, SignIn, SignInView},
    Gatehouse, Timestamp,
};
use crate::{
    config::Config,
    model::{
        account::PasskeySummary, flow::PasskeyOptions, AuthError, ClientId, ErrorCode,
        GatehouseError, Notice, SignInStatus,
    },
};

/// How long a ceremony's challenge may be answered.
pub const CEREMONY_TTL_SECONDS: i64 = 5 * 60;
/// Longest passkey name.
const NAME_MAX_CHARS: usize = 64;
/// The name of a passkey whose authenticator model is not known.
const DEFAULT_NAME: &str = "Passkey";

/// A registration ceremony's state: webauthn-rs' own, and the user handle it was made with.
#[derive(Serialize, Deserialize)]
struct Registration {
    handle: Uuid,
    state: PasskeyRegistration,
}

/// A sign-in ceremony's state: webauthn-rs' own, and the email typed before "Use passkey"
/// (only that account's passkey may answer it).
#[derive(Serialize, Deserialize)]
struct Authentication {
    identifier: Option<String>,
    state: DiscoverableAuthentication,
}

/// What the kit's script posts when the browser refused a ceremony (not a cancel: that posts
/// nothing): the `DOMException`'s name.
#[derive(Deserialize)]
struct BrowserRefusal {
    error: String,
}

fn passkeys_not_enabled() -> AuthError {
    AuthError::new(ErrorCode::PasskeysNotEnabled)
}

fn registration_failure() -> AuthError {
    AuthError::new(ErrorCode::PasskeyRegistrationFailure)
}

fn authentication_failure() -> AuthError {
    AuthError::new(ErrorCode::PasskeyAuthenticationFailure)
}

/// What a passkey sign-in led to.
#[derive(Debug)]
pub enum PasskeySignIn {
    /// An attempt past its first factor.
    Attempt(SignInView),
    /// The passkey's owner has a session on this browser already (nothing was verified: the
    /// ceremony is spent and the session is to be made current).
    AlreadySignedIn {
        /// The owner's email.
        email: String,
    },
}

/// The relying party: RP id and origin from `instance.public_url`.
fn relying_party(config: &Config) -> Result<Webauthn, AuthError> {
    let rp_id = config
        .instance
        .passkey_rp_id()
        .filter(|_| config.passkeys.enabled)
        .ok_or_else(passkeys_not_enabled)?;
    let origin = Url::parse(&config.instance.origin())
        .map_err(|e| super::internal("instance origin unreadable", e))?;
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|builder| builder.rp_name(&rp_id).build())
        .map_err(|e| super::internal("WebAuthn relying party not configured", e))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AuthError> {
    serde_json::to_string(value).map_err(|e| super::internal("passkey state not serializable", e))
}

fn from_json<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, AuthError> {
    serde_json::from_str(json).map_err(|e| super::internal("stored passkey state unreadable", e))
}

/// A credential id as stored: base64url without padding.
fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

async fn keep_ceremony(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    kind: CeremonyKind,
    user_id: Option<crate::model::UserId>,
    state: String,
    options: String,
    now: Timestamp,
) -> Result<PasskeyOptions, AuthError> {
    let row = CeremonyRow {
        id: new_row_id("pkc"),
        client_id: client_id.clone(),
        kind,
        user_id,
        state,
        expires_at: now + CEREMONY_TTL_SECONDS,
    };
    gatehouse.store.insert_ceremony(&row).await?;
    Ok(PasskeyOptions {
        ceremony: row.id,
        options,
    })
}

/// "Add a passkey": the options for `navigator.credentials.create` (reverification first, as
/// for every sensitive change). Discoverable — the authenticator keeps the credential, so it can
/// sign in without an email — and excluding the user's passkeys (the same authenticator twice is
/// refused by the browser, and by [`add`] if it gets that far).
pub async fn registration_options(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    client_id: &ClientId,
    now: Timestamp,
) -> Result<PasskeyOptions, AuthError> {
    holder.require(SensitiveChange::AddPasskey, &gatehouse.config)?;
    let rp = relying_party(&gatehouse.config)?;
    let existing = gatehouse.store.list_passkeys(&holder.user_id).await?;
    if existing.len() >= MAX_PASSKEYS as usize {
        return Err(AuthError::new(ErrorCode::PasskeyQuotaExceeded));
    }
    // The user handle is a random id of the user's own (never the email or the user id), the
    // same for all their passkeys.
    let handle = existing
        .iter()
        .find_map(|row| Uuid::parse_str(&row.user_handle).ok())
        .unwrap_or_else(|| Uuid::from_bytes(rand::random()));
    let exclude = existing
        .iter()
        .filter_map(|row| from_json::<Passkey>(&row.passkey).ok())
        .map(|passkey| passkey.cred_id().clone())
        .collect();
    let (options, state) = rp
        .start_passkey_registration(handle, &holder.email, &holder.email, Some(exclude))
        .map_err(|e| super::internal("passkey registration not started", e))?;
    let options = serde_json::to_value(&options)
        .map_err(|e| super::internal("passkey options not serializable", e))?;
    let options = discoverable(options);
    let state = to_json(&Registration { handle, state })?;
    let user_id = Some(holder.user_id.clone());
    let kind = CeremonyKind::Registration;
    keep_ceremony(
        gatehouse,
        client_id,
        kind,
        user_id,
        state,
        to_json(&options)?,
        now,
    )
    .await
}

/// webauthn-rs asks for `residentKey: discouraged`: a passkey that signs in without an email
/// must be discoverable, so the options ask the authenticator to keep it.
fn discoverable(mut options: serde_json::Value) -> serde_json::Value {
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    options
}

/// The browser's answer to "Add a passkey": verified against the ceremony's challenge, the
/// origin and the RP id, then stored under the authenticator's model name (or "Passkey"). At
/// most [`MAX_PASSKEYS`] (`passkey_quota_exceeded`), no credential twice
/// (`passkey_already_exists`). The owner is emailed.
pub async fn add(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    client_id: &ClientId,
    ceremony: &str,
    credential: &str,
    now: Timestamp,
) -> Result<Notice, GatehouseError> {
    holder.require(SensitiveChange::AddPasskey, &gatehouse.config)?;
    let rp = relying_party(&gatehouse.config)?;
    if credential.trim().is_empty() {
        // The form posted without an answer (its options were refused): say why.
        let count = gatehouse.store.list_passkeys(&holder.user_id).await?.len();
        if count >= MAX_PASSKEYS as usize {
            return Err(AuthError::new(ErrorCode::PasskeyQuotaExceeded).into());
        }
        return Err(AuthError::param_missing("credential").into());
    }
    let kind = CeremonyKind::Registration;
    let taken = gatehouse
        .store
        .take_ceremony(ceremony, client_id, kind, now)
        .await?
        .filter(|row| row.user_id.as_ref() == Some(&holder.user_id));
    if let Ok(refusal) = serde_json::from_str::<BrowserRefusal>(credential) {
        // The browser refused to make one; `InvalidStateError`: this authenticator holds a
        // passkey of the account already (the options excluded it).
        return Err(AuthError::new(if refusal.error == "InvalidStateError" {
            ErrorCode::PasskeyAlreadyExists
        } else {
            ErrorCode::PasskeyRegistrationFailure
        })
        .into());
    }
    let taken = taken.ok_or_else(registration_failure)?;
    let answer: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| registration_failure())?;
    let registration: Registration = from_json(&taken.state)?;
    let passkey = rp
        .finish_passkey_registration(&answer, &registration.state)
        .map_err(|error| {
            tracing::info!(%error, user_id = %holder.user_id, "passkey registration refused");
            registration_failure()
        })?;
    let name = authenticator_model(&answer)
        .unwrap_or(DEFAULT_NAME)
        .to_string();
    let row = PasskeyRow {
        id: new_row_id("passkey"),
        user_id: holder.user_id.clone(),
        credential_id: credential_key(passkey.cred_id()),
        user_handle: registration.handle.to_string(),
        name: name.clone(),
        passkey: to_json(&passkey)?,
        counter: 0,
        flagged_at: None,
        created_at: now,
        last_used_at: None,
    };
    match gatehouse.store.create_passkey(&row).await? {
        PasskeyCreation::Created => {}
        PasskeyCreation::Exists => {
            return Err(AuthError::new(ErrorCode::PasskeyAlreadyExists).into())
        }
        PasskeyCreation::QuotaExceeded => {
            return Err(AuthError::new(ErrorCode::PasskeyQuotaExceeded).into())
        }
    }
    tracing::info!(user_id = %holder.user_id, passkey = %row.id, "passkey added");
    holder.notify(gatehouse, SecurityNotice::PasskeyAdded { name }, now);
    holder.audit(gatehouse, AuditKind::PasskeyAdded, now);
    Ok(Notice::PasskeyAdded)
}

/// The authenticator's model, from the AAGUID in the attestation's authenticator data, for the
/// few whose AAGUID is well known (others, and authenticators that send zeros, are "Passkey").
fn authenticator_model(answer: &RegisterPublicKeyCredential) -> Option<&'static str> {
    use std::collections::BTreeMap;
    let object: BTreeMap<String, serde_cbor_2::Value> =
        serde_cbor_2::from_slice(answer.response.attestation_object.as_ref()).ok()?;
    let serde_cbor_2::Value::Bytes(auth_data) = object.get("authData")? else {
        return None;
    };
    // rpIdHash (32) | flags (1) | signCount (4) | AAGUID (16) | …
    let aaguid = Uuid::from_slice(auth_data.get(37..53)?).ok()?;
    KNOWN_AUTHENTICATORS
        .iter()
        .find(|(id, _)| Uuid::parse_str(id).ok() == Some(aaguid))
        .map(|(_, name)| *name)
}

/// Well-known passkey providers by AAGUID (from the community list of passkey AAGUIDs).
const KNOWN_AUTHENTICATORS: [(&str, &str); 8] = [
    ("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
    (
        "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
        "Google Password Manager",
    ),
    ("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
    ("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
    ("9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"),
    ("6028b017-b1d4-4c02-b4b3-afcdafc96bb2", "Windows Hello"),
    ("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
    ("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
];

/// The user's passkeys, oldest first (`use_user().passkeys()`).
pub async fn list(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    now: Timestamp,
) -> Result<Vec<PasskeySummary>, AuthError> {
    let rows = gatehouse.store.list_passkeys(&holder.user_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| PasskeySummary {
            created: describe_last_active(row.created_at, now),
            last_used: row.last_used_at.map(|at| describe_last_active(at, now)),
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            flagged: row.flagged_at.is_some(),
        })
        .collect())
}

/// Renames one of the user's passkeys (1 to 64 characters; not a sensitive change).
pub async fn rename(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    id: &str,
    name: &str,
) -> Result<Notice, GatehouseError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AuthError::param_missing("name").into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(AuthError::param_too_long("name").into());
    }
    if !gatehouse
        .store
        .rename_passkey(&holder.user_id, id, name)
        .await?
    {
        return Err(AuthError::not_found().into());
    }
    Ok(Notice::PasskeyRenamed)
}

/// Removes one of the user's passkeys (reverification first); the owner is emailed.
pub async fn remove(
    gatehouse: &Gatehouse,
    holder: &AccountHolder,
    id: &str,
    now: Timestamp,
) -> Result<Notice, GatehouseError> {
    holder.require(SensitiveChange::RemovePasskey, &gatehouse.config)?;
    let name = gatehouse
        .store
        .delete_passkey(&holder.user_id, id)
        .await?
        .ok_or_else(AuthError::not_found)?;
    tracing::info!(user_id = %holder.user_id, passkey = %id, "passkey removed");
    holder.notify(gatehouse, SecurityNotice::PasskeyRemoved { name }, now);
    holder.audit(gatehouse, AuditKind::PasskeyRemoved, now);
    Ok(Notice::PasskeyRemoved)
}

/// "Sign in with passkey" (no `identifier`) or "Use passkey" after the email: the options for
/// `navigator.credentials.get`, for any passkey the browser holds for this site (discoverable:
/// nothing in them names the account). With an `identifier`, only that account's passkey is
/// accepted by [`sign_in`]; an unknown email gets the same options.
pub async fn sign_in_options(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    identifier: Option<&str>,
    now: Timestamp,
) -> Result<PasskeyOptions, AuthError> {
    let rp = relying_party(&gatehouse.config)?;
    let identifier = match identifier.map(str::trim).filter(|id| !id.is_empty()) {
        Some(identifier) => Some(normalize_email(identifier, "identifier")?),
        None => None,
    };
    let (mut options, state) = rp
        .start_discoverable_authentication()
        .map_err(|e| super::internal("passkey sign-in not started", e))?;
    // The browser chooses how to ask (a prompt, or the autofill): the options carry none.
    options.mediation = None;
    let state = to_json(&Authentication { identifier, state })?;
    let kind = CeremonyKind::Authentication;
    keep_ceremony(
        gatehouse,
        client_id,
        kind,
        None,
        state,
        to_json(&options)?,
        now,
    )
    .await
}

/// The browser's answer to a passkey sign-in: the ceremony taken (once), the credential found
/// by its id and user handle (`passkey_not_registered` otherwise), its signature verified and
/// its counter moved forward (`passkey_authentication_failure`; a counter that went backwards
/// also flags the passkey, which stops signing in). The attempt is then past its first factor:
/// complete, or `needs_second_factor` for a user with an authenticator app (unless
/// `passkeys.count_as_second_factor`). A user already signed in on this browser is not signed
/// in twice: their session is to be made current, as after a password.
pub async fn sign_in(
    gatehouse: &Gatehouse,
    client_id: &ClientId,
    ceremony: &str,
    credential: &str,
    now: Timestamp,
) -> Result<PasskeySignIn, AuthError> {
    if ceremony.trim().is_empty() || credential.trim().is_empty() {
        return Err(AuthError::param_missing("credential"));
    }
    let rp = relying_party(&gatehouse.config)?;
    let answer: PublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| authentication_failure())?;
    let kind = CeremonyKind::Authentication;
    let taken = gatehouse
        .store
        .take_ceremony(ceremony, client_id, kind, now)
        .await?
        .ok_or_else(authentication_failure)?;
    let ceremony: Authentication = from_json(&taken.state)?;
    let (handle, credential_id) = rp
        .identify_discoverable_authentication(&answer)
        .map_err(|_| authentication_failure())?;
    let owner = gatehouse
        .store
        .find_passkey_by_credential(&credential_key(credential_id))
        .await?
        .filter(|owner| owner.passkey.user_handle == handle.to_string())
        .filter(|owner| {
            ceremony
                .identifier
                .as_ref()
                .is_none_or(|id| *id == owner.email)
        })
        .ok_or_else(|| AuthError::new(ErrorCode::PasskeyNotRegistered))?;
    let email = owner.email.clone();
    if session::session_of_email(gatehouse, client_id, &email, now)
        .await?
        .is_some()
    {
        return Ok(PasskeySignIn::AlreadySignedIn { email });
    }
    let guess = lockout::reserve(gatehouse, &email, now).await?;
    let row = &owner.passkey;
    if row.flagged_at.is_some() {
        return Err(guess.failed(authentication_failure()));
    }
    let mut passkey: Passkey = from_json(&row.passkey)?;
    let result = match rp.finish_discoverable_authentication_v2(&answer, ceremony.state, &passkey) {
        Ok(result) => result,
        Err(error) => {
            if matches!(error, WebauthnError::CredentialPossibleCompromise) {
                flag(gatehouse, row, now).await?;
            }
            tracing::info!(%error, passkey = %row.id, "passkey assertion refused");
            return Err(guess.failed(authentication_failure()));
        }
    };
    passkey.update_credential(&result);
    let counter = i64::from(result.counter());
    let recorded = gatehouse
        .store
        .record_passkey_use(&row.id, &to_json(&passkey)?, counter, now)
        .await?;
    if !recorded {
        // Another sign-in moved the counter past this one meanwhile: a second copy.
        flag(gatehouse, row, now).await?;
        return Err(guess.failed(authentication_failure()));
    }
    let state = after_passkey(&gatehouse.config, &owner, now);
    if state.status() == SignInStatus::Complete {
        guess.succeeded(gatehouse).await?;
    } else {
        guess.released(gatehouse).await?;
    }
    let attempt = sign_in::insert(gatehouse, client_id, state, now).await?;
    Ok(PasskeySignIn::Attempt(SignInView::from(&attempt)))
}

async fn flag(gatehouse: &Gatehouse, row: &PasskeyRow, now: Timestamp) -> Result<(), AuthError> {
    tracing::warn!(passkey = %row.id, user_id = %row.user_id, "passkey counter went backwards: flagged");
    gatehouse.store.flag_passkey(&row.id, now).await
}

/// The attempt's state after a verified passkey at `now`.
fn after_passkey(config: &Config, owner: &super::ports::PasskeyOwner, now: Timestamp) -> SignIn {
    let user_id = &owner.passkey.user_id;
    if owner.second_factor_enabled && config.passkeys.count_as_second_factor {
        return SignIn::Complete {
            user_id: user_id.clone(),
            first_factor_at: now,
            second_factor_at: Some(now),
            link: None,
            invitation: None,
        };
    }
    let facts = FirstFactorFacts {
        has_second_factor: owner.second_factor_enabled,
        // A passkey proves the device: client trust asks nothing more (as Clerk's).
        untrusted_client: false,
    };
    SignIn::after_first_factor(user_id, &owner.email, facts, now)
}
