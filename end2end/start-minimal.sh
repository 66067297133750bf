#!/usr/bin/env bash
# Starts examples/minimal (built by the same `cargo leptos build --release`) for the end-to-end
# suite on a fresh database in $E2E_DIR, with Gatehouse's default configuration, organizations
# turned on (personal accounts allowed, so a user without one has no task), several accounts per
# browser (its header has <UserButton/>), and its home page as the place to land after signing in
# or up.
# Run from the repository root (Playwright's webServer does so).
set -euo pipefail
E2E_DIR="${E2E_DIR:-target/e2e-minimal}"
rm -rf "$E2E_DIR"
mkdir -p "$E2E_DIR"
export DATABASE_URL="sqlite://$E2E_DIR/gatehouse.db?mode=rwc"
export GATEHOUSE_EMAIL__OUTBOX_DIR="$E2E_DIR/outbox"
export LEPTOS_OUTPUT_NAME="gatehouse"  # as examples/minimal/Cargo.toml says, and why
export LEPTOS_SITE_ROOT="target/site-minimal"
export LEPTOS_HASH_FILE_NAME="minimal-hash.txt"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3010}"
export GATEHOUSE_INSTANCE__PUBLIC_URL="${GATEHOUSE_INSTANCE__PUBLIC_URL:-http://$LEPTOS_SITE_ADDR}"
export GATEHOUSE_INSTANCE__AFTER_SIGN_IN_URL=/
export GATEHOUSE_INSTANCE__AFTER_SIGN_UP_URL=/
export GATEHOUSE_ORGANIZATIONS__ENABLED=true
export GATEHOUSE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS=true
export GATEHOUSE_SESSIONS__MULTI_SESSION=true
export RUST_LOG="${RUST_LOG:-info}"
exec target/release/gatehouse-minimal
