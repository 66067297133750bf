use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] with Clerk's spelling of each code: the enum, `as_str` and the table
/// `parse` reads (one short loop in the wasm instead of serde's generated string matches).
macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident => $wire:literal,)*) => {
        /// Clerk's machine-readable error codes (snake_case on the wire). Each maps to one HTTP
        /// status and to its texts in one place, so the words a user sees always come from the
        /// code — never from text that travelled in a URL or a response body.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $name,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$name,)*];

            /// The code as Clerk spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$name => $wire,)*
                }
            }
        }
    };
}

error_codes! {
    /// Wrong password, or an unknown email (the same answer, by design).
    FormPasswordIncorrect => "form_password_incorrect",
    /// An email address or slug is taken.
    FormIdentifierExists => "form_identifier_exists",
    /// A required field is empty.
    FormParamMissing => "form_param_missing",
    /// A field is malformed.
    FormParamFormatInvalid => "form_param_format_invalid",
    /// A field is too long.
    FormParamMaxLengthExceeded => "form_param_max_length_exceeded",
    /// Password below the minimum length.
    FormPasswordLengthTooShort => "form_password_length_too_short",
    /// Password above the maximum length.
    FormPasswordLengthTooLong => "form_password_length_too_long",
    /// Password found in the compromised-password list.
    FormPasswordPwned => "form_password_pwned",
    /// The confirmation differs from the new password.
    FormPasswordMismatch => "form_password_mismatch",
    /// The new password equals the current one.
    FormNewPasswordMatchesCurrent => "form_new_password_matches_current",
    /// Wrong (or already used) code.
    FormCodeIncorrect => "form_code_incorrect",
    /// The code or attempt expired.
    VerificationExpired => "verification_expired",
    /// Too many wrong codes: the verification is over.
    VerificationFailed => "verification_failed",
    /// Verified already.
    VerificationAlreadyVerified => "verification_already_verified",
    /// The identifier is locked after too many failed attempts.
    UserLocked => "user_locked",
    /// Rate limited.
    TooManyRequests => "too_many_requests",
    /// No attempt in progress on this browser.
    ResourceNotFound => "resource_not_found",
    /// Finalize called before the sign-up was complete.
    SignUpNotComplete => "sign_up_not_complete",
    /// `finalize` called before the sign-in was complete.
    SignInNotComplete => "sign_in_not_complete",
    /// An authenticator app is already set up.
    TotpAlreadyEnabled => "totp_already_enabled",
    /// Not a member of the organization (or it does not exist).
    OrganizationNotFoundOrUnauthorized => "organization_not_found_or_unauthorized",
    /// Creating organizations is turned off.
    OrganizationCreationNotAllowed => "organization_creation_not_allowed",
    /// Personal accounts are off: an organization must stay active.
    OrganizationRequired => "organization_required",
    /// A task that is not the session's current one.
    SessionTaskNotCurrent => "session_task_not_current",
    /// Already signed in.
    SessionExists => "session_exists",
    /// Multi-session: the identifier's user already has a session on this browser (it is
    /// activated instead of signing in twice).
    IdentifierAlreadySignedIn => "identifier_already_signed_in",
    /// Signed in, but the resource is not for this user.
    NotFound => "not_found",
    /// Signed out (or pending).
    AuthorizationInvalid => "authorization_invalid",
    /// A cross-site state change.
    OriginInvalid => "origin_invalid",
    /// A malformed request.
    RequestInvalid => "request_invalid",
    /// Recent verification needed.
    SessionReverificationRequired => "session_reverification_required",
    /// The user closed the reverification prompt: the action did not run.
    ReverificationCancelled => "reverification_cancelled",
    /// The last way to sign in cannot be removed.
    IdentificationDeletionFailed => "identification_deletion_failed",
    /// Two-step verification is required by the instance (`mfa.required`): it cannot be removed.
    MfaRequired => "mfa_required",
    /// The browser could not reach the server.
    NetworkError => "network_error",
    /// A failure on the server (details in its log only).
    InternalError => "internal_error",
    /// The server cannot reach its database for now (503): nothing was changed, try again.
    ServiceUnavailable => "service_unavailable",
    /// The user cancelled at the identity provider, or it refused (`access_denied`).
    OauthAccessDenied => "oauth_access_denied",
    /// The provider's answer does not belong to this browser's attempt: bad, reused or missing
    /// `state`, or an error from the provider.
    OauthCallbackInvalid => "oauth_callback_invalid",
    /// The code exchange failed or the ID token did not verify (signature, issuer, audience,
    /// expiry, nonce).
    OauthTokenInvalid => "oauth_token_invalid",
    /// The identity provider could not be reached.
    OauthProviderUnavailable => "oauth_provider_unavailable",
    /// The provider's email matches an account but the provider did not verify it, so it is
    /// not linked.
    ExternalAccountEmailUnverified => "external_account_email_unverified",
    /// No SSO connection for this strategy or email domain.
    SsoConnectionNotFound => "sso_connection_not_found",
    /// An enterprise connection answered for an address outside its own domains.
    SsoEmailDomainMismatch => "sso_email_domain_mismatch",
    /// A session token (`Authorization: Bearer`) on the kit's own `/api/auth/*` endpoints.
    BearerNotAccepted => "bearer_not_accepted",
    /// The address has a pending invitation to the organization already.
    OrganizationInvitationNotUnique => "organization_invitation_not_unique",
    /// The address belongs to a member of the organization.
    AlreadyAMemberInOrganization => "already_a_member_in_organization",
    /// Members and pending invitations reached `organizations.max_memberships`.
    OrganizationMembershipQuotaExceeded => "organization_membership_quota_exceeded",
    /// An invitation link that is unknown, replaced by a resent one, or (with a field) for
    /// another address.
    TicketInvalidCode => "ticket_invalid_code",
    /// The invitation expired.
    TicketExpiredCode => "ticket_expired_code",
    /// The invitation was revoked.
    OrganizationInvitationRevokedCode => "organization_invitation_revoked_code",
    /// The invitation was accepted already.
    OrganizationInvitationAlreadyAccepted => "organization_invitation_already_accepted",
    /// The change would leave the organization without a member who can manage it.
    OrganizationMinimumPermissionsNeeded => "organization_minimum_permissions_needed",
    /// A common mail provider's domain cannot be an organization's.
    OrganizationDomainCommon => "organization_domain_common",
    /// The organization has the most domains it may.
    OrganizationDomainQuotaExceeded => "organization_domain_quota_exceeded",
    /// The passkey used is not registered to any account (or not to the one named).
    PasskeyNotRegistered => "passkey_not_registered",
    /// The passkey's answer did not verify (signature, origin, RP id, challenge, counter).
    PasskeyAuthenticationFailure => "passkey_authentication_failure",
    /// The new passkey's answer did not verify.
    PasskeyRegistrationFailure => "passkey_registration_failure",
    /// The user has the most passkeys they may.
    PasskeyQuotaExceeded => "passkey_quota_exceeded",
    /// This passkey is registered already.
    PasskeyAlreadyExists => "passkey_already_exists",
    /// Passkeys are not offered on this instance.
    PasskeysNotEnabled => "passkeys_not_enabled",
    /// A code this build does not know.
    Unknown => "unknown_error",
}

