#!/usr/bin/env bash
# Benchmarks, one run on one machine (figures go into the README; never timed tests):
#  1. auth() resolution with 10,000 sessions in SQLite (p50/p99) and the argon2 verify time;
#  2. the release wasm's size, and the bytes on the wire for a first and a second visit;
#  3. cold start to the first 200;
#  4. throughput of the same page signed in and signed out, and its instructions per request
#     (callgrind: exact where wrk moves by a few percent between rounds);
#  5. page p99 while sign-ins saturate the argon2 pool;
#  6. 200 concurrent complete sign-ups;
#  7. the server's peak RSS over all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
command -v wrk >/dev/null && command -v valgrind >/dev/null || {
  apt-get update -qq && apt-get install -y -qq wrk valgrind >/dev/null; }

echo "== auth() resolution and argon2 =="
cargo bench --features ssr --bench auth_resolution

echo "== release build =="
cargo leptos build --release --precompress >/dev/null
bash scripts/wasm-size.sh

WORK=$(mktemp -d)
PORT=3300
BASE="http://127.0.0.1:$PORT"
export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" GATEHOUSE_EMAIL__OUTBOX_DIR="$WORK/outbox"
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_INSTANCE__PUBLIC_URL="$BASE"
export RUST_LOG=warn
# The load comes from one IP: the per-IP auth rate limit would turn most sign-ins into 429s.
export GATEHOUSE_RATE_LIMITS__ENABLED=false
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

echo "== cold start =="
node scripts/bench/coldstart.mjs target/release/gatehouse "$BASE" "$WORK/server.log" > "$WORK/start.txt"
head -1 "$WORK/start.txt"
SERVER=$(tail -1 "$WORK/start.txt")
target/release/gatehouse user create --email load@bench.example --password correct-horse-battery >/dev/null

echo "== bytes on the wire for /sign-in (brotli or gzip, as a browser asks) =="
# First visit: the page and every asset it links. Second visit: the page again, and each asset
# only if its Cache-Control does not let the browser keep it (immutable, max-age > 0).
fetched() { curl -fs -o /dev/null -H 'Accept-Encoding: br, gzip' -w '%{size_download}' "$BASE$1"; }
PAGE=$(fetched /sign-in)
FIRST=$PAGE SECOND=$PAGE
# Every /pkg/ file the page names (links, and the island loader's JS and wasm); the loader
# fetches its two only when the page has an island.
HTML=$(curl -fs "$BASE/sign-in")
ASSETS=$(grep -oE '"/pkg/[^"]+"' <<<"$HTML" | tr -d '"' | sort -u)
grep -q '<leptos-island' <<<"$HTML" || ASSETS=$(grep -vE '\.(js|wasm)$' <<<"$ASSETS" || true)
for asset in $ASSETS; do
  BYTES=$(fetched "$asset")
  FIRST=$((FIRST + BYTES))
  curl -fs -o /dev/null -D - -H 'Accept-Encoding: br, gzip' "$BASE$asset" | grep -qi '^cache-control:.*immutable' \
    || SECOND=$((SECOND + BYTES))
  printf '  %-48s %8s B\n' "$asset" "$BYTES"
done
printf '  %-48s %8s B\n' "/sign-in (the page)" "$PAGE"
echo "first visit: $FIRST B on the wire; second visit: $SECOND B"

BODY='identifier=load%40bench.example&password=correct-horse-battery'
COOKIE=$(curl -fs -D - -o /dev/null -H "Origin: $BASE" -H 'Accept: application/json' --data "$BODY" "$BASE/api/auth/sign_in" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}' | tail -1)

echo "== / signed in vs signed out (wrk, 16 connections, 3 rounds of 5 s each) =="
rate() { wrk -t1 -c16 -d5s "$@" "$BASE/" | awk '/Requests\/sec/ {print $2}'; }
RATIOS=()
for round in 1 2 3; do
  PUBLIC=$(rate) SIGNED=$(rate -H "Cookie: $COOKIE")
  RATIO=$(awk -v s="$SIGNED" -v p="$PUBLIC" 'BEGIN {printf "%.2f", s/p}')
  RATIOS+=("$RATIO")
  echo "  round $round: public $PUBLIC req/s, signed in $SIGNED req/s, ratio $RATIO"
done
echo "signed-in/public ratio, median of 3: $(printf '%s\n' "${RATIOS[@]}" | sort -n | sed -n 2p)"
echo "-- the same page under callgrind (a server of its own):"
bash scripts/bench/instructions.sh target/release/gatehouse /

echo "== signed-in page while sign-ins saturate the argon2 pool =="
cat > "$WORK/sign_in.lua" <<LUA
wrk.method = "POST"
wrk.body = "$BODY"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Origin"] = "$BASE"
LUA
wrk -t1 -c8 -d20s -s "$WORK/sign_in.lua" "$BASE/api/auth/sign_in" > "$WORK/sign_in.txt" &
SIGNINS=$!
wrk -t1 -c32 -d20s --latency -H "Cookie: $COOKIE" "$BASE/dashboard" > "$WORK/pages.txt"
wait $SIGNINS
echo "-- signed-in /dashboard while sign-ins run:"; grep -E 'Requests/sec|99%|50%' "$WORK/pages.txt"
echo "-- sign-ins:"; grep -E 'Requests/sec|Non-2xx' "$WORK/sign_in.txt" || true

echo "== concurrent sign-ups (code read from the outbox) =="
node scripts/bench/signups.mjs "$BASE" "$WORK/outbox" 200

echo "peak RSS over the run: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
