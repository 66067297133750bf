#!/usr/bin/env bash
# Benchmarks (figures go into the README; never timed tests):
#  1. auth() resolution with 10,000 sessions in SQLite (p50/p99) and the argon2 verify time;
#  2. the server's peak RSS while wrk drives signed-in page requests and sign-ins at once.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

echo "== auth() resolution and argon2 =="
cargo bench --features ssr --bench auth_resolution

echo "== peak RSS under mixed load =="
cargo leptos build --release --precompress >/dev/null
WORK=$(mktemp -d)
PORT=3300
BASE="http://127.0.0.1:$PORT"
export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" GATEHOUSE_EMAIL__OUTBOX_DIR="$WORK/outbox"
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_INSTANCE__PUBLIC_URL="$BASE"
export RUST_LOG=warn
# The load comes from one IP: the per-IP auth rate limit would turn most sign-ins into 429s.
export GATEHOUSE_RATE_LIMITS__ENABLED=false
target/release/gatehouse user create --email load@bench.example --password correct-horse-battery >/dev/null
target/release/gatehouse serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

BODY='identifier=load%40bench.example&password=correct-horse-battery'
COOKIE=$(curl -fs -D - -o /dev/null -H "Origin: $BASE" -H 'Accept: application/json' --data "$BODY" "$BASE/api/auth/sign_in" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}' | tail -1)
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
echo "peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
