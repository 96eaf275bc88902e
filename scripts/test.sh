#!/usr/bin/env bash
# The whole suite: lint, types, then pytest on SQLite and again on a throw-away PostgreSQL.
# Backend integration stages run once, after both passes (tests/openstack: a real OpenStack control plane).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export NETWEAVE_DATA_DIR="${NETWEAVE_DATA_DIR:-$(mktemp -d /tmp/netweave-test-XXXX)}"

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== mypy"
$BIN/mypy plugins netweave inventory deployments

echo "== pytest (SQLite)"
$BIN/python -m pytest -q "$@"

echo "== pytest (PostgreSQL)"
DATABASE_URL="$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop' EXIT
DATABASE_URL="$DATABASE_URL" $BIN/python -m pytest -q -p no:randomly -m "not sqlite_only" "$@"

echo "== pytest (OpenStack: a real control plane from scripts/openstack-harness.sh, once)"
$BIN/python -m pytest -q -p no:randomly -m openstack tests/openstack
