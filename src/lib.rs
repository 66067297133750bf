//! Gatehouse: Clerk's authentication model, self-hosted and in-process, for Leptos apps.
//!
//! Layers (one way): `demo → ui → api → (server, domain) → store`; `model` is shared by all.
//! Server-only layers exist only with the `ssr` feature.

#![forbid(unsafe_code)]

pub mod demo;

#[cfg(feature = "ssr")]
pub mod server;

/// Browser entry point: hydrates the server-rendered demo.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(demo::App);
}
