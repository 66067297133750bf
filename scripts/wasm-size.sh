#!/usr/bin/env bash
# Prints the size of the release wasm in target/site/pkg (raw, gzip -9, and the build's brotli
# copy). With --check, fails when the gzip size exceeds `wasm-gzip-budget` in Cargo.toml
# ([package.metadata.gatehouse]), the one place the budget is written.
set -euo pipefail
cd "$(dirname "$0")/.."
WASM=$(ls target/site/pkg/*.wasm 2>/dev/null | head -1)
[ -n "$WASM" ] || { echo "no wasm in target/site/pkg: build first (cargo leptos build --release)"; exit 1; }
RAW=$(stat -c %s "$WASM")
GZIP=$(gzip -9c "$WASM" | wc -c)
BROTLI=$( [ -f "$WASM.br" ] && stat -c %s "$WASM.br" || echo "-")
BUDGET=$(awk '/^\[package.metadata.gatehouse\]/ {on=1; next} /^\[/ {on=0} on && $1=="wasm-gzip-budget" {gsub(/_/, "", $3); print $3}' Cargo.toml)
echo "release wasm $(basename "$WASM"): $RAW B raw, $GZIP B gzip -9, $BROTLI B brotli (budget $BUDGET B gzip)"
if [ "${1:-}" = "--check" ]; then
  [ -n "$BUDGET" ] || { echo "no wasm-gzip-budget in Cargo.toml"; exit 1; }
  if [ "$GZIP" -gt "$BUDGET" ]; then
    echo "the release wasm is over its budget by $((GZIP - BUDGET)) B gzip: cut it, or raise the budget in Cargo.toml knowingly"
    exit 1
  fi
fi
