//! `get_token()` in the browser: session tokens for calling other services, cached until
//! shortly before they expire, one request shared by concurrent callers, and dropped the
//! moment the auth state they describe changes (sign-out, switch, organization).

use futures_channel::oneshot;
use leptos::prelude::*;

use super::{
    context::{auth_context, fingerprint, AuthContext},
    token_cache::{Entry, TokenResult},
};
use crate::model::{AuthError, AuthSnapshot};

/// When a token received now should be replaced: 10 s before it expires, as Clerk's SDK does
/// with its 60 s tokens, or half-way through a shorter one.
fn refresh_at(now: f64, expires_in_seconds: i64) -> f64 {
    let lifetime = expires_in_seconds.max(0) as f64 * 1000.0;
    now + (lifetime - 10_000.0).max(lifetime / 2.0)
}

fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64)
    }
}

/// What [`use_get_token`] gives: Clerk's `getToken()`.
#[derive(Clone, Copy)]
pub struct GetToken {
    context: AuthContext,
}

impl GetToken {
    /// A session token (Clerk's v2 claims: `sub`, `sid`, `o`, `fva`, …) for `Authorization:
    /// Bearer` calls to the app's API or other services; `None` when signed out.
    pub async fn get_token(&self) -> Result<Option<String>, AuthError> {
        self.fetch(None).await
    }

    /// A token of the JWT template `[tokens.templates.<template>]` (no `sid`).
    pub async fn get_token_with(&self, template: &str) -> Result<Option<String>, AuthError> {
        self.fetch(Some(template.to_string())).await
    }

    async fn fetch(&self, template: Option<String>) -> TokenResult {
        let context = self.context;
        if context
            .snapshot
            .with_untracked(|s: &AuthSnapshot| s.session_id.is_none())
        {
            return Ok(None);
        }
        let state = context.snapshot.with_untracked(fingerprint);
        let now = now_ms();
        let lookup = context.tokens.try_update_value(|cache| {
            cache.follow(state.clone());
            match cache.entry(&template) {
                Some(Entry::Ready { jwt, refresh_at }) if now < *refresh_at => {
                    Lookup::Cached(jwt.clone())
                }
                Some(Entry::Loading(waiters)) => {
                    let (sender, receiver) = oneshot::channel();
                    waiters.push(sender);
                    Lookup::Wait(receiver)
                }
                _ => {
                    cache.remove(&template);
                    cache
                        .entries
                        .push((template.clone(), Entry::Loading(Vec::new())));
                    Lookup::Request
                }
            }
        });
        match lookup {
            None => Err(AuthError::internal()),
            Some(Lookup::Cached(jwt)) => Ok(Some(jwt)),
            Some(Lookup::Wait(receiver)) => match receiver.await {
                Ok(answer) => answer,
                // The state changed while waiting (the request's answer describes the old one):
                // ask again for the new state.
                Err(_) => Box::pin(self.fetch(template)).await,
            },
            Some(Lookup::Request) => self.request(template, state).await,
        }
    }

    /// Asks the server, hands the answer to everyone waiting for it, and keeps it only if the
    /// auth state it was asked for is still the state now.
    async fn request(&self, template: Option<String>, state: String) -> TokenResult {
        let answer = crate::api::get_session_token(template.clone())
            .await
            .map_err(|error| error.first_error());
        let refresh = answer
            .as_ref()
            .ok()
            .flatten()
            .map(|token| refresh_at(now_ms(), token.expires_in_seconds));
        let handed_out = answer.map(|token| token.map(|token| token.jwt));
        self.context.tokens.update_value(|cache| {
            let waiters = match cache.remove(&template) {
                Some(Entry::Loading(waiters)) => waiters,
                _ => Vec::new(),
            };
            if let (true, Ok(Some(jwt)), Some(refresh_at)) =
                (cache.state == state, &handed_out, refresh)
            {
                cache.entries.push((
                    template,
                    Entry::Ready {
                        jwt: jwt.clone(),
                        refresh_at,
                    },
                ));
            }
            for waiter in waiters {
                let _ = waiter.send(handed_out.clone());
            }
        });
        handed_out
    }
}

/// What the cache has for a call.
enum Lookup {
    Cached(String),
    Wait(oneshot::Receiver<TokenResult>),
    Request,
}

/// Clerk's `useAuth().getToken`: session tokens for the browser's session, cached until shortly
/// before they expire (concurrent calls share one request); a sign-out, a switch of session or
/// of organization drops the cache at once, so a token never describes a state older than its
/// lifetime (`tokens.lifetime_seconds`, 60 s by default).
pub fn use_get_token() -> GetToken {
    GetToken {
        context: auth_context(),
    }
}

/// The provider's part: drop the tokens as soon as the auth state changes.
pub(crate) fn drop_tokens_on_change(context: AuthContext) {
    Effect::new(move |_| {
        let state = context.snapshot.with(fingerprint);
        context.tokens.update_value(|cache| cache.follow(state));
    });
}
