#!/usr/bin/env bash
# Starts a Gatehouse server for the end-to-end suite on a fresh database in $E2E_DIR (or on
# E2E_DATABASE_URL).
# Run from the repository root (Playwright's webServer does so).
set -euo pipefail
E2E_DIR="${E2E_DIR:-target/e2e}"
rm -rf "$E2E_DIR"
mkdir -p "$E2E_DIR"
export GATEHOUSE_CONFIG="${GATEHOUSE_CONFIG:-demo.toml}"
# A fresh SQLite file, or the harness's PostgreSQL (E2E_DATABASE_URL), waited for until it answers.
export DATABASE_URL="${E2E_DATABASE_URL:-sqlite://$E2E_DIR/gatehouse.db?mode=rwc}"
case "$DATABASE_URL" in
  postgres*)
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    for _ in $(seq 1 120); do
      "$PG_BIN/pg_isready" -q -d "$DATABASE_URL" && break
      sleep 0.5
    done
    ;;
esac
export GATEHOUSE_EMAIL__OUTBOX_DIR="$E2E_DIR/outbox"
export LEPTOS_SITE_ROOT="target/site"
export RUST_LOG="${RUST_LOG:-info}"
exec target/release/gatehouse serve
