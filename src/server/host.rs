//! Serving an app built on the kit: the core assembled from configuration, Leptos' options as
//! `cargo leptos` left them, and the listener. `gatehouse serve` (the demo) and any other app
//! use the same three steps:
//!
//! ```ignore
//! let config = gatehouse::config::Config::load().map_err(|e| e.to_string())?;
//! let options = gatehouse::server::host::leptos_options()?;
//! let gatehouse = gatehouse::server::host::open(config).await?;
//! let state = AppState::new(gatehouse, options.clone(), rules);
//! gatehouse::server::host::serve(server::router(state, App, shell), options.site_addr).await
//! ```

use std::sync::Arc;

use leptos::config::{get_configuration, LeptosOptions};

use crate::{
    config::Config,
    domain::{self, password::PasswordHasher, ports::Storage, Gatehouse},
    mail::Mailer,
    store::{redact_url, Store},
};

/// How often the server forgets rate windows and lockout counts that decide nothing any more.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// The core on `config` and `store` (e.g. [`Store::storage`]): the password pool, the mailer,
/// the SSO providers.
pub fn core(config: Config, store: Arc<dyn Storage>) -> Result<Gatehouse, String> {
    let mailer = Mailer::from_config(&config.email)?;
    let providers = crate::oidc::OidcProviders::new(&config.sso)?;
    Ok(Gatehouse {
        providers: Arc::new(providers),
        hasher: PasswordHasher::new(config.passwords.hash_concurrency),
        config: Arc::new(config),
        store,
        mailer: Arc::new(mailer),
    })
}

/// Opens the store of `config.database.url` (`DATABASE_URL`: a SQLite file or a PostgreSQL
/// database; migrations run), assembles the core and starts its background work: the first
/// session-token signing key (made in the background, so generating it never delays the first
/// response) and the periodic pruning of attack counters. Call it inside the tokio runtime.
pub async fn open(config: Config) -> Result<Gatehouse, String> {
    let store = Store::open(&config.database.url)
        .await
        .map_err(|e| format!("database {}: {e}", redact_url(&config.database.url)))?;
    let gatehouse = core(config, store.storage())?;
    start_background_work(&gatehouse);
    Ok(gatehouse)
}

/// The server's background work: the first session-token signing key, then the periodic
/// pruning of attack counters.
pub fn start_background_work(gatehouse: &Gatehouse) {
    let keys = gatehouse.store.clone();
    tokio::spawn(async move {
        if let Err(error) = domain::jwt::ensure_signing_key(keys.as_ref(), domain::now()).await {
            tracing::error!(%error, "session-token signing key not created");
        }
    });
    spawn_counter_pruning(gatehouse.clone());
}

/// Prunes the attack counters every [`PRUNE_EVERY`] while the server runs.
fn spawn_counter_pruning(gatehouse: Gatehouse) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PRUNE_EVERY);
        loop {
            ticks.tick().await;
            match domain::lockout::prune_counters(&gatehouse, domain::now()).await {
                Ok(removed) => tracing::debug!(removed, "pruned rate and lockout counters"),
                Err(error) => tracing::warn!(%error, "pruning counters failed"),
            }
        }
    });
}

/// Leptos' options from the environment `cargo leptos` sets (`LEPTOS_OUTPUT_NAME`,
/// `LEPTOS_SITE_ROOT`, …). A build with `hash-files` names its assets by content and writes the
/// hashes next to the binary: those names are served (and cached for a year) whenever that file
/// is there, also when the binary is started without `cargo leptos`.
pub fn leptos_options() -> Result<LeptosOptions, String> {
    let leptos = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let mut options = leptos.leptos_options;
    options.hash_files = options.hash_files || hash_file_present(&options);
    Ok(options)
}

/// Whether the build left the asset hash file next to this binary.
fn hash_file_present(options: &LeptosOptions) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
        .is_some_and(|path| path.is_file())
}

/// Serves `app` on `addr` until Ctrl-C, with the peer address available to the rate limits and
/// "Active devices".
pub async fn serve(app: axum::Router, addr: std::net::SocketAddr) -> Result<(), String> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?
        // Streamed pages are written in several chunks: without TCP_NODELAY, Nagle's algorithm
        // and delayed ACKs add 40 ms to every page with a resource.
        .tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
    tracing::info!("listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| format!("server error: {e}"))
}
