#!/usr/bin/env bash
# Starts the Gatehouse server for the end-to-end suite on a fresh database.
# Run from the repository root (Playwright's webServer does so).
set -euo pipefail
rm -rf target/e2e
mkdir -p target/e2e
export DATABASE_URL="sqlite://target/e2e/gatehouse.db?mode=rwc"
export GATEHOUSE_EMAIL__OUTBOX_DIR="target/e2e/outbox"
export LEPTOS_SITE_ROOT="target/site"
export RUST_LOG="${RUST_LOG:-info}"
exec target/debug/gatehouse serve