impl ErrorCode {
    /// The HTTP status Clerk answers with (exhaustive: a new code must choose one).
    pub fn http_status(self) -> u16 {
        match self {
            Self::VerificationExpired
            | Self::VerificationFailed
            | Self::VerificationAlreadyVerified
            | Self::SessionExists
            | Self::IdentifierAlreadySignedIn
            | Self::SessionTaskNotCurrent
            | Self::RequestInvalid
            | Self::ReverificationCancelled
            | Self::IdentificationDeletionFailed
            | Self::OauthAccessDenied
            | Self::OauthCallbackInvalid
            | Self::OauthTokenInvalid
            | Self::SsoConnectionNotFound
            | Self::TicketInvalidCode
            | Self::TicketExpiredCode
            | Self::OrganizationInvitationRevokedCode
            | Self::OrganizationInvitationAlreadyAccepted
            | Self::PasskeyAuthenticationFailure
            | Self::PasskeyRegistrationFailure
            | Self::PasskeysNotEnabled => 400,
            Self::AuthorizationInvalid | Self::BearerNotAccepted => 401,
            Self::UserLocked
            | Self::OriginInvalid
            | Self::SessionReverificationRequired
            | Self::MfaRequired
            | Self::SsoEmailDomainMismatch
            | Self::OrganizationNotFoundOrUnauthorized
            | Self::OrganizationCreationNotAllowed
            | Self::OrganizationRequired
            | Self::OrganizationMembershipQuotaExceeded
            | Self::OrganizationMinimumPermissionsNeeded
            | Self::OrganizationDomainQuotaExceeded
            | Self::PasskeyQuotaExceeded => 403,
            Self::ResourceNotFound | Self::NotFound => 404,
            Self::TooManyRequests => 429,
            Self::InternalError | Self::Unknown => 500,
            Self::NetworkError | Self::OauthProviderUnavailable | Self::ServiceUnavailable => 503,
            Self::FormPasswordIncorrect
            | Self::FormIdentifierExists
            | Self::FormParamMissing
            | Self::FormParamFormatInvalid
            | Self::FormParamMaxLengthExceeded
            | Self::FormPasswordLengthTooShort
            | Self::FormPasswordLengthTooLong
            | Self::FormPasswordPwned
            | Self::FormPasswordMismatch
            | Self::FormNewPasswordMatchesCurrent
            | Self::FormCodeIncorrect
            | Self::SignUpNotComplete
            | Self::SignInNotComplete
            | Self::TotpAlreadyEnabled
            | Self::ExternalAccountEmailUnverified
            | Self::OrganizationInvitationNotUnique
            | Self::AlreadyAMemberInOrganization
            | Self::OrganizationDomainCommon
            | Self::PasskeyNotRegistered
            | Self::PasskeyAlreadyExists => 422,
        }
    }

