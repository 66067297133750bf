use leptos::prelude::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::context::{auth_context, fingerprint, AuthContext};
use crate::{
    api::InstanceUrls,
    model::{Auth, AuthSnapshot, TaskKey},
};

/// The auth state of the page as the server rendered it, to hand to an island (Leptos' islands
/// mode) as a prop: an island hydrates on its own in the browser, without the context of the
/// `<AuthProvider>` above it, so it wraps its content in `<AuthProvider state=…>`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(not(feature = "hydrate"), derive(Serialize))]
pub struct AuthState {
    snapshot: AuthSnapshot,
    urls: InstanceUrls,
    treat_pending_as_signed_out: bool,
}

/// In the browser the state is only read: an island's props are written into the page by the
/// server, and Leptos' island wrapper serializes them again while hydrating only to discard
/// them (the element is already there). Written as `null` there, which keeps the encoder of
/// the whole state out of the wasm (about 2 KB gzip).
#[cfg(feature = "hydrate")]
impl Serialize for AuthState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl AuthState {
    /// The state of the enclosing `<AuthProvider>` (its `task_urls` and pending rule included).
    pub fn current() -> Self {
        let context = auth_context();
        Self {
            snapshot: context.snapshot.get_untracked(),
            urls: context.urls.get_value(),
            treat_pending_as_signed_out: context.treat_pending_as_signed_out,
        }
    }
}

/// Wraps the app: ships the server's auth snapshot into the page so hydration starts with the
/// right state and no extra round trip.
///
/// `treat_pending_as_signed_out` (default `true`) is the default for every component and hook
/// below it. `task_urls` (task → page) overrides the instance's `task_urls`; without an entry a
/// task is shown at `<sign_in_url>/tasks/<key>`. Inside an island, pass the page's `state`
/// ([`AuthState::current`], taken outside the island) instead.
#[component]
pub fn AuthProvider(
    /// Whether a pending session counts as signed out (default `true`).
    #[prop(optional)]
    treat_pending_as_signed_out: Option<bool>,
    /// Task key → page hosting that task (wins over the instance configuration).
    #[prop(optional)]
    task_urls: Option<BTreeMap<TaskKey, String>>,
    /// The state to start from, inside an island (its other props are then ignored).
    #[prop(optional)]
    state: Option<AuthState>,
    children: Children,
) -> impl IntoView {
    // An island has no router above it in the browser: the page's URL stands in for the
    // router's, so query hooks (`use_query_map`) work inside it.
    #[cfg(feature = "hydrate")]
    if state.is_some() && !super::page::has_router() {
        use leptos_router::location::{BrowserUrl, LocationProvider};
        if let Ok(url) = BrowserUrl::current() {
            provide_context(ArcRwSignal::new(url));
        }
    }
    let (snapshot, urls, treat) = match state {
        Some(state) => (
            state.snapshot,
            state.urls,
            state.treat_pending_as_signed_out,
        ),
        None => {
            let (snapshot, mut urls) = shared_initial_state();
            if let Some(task_urls) = task_urls {
                urls.task_urls.extend(task_urls);
            }
            (snapshot, urls, treat_pending_as_signed_out.unwrap_or(true))
        }
    };
    let context = AuthContext {
        snapshot: RwSignal::new(snapshot),
        treat_pending_as_signed_out: treat,
        urls: StoredValue::new(urls),
        tokens: StoredValue::new(Default::default()),
    };
    provide_context(context);
    super::tokens::drop_tokens_on_change(context);
    super::reverification::ReverificationPrompt::provide();
    #[cfg(feature = "hydrate")]
    follow_other_tabs();
    children()
}

/// Keeps every tab of the browser on the same auth state without polling: each tab announces
/// its state on a `BroadcastChannel` when it loads and whenever it changes (sign-in, sign-out,
/// a switch, an organization); a tab that hears a different one fetches the state once from
/// the server (the cookie is shared, so all tabs converge on the server's answer). Messages
/// carry the page's own id: the providers of one page (one per island) do not answer each other.
/// On a page with `<TabSync/>` the providers only announce their changes.
#[cfg(all(feature = "hydrate", not(feature = "islands")))]
fn follow_other_tabs() {
    use leptos::wasm_bindgen::{closure::Closure, JsCast};

    let context = auth_context();
    let Ok(channel) = web_sys::BroadcastChannel::new("gatehouse-auth") else {
        return;
    };
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let message = event.data().as_string().unwrap_or_default();
            let Some((page, theirs)) = message.split_once('|') else {
                return;
            };
            if page == page_id() || theirs == context.snapshot.with_untracked(fingerprint) {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Ok(snapshot) = crate::api::get_auth_snapshot().await {
                    context.snapshot.set(snapshot);
                }
            });
        });
    // Under `<TabSync/>` the page itself loads again on another tab's change: only announce.
    if tab_sync_page_id().is_none() {
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The listener lives as long as the page.
        on_message.forget();
    }
    announce_changes(context, channel);
}

