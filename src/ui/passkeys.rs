//! Passkeys in the browser: the script that runs WebAuthn for the kit's server-rendered forms
//! and for the hooks ([`PasskeyScript`], `passkeys.js`), `use_user()`'s passkey methods, and the
//! bridge the hooks call it through. The wasm holds no WebAuthn code: it hands the server's
//! JSON options to the script and gets the browser's answer back as JSON.

use leptos::prelude::*;

use crate::{
    api::{self, PasskeyFlow, PasskeySummary},
    model::{AuthError, ErrorCode, GatehouseError, UserSummary},
};

/// Where the kit's router serves the browser's half of passkeys (`passkeys.js`).
pub const PASSKEY_SCRIPT_PATH: &str = "/__gatehouse/passkeys.js";

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
        let Some(credential) = browser::create(&options.options).await? else {
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

/// The browser's answer to sign-in `options` (`flow` chooses a prompt or the autofill), `None`
/// when the user cancelled.
pub(crate) async fn get(options: &str, flow: PasskeyFlow) -> Result<Option<String>, AuthError> {
    browser::call("get", options, flow == PasskeyFlow::Autofill, ErrorCode::PasskeyAuthenticationFailure).await
}

mod browser {
    use super::*;

    /// The browser's new credential for registration `options`, `None` when cancelled.
    pub(super) async fn create(options: &str) -> Result<Option<String>, AuthError> {
        call("create", options, false, ErrorCode::PasskeyRegistrationFailure).await
    }

    /// Calls `window.gatehousePasskeys[method](options, conditional)` (from [`PasskeyScript`]);
    /// a rejection is `failure`, a script that is not there `passkeys_not_enabled`.
    #[cfg(feature = "hydrate")]
    pub(super) async fn call(
        method: &str,
        options: &str,
        conditional: bool,
        failure: ErrorCode,
    ) -> Result<Option<String>, AuthError> {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let missing = || AuthError::new(ErrorCode::PasskeysNotEnabled);
        let window: JsValue = leptos::web_sys::window().ok_or_else(missing)?.into();
        let script = js_sys::Reflect::get(&window, &"gatehousePasskeys".into())
            .ok()
            .filter(JsValue::is_object)
            .ok_or_else(missing)?;
        let function = js_sys::Reflect::get(&script, &method.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(missing)?;
        let promise = function
            .call2(&script, &options.into(), &conditional.into())
            .ok()
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
            .ok_or_else(|| AuthError::new(failure))?;
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(answer) => Ok(answer.as_string()),
            Err(error) => {
                // The options excluded the passkeys the account has: this authenticator holds one.
                let name = js_sys::Reflect::get(&error, &"name".into()).ok();
                let exists = method == "create"
                    && name.and_then(|n| n.as_string()).as_deref() == Some("InvalidStateError");
                Err(AuthError::new(if exists {
                    ErrorCode::PasskeyAlreadyExists
                } else {
                    failure
                }))
            }
        }
    }

    /// On the server there is no browser to ask.
    #[cfg(not(feature = "hydrate"))]
    pub(super) async fn call(
        _method: &str,
        _options: &str,
        _conditional: bool,
        _failure: ErrorCode,
    ) -> Result<Option<String>, AuthError> {
        Err(AuthError::new(ErrorCode::PasskeysNotEnabled))
    }
}
