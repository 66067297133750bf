#!/usr/bin/env bash
# Runs a PostgreSQL server of its own in the foreground, for the demo (`scripts/run.sh
# --postgres`) and the end-to-end suite: a cluster in DIR (made with initdb when missing; trust
# authentication, loopback only, its socket in DIR), on PORT, user `postgres`, database
# `postgres`. With --fresh, DIR is emptied first. PostgreSQL refuses to run as root: as root the
# server runs as the `postgres` user of Debian's package (setpriv, so signals reach the server).
# Extra server settings: PG_OPTS (e.g. "-c fsync=off" for a throwaway cluster).
# Usage: scripts/postgres.sh DIR PORT [--fresh]
set -euo pipefail
DIR="$1"
PORT="$2"
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  echo "PostgreSQL is not installed: run scripts/install.sh" >&2
  exit 1
fi
[ "${3:-}" = "--fresh" ] && rm -rf "$DIR"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
run() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$DIR"
  chmod 700 "$DIR"
fi
if [ ! -f "$DIR/PG_VERSION" ]; then
  run "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
if [ "$(id -u)" = 0 ]; then
  # shellcheck disable=SC2086
  exec setpriv --reuid=postgres --regid=postgres --init-groups \
    "$BIN/postgres" -D "$DIR" -p "$PORT" -k "$DIR" -c listen_addresses=127.0.0.1 ${PG_OPTS:-}
fi
# shellcheck disable=SC2086
exec "$BIN/postgres" -D "$DIR" -p "$PORT" -k "$DIR" -c listen_addresses=127.0.0.1 ${PG_OPTS:-}
