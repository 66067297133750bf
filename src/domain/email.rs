//! Email address validation and normalisation.

use crate::model::{limits::EMAIL_MAX_CHARS, AuthError};

/// Trims and lowercases an email address, or explains what is wrong with it.
pub fn normalize_email(input: &str, param: &str) -> Result<String, AuthError> {
    let email = input.trim();
    if email.is_empty() {
        return Err(AuthError::param_missing(param));
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(AuthError::param_too_long(param));
    }
    let invalid = || AuthError::param_format_invalid(param);
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !(local_ok && is_valid_domain(domain)) {
        return Err(invalid());
    }
    Ok(email.to_ascii_lowercase())
}

/// Whether `domain` is a host name an address can be at: two labels or more, each of letters,
/// digits and inner hyphens, at most 63 characters.
pub fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
