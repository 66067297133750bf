//! Rust integration tests: one binary (each extra test binary costs a link on 2 cores).

mod cli;
mod config;
mod domain;
mod http;
mod model;
mod store;
