//! The client cookie and the one-time notice a plain form post leaves for the page it goes back
//! to: `__Host-` prefixed, `HttpOnly`, `Secure` and `SameSite=Lax` in production, and plainly
//! named over http in development. The refused form's values (`form_values.rs`) use the same
//! attributes.

use http::{header, HeaderMap, HeaderValue};

use crate::{domain::tokens::SecretToken, model::Notice};

/// Lifetime of the client cookie (the client outlives any single session).
const CLIENT_COOKIE_MAX_AGE_SECONDS: i64 = 365 * 24 * 3600;

/// Builds and reads the client cookie.
#[derive(Clone, Debug)]
pub struct ClientCookie {
    secure: bool,
}

impl ClientCookie {
    /// `secure` selects `__Host-gatehouse_client` + `Secure`.
    pub fn new(secure: bool) -> Self {
        Self { secure }
    }

    /// The cookie for this instance (`Secure` when `public_url` is https, unless configured).
    pub fn for_instance(instance: &crate::config::InstanceConfig) -> Self {
        Self::new(instance.secure_cookies())
    }

    /// The cookie name.
    pub fn name(&self) -> &'static str {
        if self.secure {
            "__Host-gatehouse_client"
        } else {
            "gatehouse_client"
        }
    }

    /// `Set-Cookie` carrying `token`.
    pub fn set(&self, token: &SecretToken) -> Option<HeaderValue> {
        self.header(token.expose(), CLIENT_COOKIE_MAX_AGE_SECONDS)
    }

    /// `Set-Cookie` removing the cookie.
    pub fn clear(&self) -> Option<HeaderValue> {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: i64) -> Option<HeaderValue> {
        set_cookie(self.name(), value, max_age, self.secure)
    }

    /// The token in the request's cookies, if well-formed.
    pub fn read(&self, headers: &HeaderMap) -> Option<SecretToken> {
        read(headers, self.name()).and_then(SecretToken::from_cookie)
    }
}

/// How long a notice waits for the page it was left for: the redirect is followed at once.
const NOTICE_MAX_AGE_SECONDS: i64 = 60;

/// The one-time cookie naming the [`Notice`] ("Password updated") that a plain form post's
/// redirect shows; the page that shows it removes it.
#[derive(Clone, Debug)]
pub struct NoticeCookie {
    secure: bool,
}

impl NoticeCookie {
    /// The notice cookie for this instance (`Secure` like the client cookie).
    pub fn for_instance(instance: &crate::config::InstanceConfig) -> Self {
        Self {
            secure: instance.secure_cookies(),
        }
    }

    fn name(&self) -> &'static str {
        if self.secure {
            "__Host-gatehouse_notice"
        } else {
            "gatehouse_notice"
        }
    }

    /// `Set-Cookie` leaving `notice`.
    pub fn set(&self, notice: Notice) -> Option<HeaderValue> {
        set_cookie(
            self.name(),
            notice.as_str(),
            NOTICE_MAX_AGE_SECONDS,
            self.secure,
        )
    }

    /// `Set-Cookie` removing the notice.
    pub fn clear(&self) -> Option<HeaderValue> {
        set_cookie(self.name(), "", 0, self.secure)
    }

    /// The notice cookie in the request: `None` without one, `Some(None)` when it names no
    /// notice (it is removed all the same).
    pub fn read(&self, headers: &HeaderMap) -> Option<Option<Notice>> {
        read(headers, self.name()).map(Notice::parse)
    }
}

/// `Set-Cookie` for `name`: `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure` when `secure`.
pub(crate) fn set_cookie(
    name: &str,
    value: &str,
    max_age: i64,
    secure: bool,
) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The value of the cookie `name` in the request's headers.
fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value)
}
