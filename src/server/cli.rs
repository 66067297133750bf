//! The `gatehouse` command line.

use std::process::ExitCode;

use leptos::config::get_configuration;

/// Runs the CLI; with no arguments, serves the demo.
pub async fn run() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatehouse: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let conf = get_configuration(None).map_err(|e| format!("leptos configuration: {e}"))?;
    let options = conf.leptos_options;
    let addr = options.site_addr;
    let app = super::app_router(options);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .await
        .map_err(|e| format!("server error: {e}"))
}
