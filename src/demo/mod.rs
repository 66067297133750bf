//! The demo app: a site built only from the kit's public API (`crate::prelude`).

mod custom;
mod islands;
mod token_panel;
pub mod tour;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_params_map,
    path, SsrMode,
};

use crate::prelude::{
    task_view, use_auth, AuthProvider, AuthState, BuildStylesheet, HasParams, IslandScripts,
    OrganizationProfile, OrganizationSwitcher, PasskeyScript, Protect, RedirectToSignIn,
    RedirectToTasks, Show, SignIn, SignOutButton, SignUp, SignedIn, SignedOut, SsoCallback,
    TabSync, UnknownTask, UserButton, UserProfile,
};

/// The demo's route rules, declared once: protected pages redirect (to sign-in, or straight to
/// the current task), role rules answer 404; `/orgs/:slug…` activates that organization for
/// its members. (`/api/me` answers 401 by itself, honouring `treat_pending_as_signed_out`.)
#[cfg(feature = "server")]
pub fn route_rules() -> crate::server::RouteRules {
    use crate::server::{ProtectRule, RouteRules};
    RouteRules {
        protect: vec![
            ProtectRule::page("/orgs/:slug/settings").role("org:admin"),
            ProtectRule::page("/orgs"),
            ProtectRule::page("/dashboard"),
            ProtectRule::page("/account"),
        ],
        organization_patterns: vec!["/orgs/:slug".to_string()],
        personal_account_patterns: vec!["/me".to_string()],
        ..RouteRules::default()
    }
}

/// The demo's own API, behind the kit's layers: `GET /api/whoami` answers the Auth object of a
/// bearer session token as `gatehouse_verifier` checks it — from the token alone, as another
/// service would (a signed-out session's token works until it expires) — or 401.
#[cfg(feature = "server")]
pub fn api_routes() -> axum::Router<crate::server::AppState> {
    async fn whoami(auth: gatehouse_verifier::Auth) -> axum::Json<gatehouse_verifier::Auth> {
        axum::Json(auth)
    }
    axum::Router::new().route("/api/whoami", axum::routing::get(whoami))
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <BuildStylesheet options=options.clone()/>
                <IslandScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Where the demo's task pages send the user once no task remains.
const AFTER_TASKS: &str = "/dashboard";

/// The demo application root.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.svg"/>
        <Title text="Gatehouse"/>
        <Router>
            <AuthProvider>
                <Header/>
                <main>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=HomePage/>
                        // Flow steps and task pages render whole (SsrMode::Async): their content
                        // is in the HTML response itself, so they work without JavaScript.
                        <Route path=path!("/sign-in") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/factor-one") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/factor-two") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/client-trust") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/reset-password") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-in/tasks/:key") view=|| view! { <SignIn/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-up") view=|| view! { <SignUp/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-up/verify-email-address") view=|| view! { <SignUp/> } ssr=SsrMode::Async/>
                        <Route path=path!("/sign-up/continue") view=|| view! { <SignUp/> } ssr=SsrMode::Async/>
                        <Route path=path!("/session-tasks/:key") view=SessionTaskPage ssr=SsrMode::Async/>
                        // The kit's callback page: rendered on the server, finished by a line of script.
                        <Route path=path!("/sso-callback") view=SsoCallback/>
                        <Route path=path!("/custom/sign-in") view=|| view! { <islands::CustomSignIn state=AuthState::current()/><PasskeyScript/> }/>
                        <Route path=path!("/custom/sign-up") view=|| view! { <islands::CustomSignUp state=AuthState::current()/> }/>
                        // Whole, for the organization switcher's list and the account page's result
                        // lines: they are in the HTML, and work without JavaScript.
                        <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async/>
                        <Route path=path!("/orgs/:slug") view=OrganizationPage ssr=SsrMode::Async/>
                        <Route path=path!("/orgs/:slug/settings") view=OrganizationSettingsPage ssr=SsrMode::Async/>
                        <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                        <Route path=path!("/me") view=MePage/>
                    </Routes>
                </main>
            </AuthProvider>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "server")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! { <h1>"Page not found"</h1> }
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Gatehouse"</a>
            <nav>
                <SignedIn>
                    // Plain links, as in the signed-out branch: the router navigates them
                    // client-side all the same, without `<A>`'s per-link route matching.
                    <a href="/dashboard">"Dashboard"</a>
                    <a href="/account">"Account"</a>
                    <span class="who" data-testid="user-email">
                        {move || auth.get().user.map(|user| user.email_address)}
                    </span>
                    <UserButton/>
                    <SignOutButton/>
                </SignedIn>
                <SignedOut>
                    <a href="/sign-in">"Sign in"</a>
                    <a href="/sign-up">"Sign up"</a>
                </SignedOut>
            </nav>
            <TabSync/>
        </header>
    }
}

