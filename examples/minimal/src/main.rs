//! The minimal app's server: the kit's router, one route rule, and an API route checked by
//! `gatehouse-verifier`.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> Result<(), String> {
    use gatehouse::{
        config::Config,
        server::{self, host, AppState, ProtectRule, RouteRules},
    };

    let config = Config::load().map_err(|e| e.to_string())?;
    let options = host::leptos_options()?;
    let addr = options.site_addr;
    let gatehouse = host::open(config).await?;
    let rules = RouteRules {
        // Signed out → the sign-in page, coming back here after.
        protect: vec![ProtectRule::page("/private"), ProtectRule::page("/account")],
        ..RouteRules::default()
    };
    let state = AppState::new(gatehouse, options, rules);
    let api = axum::Router::new().route("/api/hello", axum::routing::get(hello));
    let app = server::router_with(state, gatehouse_minimal::App, gatehouse_minimal::shell, api);
    host::serve(app, addr).await
}

/// `GET /api/hello` with `Authorization: Bearer <session token>`: checked by the verifier from
/// the token alone (401 otherwise), as another service would.
#[cfg(feature = "ssr")]
async fn hello(auth: gatehouse_verifier::Auth) -> String {
    format!("hello {}", auth.user_id.unwrap_or_default())
}

#[cfg(not(feature = "ssr"))]
fn main() {}
