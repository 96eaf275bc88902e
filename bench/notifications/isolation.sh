#!/usr/bin/env bash
# Delivery isolation benchmark: 10 healthy receivers beside a black-hole and a refusing one (isolation.py).
#   BENCH_BACKLOG (10000) BENCH_RATE (100) BENCH_SECONDS (30) BENCH_TIMEOUT (10) BENCH_WORKERS (4)
set -euo pipefail
cd "$(dirname "$0")/../.."
export NETWEAVE_PG_PORT="${BENCH_PG_PORT:-55441}"
export NETWEAVE_PG_DIR="/tmp/netweave-bench-isolation-pg-$NETWEAVE_PG_PORT"
DATABASE_URL="$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop' EXIT
export DATABASE_URL NETWEAVE_DATA_DIR="$(mktemp -d /tmp/netweave-bench-isolation-XXXX)"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python bench/notifications/isolation.py