/// The control components of Clerk's session-task guide, with their exact texts: a pending
/// user visibly sees the signed-out variants.
#[component]
fn HomePage() -> impl IntoView {
    view! {
        <h1>"Gatehouse"</h1>
        <p class="lead">
            "Clerk's authentication model, self-hosted and in-process, for Leptos apps: this demo is
            built only from the kit's components and hooks. Every capability below says how to try
            it here and shows the code that renders it."
        </p>
        <Show when="signed-in" fallback=|| view! { <p data-testid="home-state">"You are signed out."</p> }>
            <p data-testid="home-state">"You are signed in."</p>
        </Show>
        <tour::Tour/>
        <ControlComponents/>
    }
}

/// Clerk's control components, each with the text it shows (the tour's last stop).
#[component]
fn ControlComponents() -> impl IntoView {
    view! {
        <section class="examples" id="control-components-examples" aria-label="Control components">
            <h2>"Control components"</h2>
            <div data-testid="protect-default">
                <Protect fallback=|| view! { <p>"Signed-out and pending users can see this."</p> }>
                    <p>"Only signed-in users can see this."</p>
                </Protect>
            </div>
            <div data-testid="protect-pending-in">
                <Protect treat_pending_as_signed_out=false fallback=|| view! { <p>"Users that are signed-out can see this."</p> }>
                    <p>"Users that are signed-in or pending can see this."</p>
                </Protect>
            </div>
            <div data-testid="signed-out-default">
                <SignedOut>
                    <p>"Users that are signed-out or pending will see this."</p>
                </SignedOut>
            </div>
            <div data-testid="signed-out-pending-in">
                <SignedOut treat_pending_as_signed_out=false>
                    <p>"Users that are signed-out will see this."</p>
                </SignedOut>
            </div>
            <div data-testid="signed-in-default">
                <SignedIn>
                    <p>"Users that are signed-in will see this."</p>
                </SignedIn>
            </div>
            <div data-testid="signed-in-pending-in">
                <SignedIn treat_pending_as_signed_out=false>
                    <p>"Users that are signed-in or pending will see this."</p>
                </SignedIn>
            </div>
        </section>
    }
}

/// `/session-tasks/:key`: the demo's `task_urls` point here.
#[component]
fn SessionTaskPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let key = params.with(|p| p.get("key").unwrap_or_default());
        task_view(&key, AFTER_TASKS.to_string()).unwrap_or_else(|| {
            view! { <UnknownTask redirect_url_complete=AFTER_TASKS/> }.into_any()
        })
    }
}

#[component]
fn DashboardPage() -> impl IntoView {
    view! {
        <SignedOut>
            <RedirectToSignIn/>
        </SignedOut>
        <SignedIn>
            <DashboardContent/>
        </SignedIn>
    }
}

