//! A minimal Leptos app on the Gatehouse kit, written only with its public API
//! (`gatehouse::prelude` in components; `gatehouse::server` and `gatehouse::config` on the
//! server): `<AuthProvider>`, `<SignIn/>`, `<Show>`, a custom sign-in page on `use_sign_in()`, a
//! server function reading `auth()`, `<OrganizationSwitcher/>`, `<UserProfile/>`, an SSO
//! callback page on the hooks, and a route checked by `gatehouse-verifier` (`main.rs`). Unlike the demo (Leptos' islands mode), this app
//! hydrates whole: the switcher and the account page update in place, and a protected change
//! opens the in-place re-verification prompt.

use gatehouse::prelude::{
    use_auth, use_get_token, use_sign_in, AuthProvider, BuildStylesheet, Errors, NavigateArgs,
    OrganizationSwitcher, SignIn, SignOutButton, SignedIn, SignedOut, UserButton, UserProfile,
};
// Leptos' prelude has a `Show` too: ours, explicitly.
use gatehouse::prelude::Show;
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    hooks::use_navigate,
    path, SsrMode,
};

mod sso_callback;

/// The HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <BuildStylesheet options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: a home page, the kit's sign-in, a custom sign-in page and a protected page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Title text="Minimal Gatehouse app"/>
        <Router>
            <AuthProvider>
                <nav>
                    <A href="/">"Home"</A>
                    <SignedOut><A href="/sign-in">"Sign in"</A> <A href="/custom-sign-in">"Custom sign-in"</A></SignedOut>
                    <SignedIn><A href="/private">"Private"</A> <A href="/account">"Account"</A> <UserButton/> <SignOutButton/></SignedIn>
                </nav>
                <main data-hydrated=move || hydrated.get().to_string()>
                    <Routes fallback=|| "Not found">
                        <Route path=path!("/") view=Home/>
                        // The kit's flow (its steps render whole, so they work without JavaScript).
                        <Route path=path!("/sign-in") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/factor-two") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/client-trust") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/reset-password") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/tasks/:key") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/custom-sign-in") view=CustomSignIn/>
                        // The seeds' SSO callback, written with the hooks (when SSO is configured).
                        <Route path=path!("/sso-callback") view=sso_callback::SsoCallbackPage/>
                        <Route path=path!("/private") view=Private/>
                        // Whole: its data and a plain form's result line are in the HTML.
                        <Route path=path!("/account") view=|| view! { <UserProfile/> } ssr=SsrMode::Async/>
                    </Routes>
                </main>
            </AuthProvider>
        </Router>
    }
}

/// What the server says about the caller: `auth()` inside a server function.
#[server(endpoint = "minimal/whoami")]
pub async fn whoami() -> Result<String, ServerFnError> {
    let auth = gatehouse::prelude::auth();
    Ok(match auth.user_id {
        Some(user_id) => format!("server: signed in as {user_id}"),
        None => "server: signed out".to_string(),
    })
}

#[component]
fn Home() -> impl IntoView {
    let auth = use_auth();
    let from_server = Resource::new(move || auth.get().user_id, |_| whoami());
    let tokens = use_get_token();
    let token = RwSignal::new(String::new());
    let get_token = move |_| {
        spawn_local(async move {
            if let Ok(Some(jwt)) = tokens.get_token().await {
                token.set(jwt);
            }
        });
    };
    view! {
        <h1>"Minimal app"</h1>
        <Show when="signed-in" fallback=|| view! { <p>"You are signed out."</p> }>
            <p data-testid="greeting">
                "Signed in as " {move || auth.get().user.map(|user| user.email_address)}
            </p>
            <button type="button" on:click=get_token>"Get token"</button>
            <code data-testid="token">{move || token.get()}</code>
            <p>"Organization: " <span data-testid="org-slug">{move || auth.get().org_slug.unwrap_or_default()}</span></p>
            <OrganizationSwitcher/>
        </Show>
        <Suspense fallback=|| "…">
            <p data-testid="from-server">
                {move || from_server.get().map(|answer| answer.unwrap_or_else(|e| e.to_string()))}
            </p>
        </Suspense>
    }
}

#[component]
fn Private() -> impl IntoView {
    view! { <h1>"Private"</h1><p>"Only signed-in users see this page."</p> }
}

/// A sign-in page of its own, on the kit's `use_sign_in()` hook (the seeds' custom flow; this
/// one handles the password step only). Without JavaScript the form posts to the kit's sign-in
/// endpoint, which continues on the kit's own step pages.
#[component]
fn CustomSignIn() -> impl IntoView {
    let sign_in = use_sign_in();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let on_done = Callback::new(move |args: NavigateArgs| {
        navigate(&args.decorate_url("/"), Default::default());
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            let signed_in = sign_in
                .password(email.get_untracked(), password.get_untracked())
                .await;
            if signed_in.is_ok() {
                let _ = sign_in.finalize(Some(on_done));
            }
        });
    };
    let error = move || sign_in.errors.with(error_line);
    view! {
        <h1>"Custom sign-in"</h1>
        <form method="post" action=gatehouse::api::endpoints::SIGN_IN on:submit=submit>
            <input type="hidden" name="redirect_url" value="/"/>
            <label>"Email address" <input type="email" name="identifier" bind:value=email/></label>
            <label>"Password" <input type="password" name="password" bind:value=password/></label>
            <p role="alert">{error}</p>
            <button type="submit">"Sign in"</button>
        </form>
    }
}

/// Every error of a hook's last request, as one line.
fn error_line(errors: &Errors) -> String {
    errors
        .raw
        .iter()
        .map(|e| e.long_message.clone())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Browser entry point.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
