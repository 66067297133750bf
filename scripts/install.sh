#!/usr/bin/env bash
# Installs what building and testing Gatehouse needs, skipping whatever is already there.
# Safe to run again: every step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="$HOME/.local/leptos-tools"
CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132.0.0"

say() { printf '[install] %s\n' "$*"; }

rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  say "rust target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || {
    say "rust component $component"; rustup component add "$component"; }
done

if [ ! -x /usr/bin/chromium ]; then
  say "chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

# OpenSSL's headers: webauthn-rs (passkeys) verifies signatures with the system's OpenSSL.
if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
  say "libssl-dev and pkg-config (Debian packages, for webauthn-rs)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi

# PostgreSQL's programs for the tests' throwaway cluster (tests/it/pg.rs runs initdb and pg_ctl
# itself): Debian's package, whose own cluster is left alone (the tests never use it).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "postgresql (Debian package, for the tests' throwaway cluster)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi

if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_VERSION"; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION (about 14 minutes on 2 cores)"
  # 0.3.11 needs a newer rustc; no_downloads makes it use the tools found on PATH.
  cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION" --features no_downloads
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  say "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # --locked wants a webpki-roots version the registry lacks; resolve afresh instead.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Debian's binaryen is too old (its wasm-opt silently breaks hydration): use npm's, on PATH first.
if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
  say "wasm-opt (binaryen@$BINARYEN_VERSION from npm) under $TOOLS"
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# Playwright (no browser download: the tests drive /usr/bin/chromium) and maildev.
if [ ! -f end2end/node_modules/.package-lock.json ] || \
   ! cmp -s end2end/package-lock.json end2end/node_modules/.installed-lock.json; then
  say "end2end npm packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null \
    && cp package-lock.json node_modules/.installed-lock.json)
fi
say "all tools present"