    /// `(message, long_message)` for this code, its field and its meta.
    fn texts(self, meta: &ErrorMeta) -> (String, String) {
        let param = meta.param_name.as_deref().unwrap_or_default();
        let same = |text: &str| (text.to_string(), text.to_string());
        match self {
            Self::FormPasswordIncorrect => {
                same("Password is incorrect. Try again, or use another method.")
            }
            Self::FormIdentifierExists if param == "slug" => {
                same("That slug is taken. Please try another.")
            }
            Self::FormIdentifierExists => same("That email address is taken. Please try another."),
            Self::FormParamMissing => same(&format!("Enter {}.", param_label(param))),
            Self::FormParamFormatInvalid => (
                "is invalid".to_string(),
                match param {
                    "email_address" | "identifier" | "email" => {
                        "Email address must be a valid email address.".to_string()
                    }
                    "first_name" | "last_name" => {
                        "Names cannot contain control characters.".to_string()
                    }
                    "name" => "Names cannot contain control characters.".to_string(),
                    "confirmation" => "Type \"Delete account\" to confirm.".to_string(),
                    "slug" => "Slug must be 2–64 lowercase letters, numbers or single hyphens (e.g. acme-inc)."
                        .to_string(),
                    _ => "This value is not valid.".to_string(),
                },
            ),
            Self::FormParamMaxLengthExceeded => (
                "is too long".to_string(),
                format!(
                    "This field must be at most {} characters long.",
                    max_length(param)
                ),
            ),
            Self::FormPasswordLengthTooShort => (
                "Passwords must be 8 characters or more.".to_string(),
                "Your password is too short. It must be at least 8 characters long.".to_string(),
            ),
            Self::FormPasswordLengthTooLong => (
                "Password is too long.".to_string(),
                "Your password is too long. It must be at most 72 characters long.".to_string(),
            ),
            Self::FormPasswordPwned => (
                "Password has been found in an online data breach.".to_string(),
                "Password has been found in an online data breach. For account safety, please use a different password.".to_string(),
            ),
            Self::FormPasswordMismatch => same("Passwords don't match."),
            Self::FormNewPasswordMatchesCurrent => {
                same("New password cannot be the same as the current password.")
            }
            Self::FormCodeIncorrect => ("is incorrect".to_string(), "Incorrect code".to_string()),
            Self::VerificationExpired => (
                "expired".to_string(),
                "This verification has expired. You must create a new one.".to_string(),
            ),
            Self::VerificationFailed => (
                "failed".to_string(),
                "Too many failed attempts. You have to try again with the same or another method."
                    .to_string(),
            ),
            Self::VerificationAlreadyVerified => (
                "already verified".to_string(),
                "This verification has already been verified.".to_string(),
            ),
            Self::UserLocked => (
                "Account locked".to_string(),
                match meta.lockout_expires_in_seconds {
                    Some(seconds) => format!(
                        "Your account is locked. You can try again in {}.",
                        describe_duration(seconds)
                    ),
                    // Known only by its code (e.g. after SSO): no invented duration.
                    None => "Your account is locked. Please try again later.".to_string(),
                },
            ),
            Self::TooManyRequests => (
                "Too many requests, retry later".to_string(),
                match meta.retry_after_seconds {
                    Some(seconds) if seconds > 0 => {
                        format!("Too many requests. Please try again in {seconds} seconds.")
                    }
                    _ => "Too many requests. Please try again in a moment.".to_string(),
                },
            ),
            Self::ResourceNotFound => (
                "not found".to_string(),
                "This step is no longer in progress on this browser. Please start again."
                    .to_string(),
            ),
            Self::SignUpNotComplete => (
                "not complete".to_string(),
                "Verify your email address before continuing.".to_string(),
            ),
            Self::SignInNotComplete => (
                "not complete".to_string(),
                "Finish signing in before continuing.".to_string(),
            ),
            Self::TotpAlreadyEnabled => (
                "already enabled".to_string(),
                "An authenticator app is already set up for this account.".to_string(),
            ),
            Self::OrganizationNotFoundOrUnauthorized => (
                "Not a member".to_string(),
                "You are not a member of this organization.".to_string(),
            ),
            Self::OrganizationCreationNotAllowed => (
                "Not allowed".to_string(),
                "You are not allowed to create organizations. Ask an administrator to invite you."
                    .to_string(),
            ),
            Self::OrganizationRequired => (
                "Organization required".to_string(),
                "You must belong to an organization.".to_string(),
            ),
            Self::SessionTaskNotCurrent => (
                "Not the current task".to_string(),
                "This step is not the one your account needs right now.".to_string(),
            ),
            Self::SessionExists | Self::IdentifierAlreadySignedIn => {
                same("You're already signed in.")
            }
            Self::NotFound => (
                "Not found".to_string(),
                "The requested resource was not found.".to_string(),
            ),
            Self::AuthorizationInvalid => (
                "Unauthorized request".to_string(),
                "You are not authorized to perform this request".to_string(),
            ),
            Self::OriginInvalid => (
                "Cross-site request refused".to_string(),
                "This request did not come from an allowed origin.".to_string(),
            ),
            Self::RequestInvalid => (
                "Invalid request".to_string(),
                "The request could not be understood. Please reload the page and try again."
                    .to_string(),
            ),
            Self::SessionReverificationRequired => same(
                "You need to provide additional verification to perform this operation",
            ),
            Self::IdentificationDeletionFailed => (
                "Cannot remove".to_string(),
                "You cannot remove your only way to sign in. Set a password or connect another account first."
                    .to_string(),
            ),
            Self::MfaRequired => (
                "Two-step verification required".to_string(),
                "This application requires two-step verification, so it cannot be removed."
                    .to_string(),
            ),
            Self::ReverificationCancelled => (
                "Verification cancelled".to_string(),
                "The verification was cancelled, so nothing was changed.".to_string(),
            ),
            Self::ServiceUnavailable => (
                "Temporarily unavailable".to_string(),
                "Nothing was changed. Please try again in a moment.".to_string(),
            ),
            Self::NetworkError => (
                "Network error".to_string(),
                "We could not reach the server. Check your connection and try again.".to_string(),
            ),
            Self::OauthAccessDenied => (
                "Sign-in cancelled".to_string(),
                "The sign-in was cancelled at the provider. Try again, or use another method."
                    .to_string(),
            ),
            Self::OauthCallbackInvalid => (
                "Sign-in could not be completed".to_string(),
                "The provider's answer did not match this sign-in (it may have been used already). Please start again."
                    .to_string(),
            ),
            Self::OauthTokenInvalid => (
                "Sign-in could not be verified".to_string(),
                "The provider's answer could not be verified. Please start again.".to_string(),
            ),
            Self::OauthProviderUnavailable => (
                "Provider unavailable".to_string(),
                "The sign-in provider cannot be reached right now. Try again later, or use another method."
                    .to_string(),
            ),
            Self::ExternalAccountEmailUnverified => (
                "Email not verified by the provider".to_string(),
                "An account with this email exists, but the provider has not verified the email, so it cannot be linked. Sign in with your password instead."
                    .to_string(),
            ),
            Self::SsoConnectionNotFound => (
                "No sign-in provider".to_string(),
                "There is no single sign-on connection for this sign-in.".to_string(),
            ),
            Self::SsoEmailDomainMismatch => (
                "Email domain not allowed".to_string(),
                "This provider can only sign in addresses at its own domain.".to_string(),
            ),
            Self::BearerNotAccepted => (
                "Session token not accepted".to_string(),
                "Session tokens are not accepted here: use the browser's session.".to_string(),
            ),
            Self::OrganizationInvitationNotUnique => same("This address is invited already."),
            Self::AlreadyAMemberInOrganization => same("This address is a member already."),
            Self::OrganizationMembershipQuotaExceeded => same("The organization is full."),
            Self::TicketInvalidCode if !param.is_empty() => {
                same("This invitation is for another email address.")
            }
            Self::TicketInvalidCode => same("This invitation link is not valid."),
            Self::TicketExpiredCode => same("This invitation has expired."),
            Self::OrganizationInvitationRevokedCode => same("This invitation was revoked."),
            Self::OrganizationInvitationAlreadyAccepted => {
                same("This invitation was accepted already.")
            }
            Self::OrganizationMinimumPermissionsNeeded => {
                same("The organization needs at least one admin.")
            }
            Self::OrganizationDomainCommon => same("This is a common mail provider's domain."),
            Self::OrganizationDomainQuotaExceeded => same("The organization has 10 domains."),
            Self::PasskeyNotRegistered => same("This passkey is not registered to an account here."),
            Self::PasskeyAuthenticationFailure => same("The passkey could not be verified. Try again, or use another method."),
            Self::PasskeyRegistrationFailure => same("The passkey could not be added. Try again."),
            Self::PasskeyQuotaExceeded => same("You have 10 passkeys already: remove one first."),
            Self::PasskeyAlreadyExists => same("This passkey is already on your account."),
            Self::PasskeysNotEnabled => same("Passkeys are not available here."),
            Self::InternalError | Self::Unknown => (
                "Something went wrong".to_string(),
                "Something went wrong on our side. Please try again in a moment.".to_string(),
            ),
        }
    }
}

