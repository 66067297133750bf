//! What a page being rendered on the server reads about its request: the auth state and the
//! instance's URLs for `<AuthProvider>`, a refused form's values, the notice a form post left.

use http::request::Parts;
use leptos::prelude::use_context;

use super::{call::set_cookie, cookies::NoticeCookie};
use crate::{
    domain::Gatehouse,
    model::{
        instance::{InstanceUrls, SocialConnection},
        AuthSnapshot, Notice,
    },
};

/// What was typed into the field `name` of a plain form the server refused, for the page that
/// shows the refusal (see `server::form_values`).
pub fn refused_form_value(name: &str) -> Option<String> {
    let request = use_context::<Parts>()?;
    let secure = use_context::<Gatehouse>()
        .is_some_and(|gatehouse| gatehouse.config.instance.secure_cookies());
    super::form_values::refused_value(&request, name, secure)
}

/// The result line ([`Notice`]) a plain form post left for the page being rendered, removed as
/// it is read (SSR only; the page must render whole, `SsrMode::Async`, for the removal to reach
/// the response's headers).
pub fn take_notice() -> Option<Notice> {
    let gatehouse = use_context::<Gatehouse>()?;
    let cookie = NoticeCookie::for_instance(&gatehouse.config.instance);
    let notice = use_context::<Parts>().and_then(|parts| cookie.read(&parts.headers))?;
    set_cookie(cookie.clear());
    notice
}

/// The auth state and instance URLs of the request being rendered (SSR only).
pub fn request_state() -> (AuthSnapshot, InstanceUrls) {
    let urls = use_context::<Gatehouse>()
        .map(|gatehouse| {
            let instance = &gatehouse.config.instance;
            InstanceUrls {
                sign_in_url: instance.sign_in_url.clone(),
                sign_up_url: instance.sign_up_url.clone(),
                after_sign_in_url: instance.after_sign_in_url.clone(),
                after_sign_up_url: instance.after_sign_up_url.clone(),
                after_sign_out_url: instance.after_sign_out_url.clone(),
                task_urls: instance.task_url_map(),
                organization_creation_allowed: gatehouse.config.organizations.creation_allowed(),
                origin: instance.origin(),
                authorized_parties: instance.authorized_parties.clone(),
                social_connections: gatehouse
                    .config
                    .sso
                    .connections
                    .iter()
                    .filter(|connection| connection.domains.is_empty())
                    .map(|connection| SocialConnection {
                        strategy: format!("{}{}", crate::domain::sso::OAUTH_PREFIX, connection.key),
                        name: connection.name.clone(),
                    })
                    .collect(),
                enterprise_domains: gatehouse
                    .config
                    .sso
                    .connections
                    .iter()
                    .flat_map(|connection| connection.domains.iter().cloned())
                    .collect(),
                multi_session: gatehouse.config.sessions.multi_session,
                passkeys: gatehouse.config.passkeys_available(),
            }
        })
        .unwrap_or_default();
    (super::request_auth().snapshot, urls)
}
