//! Rust integration tests: one binary (each extra test binary costs a link on 2 cores).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod account;
mod audit;
mod cli;
mod components;
mod config;
mod copy;
mod domain;
mod domains;
mod fake;
mod flows;
mod http;
mod instances;
mod invitations;
mod jwt;
mod members;
mod model;
mod multi_session;
mod oidc;
mod passkeys;
mod pg;
mod sso;
mod store;
mod verifier;
