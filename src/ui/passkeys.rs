//! Passkeys in the browser: the script that runs WebAuthn for the kit's server-rendered forms
//! and for the hooks ([`PasskeyScript`], `passkeys.js`), `use_user()`'s passkey methods, and the
//! bridge the hooks call it through. The wasm holds no WebAuthn code: it hands the server's
//! JSON options to the script and gets the browser's answer back as JSON.

use leptos::prelude::*;

use crate::{
    api::{self, PasskeyFlow, PasskeySummary},
    model::{AuthError, ErrorCode, GatehouseError, UserSummary},
};

pub use crate::model::instance::PASSKEY_SCRIPT_PATH;

/// Loads the passkey script (a few lines around `navigator.credentials`, no dependency). The
/// kit's `<SignIn/>` and `<UserProfile/>` include it where passkeys are offered; a page whose
/// custom flow calls [`crate::ui::UseSignIn::passkey`] or [`UseUser::create_passkey`] renders
/// it once.
#[component]
pub fn PasskeyScript() -> impl IntoView {
    view! { <script src=PASSKEY_SCRIPT_PATH defer></script> }
}

/// The signed-in user and their passkeys (Clerk's `useUser()`: `user.createPasskey()`,
/// `user.getPasskeys()`, a passkey's `update()` and `delete()`).
#[derive(Clone, Copy)]
pub struct UseUser {
    /// The signed-in user, `None` when signed out.
    pub user: Signal<Option<UserSummary>>,
}

/// The signed-in user and the passkey methods of custom account pages.
pub fn use_user() -> UseUser {
    let auth = super::context::auth_context();
    UseUser {
        user: Signal::derive(move || auth.snapshot.with(|snapshot| snapshot.user.clone())),
    }
}

impl UseUser {
    /// Adds a passkey: the browser's prompt, then the server checks and keeps it. A sensitive
    /// change: a stale session gets `session_reverification_required` (wrap the call in
    /// [`crate::ui::use_reverification`]). `Ok(false)` when the user cancelled the prompt.
    pub async fn create_passkey(self) -> Result<bool, GatehouseError> {
        let options = api::passkey_registration_options(None, None).await?;
        let made = browser::create(&options.options).await.map_err(|name| {
            // The options excluded the account's passkeys: this authenticator holds one.
            AuthError::new(if name == "InvalidStateError" {
                ErrorCode::PasskeyAlreadyExists
            } else {
                ErrorCode::PasskeyRegistrationFailure
            })
        })?;
        let Some(credential) = made else {
            return Ok(false);
        };
        api::add_passkey(options.ceremony, credential, None, None).await?;
        Ok(true)
    }

    /// The user's passkeys, oldest first.
    pub async fn passkeys(self) -> Result<Vec<PasskeySummary>, GatehouseError> {
        api::list_passkeys().await
    }

    /// Renames one of the user's passkeys.
    pub async fn rename_passkey(self, id: String, name: String) -> Result<(), GatehouseError> {
        api::rename_passkey(id, name).await
    }

    /// Removes one of the user's passkeys (a sensitive change, as [`Self::create_passkey`]).
    pub async fn delete_passkey(self, id: String) -> Result<(), GatehouseError> {
        api::remove_passkey(id, None, None).await
    }
}

/// A passkey sign-in in the browser: the options (from `passkey_sign_in_options`, fetched by the
/// script), then the browser's answer; `(ceremony, answer)`, or `None` when the user cancelled.
pub(crate) async fn sign_in(flow: PasskeyFlow) -> Result<Option<(String, String)>, AuthError> {
    let conditional = flow == PasskeyFlow::Autofill;
    let url = api::endpoints::PASSKEY_SIGN_IN_OPTIONS;
    let answer = browser::sign_in(url, conditional)
        .await
        .map_err(|_| AuthError::new(ErrorCode::PasskeyAuthenticationFailure))?;
    Ok(answer.and_then(|pair| {
        pair.split_once('\n')
            .map(|(ceremony, answer)| (ceremony.to_string(), answer.to_string()))
    }))
}

/// The script's functions (`window.gatehousePasskeys`, from [`PasskeyScript`]): a string
/// answer, `None` when the user cancelled, `Err` when the browser refused (or the script is
/// not on the page) with the `DOMException`'s name.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(catch, js_namespace = gatehousePasskeys, js_name = signIn)]
        async fn sign_in_js(url: &str, conditional: bool) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_namespace = gatehousePasskeys, js_name = create)]
        async fn create_js(options: &str) -> Result<JsValue, JsValue>;
    }

    fn name(error: JsValue) -> String {
        js_sys::Reflect::get(&error, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_default()
    }

    pub(super) async fn sign_in(url: &str, conditional: bool) -> Result<Option<String>, String> {
        sign_in_js(url, conditional)
            .await
            .map(|answer| answer.as_string())
            .map_err(name)
    }

    pub(super) async fn create(options: &str) -> Result<Option<String>, String> {
        create_js(options)
            .await
            .map(|answer| answer.as_string())
            .map_err(name)
    }
}

/// On the server there is no browser to ask.
#[cfg(not(feature = "hydrate"))]
mod browser {
    pub(super) async fn sign_in(_url: &str, _conditional: bool) -> Result<Option<String>, String> {
        Err(String::new())
    }

    pub(super) async fn create(_options: &str) -> Result<Option<String>, String> {
        Err(String::new())
    }
}
