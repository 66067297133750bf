#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves the demo at
# http://localhost:3000 with SQLite at data/gatehouse.db (migrations run at startup), and a local
# OpenID provider at http://127.0.0.1:3900 for "Continue with Test IdP".
#
# With --postgres: a local PostgreSQL of its own (data/postgres, port 5433, scripts/postgres.sh)
# and TWO instances on it, http://localhost:3000 and http://localhost:3001: sign in on one, and
# the other knows you (the browser sends its cookie for 127.0.0.1 to both ports).
set -euo pipefail
cd "$(dirname "$0")/.."
POSTGRES=false
[ "${1:-}" = "--postgres" ] && POSTGRES=true
source scripts/env.sh
bash scripts/install.sh
cargo leptos build --release --precompress
mkdir -p data
export GATEHOUSE_CONFIG="${GATEHOUSE_CONFIG:-demo.toml}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null' EXIT
# The demo is served as http://localhost:<port>: passkeys need a domain name (browsers refuse
# WebAuthn on an IP address).
export GATEHOUSE_INSTANCE__PUBLIC_URL="${GATEHOUSE_INSTANCE__PUBLIC_URL:-http://localhost:${LEPTOS_SITE_ADDR##*:}}"
# The demo's OpenID provider (demo.toml's SSO connections point at it), stopped with the server.
ORIGIN="$GATEHOUSE_INSTANCE__PUBLIC_URL"
ORIGINS=("$ORIGIN")
$POSTGRES && ORIGINS+=("http://localhost:3001")
node end2end/oidc-provider.mjs 3900 "${ORIGINS[@]}" > data/oidc-provider.log 2>&1 &
PIDS+=($!)
echo "OpenID provider on http://127.0.0.1:3900 (log: data/oidc-provider.log)"
if ! $POSTGRES; then
  target/release/gatehouse serve
  exit
fi

PG_PORT=5433
bash scripts/postgres.sh data/postgres "$PG_PORT" > data/postgres.log 2>&1 &
PIDS+=($!)
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
until "$PG_BIN/pg_isready" -q -d "$DATABASE_URL"; do sleep 0.5; done
echo "PostgreSQL on 127.0.0.1:$PG_PORT (data/postgres, log: data/postgres.log)"
LEPTOS_SITE_ADDR=127.0.0.1:3001 GATEHOUSE_INSTANCE__PUBLIC_URL=http://localhost:3001 \
  target/release/gatehouse serve > data/instance-b.log 2>&1 &
PIDS+=($!)
echo "Instance B on http://localhost:3001 (log: data/instance-b.log); instance A on http://localhost:3000:"
LEPTOS_SITE_ADDR=127.0.0.1:3000 GATEHOUSE_INSTANCE__PUBLIC_URL=http://localhost:3000 \
  target/release/gatehouse serve
