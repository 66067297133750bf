//! The home page's guided tour: one stop per capability — what it is, how to try it in this demo,
//! a link that starts it, and the code that renders it. The code is the demo's own source, read
//! from its file when the server is built (`include_str!`) and cut at the item it names, so it
//! can never drift from what runs. Rendered on the server only: it adds nothing to the wasm, and
//! `<details>` folds the code away without JavaScript.

use leptos::prelude::*;

/// Where a stop's code comes from: a file of the demo and the item in it.
#[derive(Clone, Copy)]
pub struct Source {
    /// The file, as the repository names it.
    pub path: &'static str,
    /// The function (component) shown.
    pub item: &'static str,
}

/// A stop of the tour.
#[derive(Clone, Copy)]
pub struct Stop {
    /// Its anchor.
    pub id: &'static str,
    /// Its heading.
    pub title: &'static str,
    /// What it is, in one sentence.
    pub what: &'static str,
    /// How to try it in this demo.
    pub try_it: &'static str,
    /// The link that starts it: (href, text).
    pub link: (&'static str, &'static str),
    /// The code that renders it.
    pub source: Source,
}

const fn source(path: &'static str, item: &'static str) -> Source {
    Source { path, item }
}

/// The stops, in the order a newcomer meets them.
pub const STOPS: [Stop; 13] = [
    Stop {
        id: "sign-in",
        title: "Sign-in and sign-up",
        what: "Email and password, a 6-digit code to verify the address, then a session: Clerk's sign-in and sign-up as state machines, each step a plain form that also works without JavaScript.",
        try_it: "Sign up with any address (the code arrives in the outbox, data/outbox, and in the server log), then sign out and in again.",
        link: ("/sign-up", "Create an account"),
        source: source("src/demo/mod.rs", "App"),
    },
    Stop {
        id: "second-factor",
        title: "Two-step verification",
        what: "An authenticator app (TOTP) and single-use backup codes: after the password, the sign-in status is needs_second_factor until a code is given.",
        try_it: "On your account page, add an authenticator app (any TOTP app, or the key typed by hand), then sign out and in again.",
        link: ("/account", "Your account"),
        source: source("src/demo/mod.rs", "AccountPage"),
    },
    Stop {
        id: "client-trust",
        title: "Client trust",
        what: "A password that is right, typed on a browser that never held a session of the user, is not enough: an emailed code confirms the new device (status needs_client_trust).",
        try_it: "Start the demo with GATEHOUSE_CLIENT_TRUST__ENABLED=true, sign up, then sign in from another browser (or a private window).",
        link: ("/sign-in", "The sign-in page (client trust)"),
        source: source("src/demo/mod.rs", "App"),
    },
    Stop {
        id: "forgot-password",
        title: "Forgot password",
        what: "A reset code by email, a new password, and the choice to sign out everywhere else; an unknown address gets the same answer and timing.",
        try_it: "On the sign-in page, type your email and press \"Forgot password?\".",
        link: ("/sign-in", "The sign-in page (forgot password)"),
        source: source("src/demo/mod.rs", "App"),
    },
    Stop {
        id: "sso",
        title: "Single sign-on, social and enterprise",
        what: "OpenID Connect providers, as \"Continue with …\" buttons or chosen by the email's domain, with a callback page of your own.",
        try_it: "Click \"Continue with Test IdP\" and type any address as its login; or type an address at acme.test on the sign-in form to use the enterprise connection.",
        link: ("/sign-in", "The sign-in page (single sign-on)"),
        source: source("src/demo/mod.rs", "App"),
    },
    Stop {
        id: "tasks",
        title: "Session tasks",
        what: "A session can be pending: signed in, with a task to finish first — choose an organization, reset the password, set up two-step verification — on pages the app hosts.",
        try_it: "Sign up: this demo requires an organization, so you land on \"Choose an organization\".",
        link: ("/session-tasks/choose-organization", "The choose-organization task"),
        source: source("src/demo/mod.rs", "SessionTaskPage"),
    },
    Stop {
        id: "organizations",
        title: "Organizations and invitations",
        what: "Organizations with roles and permissions, invitations by email, verified domains, membership requests and <OrganizationProfile/>; the URL names the active organization.",
        try_it: "Create an organization, then open its settings to invite someone by email (their link signs them up without a code).",
        link: ("/dashboard", "Your dashboard"),
        source: source("src/demo/mod.rs", "OrganizationSettingsPage"),
    },
    Stop {
        id: "multi-session",
        title: "Several accounts in one browser",
        what: "<UserButton/> lists the browser's sessions, switches between them and adds another; every tab follows.",
        try_it: "Signed in, open the menu at the top right and \"Add account\".",
        link: ("/dashboard", "Your dashboard"),
        source: source("src/demo/mod.rs", "Header"),
    },
    Stop {
        id: "reverification",
        title: "Reverification",
        what: "Sensitive changes — the password, factors, passkeys, other devices, deleting — need a session verified in the last 10 minutes; the page asks again instead.",
        try_it: "Wait ten minutes after signing in (or run gatehouse session require-reverification --email you@…), then change your password.",
        link: ("/account", "Your account"),
        source: source("src/demo/mod.rs", "AccountPage"),
    },
    Stop {
        id: "tokens",
        title: "Session tokens",
        what: "Short-lived JWTs for your other services, signed with a rotating key published at /.well-known/jwks.json, with templates for custom claims.",
        try_it: "On the dashboard, get a token and read its claims; call /api/whoami with it as a Bearer token.",
        link: ("/dashboard", "Your dashboard"),
        source: source("src/demo/token_panel.rs", "TokenPanel"),
    },
    Stop {
        id: "passkeys",
        title: "Passkeys",
        what: "Sign in with the device's fingerprint, face or screen lock: WebAuthn discoverable credentials, no email typed.",
        try_it: "On your account page, \"Add a passkey\"; sign out, then \"Sign in with passkey\" (open the demo as http://localhost:3000: browsers refuse passkeys on an IP address).",
        link: ("/account", "Your account"),
        source: source("src/demo/custom.rs", "CustomSignInPage"),
    },
    Stop {
        id: "custom-flows",
        title: "Custom flows",
        what: "Your own sign-in and sign-up pages, written with use_sign_in() and use_sign_up() in the shapes of Clerk's Core 3 hooks.",
        try_it: "Sign in on the custom page: the same flows, a page written only with the hooks.",
        link: ("/custom/sign-in", "The custom sign-in page"),
        source: source("src/demo/custom.rs", "CustomSignInPage"),
    },
    Stop {
        id: "control-components",
        title: "Control components",
        what: "<Show>, <Protect>, <SignedIn> and <SignedOut> render by the auth state; pending sessions count as signed out unless told otherwise.",
        try_it: "Compare the examples below signed out, signed in, and pending (right after sign-up, before choosing an organization).",
        link: ("#control-components-examples", "The examples"),
        source: source("src/demo/mod.rs", "ControlComponents"),
    },
];

