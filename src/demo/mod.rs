//! The demo app: a site built only from the kit's public API (`crate::prelude`).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::prelude::{
    use_auth, AuthProvider, RedirectToSignIn, Show, SignIn, SignOutButton, SignUp, SignedIn,
    SignedOut,
};

/// Paths the server protects for the demo, declared once: pages redirect, APIs answer 401.
#[cfg(feature = "ssr")]
pub fn protect_rules() -> Vec<crate::server::ProtectRule> {
    use crate::server::ProtectRule;
    vec![ProtectRule::page("/dashboard"), ProtectRule::api("/api/me")]
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The demo application root.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css"/>
        <Link rel="icon" href="/favicon.svg"/>
        <Title text="Gatehouse"/>
        <Router>
            <AuthProvider>
                <Header/>
                <main data-hydrated=move || hydrated.get().to_string()>
                    <Routes fallback=|| view! { <h1>"Page not found"</h1> }>
                        <Route path=path!("/") view=HomePage/>
                        <Route path=path!("/sign-in") view=SignIn/>
                        <Route path=path!("/sign-up") view=SignUp/>
                        <Route path=path!("/sign-up/verify-email-address") view=SignUp/>
                        <Route path=path!("/dashboard") view=DashboardPage/>
                    </Routes>
                </main>
            </AuthProvider>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Gatehouse"</a>
            <nav>
                <SignedIn>
                    <a href="/dashboard">"Dashboard"</a>
                    <span class="who" data-testid="user-email">
                        {move || auth.get().user.map(|user| user.email_address)}
                    </span>
                    <SignOutButton/>
                </SignedIn>
                <SignedOut>
                    <a href="/sign-in">"Sign in"</a>
                    <a href="/sign-up">"Sign up"</a>
                </SignedOut>
            </nav>
        </header>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    view! {
        <h1>"Gatehouse"</h1>
        <p>"Clerk's authentication model, self-hosted and in-process, for Leptos apps."</p>
        <Show when="signed-in" fallback=|| view! { <p data-testid="home-state">"You are signed out."</p> }>
            <p data-testid="home-state">"You are signed in."</p>
        </Show>
    }
}

#[component]
fn DashboardPage() -> impl IntoView {
    let auth = use_auth();
    let auth_json = move || serde_json::to_string_pretty(&auth.get()).unwrap_or_default();
    view! {
        <SignedOut>
            <RedirectToSignIn/>
        </SignedOut>
        <SignedIn>
            <h1>"Dashboard"</h1>
            <p>"Signed in as " <strong>{move || auth.get().user.map(|u| u.email_address)}</strong></p>
            <h2>"Auth object"</h2>
            <pre data-testid="auth-object">{auth_json}</pre>
        </SignedIn>
    }
}