impl ErrorCode {
    /// The code named `code` (Clerk's spelling); [`ErrorCode::Unknown`] for any other text.
    pub fn parse(code: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|known| known.as_str() == code)
            .unwrap_or(Self::Unknown)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::parse(&code))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The longest accepted value of a field.
fn max_length(param: &str) -> usize {
    use super::limits::{EMAIL_MAX_CHARS, NAME_MAX_CHARS};
    match param {
        "email_address" | "identifier" | "email" => EMAIL_MAX_CHARS,
        "name" => super::ORG_NAME_MAX_CHARS,
        _ => NAME_MAX_CHARS,
    }
}

/// How a field is named inside "Enter …." messages.
fn param_label(param: &str) -> &'static str {
    match param {
        "email_address" | "identifier" | "email" => "your email address",
        "password" | "reverify_password" => "your password",
        "new_password" => "a new password",
        "confirm_password" => "the password again",
        "code" | "reverify_code" => "the code",
        "name" => "a name",
        "slug" => "a slug",
        "first_name" => "your first name",
        "last_name" => "your last name",
        _ => "a value",
    }
}

/// Extra data attached to an error (Clerk's `meta`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMeta {
    /// The form field the error belongs to, in snake_case (`email_address`, `password`, `code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_name: Option<String>,
    /// Seconds until a locked account unlocks (`user_locked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_expires_in_seconds: Option<i64>,
    /// The requirement a `session_reverification_required` error names, or the one a plain
    /// form's failed re-verification still asks for (its form shows the fields again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverification: Option<super::Reverification>,
    /// Seconds until the request may be retried (`too_many_requests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
}

