//! The `gatehouse` binary: serves the demo and runs the operator CLI.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    gatehouse::cli::run().await
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser build has no binary; see `gatehouse::hydrate`.
}
