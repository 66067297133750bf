#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves the demo at
# http://127.0.0.1:3000 with SQLite at data/gatehouse.db (migrations run at startup), and a local
# OpenID provider at http://127.0.0.1:3900 for "Continue with Test IdP".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
cargo leptos build --release --precompress
mkdir -p data
export GATEHOUSE_CONFIG="${GATEHOUSE_CONFIG:-demo.toml}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# The demo's OpenID provider (demo.toml's SSO connections point at it), stopped with the server.
ORIGIN="${GATEHOUSE_INSTANCE__PUBLIC_URL:-http://$LEPTOS_SITE_ADDR}"
node end2end/oidc-provider.mjs 3900 "$ORIGIN" > data/oidc-provider.log 2>&1 &
PROVIDER=$!
trap 'kill $PROVIDER 2>/dev/null' EXIT
echo "OpenID provider on http://127.0.0.1:3900 (log: data/oidc-provider.log)"
target/release/gatehouse serve
