//! A plain form (no JavaScript) the server refuses comes back with what was typed in it.
//!
//! The refusal is Leptos' redirect back to the form's page with the error in the URL (`__err`).
//! This layer puts the submitted values of the fields that may be shown again into a cookie
//! that lives a minute, and the page's inputs read it while the URL carries the error.
//! Passwords, codes and anything not on the list never go into it.
//!
//! And how a server function reads a plain form's fields (checkboxes, empty fields).

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::domain::{secret::Secret, tasks::NewPassword};

/// The cookie carrying a refused form's values over http (development).
pub const COOKIE: &str = "__gh_form";
/// Its name over https: `__Host-` prefixed like every cookie of the instance, so no sibling
/// subdomain can plant values in a form.
pub const SECURE_COOKIE: &str = "__Host-gh_form";

/// The cookie's name for an instance served over https (`secure`) or not.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The fields whose values come back: names and addresses, never secrets.
const KEPT: &[&str] = &[
    "identifier",
    "email_address",
    "first_name",
    "last_name",
    "name",
    "slug",
];

/// The layer: see the module.
pub(crate) async fn keep_refused_values(
    State(state): State<std::sync::Arc<super::AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let is_form_post = request.method() == Method::POST
        && request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form_post {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, super::MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let kept: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .filter(|(name, value)| KEPT.contains(&name.as_ref()) && !value.is_empty())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let refused = response.status().is_redirection()
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|location| location.contains("__err="));
    if refused && !kept.is_empty() {
        let values = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&kept)
            .finish();
        // The value is form-encoded, so it has no `;` or spaces to break the cookie. `Secure`
        // over https, like every cookie of the instance.
        let secure = state.gatehouse.config.instance.secure_cookies();
        if let Some(cookie) = super::cookies::set_cookie(cookie_name(secure), &values, 60, secure) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// The value typed into `name` before the refusal the current page shows, if any: only while
/// its URL carries Leptos' error, and only for the fields on the list. `secure`: the instance
/// is served over https (the cookie is then `__Host-` prefixed).
pub fn refused_value(request: &http::request::Parts, name: &str, secure: bool) -> Option<String> {
    let cookie = cookie_name(secure);
    if !KEPT.contains(&name) || !request.uri.query()?.contains("__err=") {
        return None;
    }
    let values = request
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|found| found.trim().strip_prefix(cookie)?.strip_prefix('='))?;
    form_urlencoded::parse(values.as_bytes())
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.into_owned())
}

/// A text field, `None` when left empty.
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// An HTML checkbox sends its value only when checked.
pub fn checkbox(value: Option<String>) -> bool {
    value.is_some_and(|v| v != "false")
}

/// The reset-password and change-password forms.
pub fn new_password(new: String, confirm: String, sign_out_others: Option<String>) -> NewPassword {
    NewPassword {
        new_password: Secret::new(new),
        confirm_password: Secret::new(confirm),
        sign_out_of_other_sessions: checkbox(sign_out_others),
    }
}

/// The target after a change to the current session: `redirect_url`, else
/// `redirect_url_complete` (empty values ignored).
pub fn target(redirect_url: Option<String>, complete: Option<String>) -> Option<String> {
    non_empty(redirect_url).or(non_empty(complete))
}
