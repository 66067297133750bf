//! The `gatehouse` binary: serves the demo and runs the operator CLI.

// Rendering a page is allocation-heavy (malloc and free were a fifth of a page's CPU with
// glibc's allocator); mimalloc is faster at it and returns memory sooner.
#[cfg(feature = "server")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "server")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    gatehouse::cli::run().await
}

#[cfg(not(feature = "server"))]
pub fn main() {
    // The browser build has no binary; see `gatehouse::hydrate`.
}
