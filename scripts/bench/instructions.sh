#!/usr/bin/env bash
# The same page, signed out and signed in, as instructions per request counted by callgrind:
# exact and repeatable, where wrk's throughput on a shared 2-core VM moves by a few percent
# between rounds. Starts its own server under valgrind (fresh database, its own port), serves
# N requests of each kind after a warm-up, and prints both counts and their ratio.
# callgrind has no SHA extensions, so the cookie's SHA-256 counts about 7,000 instructions more
# than the CPU runs: the signed-in figure is a little pessimistic.
# Usage: bash scripts/bench/instructions.sh <server binary> [path] [N]
# (its port: BENCH_CALLGRIND_PORT, 3301 by default)
set -euo pipefail
BIN=$1 PAGE=${2:-/} N=${3:-200}
WORK=$(mktemp -d)
PORT=${BENCH_CALLGRIND_PORT:-3301}
BASE="http://127.0.0.1:$PORT"
export DATABASE_URL="sqlite://$WORK/db?mode=rwc" GATEHOUSE_EMAIL__OUTBOX_DIR="$WORK/outbox"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_INSTANCE__PUBLIC_URL="$BASE"
export RUST_LOG=warn GATEHOUSE_RATE_LIMITS__ENABLED=false
VALGRIND=
trap '[ -n "$VALGRIND" ] && kill $VALGRIND 2>/dev/null; rm -rf "$WORK"' EXIT

"$BIN" user create --email count@bench.example --password correct-horse-battery >/dev/null
valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$BIN" serve >"$WORK/server.log" 2>&1 &
VALGRIND=$!
for _ in $(seq 240); do curl -fs -o /dev/null "$BASE/healthz" && break; sleep 0.5; done
BODY='identifier=count%40bench.example&password=correct-horse-battery'
COOKIE=$(curl -fs -D - -o /dev/null -H "Origin: $BASE" -H 'Accept: application/json' --data "$BODY" "$BASE/api/auth/sign_in" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}' | tail -1)
requests() { for _ in $(seq "$N"); do curl -fs -o /dev/null "$@" "$BASE$PAGE"; done; }
requests; requests -H "Cookie: $COOKIE"   # warm-up: first renders, caches, connections
# Each dump holds what ran since the one before.
callgrind_control -d warmup "$VALGRIND" >/dev/null 2>&1
count() {  # <dump name> [curl args]: instructions per request
  local name=$1; shift
  requests "$@"
  callgrind_control -d "$name" "$VALGRIND" >/dev/null 2>&1
  awk -v n="$N" '/^summary:/ {printf "%d", $2 / n}' "$(grep -l "^desc: Trigger: .*$name\$" "$WORK"/callgrind.out.*)"
}
PUBLIC=$(count public)
SIGNED=$(count signed -H "Cookie: $COOKIE")
echo "$PAGE signed out: $PUBLIC instructions per request; signed in: $SIGNED"
echo "signed-in/public ratio by instructions: $(awk -v s="$SIGNED" -v p="$PUBLIC" 'BEGIN {printf "%.3f", p/s}')"
