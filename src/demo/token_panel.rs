//! The dashboard's session-token panel: `get_token()` from the kit, the token, and its claims
//! as any service decoding it would read them.

use leptos::prelude::*;

use crate::prelude::{use_get_token, AuthError};

/// The claims part of a JWT, as text (the browser's own base64 decoder). Display only: the
/// signature is what `/api/whoami` and other services check.
fn claims_json(jwt: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let payload = jwt.split('.').nth(1).unwrap_or_default();
        let mut base64: String = payload
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        while !base64.len().is_multiple_of(4) {
            base64.push('=');
        }
        let binary = web_sys::window()
            .and_then(|window| window.atob(&base64).ok())
            .unwrap_or_default();
        // atob gives one char per byte; the claims are UTF-8.
        let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        // Tokens are only fetched in the browser.
        let _ = jwt;
        String::new()
    }
}

/// The JWT template `demo.toml` defines (`[tokens.templates.backend]`).
const BACKEND_TEMPLATE: &str = "backend";

/// "Get token": a session token (cached by the kit until shortly before it expires) and its
/// decoded claims; "Get backend token": the same for the `backend` JWT template.
#[component]
pub fn TokenPanel() -> impl IntoView {
    let tokens = use_get_token();
    let token = RwSignal::new(None::<Result<Option<String>, AuthError>>);
    let get = move |template: Option<&'static str>| {
        leptos::task::spawn_local(async move {
            let answer = match template {
                Some(template) => tokens.get_token_with(template).await,
                None => tokens.get_token().await,
            };
            token.set(Some(answer));
        });
    };
    view! {
        <section class="token-panel">
            <h2>"Session token"</h2>
            <p>
                "A short-lived JWT for calling an API as this user with "
                <code>"Authorization: Bearer <token>"</code>
                ". The demo's " <code>"/api/whoami"</code>
                " checks it with gatehouse-verifier, from the token alone."
            </p>
            <button type="button" on:click=move |_| get(None)>"Get token"</button>
            " "
            <button type="button" on:click=move |_| get(Some(BACKEND_TEMPLATE))>
                "Get backend token"
            </button>
            {move || token.get().map(|result| match result {
                Ok(Some(jwt)) => {
                    let claims = claims_json(&jwt);
                    view! {
                        <p><code class="token" data-testid="session-token">{jwt}</code></p>
                        <h3>"Claims"</h3>
                        <pre data-testid="token-claims">{claims}</pre>
                    }
                        .into_any()
                }
                Ok(None) => view! { <p data-testid="session-token">"Signed out: no token."</p> }.into_any(),
                Err(error) => view! { <p role="alert">{error.long_message}</p> }.into_any(),
            })}
        </section>
    }
}
