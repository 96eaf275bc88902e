#!/usr/bin/env bash
# `make run`: the embedded default. SQLite and the filesystem Celery broker under ./data, the demo O-Cloud
# from config/demo.yaml, an admin user, then the web server, a worker, the beat scheduler and the watcher under
# a supervisor.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/python manage.py migrate --noinput -v 0
$BIN/python manage.py collectstatic --noinput -v 0
$BIN/python manage.py netweave_config import config/demo.yaml
$BIN/python manage.py netweave_bootstrap_admin
$BIN/python manage.py netweave_api_token bootstrap
$BIN/python manage.py netweave_sync --all
cat <<MSG

netweave is starting on http://${NETWEAVE_BIND:-127.0.0.1:8000}
  O2ims inventory  /o2ims-infrastructureInventory/v1
  O2dms            /o2dms/v1/{deploymentManagerId}/O2dms_DeploymentLifecycle
  API docs         /api/docs/
  admin            /admin/
The O2 APIs need a credential: 'Authorization: Bearer <API token>' (the demo token printed above works from
this machine only; create others in the admin under API tokens). See docs/security.md.
Stop with Ctrl-C.

MSG
# scripts/supervise.py: restarts what dies (with back-off), replaces a worker whose heartbeat stops, and stops
# every process on Ctrl-C with exit 0.
exec $BIN/python scripts/supervise.py Procfile