/// One error with Clerk's code and messages. The messages are always derived from the code and
/// its meta — also when an error is decoded (from a response, or from Leptos' `__err` URL
/// parameter after a form post), so a crafted link cannot put words on the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthError {
    /// Clerk's machine-readable code, e.g. `form_password_incorrect`.
    pub code: ErrorCode,
    /// Short message.
    pub message: String,
    /// Message meant for the user.
    pub long_message: String,
    /// Field name and other details.
    pub meta: ErrorMeta,
}

impl<'de> Deserialize<'de> for AuthError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only the code and the meta are read; the texts are rebuilt from them.
        #[derive(Deserialize)]
        struct Wire {
            code: ErrorCode,
            #[serde(default)]
            meta: ErrorMeta,
        }
        let wire = Wire::deserialize(deserializer)?;
        Ok(AuthError::with_meta(wire.code, wire.meta))
    }
}

impl AuthError {
    /// An error with `code` and no meta.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_meta(code, ErrorMeta::default())
    }

    /// An error with `code` and `meta`; the texts follow from both.
    pub fn with_meta(code: ErrorCode, meta: ErrorMeta) -> Self {
        let (message, long_message) = code.texts(&meta);
        Self {
            code,
            message,
            long_message,
            meta,
        }
    }

    /// Attaches the error to a form field (snake_case name).
    pub fn for_param(mut self, param_name: &str) -> Self {
        self.meta.param_name = Some(param_name.to_string());
        Self::with_meta(self.code, self.meta)
    }

    /// The field name in camelCase, as Clerk's hooks expose it (`errors.fields.emailAddress`).
    pub fn field(&self) -> Option<String> {
        self.meta.param_name.as_deref().map(snake_to_camel)
    }

    /// The HTTP status Clerk answers with for this code.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }

    // ---- Clerk's errors, in one place -------------------------------------------------------

    /// Wrong password, or an unknown email (the same answer, by design).
    pub fn password_incorrect() -> Self {
        Self::new(ErrorCode::FormPasswordIncorrect).for_param("password")
    }

    /// Sign-up email already belongs to an account (used only where enumeration is allowed).
    pub fn identifier_exists(param: &str) -> Self {
        Self::new(ErrorCode::FormIdentifierExists).for_param(param)
    }

    /// A required field is empty.
    pub fn param_missing(param: &str) -> Self {
        Self::new(ErrorCode::FormParamMissing).for_param(param)
    }

    /// A field is malformed (the text follows from the field).
    pub fn param_format_invalid(param: &str) -> Self {
        Self::new(ErrorCode::FormParamFormatInvalid).for_param(param)
    }

    /// A field is longer than its limit (the limit follows from the field).
    pub fn param_too_long(param: &str) -> Self {
        Self::new(ErrorCode::FormParamMaxLengthExceeded).for_param(param)
    }

    /// Password shorter than the minimum.
    pub fn password_too_short() -> Self {
        Self::new(ErrorCode::FormPasswordLengthTooShort).for_param("password")
    }

    /// Password longer than the maximum.
    pub fn password_too_long() -> Self {
        Self::new(ErrorCode::FormPasswordLengthTooLong).for_param("password")
    }

    /// Password found in the compromised-password list (sign-up, password change).
    pub fn password_pwned() -> Self {
        Self::new(ErrorCode::FormPasswordPwned).for_param("password")
    }

    /// Wrong verification code.
    pub fn code_incorrect() -> Self {
        Self::new(ErrorCode::FormCodeIncorrect).for_param("code")
    }

    /// The code's time is up.
    pub fn verification_expired() -> Self {
        Self::new(ErrorCode::VerificationExpired).for_param("code")
    }

    /// Too many wrong codes.
    pub fn verification_failed() -> Self {
        Self::new(ErrorCode::VerificationFailed).for_param("code")
    }

    /// The attempt was verified already.
    pub fn verification_already_verified() -> Self {
        Self::new(ErrorCode::VerificationAlreadyVerified).for_param("code")
    }

    /// The account is locked for `seconds` more seconds.
    pub fn user_locked(seconds: i64) -> Self {
        Self::with_meta(
            ErrorCode::UserLocked,
            ErrorMeta {
                lockout_expires_in_seconds: Some(seconds.max(1)),
                ..ErrorMeta::default()
            },
        )
    }

    /// Rate limited; may be retried after `retry_after_seconds`.
    pub fn too_many_requests(retry_after_seconds: i64) -> Self {
        Self::with_meta(
            ErrorCode::TooManyRequests,
            ErrorMeta {
                retry_after_seconds: Some(retry_after_seconds.max(1)),
                ..ErrorMeta::default()
            },
        )
    }

    /// No sign-up or sign-in in progress on this browser.
    pub fn no_attempt() -> Self {
        Self::new(ErrorCode::ResourceNotFound)
    }

    /// The organization slug is already used.
    pub fn slug_taken() -> Self {
        Self::new(ErrorCode::FormIdentifierExists).for_param("slug")
    }

    /// The user is not a member of the organization (or it does not exist).
    pub fn not_a_member() -> Self {
        Self::new(ErrorCode::OrganizationNotFoundOrUnauthorized)
    }

    /// Creating organizations is turned off.
    pub fn organization_creation_not_allowed() -> Self {
        Self::new(ErrorCode::OrganizationCreationNotAllowed)
    }

    /// Personal accounts are off: an organization must stay active.
    pub fn organization_required() -> Self {
        Self::new(ErrorCode::OrganizationRequired)
    }

    /// A task was submitted that is not the session's current task.
    pub fn task_not_current() -> Self {
        Self::new(ErrorCode::SessionTaskNotCurrent)
    }

    /// The confirmation does not match the new password.
    pub fn passwords_do_not_match() -> Self {
        Self::new(ErrorCode::FormPasswordMismatch).for_param("confirm_password")
    }

    /// The new password equals the current one.
    pub fn new_password_matches_current() -> Self {
        Self::new(ErrorCode::FormNewPasswordMatchesCurrent).for_param("new_password")
    }

    /// The identifier's user already has a session on this browser (multi-session).
    pub fn identifier_already_signed_in() -> Self {
        Self::new(ErrorCode::IdentifierAlreadySignedIn).for_param("identifier")
    }

    /// Signed in, but the page or resource is not for this user.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    /// The request is not signed in (or pending, when pending counts as signed out).
    pub fn unauthorized() -> Self {
        Self::new(ErrorCode::AuthorizationInvalid)
    }

    /// A state-changing request came from another site.
    pub fn origin_invalid() -> Self {
        Self::new(ErrorCode::OriginInvalid)
    }

    /// A malformed request (missing or undecodable parameters); the detail goes to the log.
    pub fn request_invalid(detail: &str) -> Self {
        tracing::debug!(detail, "request refused as invalid");
        Self::new(ErrorCode::RequestInvalid)
    }

    /// The session must verify its factors again (`reverification`) before this action.
    pub fn reverification_required(reverification: super::Reverification) -> Self {
        Self::with_meta(
            ErrorCode::SessionReverificationRequired,
            ErrorMeta {
                reverification: Some(reverification),
                ..ErrorMeta::default()
            },
        )
    }

    /// Something failed on the server; the details are in the server log, not on the wire.
    pub fn internal() -> Self {
        Self::new(ErrorCode::InternalError)
    }

    /// `service_unavailable` (503): the database cannot be reached for now.
    pub fn unavailable() -> Self {
        Self::new(ErrorCode::ServiceUnavailable)
    }

    /// An invitation link that is unknown or was replaced by a resent one.
    pub fn ticket_invalid() -> Self {
        Self::new(ErrorCode::TicketInvalidCode)
    }

    /// An invitation for another address than the one in the field `param`.
    pub fn ticket_for_another_address(param: &str) -> Self {
        Self::new(ErrorCode::TicketInvalidCode).for_param(param)
    }
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.long_message)
    }
}

