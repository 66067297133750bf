//! The dashboard's session-token panel: `get_token()` from the kit, the token, and its claims
//! as any service decoding it would read them.

use leptos::prelude::*;

use crate::prelude::{use_get_token, AuthError};

/// The claims part of a JWT, as text (the browser's own base64 decoder). Display only: the
/// signature is what `/api/whoami` and other services check.
fn claims_json(jwt: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        // base64url to base64 (`atob` accepts it without the padding).
        let base64: String = jwt
            .split('.')
            .nth(1)
            .unwrap_or_default()
            .bytes()
            .map(|byte| match byte {
                b'-' => '+',
                b'_' => '/',
                byte => char::from(byte),
            })
            .collect();
        // `atob` gives one char per byte; the claims are UTF-8, which `escape` then
        // `decodeURIComponent` read as such. All of it in the browser: decoding in Rust (UTF-8
        // validation and all) costs about 1.5 KB gzip of wasm.
        web_sys::window()
            .and_then(|window| window.atob(&base64).ok())
            .and_then(|binary| {
                js_sys::decode_uri_component(&String::from(js_sys::escape(&binary))).ok()
            })
            .map(String::from)
            .unwrap_or_default()
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
    // One handler type for both buttons (each closure type is code of its own in the wasm).
    let get = move |template: Option<&'static str>| {
        move |_: leptos::ev::MouseEvent| {
            leptos::task::spawn_local(async move {
                let answer = match template {
                    Some(template) => tokens.get_token_with(template).await,
                    None => tokens.get_token().await,
                };
                token.set(Some(answer));
            });
        }
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
            <button type="button" on:click=get(None)>"Get token"</button>
            " "
            <button type="button" on:click=get(Some(BACKEND_TEMPLATE))>
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
