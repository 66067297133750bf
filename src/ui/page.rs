//! The current page's URL, and going somewhere else, with or without a `<Router>`.
//!
//! A fully hydrated app wraps the kit in `<Router>`; an island (Leptos' islands mode) hydrates
//! on its own in the browser, with no router above it. There the URL is the page's and never
//! changes, and going somewhere means loading a page. On the server every page renders under
//! the router.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The page's path and query.
#[derive(Clone, Copy)]
pub(crate) struct Here {
    /// The path, without query or hash.
    pub(crate) pathname: Signal<String>,
    /// The raw query string, without `?`.
    pub(crate) search: Signal<String>,
    /// The query, parsed.
    pub(crate) query: Signal<ParamsMap>,
}

impl Here {
    /// Must be created in a component (it reads the router, when there is one).
    pub(crate) fn new() -> Self {
        if has_router() {
            let location = leptos_router::hooks::use_location();
            return Self {
                pathname: location.pathname.into(),
                search: location.search.into(),
                query: location.query.into(),
            };
        }
        let (pathname, search, query) = page_url();
        Self {
            pathname: Signal::stored(pathname),
            search: Signal::stored(search),
            query: Signal::stored(query),
        }
    }

    /// One query parameter (empty when absent).
    pub(crate) fn param(self, name: &'static str) -> Signal<String> {
        let query = self.query;
        Signal::derive(move || query.with(|q| q.get(name).unwrap_or_default()))
    }

    /// Path and query, as a `redirect_url` back here.
    pub(crate) fn path_and_query(self) -> String {
        let path = self.pathname.get_untracked();
        match self.search.get_untracked().trim_start_matches('?') {
            "" => path,
            query => format!("{path}?{query}"),
        }
    }
}

/// Whether a `<Router>` is above the current component. In the browser the router provides its
/// `BrowserUrl`; on the server pages always render under it. In an app in islands mode (feature
/// `islands`) no island has one, and the router's paths stay out of the wasm.
pub(crate) fn has_router() -> bool {
    #[cfg(all(not(feature = "server"), not(feature = "islands")))]
    {
        use_context::<leptos_router::location::BrowserUrl>().is_some()
    }
    #[cfg(all(not(feature = "server"), feature = "islands"))]
    {
        false
    }
    #[cfg(feature = "server")]
    {
        true
    }
}

/// Whether this render is never hydrated: on the server, a page of an app in Leptos' islands
/// mode, outside its islands (`<IslandScripts/>`, like Leptos' `<HydrationScripts
/// islands=true/>`, starts the render that way; an island turns hydration on for its own
/// content). Components then render their state once as plain HTML, without the signals,
/// handlers and closures only a browser would use. Read it in the component's body: the flag
/// holds while components are created, not while they are written.
pub(crate) fn is_inert_render() -> bool {
    #[cfg(feature = "server")]
    {
        Owner::current_shared_context().is_some_and(|context| !context.get_is_hydrating())
    }
    #[cfg(not(feature = "server"))]
    {
        false
    }
}

/// The browser's own URL (an island's page): path, raw query, parsed query.
fn page_url() -> (String, String, ParamsMap) {
    #[cfg(feature = "hydrate")]
    {
        use leptos_router::location::{BrowserUrl, LocationProvider};
        if let Ok(url) = BrowserUrl::current() {
            return (
                url.path().to_string(),
                url.search().to_string(),
                url.search_params().clone(),
            );
        }
    }
    (String::new(), String::new(), ParamsMap::new())
}

/// Sends the browser to `target`: client-side through the router when there is one and `target`
/// is a path, else a full page load. Captured in a component, so it can run after an `await`.
#[derive(Clone, Copy)]
pub(crate) struct GoTo(Callback<String>);

impl GoTo {
    /// Must be created in a component (it reads the router, when there is one).
    pub(crate) fn new() -> Self {
        // In an app in islands mode no island has a router: every target loads a page, and the
        // router's navigation stays out of the wasm (about 6 KB gzip).
        #[cfg(all(not(feature = "server"), feature = "islands"))]
        return Self(Callback::new(move |target: String| load_page(&target)));
        #[cfg(any(feature = "server", not(feature = "islands")))]
        {
            let navigate = has_router().then(leptos_router::hooks::use_navigate);
            Self(Callback::new(move |target: String| match &navigate {
                Some(navigate) if target.starts_with('/') => navigate(&target, Default::default()),
                _ => load_page(&target),
            }))
        }
    }

    /// Goes to `target`.
    pub(crate) fn run(self, target: &str) {
        self.0.run(target.to_string());
    }
}

/// A full page load of `target` (nothing on the server). The page it is already on is not
/// loaded again: its state was updated in place (an island's organization switch).
pub(crate) fn load_page(target: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = leptos::web_sys::window() {
        let location = window.location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        if target != here {
            let _ = location.assign(target);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = target;
}