/// The dashboard of a signed-in user, rendered on the server: the organization switcher posts
/// plain forms and the page comes back with the new state. Only the token panel is an island.
#[component]
fn DashboardContent() -> impl IntoView {
    let auth = use_auth();
    let auth_json = move || serde_json::to_string_pretty(&auth.get()).unwrap_or_default();
    let field = move |value: Option<String>| value.unwrap_or_else(|| "—".to_string());
    view! {
            <h1>"Dashboard"</h1>
            <p>"Signed in as " <strong>{move || auth.get().user.map(|u| u.email_address)}</strong></p>
            <dl class="org-facts">
                <dt>"Organization id"</dt><dd data-testid="org-id">{move || field(auth.get().org_id.map(|id| id.to_string()))}</dd>
                <dt>"Organization slug"</dt><dd data-testid="org-slug">{move || field(auth.get().org_slug)}</dd>
                <dt>"Role"</dt><dd data-testid="org-role">{move || field(auth.get().org_role)}</dd>
                <dt>"Permissions"</dt>
                <dd data-testid="org-permissions">{move || auth.get().org_permissions.unwrap_or_default().join(", ")}</dd>
            </dl>
            <p>
                {move || auth.get().org_slug.map(|slug| view! {
                    <a href=format!("/orgs/{slug}")>"Organization page"</a>
                })}
            </p>
            <OrganizationSwitcher/>
            <h2>"Your session"</h2>
            <dl class="session-facts">
                <dt>"Status"</dt>
                <dd data-testid="session-status">{move || auth.get().session_status.map_or("—", |status| status.as_str())}</dd>
                <dt>"Current task"</dt>
                <dd data-testid="session-task">{move || auth.get().current_task.map_or("none", |task| task.as_str())}</dd>
            </dl>
            // What `has()` answers for this session — the check an app's pages and server
            // functions make.
            <h2>"What has() answers"</h2>
            <table class="has-table">
                <thead><tr><th scope="col">"Check"</th><th scope="col">"Answer"</th></tr></thead>
                <tbody>
                    {HAS_CHECKS.iter().map(|(label, role, permission)| {
                        let params = HasParams {
                            role: role.map(str::to_string),
                            permission: permission.map(str::to_string),
                            reverification: None,
                        };
                        view! {
                            <tr data-testid="has-check">
                                <td><code>{*label}</code></td>
                                <td>{move || if auth.get().has(&params) { "yes" } else { "no" }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <details>
                <summary>"The whole Auth object"</summary>
                <pre data-testid="auth-object">{auth_json}</pre>
            </details>
            <islands::TokenPanel state=AuthState::current()/>
    }
}

/// The `has()` checks the dashboard answers: (what it reads, role, permission).
const HAS_CHECKS: [(&str, Option<&str>, Option<&str>); 4] = [
    ("has({ role: \"org:admin\" })", Some("org:admin"), None),
    (
        "has({ permission: \"org:reports:read\" })",
        None,
        Some("org:reports:read"),
    ),
    (
        "has({ permission: \"org:reports:manage\" })",
        None,
        Some("org:reports:manage"),
    ),
    (
        "has({ permission: \"org:invoices:read\" })",
        None,
        Some("org:invoices:read"),
    ),
];

/// An organization's page for its members: `<OrganizationProfile/>`, which shows each member
/// what their role may do (a member: the members and "Leave organization"; an admin: the rest).
#[component]
fn OrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    view! {
        <SignedOut>
            <RedirectToSignIn/>
        </SignedOut>
        <SignedIn>
            <p class="eyebrow">"Organization " {slug}</p>
            <Protect role="org:admin">
                <p><a href=move || format!("/orgs/{}/settings", slug())>"Settings"</a></p>
            </Protect>
            {move || view! { <OrganizationProfile slug=slug() after_leave_organization_url="/dashboard"/> }}
        </SignedIn>
    }
}

/// The admins' settings page (members get 404 from the route rules): `<OrganizationProfile/>`.
#[component]
fn OrganizationSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    view! {
        <Protect role="org:admin" fallback=|| view! { <NotFound/> }>
            <h1>"Organization settings"</h1>
            {move || view! { <OrganizationProfile slug=slug() after_leave_organization_url="/dashboard"/> }}
        </Protect>
    }
}

#[component]
fn AccountPage() -> impl IntoView {
    view! {
        <SignedOut>
            <RedirectToSignIn/>
        </SignedOut>
        <SignedIn>
            <UserProfile/>
        </SignedIn>
    }
}

/// A public page that sends pending users to their task with `<RedirectToTasks/>`.
#[component]
fn MePage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <RedirectToTasks/>
        <h1>"Me"</h1>
        <Show when="signed-in" fallback=|| view! { <p>"You are signed out."</p> }>
            <p data-testid="me-email">{move || auth.get().user.map(|u| u.email_address)}</p>
            // Organization sync: where personal accounts are allowed, opening /me makes the
            // personal account active (`personal_account_patterns`), as /orgs/:slug activates
            // that organization.
            <p data-testid="me-active">
                {move || match auth.get().org_slug {
                    Some(slug) => format!("Active organization: {slug}"),
                    None => "Personal account".to_string(),
                }}
            </p>
        </Show>
    }
}
