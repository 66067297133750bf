#!/usr/bin/env bash
# The run command: installs what is missing, builds, and serves the demo at
# http://127.0.0.1:3000 with SQLite at data/gatehouse.db (migrations run at startup).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
cargo leptos build --release --precompress
mkdir -p data
export GATEHOUSE_CONFIG="${GATEHOUSE_CONFIG:-demo.toml}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec target/release/gatehouse serve
