//! The second factor: TOTP (SHA1, 6 digits, 30 s, ±1 step; a code is accepted once) and 10
//! single-use backup codes shown once.

use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret as TotpSecret, TOTP};

use super::{ports::TotpConfirmation, secret::Secret, tokens::sha256, Gatehouse, Timestamp};
use crate::model::{AuthError, SessionId, UserId};

/// Seconds per TOTP step.
pub const TOTP_STEP_SECONDS: i64 = 30;
/// Steps accepted on either side of now (clock drift).
pub const TOTP_WINDOW: i64 = 1;
/// Backup codes issued at enrolment.
pub const BACKUP_CODE_COUNT: usize = 10;
const ISSUER: &str = "Gatehouse";

fn totp(secret_b32: &str) -> Result<TOTP, AuthError> {
    let bytes = TotpSecret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| super::internal("stored TOTP secret unreadable", format!("{e:?}")))?;
    TOTP::new(Algorithm::SHA1, 6, 1, TOTP_STEP_SECONDS as u64, bytes)
        .map_err(|e| super::internal("stored TOTP secret invalid", format!("{e:?}")))
}

/// A new random secret (160 bits), base32 without padding.
pub fn new_secret() -> String {
    let mut bytes = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match TotpSecret::Raw(bytes).to_encoded() {
        TotpSecret::Encoded(encoded) => encoded,
        TotpSecret::Raw(_) => String::new(),
    }
}

/// The code for `secret_b32` at `now` (what an authenticator app shows).
pub fn code_at(secret_b32: &str, now: Timestamp) -> Result<String, AuthError> {
    Ok(totp(secret_b32)?.generate(now.max(0) as u64))
}

/// The time step `code` belongs to within the window around `now`, if it matches.
pub fn matching_step(
    secret_b32: &str,
    code: &str,
    now: Timestamp,
) -> Result<Option<i64>, AuthError> {
    let totp = totp(secret_b32)?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let current = now.div_euclid(TOTP_STEP_SECONDS);
    Ok(
        (current - TOTP_WINDOW..=current + TOTP_WINDOW).find(|step| {
            let expected = totp.generate((step * TOTP_STEP_SECONDS).max(0) as u64);
            bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        }),
    )
}

/// Checks a TOTP code against the last accepted step: a code is accepted once.
pub fn check(
    secret_b32: &str,
    last_used_step: Option<i64>,
    code: &str,
    now: Timestamp,
) -> Result<i64, AuthError> {
    match matching_step(secret_b32, code, now)? {
        Some(step) if last_used_step.is_some_and(|last| step <= last) => {
            Err(AuthError::code_incorrect())
        }
        Some(step) => Ok(step),
        None => Err(AuthError::code_incorrect()),
    }
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> String {
    let label = crate::model::encode_query_component(&format!("{ISSUER}:{account}"));
    format!(
        "otpauth://totp/{label}?secret={secret_b32}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECONDS}"
    )
}

/// The QR code of `text` as an SVG document (rendered on the server).
pub fn qr_svg(text: &str) -> Result<String, AuthError> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| super::internal("QR code too long", format!("{e:?}")))?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"200\" height=\"200\" \
         role=\"img\" aria-label=\"QR code for your authenticator app\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// Ten new backup codes (8 characters, no look-alike letters).
pub fn new_backup_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            (0..8)
                .filter_map(|_| ALPHABET.get(rng.gen_range(0..ALPHABET.len())))
                .map(|&byte| byte as char)
                .collect()
        })
        .collect()
}

/// A fresh set of backup codes for `user_id`: the codes (shown once) and the hashes stored.
pub fn issue_backup_codes(user_id: &UserId) -> (Secret<Vec<String>>, Vec<Vec<u8>>) {
    let codes = new_backup_codes();
    let hashes = codes
        .iter()
        .map(|code| hash_backup_code(user_id, code))
        .collect();
    (Secret::new(codes), hashes)
}

/// What the store keeps for a backup code.
pub fn hash_backup_code(user_id: &UserId, code: &str) -> Vec<u8> {
    sha256(format!("{user_id}:{}", code.trim().to_ascii_lowercase()).as_bytes())
}