/// The text of a demo file (server builds only).
#[cfg(feature = "server")]
fn file(path: &str) -> &'static str {
    match path {
        "src/demo/mod.rs" => include_str!("mod.rs"),
        "src/demo/custom.rs" => include_str!("custom.rs"),
        "src/demo/token_panel.rs" => include_str!("token_panel.rs"),
        _ => "",
    }
}

/// The source of `item` in `text`: its doc comments and attributes, its signature and its body,
/// up to the first closing brace at the start of a line (rustfmt's layout).
pub fn item_source<'a>(text: &'a str, item: &str) -> &'a str {
    let Some(at) = text.find(&format!("fn {item}(")) else {
        return "";
    };
    let mut start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    while start > 0 {
        let previous = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = text[previous..start].trim();
        if line.starts_with("///") || line.starts_with("#[") {
            start = previous;
        } else {
            break;
        }
    }
    let end = text[at..].find("\n}\n").map_or(text.len(), |i| at + i + 2);
    &text[start..end]
}

/// The code of a stop, as the server was built with it.
pub fn code(source: Source) -> &'static str {
    #[cfg(feature = "server")]
    {
        item_source(file(source.path), source.item)
    }
    #[cfg(not(feature = "server"))]
    {
        let _ = source;
        ""
    }
}

/// The tour.
#[component]
pub fn Tour() -> impl IntoView {
    let stops = STOPS
        .iter()
        .map(|stop| {
            let (href, label) = stop.link;
            let heading = format!("tour-{}", stop.id);
            let labelled_by = heading.clone();
            let summary = format!("The code: {}, fn {}", stop.source.path, stop.source.item);
            view! {
                <section class="card tour-stop" id=stop.id aria-labelledby=labelled_by data-testid="tour-stop">
                    <h3 id=heading>{stop.title}</h3>
                    <p>{stop.what}</p>
                    <p><strong>"Try it: "</strong>{stop.try_it}</p>
                    <p><a href=href>{label}</a></p>
                    <details>
                        <summary>{summary}</summary>
                        <pre class="code" data-testid="tour-code"><code>{code(stop.source)}</code></pre>
                    </details>
                </section>
            }
        })
        .collect_view();
    view! {
        <section class="tour" aria-labelledby="tour-title">
            <h2 id="tour-title">"A tour of what the kit does"</h2>
            <p>"Each stop says what it is, how to try it here, and shows the code of this demo that renders it."</p>
            <nav aria-label="Tour stops">
                <ul class="tour-index">
                    {STOPS.iter().map(|stop| view! { <li><a href=format!("#{}", stop.id)>{stop.title}</a></li> }).collect_view()}
                </ul>
            </nav>
            {stops}
        </section>
    }
}
