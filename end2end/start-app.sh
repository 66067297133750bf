#!/usr/bin/env bash
# Starts a Gatehouse server for the end-to-end suite on a fresh database in $E2E_DIR.
# Run from the repository root (Playwright's webServer does so).
set -euo pipefail
E2E_DIR="${E2E_DIR:-target/e2e}"
rm -rf "$E2E_DIR"
mkdir -p "$E2E_DIR"
export GATEHOUSE_CONFIG="${GATEHOUSE_CONFIG:-demo.toml}"
export DATABASE_URL="sqlite://$E2E_DIR/gatehouse.db?mode=rwc"
export GATEHOUSE_EMAIL__OUTBOX_DIR="$E2E_DIR/outbox"
export LEPTOS_SITE_ROOT="target/site"
export RUST_LOG="${RUST_LOG:-info}"
exec target/release/gatehouse serve