impl std::error::Error for AuthError {}

/// Clerk's error envelope: `{"errors":[…]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrors {
    /// The errors, field errors first.
    pub errors: Vec<AuthError>,
}

/// The error type of every Gatehouse server function: Clerk's envelope on the wire, except a
/// reverification error, which is Clerk's exact 403 body
/// `{"clerk_error":{"type":"forbidden","reason":"reverification-error","metadata":{"reverification":…}}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatehouseError(pub ApiErrors);

/// Clerk's reverification body.
#[derive(Serialize, Deserialize)]
struct ClerkErrorBody {
    clerk_error: ClerkError,
}

#[derive(Serialize, Deserialize)]
struct ClerkError {
    #[serde(rename = "type")]
    kind: String,
    reason: String,
    #[serde(default)]
    metadata: ClerkErrorMetadata,
}

#[derive(Default, Serialize, Deserialize)]
struct ClerkErrorMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reverification: Option<super::Reverification>,
}

const REVERIFICATION_REASON: &str = "reverification-error";

impl Serialize for GatehouseError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.reverification_required() {
            Some(reverification) => ClerkErrorBody {
                clerk_error: ClerkError {
                    kind: "forbidden".to_string(),
                    reason: REVERIFICATION_REASON.to_string(),
                    metadata: ClerkErrorMetadata {
                        reverification: Some(reverification),
                    },
                },
            }
            .serialize(serializer),
            None => self.0.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for GatehouseError {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Either body, read in one pass (an untagged enum would buffer the body and carry a
        // second copy of every error decoder in the wasm).
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default)]
            errors: Option<Vec<AuthError>>,
            #[serde(default)]
            clerk_error: Option<ClerkError>,
        }
        let wire = Wire::deserialize(deserializer)?;
        Ok(match (wire.errors, wire.clerk_error) {
            (Some(errors), _) => Self(ApiErrors { errors }),
            (None, Some(clerk)) if clerk.reason == REVERIFICATION_REASON => {
                AuthError::reverification_required(
                    clerk.metadata.reverification.unwrap_or_default(),
                )
                .into()
            }
            (None, Some(_)) => AuthError::new(ErrorCode::Unknown).into(),
            (None, None) => return Err(serde::de::Error::missing_field("errors")),
        })
    }
}