/// What the enrolment screen shows: the secret (as text and QR code) before it is verified.
#[derive(Clone, Debug)]
pub struct Enrollment {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// `otpauth://` URI.
    pub uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// How long new backup codes wait to be shown (and confirmed saved) after enrolment.
pub const BACKUP_CODE_REVEAL_SECONDS: i64 = 10 * 60;

fn enrollment_of(secret: Secret<String>, account: &str) -> Result<Enrollment, AuthError> {
    let secret = secret.into_exposed();
    let uri = otpauth_uri(&secret, account);
    let qr_svg = qr_svg(&uri)?;
    Ok(Enrollment {
        secret,
        uri,
        qr_svg,
    })
}

/// The enrolment in progress (secret created, not yet verified), if any. Reading only: a page
/// load never creates or rotates a secret.
pub async fn pending_enrollment(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    account: &str,
) -> Result<Option<Enrollment>, AuthError> {
    gatehouse
        .store
        .totp_factor(user_id)
        .await?
        .filter(|factor| !factor.verified)
        .map(|factor| enrollment_of(factor.secret, account))
        .transpose()
}

/// Starts TOTP enrolment (a POST): keeps the secret in progress, or creates one. A verified
/// factor is never shown again.
pub async fn start_enrollment(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    account: &str,
    now: Timestamp,
) -> Result<Enrollment, AuthError> {
    match gatehouse.store.totp_factor(user_id).await? {
        Some(factor) if factor.verified => {
            return Err(AuthError::new(crate::model::ErrorCode::TotpAlreadyEnabled))
        }
        Some(factor) => return enrollment_of(factor.secret, account),
        None => {}
    }
    let secret = Secret::new(new_secret());
    gatehouse
        .store
        .save_pending_totp(user_id, &secret, now)
        .await?;
    // A parallel start may have stored its secret first: show whichever is stored.
    pending_enrollment(gatehouse, user_id, account)
        .await?
        .ok_or_else(AuthError::no_attempt)
}

/// Verifies the first code from the app: the factor becomes active and 10 backup codes are
/// returned (shown once, stored hashed;
/// they also wait for this session until the user confirms they saved them). A wrong code counts
/// toward the lockout of `identifier`.
pub async fn confirm_enrollment(
    gatehouse: &Gatehouse,
    user_id: &UserId,
    identifier: &str,
    session_id: &SessionId,
    code: &str,
    now: Timestamp,
) -> Result<Vec<String>, AuthError> {
    if code.trim().is_empty() {
        return Err(AuthError::param_missing("code"));
    }
    let factor = gatehouse
        .store
        .totp_factor(user_id)
        .await?
        .filter(|factor| !factor.verified)
        .ok_or_else(AuthError::no_attempt)?;
    let guess = super::lockout::reserve(gatehouse, identifier, now).await?;
    let step = match check(factor.secret.expose(), factor.last_used_step, code, now) {
        Ok(step) => step,
        Err(error) => return Err(guess.failed(error)),
    };
    guess.succeeded(gatehouse).await?;
    let (codes, hashes) = issue_backup_codes(user_id);
    let confirmed = gatehouse
        .store
        .confirm_totp(
            TotpConfirmation {
                user_id,
                session_id,
                step,
                backup_code_hashes: &hashes,
                backup_codes: &codes,
                reveal_until: now + BACKUP_CODE_REVEAL_SECONDS,
            },
            now,
        )
        .await?;
    if !confirmed {
        return Err(AuthError::verification_already_verified());
    }
    tracing::info!(%user_id, "authenticator app enrolled");
    Ok(codes.into_exposed())
}

/// The backup codes of this session's just-finished enrolment, until the user confirms them.
pub async fn backup_codes_to_show(
    gatehouse: &Gatehouse,
    session_id: &SessionId,
    now: Timestamp,
) -> Result<Option<Vec<String>>, AuthError> {
    Ok(gatehouse
        .store
        .backup_code_reveal(session_id, now)
        .await?
        .map(Secret::into_exposed))
}

/// The user saved the backup codes: they are never shown again.
pub async fn backup_codes_saved(
    gatehouse: &Gatehouse,
    session_id: &SessionId,
) -> Result<(), AuthError> {
    gatehouse.store.delete_backup_code_reveal(session_id).await
}
