//! The one cookie builder: the client cookie is `__Host-` prefixed, `HttpOnly`, `Secure` and
//! `SameSite=Lax` in production, and plainly named over http in development.

use http::{header, HeaderMap, HeaderValue};

use crate::domain::tokens::SecretToken;

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
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name()
        ))
        .ok()
    }

    /// The token in the request's cookies, if well-formed.
    pub fn read(&self, headers: &HeaderMap) -> Option<SecretToken> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name())
            .and_then(|(_, value)| SecretToken::from_cookie(value))
    }
}