impl GatehouseError {
    /// The errors carried.
    pub fn errors(&self) -> &[AuthError] {
        &self.0.errors
    }

    /// The error for a form field (camelCase, like `errors.fields.emailAddress`).
    pub fn field(&self, field: &str) -> Option<&AuthError> {
        self.errors()
            .iter()
            .find(|error| error.field().as_deref() == Some(field))
    }

    /// Errors not tied to a field (`errors.global`); empty when any field error exists, as in
    /// Clerk's hooks.
    pub fn global(&self) -> Vec<&AuthError> {
        if self.errors().iter().any(|e| e.meta.param_name.is_some()) {
            Vec::new()
        } else {
            self.errors().iter().collect()
        }
    }

    /// The first error (what a hook method returns), `internal_error` if there is none.
    pub fn first_error(&self) -> AuthError {
        self.errors()
            .first()
            .cloned()
            .unwrap_or_else(AuthError::internal)
    }

    /// The HTTP status of the first error.
    pub fn http_status(&self) -> u16 {
        self.errors().first().map_or(500, AuthError::http_status)
    }

    /// The requirement, when this is a reverification error (the session must verify its
    /// factors again before the action is retried).
    pub fn reverification_required(&self) -> Option<super::Reverification> {
        match self.errors() {
            [only] if only.code == ErrorCode::SessionReverificationRequired => {
                Some(only.meta.reverification.unwrap_or_default())
            }
            _ => None,
        }
    }
}

impl From<AuthError> for GatehouseError {
    fn from(error: AuthError) -> Self {
        Self(ApiErrors {
            errors: vec![error],
        })
    }
}

impl std::fmt::Display for GatehouseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.errors().first() {
            Some(error) => error.fmt(f),
            None => f.write_str("unknown error"),
        }
    }
}

impl std::error::Error for GatehouseError {}

impl FromServerFnError for GatehouseError {
    type Encoder = super::codec::JsonTextEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // `MissingArg` and friends arrive here too: a malformed request, never a 500.
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AuthError::request_invalid(&detail).into()
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                AuthError::new(ErrorCode::NetworkError).into()
            }
            _ => AuthError::internal().into(),
        }
    }
}

fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// "N minutes" (rounded up), as the lockout message reads.
fn describe_duration(seconds: i64) -> String {
    match (seconds.max(0) + 59) / 60 {
        0 | 1 => "1 minute".to_string(),
        minutes => format!("{minutes} minutes"),
    }
}
