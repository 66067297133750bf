use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Extra data attached to an error (Clerk's `meta`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMeta {
    /// The form field the error belongs to, in snake_case (`email_address`, `password`, `code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_name: Option<String>,
    /// Seconds until a locked account unlocks (`user_locked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_expires_in_seconds: Option<i64>,
}

/// One error with Clerk's code and messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthError {
    /// Clerk's machine-readable code, e.g. `form_password_incorrect`.
    pub code: String,
    /// Short message.
    pub message: String,
    /// Message meant for the user.
    pub long_message: String,
    /// Field name and other details.
    #[serde(default)]
    pub meta: ErrorMeta,
}

impl AuthError {
    /// Builds an error with the given code and messages.
    pub fn new(code: &str, message: &str, long_message: &str) -> Self {
        Self {
            code: code.to_string(),
            message: message.to_string(),
            long_message: long_message.to_string(),
            meta: ErrorMeta::default(),
        }
    }

    /// Attaches the error to a form field (snake_case name).
    pub fn for_param(mut self, param_name: &str) -> Self {
        self.meta.param_name = Some(param_name.to_string());
        self
    }

    /// The field name in camelCase, as Clerk's hooks expose it (`errors.fields.emailAddress`).
    pub fn field(&self) -> Option<String> {
        self.meta.param_name.as_deref().map(snake_to_camel)
    }

