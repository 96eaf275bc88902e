#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and benchmarks, on loopback.
#   scripts/postgres.sh start   -> prints the DATABASE_URL to use
#   scripts/postgres.sh stop
# Installs Debian's postgresql if it is missing. Runs the server as the `postgres` system user (it refuses
# root). Fails loudly if the server cannot start: tests that need it must not silently skip.
set -euo pipefail
PORT="${NETWEAVE_PG_PORT:-55432}"
DIR="${NETWEAVE_PG_DIR:-/tmp/netweave-pg-$PORT}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

ensure_installed() {
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/postgres" ]; then
    bash "$(dirname "$0")/debian.sh" install postgresql   # it says what it installs
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_installed
  if as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$PORT/netweave"
    return
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = "0" ] && chown postgres "$DIR"
  as_pg "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres netweave
  echo "postgres://postgres@127.0.0.1:$PORT/netweave"
}

stop() {
  [ -n "$PGBIN" ] || exit 0
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
}

# Restart the running server in place (fault tests: the database goes away and comes back).
restart() {
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -m fast -w -t 60 restart >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac
