#!/usr/bin/env bash
# Notification delivery benchmark (see README.md beside this file).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NETWEAVE_PG_PORT="${BENCH_PG_PORT:-55439}"
DATABASE_URL="$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop' EXIT
export DATABASE_URL NETWEAVE_DATA_DIR="$(mktemp -d /tmp/netweave-bench-notify-XXXX)"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python bench/notifications/bench.py