    /// The HTTP status Clerk answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self.code.as_str() {
            "verification_expired"
            | "verification_failed"
            | "verification_already_verified"
            | "session_exists"
            | "session_task_not_current"
            | "request_invalid" => 400,
            "authorization_invalid" => 401,
            "user_locked"
            | "origin_invalid"
            | "session_reverification_required"
            | "organization_not_found_or_unauthorized"
            | "organization_creation_not_allowed"
            | "organization_required" => 403,
            "resource_not_found" | "not_found" => 404,
            "too_many_requests" => 429,
            "internal_error" => 500,
            _ => 422,
        }
    }

    // ---- Clerk's errors, in one place -------------------------------------------------------

    /// Wrong password, or an unknown email (the same answer, by design).
    pub fn password_incorrect() -> Self {
        Self::new(
            "form_password_incorrect",
            "Password is incorrect. Try again, or use another method.",
            "Password is incorrect. Try again, or use another method.",
        )
        .for_param("password")
    }

    /// Sign-up email already belongs to an account (used only where enumeration is allowed).
    pub fn identifier_exists(param: &str) -> Self {
        Self::new(
            "form_identifier_exists",
            "That email address is taken. Please try another.",
            "That email address is taken. Please try another.",
        )
        .for_param(param)
    }

    /// A required field is empty.
    pub fn param_missing(param: &str, label: &str) -> Self {
        Self::new(
            "form_param_missing",
            &format!("Enter {}.", label.to_lowercase()),
            &format!("Enter {}.", label.to_lowercase()),
        )
        .for_param(param)
    }

    /// A field is malformed.
    pub fn param_format_invalid(param: &str, long_message: &str) -> Self {
        Self::new("form_param_format_invalid", "is invalid", long_message).for_param(param)
    }

    /// A field is longer than allowed.
    pub fn param_too_long(param: &str, max: usize) -> Self {
        Self::new(
            "form_param_max_length_exceeded",
            "is too long",
            &format!("This field must be at most {max} characters long."),
        )
        .for_param(param)
    }

    /// Password shorter than the minimum.
    pub fn password_too_short(min: usize) -> Self {
        Self::new(
            "form_password_length_too_short",
            "Passwords must be 8 characters or more.",
            &format!("Your password is too short. It must be at least {min} characters long."),
        )
        .for_param("password")
    }

    /// Password longer than the maximum.
    pub fn password_too_long(max: usize) -> Self {
        Self::new(
            "form_password_length_too_long",
            "Password is too long.",
            &format!("Your password is too long. It must be at most {max} characters long."),
        )
        .for_param("password")
    }

    /// Password found in the compromised-password list (sign-up, password change).
    pub fn password_pwned() -> Self {
        Self::new(
            "form_password_pwned",
            "Password has been found in an online data breach.",
            "Password has been found in an online data breach. For account safety, please use a different password.",
        )
        .for_param("password")
    }

    /// Wrong verification code.
    pub fn code_incorrect() -> Self {
        Self::new("form_code_incorrect", "is incorrect", "Incorrect code").for_param("code")
    }

    /// The code's time is up.
    pub fn verification_expired() -> Self {
        Self::new(
            "verification_expired",
            "expired",
            "This verification has expired. You must create a new one.",
        )
        .for_param("code")
    }

    /// Too many wrong codes.
    pub fn verification_failed() -> Self {
        Self::new(
            "verification_failed",
            "failed",
            "Too many failed attempts. You have to try again with the same or another method.",
        )
        .for_param("code")
    }

    /// The attempt was verified already.
    pub fn verification_already_verified() -> Self {
        Self::new(
            "verification_already_verified",
            "already verified",
            "This verification has already been verified.",
        )
        .for_param("code")
    }

    /// The account is locked for `seconds` more seconds.
    pub fn user_locked(seconds: i64) -> Self {
        let mut error = Self::new(
            "user_locked",
            "Account locked",
            &format!(
                "Your account is locked. You will be able to try again in {}.",
                describe_duration(seconds)
            ),
        );
        error.meta.lockout_expires_in_seconds = Some(seconds);
        error
    }

    /// Rate limited.
    pub fn too_many_requests(long_message: &str) -> Self {
        Self::new(
            "too_many_requests",
            "Too many requests, retry later",
            long_message,
        )
    }

    /// No sign-up or sign-in in progress on this browser.
    pub fn no_attempt(kind: &str) -> Self {
        Self::new(
            "resource_not_found",
            "not found",
            &format!("No {kind} is in progress on this browser. Please start again."),
        )
    }

    /// The organization slug is already used.
    pub fn slug_taken() -> Self {
        Self::new(
            "form_identifier_exists",
            "That slug is taken. Please try another.",
            "That slug is taken. Please try another.",
        )
        .for_param("slug")
    }

    /// The user is not a member of the organization (or it does not exist).
    pub fn not_a_member() -> Self {
        Self::new(
            "organization_not_found_or_unauthorized",
            "Not a member",
            "You are not a member of this organization.",
        )
    }

    /// Creating organizations is turned off.
    pub fn organization_creation_not_allowed() -> Self {
        Self::new(
            "organization_creation_not_allowed",
            "Not allowed",
            "You are not allowed to create organizations. Ask an administrator to invite you.",
        )
    }

    /// Personal accounts are off: an organization must stay active.
    pub fn organization_required() -> Self {
        Self::new(
            "organization_required",
            "Organization required",
            "You must belong to an organization.",
        )
    }

    /// A task was submitted that is not the session's current task.
    pub fn task_not_current() -> Self {
        Self::new(
            "session_task_not_current",
            "Not the current task",
            "This step is not the one your account needs right now.",
        )
    }

    /// The confirmation does not match the new password.
    pub fn passwords_do_not_match() -> Self {
        Self::new(
            "form_password_mismatch",
            "Passwords don't match.",
            "Passwords don't match.",
        )
        .for_param("confirm_password")
    }

    /// The new password equals the current one.
    pub fn new_password_matches_current() -> Self {
        Self::new(
            "form_new_password_matches_current",
            "New password cannot be the same as the current password.",
            "New password cannot be the same as the current password.",
        )
        .for_param("new_password")
    }

    /// Signed in, but the page or resource is not for this user.
    pub fn not_found() -> Self {
        Self::new(
            "not_found",
            "Not found",
            "The requested resource was not found.",
        )
    }

    /// The request is not signed in (or pending, when pending counts as signed out).
    pub fn unauthorized() -> Self {
        Self::new(
            "authorization_invalid",
            "Unauthorized request",
            "You are not authorized to perform this request",
        )
    }

    /// A state-changing request came from another site.
    pub fn origin_invalid() -> Self {
        Self::new(
            "origin_invalid",
            "Cross-site request refused",
            "This request did not come from an allowed origin.",
        )
    }

    /// A malformed request (missing or undecodable parameters).
    pub fn request_invalid(detail: &str) -> Self {
        Self::new("request_invalid", "Invalid request", detail)
    }

    /// Something failed on the server; the details are in the server log, not on the wire.
    pub fn internal() -> Self {
        Self::new(
            "internal_error",
            "Something went wrong",
            "Something went wrong on our side. Please try again in a moment.",
        )
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

/// The error type of every Gatehouse server function: Clerk's envelope on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GatehouseError(pub ApiErrors);

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

    /// The HTTP status of the first error.
    pub fn http_status(&self) -> u16 {
        self.errors().first().map_or(500, AuthError::http_status)
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
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AuthError::request_invalid(&detail).into()
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AuthError::new(
                "network_error",
                "Network error",
                "We could not reach the server. Check your connection and try again.",
            )
            .into(),
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
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn describe_duration(seconds: i64) -> String {
    let minutes = (seconds.max(0) + 59) / 60;
    match minutes {
        0 | 1 => "1 minute".to_string(),
        m if m < 60 => format!("{m} minutes"),
        m => {
            let hours = m / 60;
            let rest = m % 60;
            match (hours, rest) {
                (1, 0) => "1 hour".to_string(),
                (h, 0) => format!("{h} hours"),
                (h, r) => format!("{h} h {r} min"),
            }
        }
    }
}
