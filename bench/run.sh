#!/usr/bin/env bash
# netweave benchmark (make bench): sync of the mock IMS plugin at 100k resources on a throw-away PostgreSQL,
# then a filtered 100-item resources page and a bare Django view under gunicorn (2 sync workers) with wrk.
# Writes bench/results/latest.json and rewrites the figures section of docs/benchmarks.md. See bench/README.md.
#
# Environment (all optional):
#   BENCH_RESOURCES    resources in the mock O-Cloud (100000)
#   BENCH_WRK_SECONDS  duration of each measured wrk run (20)
#   BENCH_NO_DOC=1     do not rewrite docs/benchmarks.md (results still go to bench/results/)
#   BENCH_API_RATE     per-identity rate limit during the run (10000000/min: never reached)
# Everything listens on 127.0.0.1 only; every step is bounded by a timeout; PostgreSQL and gunicorn are stopped
# on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
RESULTS="$ROOT/bench/results"
WORK=/tmp/netweave-bench
RESOURCES="${BENCH_RESOURCES:-100000}"
WRK_SECONDS="${BENCH_WRK_SECONDS:-20}"
HTTP_PORT=8077
BASE="http://127.0.0.1:$HTTP_PORT"

export NETWEAVE_PG_PORT=55462
export NETWEAVE_PG_DIR=/tmp/netweave-bench-pg
export DJANGO_SETTINGS_MODULE=bench.settings
export DJANGO_DEBUG=false
export NETWEAVE_DATA_DIR="$WORK/data"
export NETWEAVE_LOG_LEVEL=WARNING
export NETWEAVE_BENCH_BODY="$RESULTS/page.json"
# One token makes every request of the run: keep the per-identity rate limit (and its cache round trips) on, at
# a rate wrk cannot reach, so no request is refused (the default is 6000/min per identity).
export NETWEAVE_API_RATE="${BENCH_API_RATE:-10000000/min}"

log() { echo "[bench] $*" >&2; }

GUNICORN_PID=""
stop_gunicorn() {
  if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$GUNICORN_PID" 2>/dev/null || true
  fi
  GUNICORN_PID=""
}
REDIS_PORT=56379
REDIS_PIDFILE="$WORK/redis.pid"
cleanup() {
  stop_gunicorn
  scripts/postgres.sh stop || true
  [ -f "$REDIS_PIDFILE" ] && kill "$(cat "$REDIS_PIDFILE")" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
fi

BENCH_LOADAVG_START="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_LOADAVG_START
mkdir -p "$RESULTS" "$WORK/data"
rm -f "$RESULTS"/sync.json "$RESULTS"/page.json "$RESULTS"/token "$RESULTS"/wrk-*.txt

log "starting PostgreSQL on 127.0.0.1:$NETWEAVE_PG_PORT (fresh cluster)"
scripts/postgres.sh stop || true          # a cluster left over by an interrupted run
rm -rf "$NETWEAVE_PG_DIR"
DATABASE_URL="$(timeout 300 scripts/postgres.sh start)"
export DATABASE_URL

log "migrating"
timeout 300 "$PY" manage.py migrate --noinput -v0

log "sync benchmark: $RESOURCES resources"
timeout 1800 "$PY" bench/sync_bench.py --resources "$RESOURCES" --state-file "$WORK/mock-ims.sqlite3" \
  --out "$RESULTS/sync.json" --body-file "$RESULTS/page.json" --token-file "$RESULTS/token"

AUTH="Authorization: Bearer $(cat "$RESULTS/token")"
PAGE_PATH="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["read_target"]["path"])' "$RESULTS/sync.json")"

# The per-identity rate limiter keeps its history in Redis, as production deployments do (docs/security.md);
# the embedded default's file cache is meant for a single small host.
if ! command -v redis-server >/dev/null 2>&1; then
  log "installing redis-server (Debian package)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
log "starting Redis on 127.0.0.1:$REDIS_PORT (rate-limit cache)"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
  --pidfile "$REDIS_PIDFILE" --logfile "$WORK/redis.log"
export NETWEAVE_THROTTLE_CACHE_URL="redis://127.0.0.1:$REDIS_PORT/1"

log "starting gunicorn (2 sync workers) on $BASE"
timeout 900 "$GUNICORN" netweave.wsgi:application --workers 2 --worker-class sync --bind "127.0.0.1:$HTTP_PORT" \
  --log-level warning --error-logfile "$RESULTS/gunicorn.log" &
GUNICORN_PID=$!
for _ in $(seq 150); do
  curl -sf -o /dev/null --max-time 2 "$BASE/health/bench-bare" && break
  kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$RESULTS/gunicorn.log" >&2; exit 1; }
  sleep 0.2
done
for url in "$BASE$PAGE_PATH" "$BASE/health/bench-bare"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "$AUTH" "$url")"
  [ "$code" = 200 ] || { log "GET $url answered $code"; exit 1; }
done

log "warm-up"
timeout 60 wrk -t2 -c8 -d5s -H "$AUTH" "$BASE$PAGE_PATH" >/dev/null
timeout 60 wrk -t2 -c8 -d5s -H "$AUTH" "$BASE/health/bench-bare" >/dev/null

log "wrk: filtered page, ${WRK_SECONDS}s"
timeout $((WRK_SECONDS + 60)) wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency -H "$AUTH" "$BASE$PAGE_PATH" | tee "$RESULTS/wrk-page.txt" >&2
log "wrk: bare view, ${WRK_SECONDS}s"
timeout $((WRK_SECONDS + 60)) wrk -t2 -c8 -d"${WRK_SECONDS}s" --latency -H "$AUTH" "$BASE/health/bench-bare" | tee "$RESULTS/wrk-bare.txt" >&2
stop_gunicorn

DOC_ARGS=(--doc "$ROOT/docs/benchmarks.md")
[ "${BENCH_NO_DOC:-}" = 1 ] && DOC_ARGS=()
"$PY" bench/report.py --sync "$RESULTS/sync.json" --wrk-page "$RESULTS/wrk-page.txt" \
  --wrk-bare "$RESULTS/wrk-bare.txt" --wrk-seconds "$WRK_SECONDS" --out "$RESULTS/latest.json" "${DOC_ARGS[@]}"
