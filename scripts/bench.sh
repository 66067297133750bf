#!/usr/bin/env bash
# Benchmarks, one run on one machine (figures go into the README; never timed tests):
#  1. auth() resolution with 10,000 sessions in SQLite (p50/p99) and the argon2 verify time
#     (on PostgreSQL also with the bench and the server sharing one CPU);
#  2. the release wasm's size, and the bytes on the wire for a first and a second visit;
#  3. cold start to the first 200;
#  4. throughput of the same page signed in and signed out, and its instructions per request
#     (callgrind: exact where wrk moves by a few percent between rounds);
#  5. page p99 while sign-ins saturate the argon2 pool;
#  6. 200 concurrent complete sign-ups;
#  7. the server's peak RSS over all of it;
# then, on a PostgreSQL of its own (scripts/postgres.sh, a fresh cluster with the default
# settings, stopped at the end; 1. runs on it too, beside SQLite):
#  8. cold start of two instances on one fresh database, the signed-in/public throughput of / on
#     one of them, 200 concurrent complete sign-ups spread over both (each starts on one and
#     enters its code on the other), the users that made it into the database, and each
#     instance's peak RSS.
# The auth() bench also measures how auth() and a password sign-in grow from 10,000 to 1,000,000
# sessions on each store (BENCH_SIZES, e.g. "10000,100000" or "none").
# Ports: BENCH_PORT (3300) for the SQLite server, the next one for callgrind's, +10
# and +11 for the two PostgreSQL instances; BENCH_PG_PORT (3350) for the cluster. Each
# must be free: a server already listening there would answer in place of the one measured.
# (Not GATEHOUSE_…: the servers inherit the environment and refuse unknown GATEHOUSE_ keys.)
# With --postgres-only: 1. (both stores) and 8., without the SQLite server's sections.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
POSTGRES_ONLY=false
[ "${1:-}" = "--postgres-only" ] && POSTGRES_ONLY=true
PORT=${BENCH_PORT:-3300}
PG_PORT=${BENCH_PG_PORT:-3350}
export BENCH_CALLGRIND_PORT=$((PORT + 1))
for port in "$PORT" "$BENCH_CALLGRIND_PORT" $((PORT + 10)) $((PORT + 11)) "$PG_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken (BENCH_PORT / BENCH_PG_PORT choose others)" >&2
    exit 1
  fi
done
# The machine's load beside each section's figures (a shared machine: say so beside a figure).
loadavg() { echo "  (load average: $(cut -d' ' -f1-3 /proc/loadavg))"; }
bash scripts/install.sh
command -v wrk >/dev/null && command -v valgrind >/dev/null || {
  apt-get update -qq && apt-get install -y -qq wrk valgrind >/dev/null; }

# A PostgreSQL of its own for the whole run, with the server's default settings. (Run as root,
# the server runs as Debian's `postgres` user: the cluster's folder must be reachable by it.)
PG_WORK=$(mktemp -d)
chmod 755 "$PG_WORK"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
bash scripts/postgres.sh "$PG_WORK/cluster" "$PG_PORT" --fresh > "$PG_WORK/postgres.log" 2>&1 &
POSTGRES=$!
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
stop_postgres() {
  if [ -n "$POSTGRES" ]; then
    kill -INT "$POSTGRES" 2>/dev/null || true
    wait "$POSTGRES" 2>/dev/null || true
    POSTGRES=
  fi
  rm -rf "$PG_WORK"
}
trap stop_postgres EXIT
for _ in $(seq 60); do "$PG_BIN/pg_isready" -q -d "$PG_URL" && break; sleep 0.5; done
"$PG_BIN/pg_isready" -q -d "$PG_URL" || { cat "$PG_WORK/postgres.log"; exit 1; }

echo "== auth() resolution (SQLite and PostgreSQL), argon2, and their growth to 1M sessions =="; loadavg
BENCH_POSTGRES_URL="$PG_URL" cargo bench --features ssr --bench auth_resolution
loadavg
# The same PostgreSQL lookups with the bench and the server sharing one CPU: a round trip then
# wakes no halted virtual CPU, so what is left is the query and the code. (Across CPUs at idle, a
# round trip costs what waking one costs: on the VM of the README's figures, whose kernel polls
# for no time before halting, pgbench's SELECT 1 takes 70 µs across CPUs and 8 µs on one.)
echo "== auth() on PostgreSQL, the bench and the server on one CPU =="; loadavg
POSTMASTER=$(head -n 1 "$PG_WORK/cluster/postmaster.pid")
taskset -cp 0 "$POSTMASTER" >/dev/null
BENCH_SIZES=none BENCH_POSTGRES_URL="$PG_URL" taskset -c 0 \
  cargo bench --features ssr --bench auth_resolution | grep '^\[postgres\] auth'
taskset -cp "0-$(($(nproc) - 1))" "$POSTMASTER" >/dev/null

echo "== release build =="
cargo leptos build --release --precompress >/dev/null
bash scripts/wasm-size.sh

WORK=$(mktemp -d)
BASE="http://127.0.0.1:$PORT"
export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc" GATEHOUSE_EMAIL__OUTBOX_DIR="$WORK/outbox"
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_INSTANCE__PUBLIC_URL="$BASE"
export RUST_LOG=warn
# The load comes from one IP: the per-IP auth rate limit would turn most sign-ins into 429s.
export GATEHOUSE_RATE_LIMITS__ENABLED=false
SERVER= INSTANCES=()
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; [ ${#INSTANCES[@]} -gt 0 ] && kill "${INSTANCES[@]}" 2>/dev/null; rm -rf "$WORK"; stop_postgres' EXIT

BODY='identifier=load%40bench.example&password=correct-horse-battery'
rate() { wrk -t1 -c16 -d5s "$@" "$BASE/" | awk '/Requests\/sec/ {print $2}'; }

if ! $POSTGRES_ONLY; then  # the SQLite server's sections, 2. to 7.
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

COOKIE=$(curl -fs -D - -o /dev/null -H "Origin: $BASE" -H 'Accept: application/json' --data "$BODY" "$BASE/api/auth/sign_in" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}' | tail -1)

echo "== / signed in vs signed out (wrk, 16 connections, 3 rounds of 5 s each) =="; loadavg
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

echo "== signed-in page while sign-ins saturate the argon2 pool =="; loadavg
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

echo "== concurrent sign-ups (code read from the outbox) =="; loadavg
node scripts/bench/signups.mjs "$BASE" "$WORK/outbox" 200

echo "peak RSS over the run: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$SERVER/status)"
kill "$SERVER" 2>/dev/null || true; SERVER=
fi

echo "== PostgreSQL: two instances on one database =="; loadavg
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres gatehouse
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/gatehouse"
BASE_A="http://127.0.0.1:$((PORT + 10))" BASE_B="http://127.0.0.1:$((PORT + 11))"
for name in a b; do
  base=BASE_${name^^}
  base=${!base}
  # Instance A starts on the fresh database (migrations included), B on the migrated one.
  LEPTOS_SITE_ADDR="${base#http://}" GATEHOUSE_INSTANCE__PUBLIC_URL="$base" \
    GATEHOUSE_EMAIL__OUTBOX_DIR="$WORK/outbox-$name" \
    node scripts/bench/coldstart.mjs target/release/gatehouse "$base" "$WORK/instance-$name.log" > "$WORK/start-$name.txt"
  echo "instance ${name^^}: $(head -1 "$WORK/start-$name.txt")"
  INSTANCES+=("$(tail -1 "$WORK/start-$name.txt")")
done
target/release/gatehouse user create --email load@bench.example --password correct-horse-battery >/dev/null
BASE=$BASE_A
COOKIE=$(curl -fs -D - -o /dev/null -H "Origin: $BASE" -H 'Accept: application/json' --data "$BODY" "$BASE/api/auth/sign_in" \
  | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}' | tail -1)

echo "-- / signed in vs signed out on instance A (wrk, 16 connections, 3 rounds of 5 s each)"; loadavg
RATIOS=()
for round in 1 2 3; do
  PUBLIC=$(rate) SIGNED=$(rate -H "Cookie: $COOKIE")
  RATIO=$(awk -v s="$SIGNED" -v p="$PUBLIC" 'BEGIN {printf "%.2f", s/p}')
  RATIOS+=("$RATIO")
  echo "  round $round: public $PUBLIC req/s, signed in $SIGNED req/s, ratio $RATIO"
done
echo "signed-in/public ratio on PostgreSQL, median of 3: $(printf '%s\n' "${RATIOS[@]}" | sort -n | sed -n 2p)"

echo "-- concurrent sign-ups over both instances (each starts on one, enters its code on the other)"; loadavg
node scripts/bench/signups.mjs "$BASE_A,$BASE_B" "$WORK/outbox-a,$WORK/outbox-b" 200
echo "users the sign-ups made, counted in the database: $("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d gatehouse -Atc \
  "SELECT count(*) FROM email_addresses WHERE email LIKE 'load-%@bench.example'")"
echo "peak RSS: instance A $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/${INSTANCES[0]}/status"), instance B $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/${INSTANCES[1]}/status")"
kill "${INSTANCES[@]}" 2>/dev/null || true; INSTANCES=()
stop_postgres