/// An app in islands mode (feature `islands`) has `<TabSync/>` on its pages, which loads the
/// page again on another tab's change: its islands' providers only announce theirs, and the
/// listener above, with its server call, stays out of the wasm.
#[cfg(all(feature = "hydrate", feature = "islands"))]
fn follow_other_tabs() {
    if let Ok(channel) = web_sys::BroadcastChannel::new("gatehouse-auth") {
        announce_changes(auth_context(), channel);
    }
}

/// Posts this page's state on `channel` now and after every change.
#[cfg(feature = "hydrate")]
fn announce_changes(context: AuthContext, channel: web_sys::BroadcastChannel) {
    Effect::new(move |_| {
        let ours = format!("{}|{}", page_id(), context.snapshot.with(fingerprint));
        let _ = channel.post_message(&ours.into());
    });
}

/// This page's id in the tabs' messages: the one `<TabSync/>` drew for the page, else one drawn
/// once per page load.
#[cfg(feature = "hydrate")]
fn page_id() -> String {
    thread_local! {
        static PAGE_ID: String = tab_sync_page_id()
            .unwrap_or_else(|| js_sys::Math::random().to_string());
    }
    PAGE_ID.with(Clone::clone)
}

/// The page id `<TabSync/>` left on the page, if it is there.
#[cfg(feature = "hydrate")]
fn tab_sync_page_id() -> Option<String> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &TAB_SYNC_PAGE_ID.into())
        .ok()?
        .as_string()
}

/// Where `<TabSync/>` leaves the page's id for the islands' providers (a property of `window`).
const TAB_SYNC_PAGE_ID: &str = "__gatehouse_page";

/// For server-rendered pages (an app in Leptos' islands mode): keeps the browser's tabs on one
/// auth state with a few lines of script and no wasm. The page announces its state on the
/// providers' `BroadcastChannel`; when another tab announces a different one (a sign-in, a
/// sign-out, a switch), the page loads again and the server renders the new state — a
/// protected page then redirects to sign-in. The islands of the page share its id, so a change
/// they make in place (the organization switcher) is adopted, not reloaded. A fully hydrated
/// app does not need it: `<AuthProvider>` follows the other tabs itself. Put it once per page,
/// inside `<AuthProvider>`.
#[component]
pub fn TabSync() -> impl IntoView {
    let ours = auth_context().snapshot.with_untracked(fingerprint);
    // Ids and the separators are plain ASCII; escaping `<` all the same keeps any value from
    // closing the script element.
    let ours = serde_json::to_string(&ours)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let script = format!("({TAB_SYNC})({ours},{TAB_SYNC_PAGE_ID:?});");
    view! { <script inner_html=script></script> }
}

/// Announces `ours` as `<page id>|<fingerprint>` and reloads on a different state from another
/// page (the same message format as `follow_other_tabs`).
const TAB_SYNC: &str = r#"(ours, global) => {
  const page = String(Math.random());
  window[global] = page;
  const channel = new BroadcastChannel("gatehouse-auth");
  channel.onmessage = (event) => {
    const message = String(event.data);
    const bar = message.indexOf("|");
    if (bar < 0) return;
    const theirs = message.slice(bar + 1);
    if (message.slice(0, bar) === page) ours = theirs;
    else if (theirs !== ours) location.reload();
  };
  channel.postMessage(page + "|" + ours);
}"#;

/// The state the server resolved for the page, carried into its hydration. In the wasm of an
/// app in islands mode (feature `islands`) a provider only runs inside an island, which is
/// given its `state`: the decoder of the hydration's copy stays out of the wasm.
fn shared_initial_state() -> (AuthSnapshot, InstanceUrls) {
    #[cfg(any(feature = "server", not(feature = "islands")))]
    {
        SharedValue::new(initial_state).into_inner()
    }
    #[cfg(all(not(feature = "server"), feature = "islands"))]
    {
        leptos::logging::warn!("gatehouse: <AuthProvider> in an island needs its `state`");
        initial_state()
    }
}

fn initial_state() -> (AuthSnapshot, InstanceUrls) {
    #[cfg(feature = "server")]
    {
        crate::api::request_state()
    }
    #[cfg(not(feature = "server"))]
    {
        (AuthSnapshot::default(), InstanceUrls::default())
    }
}

/// The Auth object as a signal, with the provider's `treat_pending_as_signed_out`.
pub fn use_auth() -> Signal<Auth> {
    let context = auth_context();
    Signal::derive(move || context.auth(None))
}

/// The Auth object as a signal, with an explicit `treat_pending_as_signed_out`.
pub fn use_auth_with(treat_pending_as_signed_out: bool) -> Signal<Auth> {
    let context = auth_context();
    Signal::derive(move || context.auth(Some(treat_pending_as_signed_out)))
}

/// The instance's URLs (sign-in page, after-sign-in target, …).
pub fn use_instance_urls() -> InstanceUrls {
    auth_context().urls.get_value()
}
