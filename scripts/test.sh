#!/usr/bin/env bash
# The whole suite, stage by stage (scripts/stages.py): lint (ruff, mypy), the unit stage on SQLite and on a
# throw-away PostgreSQL, each backend's stage (builds started in the background at the start), the browser
# stage, the fault stage; a table of stage, passed, failed, seconds at the end. Arguments go to every pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/stages.py all -- "$@"
