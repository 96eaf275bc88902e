#!/usr/bin/env bash
# A real, throw-away OpenStack control plane on loopback, for the OpenStack IMS plugin's integration tests.
#
#   scripts/openstack-harness.sh start    install what is missing, configure, start, bootstrap, wait until
#                                         usable; prints `export OS_...=...` lines (auth URL, admin credentials)
#   scripts/openstack-harness.sh stop     stop every process it started and delete the run directory
#   scripts/openstack-harness.sh status   exit 0 when the control plane answers, 1 otherwise
#   scripts/openstack-harness.sh env      print the `export` lines again
#
# What runs (Debian bookworm's OpenStack Zed, see plugins/ims/openstack/README.md): MariaDB and RabbitMQ;
# keystone and placement (their WSGI apps in a small threaded server), glance-api, neutron-server (API only,
# ML2 without mechanism drivers), nova-api, nova-conductor, nova-scheduler and two nova-compute hosts on the
# fake virt driver (`compute_driver = fake.FakeDriver`): the real Nova API, scheduler and placement, no VMs.
# Everything listens on 127.0.0.1; every file it writes is under the run directory, except the cache.
#
# Keystone answers on a second port over HTTPS too (the same process and application), for the plugin's TLS
# tests (verifyTls, caBundle): a throw-away CA and a server certificate for 127.0.0.1 and localhost are made
# with the openssl CLI at each start, in the run directory's tls/ (ca.pem, server.pem, server.key; EC P-256
# keys, valid two days). `env` prints that URL as OS_AUTH_URL_TLS and the CA as OS_CACERT_TLS. The catalog
# keeps the plain-HTTP service endpoints: only the authentication URL is HTTPS.
#
# The python3-* library packages come from Debian (scripts/debian.sh, as root). The service
# .debs (paste ini files, console scripts) are fetched with `apt-get download` and unpacked with `dpkg -x`
# into the cache, so no package asks dbconfig questions and no system service is enabled. The databases
# after schema migration and keystone bootstrap are cached too (a MariaDB data directory snapshot keyed by
# the package versions and ports): a warm start copies it instead of migrating again.
#
# Environment: NETWEAVE_OPENSTACK_DIR (run directory, default /tmp/netweave-openstack),
# NETWEAVE_OPENSTACK_PORT_BASE (default 16000; ports base+306 MariaDB, +672/+673 RabbitMQ, +500 keystone,
# +443 keystone over HTTPS, +292 glance, +778 placement, +774 nova, +696 neutron), NETWEAVE_CACHE_DIR
# (default ~/.cache/netweave).
# Every wait is bounded; a failure prints the log tail of the service concerned and exits non-zero.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
RUN="${NETWEAVE_OPENSTACK_DIR:-/tmp/netweave-openstack}"
BASE="${NETWEAVE_OPENSTACK_PORT_BASE:-16000}"
CACHE="${NETWEAVE_CACHE_DIR:-${HOME:-/root}/.cache/netweave}/openstack"
PY=/usr/bin/python3
ADMIN_PASSWORD="netweave-admin"   # a throw-away cloud on loopback; the tests read it from `env`
REGION="RegionOne"

P_MYSQL=$((BASE + 306)); P_AMQP=$((BASE + 672)); P_DIST=$((BASE + 673)); P_KEYSTONE=$((BASE + 500))
P_GLANCE=$((BASE + 292)); P_PLACEMENT=$((BASE + 778)); P_NOVA=$((BASE + 774)); P_NEUTRON=$((BASE + 696))
KEYSTONE_URL="http://127.0.0.1:$P_KEYSTONE/v3"
P_KEYSTONE_TLS=$((BASE + 443)); KEYSTONE_TLS_URL="https://127.0.0.1:$P_KEYSTONE_TLS/v3"; TLS="$RUN/tls"
SOCK="$RUN/mysql/mysqld.sock"
COMPUTE_HOSTS="compute-1 compute-2"

LIBRARY_PACKAGES="python3-keystone python3-nova python3-neutron python3-glance python3-placement python3-pymysql
  mariadb-server rabbitmq-server"
SERVICE_DEBS="keystone nova-common nova-api nova-conductor nova-scheduler nova-compute glance-common glance-api
  neutron-common neutron-server placement-common placement-api"

log() { echo "openstack-harness: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------------------------------- installation

install_packages() {
  # shellcheck disable=SC2086
  bash "$HERE/debian.sh" install $LIBRARY_PACKAGES || die "apt-get install of the OpenStack packages failed (above)"
}

package_version() { dpkg-query -W -f='${Version}' "$1"; }

# The service .debs, unpacked (not installed) into the cache: paste ini files and console scripts.
service_root() {
  local key root
  key="nova$(package_version python3-nova)-neutron$(package_version python3-neutron)-glance$(package_version python3-glance)"
  root="$CACHE/debs-${key//[^A-Za-z0-9.+-]/_}"
  if [ ! -f "$root/.complete" ]; then
    log "fetching service packages into $root"
    rm -rf "$root"
    mkdir -p "$root/debs" "$root/root"
    (cd "$root/debs" && apt-get download $SERVICE_DEBS >&2 2>/dev/null) || {
      bash "$HERE/debian.sh" update
      (cd "$root/debs" && apt-get download $SERVICE_DEBS >&2)
    } || die "apt-get download of the service packages failed"
    local deb
    for deb in "$root"/debs/*.deb; do dpkg -x "$deb" "$root/root"; done
    touch "$root/.complete"
  fi
  echo "$root/root"
}

# ------------------------------------------------------------------------------------------- processes

pidfile() { echo "$RUN/pids/$1.pid"; }

alive() {
  local f
  f="$(pidfile "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# spawn NAME CMD...: start a service in its own session, output to logs/NAME.log, pid to pids/NAME.pid.
spawn() {
  local name="$1"
  shift
  setsid "$@" >"$RUN/logs/$name.log" 2>&1 </dev/null 9>&- &  # fd 9 is the run-directory lock: not theirs
  echo $! >"$(pidfile "$name")"
}

fail_with_log() {
  log "$1 failed to become ready; last lines of $RUN/logs/$1.log:"
  tail -n 40 "$RUN/logs/$1.log" >&2 || true
  exit 1
}

# wait_for NAMES SECONDS CMD...: poll CMD until it succeeds, one of the (space-separated) services dies, or
# the time is up.
wait_for() {
  local names="$1" deadline=$((SECONDS + $2)) name
  shift 2
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for name in $names; do alive "$name" || fail_with_log "$name"; done
    sleep 0.5
  done
  log "timed out after $2 s waiting for: $*"
  fail_with_log "${names%% *}"
}

http_ok() { $PY -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$1"; }

# https_ok URL CAFILE: the URL answers over TLS with a certificate the CA in CAFILE vouches for.
https_ok() {
  $PY -c 'import ssl, sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=3, context=ssl.create_default_context(cafile=sys.argv[2]))' "$1" "$2"
}

stop_all() {
  local f pid
  [ -d "$RUN/pids" ] || return 0
  for f in "$RUN"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do
    local running=0
    for f in "$RUN"/pids/*.pid; do
      [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && running=1
    done
    [ "$running" = 0 ] && break
    sleep 0.25
  done
  for f in "$RUN"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

# ------------------------------------------------------------------------------------------- configuration

db_url() { echo "mysql+pymysql://root@/$1?unix_socket=$SOCK&charset=utf8"; }
AMQP_URL="rabbit://guest:guest@127.0.0.1:$P_AMQP/"

# Every service authenticates as the bootstrap admin: one user, less to set up. Validated tokens are not cached
# (token_cache_time = -1), so a revoked token is refused at once, as the plugin's re-authentication test needs.
authtoken_section() {
  cat <<EOF
www_authenticate_uri = $KEYSTONE_URL
auth_url = $KEYSTONE_URL
auth_type = password
username = admin
password = $ADMIN_PASSWORD
project_name = admin
user_domain_name = Default
project_domain_name = Default
region_name = $REGION
token_cache_time = -1
EOF
}

write_configs() {
  local sroot="$1"
  mkdir -p "$RUN"/etc/{keystone,placement,glance,neutron,nova} "$RUN"/{logs,pids,lock,glance/images,glance/staging,glance/tasks,nova,keystone}
  cat >"$RUN/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
log_file = $RUN/logs/keystone-app.log
[database]
connection = $(db_url keystone)
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $RUN/keystone/fernet-keys
[fernet_receipts]
key_repository = $RUN/keystone/fernet-keys
[credential]
key_repository = $RUN/keystone/credential-keys
EOF
  cat >"$RUN/etc/placement/placement.conf" <<EOF
[DEFAULT]
log_file = $RUN/logs/placement-app.log
[api]
auth_strategy = keystone
[placement_database]
connection = $(db_url placement)
[keystone_authtoken]
$(authtoken_section)
EOF
  cat >"$RUN/etc/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $P_GLANCE
workers = 1
enabled_backends = fs:file
log_file = $RUN/logs/glance-app.log
[database]
connection = $(db_url glance)
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $RUN/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $RUN/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $RUN/glance/tasks
[paste_deploy]
flavor = keystone
config_file = $sroot/usr/share/glance-common/glance-api-paste.ini
[keystone_authtoken]
$(authtoken_section)
[oslo_policy]
enforce_new_defaults = false
EOF
  cat >"$RUN/etc/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $P_NEUTRON
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
core_plugin = ml2
service_plugins =
auth_strategy = keystone
api_paste_config = $sroot/usr/share/neutron-common/api-paste.ini
transport_url = $AMQP_URL
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
log_file = $RUN/logs/neutron-app.log
[database]
connection = $(db_url neutron)
[keystone_authtoken]
$(authtoken_section)
[oslo_concurrency]
lock_path = $RUN/lock
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
EOF
  cat >"$RUN/etc/nova/nova.conf" <<EOF
[DEFAULT]
transport_url = $AMQP_URL
compute_driver = fake.FakeDriver
my_ip = 127.0.0.1
state_path = $RUN/nova
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $P_NOVA
osapi_compute_workers = 1
instance_usage_audit = false
[wsgi]
api_paste_config = $sroot/usr/share/nova-common/api-paste.ini
[api]
auth_strategy = keystone
[api_database]
connection = $(db_url nova_api)
[database]
connection = $(db_url nova)
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[filter_scheduler]
enabled_filters = ComputeFilter,AggregateInstanceExtraSpecsFilter
[keystone_authtoken]
$(authtoken_section)
[placement]
$(authtoken_section)
[neutron]
$(authtoken_section)
[glance]
region_name = $REGION
[oslo_concurrency]
lock_path = $RUN/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[os_vif_ovs]
[cinder]
os_region_name = $REGION
EOF
}

# ------------------------------------------------------------------------------------------- services

start_mariadb() {
  if [ ! -d "$RUN/mysql/data/mysql" ]; then
    mkdir -p "$RUN/mysql"
    mariadb-install-db --no-defaults --datadir="$RUN/mysql/data" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$RUN/logs/mariadb-install.log" 2>&1 \
      || fail_with_log mariadb-install
  fi
  spawn mariadb mariadbd --no-defaults --datadir="$RUN/mysql/data" --socket="$SOCK" --port="$P_MYSQL" \
    --bind-address=127.0.0.1 --user=root --pid-file="$RUN/mysql/mariadbd.pid" --skip-log-bin \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --max-connections=1000 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
  wait_for mariadb 60 mariadb --no-defaults --socket="$SOCK" -uroot -e "SELECT 1"
}

start_rabbitmq() {
  mkdir -p "$RUN/rabbitmq"
  echo "[]." >"$RUN/rabbitmq/enabled_plugins"
  spawn rabbitmq env HOME="$RUN/rabbitmq" RABBITMQ_NODENAME="netweave-os-$BASE@localhost" \
    ERL_CRASH_DUMP="$RUN/rabbitmq/erl_crash.dump" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$P_AMQP" RABBITMQ_DIST_PORT="$P_DIST" \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$RUN/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$RUN/rabbitmq/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RUN/rabbitmq/enabled_plugins" RABBITMQ_CONFIG_FILE="$RUN/rabbitmq/rabbitmq" \
    /usr/lib/rabbitmq/bin/rabbitmq-server
}

wait_rabbitmq() {
  wait_for rabbitmq 90 $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)' "$P_AMQP"
}

sql() { mariadb --no-defaults --socket="$SOCK" -uroot -e "$1"; }

# Schemas and keystone bootstrap: slow (about a minute and a half), so the result is cached.
seed_key() {
  echo "$(package_version python3-keystone)-$(package_version python3-nova)-$(package_version python3-neutron)-$(package_version python3-glance)-$(package_version python3-placement)-$(package_version mariadb-server)-$BASE-${RUN//\//_}" \
    | md5sum | cut -c1-16
}

migrate_databases() {
  local sroot="$1" db
  for db in keystone placement glance neutron nova_api nova nova_cell0; do
    sql "CREATE DATABASE IF NOT EXISTS $db"
  done
  log "migrating databases (keystone, placement, glance, neutron, nova)"
  local ks="keystone-manage --config-dir $RUN/etc/keystone"
  $ks db_sync >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $ks fernet_setup --keystone-user root --keystone-group root >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $ks credential_setup --keystone-user root --keystone-group root >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $ks bootstrap --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-admin-url "$KEYSTONE_URL" \
    --bootstrap-internal-url "$KEYSTONE_URL" --bootstrap-public-url "$KEYSTONE_URL" \
    --bootstrap-region-id "$REGION" >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  placement-manage --config-file "$RUN/etc/placement/placement.conf" db sync >>"$RUN/logs/migrate.log" 2>&1 \
    || fail_with_log migrate
  $PY "$sroot/usr/bin/glance-manage" --config-file "$RUN/etc/glance/glance-api.conf" db_sync \
    >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $PY "$sroot/usr/bin/neutron-db-manage" --config-file "$RUN/etc/neutron/neutron.conf" upgrade heads \
    >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  local nm="$PY $sroot/usr/bin/nova-manage --config-file $RUN/etc/nova/nova.conf"
  $nm api_db sync >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $nm cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)" >>"$RUN/logs/migrate.log" 2>&1 \
    || fail_with_log migrate
  $nm cell_v2 create_cell --name cell1 >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
  $nm db sync >>"$RUN/logs/migrate.log" 2>&1 || fail_with_log migrate
}

prepare_databases() {
  local sroot="$1" seed
  seed="$CACHE/seed-$(seed_key)"
  if [ -f "$seed/.complete" ]; then
    log "restoring migrated databases from $seed"
    mkdir -p "$RUN/mysql" "$RUN/keystone"
    cp -a "$seed/data" "$RUN/mysql/data"
    cp -a "$seed/fernet-keys" "$seed/credential-keys" "$RUN/keystone/"
    start_mariadb
    return
  fi
  start_mariadb
  migrate_databases "$sroot"
  log "caching the migrated databases in $seed"
  sql "FLUSH TABLES"
  kill -TERM "$(cat "$(pidfile mariadb)")"
  for _ in $(seq 1 120); do alive mariadb || break; sleep 0.25; done
  alive mariadb && die "MariaDB did not stop for the snapshot"
  rm -rf "$seed"
  mkdir -p "$seed"
  cp -a "$RUN/mysql/data" "$seed/data"
  cp -a "$RUN/keystone/fernet-keys" "$RUN/keystone/credential-keys" "$seed/"
  touch "$seed/.complete"
  start_mariadb
}

# A throw-away CA and a certificate for 127.0.0.1/localhost signed by it (about 0.1 s).
make_certificates() {
  mkdir -p "$TLS"
  {
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 2 \
      -keyout "$TLS/ca.key" -out "$TLS/ca.pem" -subj "/CN=netweave OpenStack harness CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -keyout "$TLS/server.key" -out "$TLS/server.csr" -subj "/CN=127.0.0.1" &&
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$TLS/server.ext" &&
    openssl x509 -req -days 2 -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
      -CAcreateserial -CAserial "$TLS/ca.srl" -extfile "$TLS/server.ext" -out "$TLS/server.pem"
  } >"$RUN/logs/certificates.log" 2>&1 || fail_with_log certificates
}

# A small threaded WSGI server for keystone and placement (Debian runs them under uwsgi, not installed here).
write_wsgi_runner() {
  cat >"$RUN/wsgi_serve.py" <<'EOF'
"""Serve an OpenStack WSGI application on 127.0.0.1:PORT with a thread per request; with TLS_PORT CERT KEY,
serve it over HTTPS on 127.0.0.1:TLS_PORT as well."""
import importlib
import ssl
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class Handler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))


class TLSServer(Server):
    """The handshake runs in the request's thread: a client that gives up on it holds up no one else."""

    context = None

    def get_request(self):
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            request.do_handshake()
        except OSError as exc:  # e.g. the client refused the certificate: its side of the story, not an error
            sys.stderr.write("TLS handshake with %s:%s failed: %s\n" % (*client_address, exc))
            return
        super().finish_request(request, client_address)


class TLSHandler(Handler):
    def get_environ(self):
        environ = super().get_environ()
        environ["HTTPS"] = "on"  # wsgi.url_scheme = https: keystone's version links must say https
        return environ


module_name, factory_name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
tls = sys.argv[4:7]
del sys.argv[1:]  # the applications parse the command line as oslo.config options
app = getattr(importlib.import_module(module_name), factory_name)()
if tls:
    TLSServer.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    TLSServer.context.load_cert_chain(tls[1], tls[2])
    secure = make_server("127.0.0.1", int(tls[0]), app, server_class=TLSServer, handler_class=TLSHandler)
    threading.Thread(target=secure.serve_forever, daemon=True).start()
make_server("127.0.0.1", port, app, server_class=Server, handler_class=Handler).serve_forever()
EOF
}

start_services() {
  local sroot="$1" host
  write_wsgi_runner
  make_certificates
  spawn keystone env OS_KEYSTONE_CONFIG_DIR="$RUN/etc/keystone" \
    $PY "$RUN/wsgi_serve.py" keystone.server.wsgi initialize_public_application "$P_KEYSTONE" \
    "$P_KEYSTONE_TLS" "$TLS/server.pem" "$TLS/server.key"
  wait_for keystone 120 http_ok "$KEYSTONE_URL"
  wait_for keystone 30 https_ok "$KEYSTONE_TLS_URL" "$TLS/ca.pem"
  bootstrap_catalog >>"$RUN/logs/bootstrap.log" 2>&1 || fail_with_log bootstrap
  spawn placement env OS_PLACEMENT_CONFIG_DIR="$RUN/etc/placement" \
    $PY "$RUN/wsgi_serve.py" placement.wsgi init_application "$P_PLACEMENT"
  spawn glance $PY "$sroot/usr/bin/glance-api" --config-file "$RUN/etc/glance/glance-api.conf"
  spawn neutron $PY "$sroot/usr/bin/neutron-server" --config-file "$RUN/etc/neutron/neutron.conf"
  local nova_conf="--config-file $RUN/etc/nova/nova.conf"
  spawn nova-api $PY "$sroot/usr/bin/nova-api" $nova_conf
  spawn nova-conductor $PY "$sroot/usr/bin/nova-conductor" $nova_conf
  spawn nova-scheduler $PY "$sroot/usr/bin/nova-scheduler" $nova_conf
  for host in $COMPUTE_HOSTS; do
    printf '[DEFAULT]\nhost = %s\n' "$host" >"$RUN/etc/nova/$host.conf"
    spawn "nova-$host" $PY "$sroot/usr/bin/nova-compute" $nova_conf --config-file "$RUN/etc/nova/$host.conf"
  done
}

# Service users are the admin; register the catalog (compute, image, network, placement) once.
bootstrap_catalog() {
  $PY - "$KEYSTONE_URL" "$ADMIN_PASSWORD" "$REGION" "$P_NOVA" "$P_GLANCE" "$P_NEUTRON" "$P_PLACEMENT" <<'EOF'
import json
import sys
import urllib.request

auth_url, password, region, nova, glance, neutron, placement = sys.argv[1:]


def call(method, path, body=None, token=None):
    request = urllib.request.Request(
        auth_url + path, method=method, data=json.dumps(body).encode() if body is not None else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, json.loads(response.read() or b"{}")


headers, _ = call("POST", "/auth/tokens", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
token = headers["X-Subject-Token"]
services = {s["type"]: s for s in call("GET", "/services", token=token)[1]["services"]}
wanted = {
    "compute": ("nova", f"http://127.0.0.1:{nova}/v2.1"),
    "image": ("glance", f"http://127.0.0.1:{glance}"),
    "network": ("neutron", f"http://127.0.0.1:{neutron}"),
    "placement": ("placement", f"http://127.0.0.1:{placement}"),
}
for kind, (name, url) in wanted.items():
    if kind in services:
        continue
    service = call("POST", "/services", {"service": {"type": kind, "name": name}}, token)[1]["service"]
    for interface in ("public", "internal", "admin"):
        call("POST", "/endpoints", {"endpoint": {
            "service_id": service["id"], "interface": interface, "url": url, "region_id": region}}, token)
EOF
}

# Ready = keystone issues tokens; nova lists servers (needs neutron and glance reachable) and every compute
# host is registered, mapped to the cell and reporting to placement.
wait_ready() {
  wait_for placement 120 http_ok "http://127.0.0.1:$P_PLACEMENT/"
  wait_for glance 120 http_ok "http://127.0.0.1:$P_GLANCE/versions"
  wait_for neutron 180 http_ok "http://127.0.0.1:$P_NEUTRON/"
  wait_for nova-api 180 http_ok "http://127.0.0.1:$P_NOVA/"
  cat >"$RUN/ready.py" <<'EOF'
import json
import sys
import urllib.request

auth_url, password, *hosts = sys.argv[1:]


def call(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("X-Auth-Token", token)
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.headers, json.loads(response.read() or b"{}")


headers, body = call("POST", auth_url + "/auth/tokens", {"auth": {
    "identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": password}}},
    "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
token = headers["X-Subject-Token"]
catalog = {s["type"]: [e["url"] for e in s["endpoints"] if e["interface"] == "public"][0] for s in body["token"]["catalog"]}
call("GET", catalog["network"] + "/v2.0/networks", token=token)  # neutron's first request warms it up
call("GET", catalog["compute"] + "/servers", token=token)
services = call("GET", catalog["compute"] + "/os-services?binary=nova-compute", token=token)[1]["services"]
up = {s["host"] for s in services if s["state"] == "up"}
hypervisors = call("GET", catalog["compute"] + "/os-hypervisors", token=token)[1]["hypervisors"]
known = {h["hypervisor_hostname"] for h in hypervisors}
providers = call("GET", catalog["placement"] + "/resource_providers", token=token)[1]["resource_providers"]
placed = {p["name"] for p in providers}
missing = [h for h in hosts if h not in up or h not in known or h not in placed]
if missing:
    sys.exit(f"compute hosts not ready yet: {missing}")
EOF
  local nova_services="nova-conductor nova-scheduler" host
  for host in $COMPUTE_HOSTS; do nova_services="$nova_services nova-$host"; done
  wait_for "$nova_services" 180 $PY "$RUN/ready.py" "$KEYSTONE_URL" "$ADMIN_PASSWORD" $COMPUTE_HOSTS
}

print_env() {
  cat <<EOF
export OS_AUTH_URL=$KEYSTONE_URL
export OS_USERNAME=admin
export OS_PASSWORD=$ADMIN_PASSWORD
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$REGION
export OS_AUTH_URL_TLS=$KEYSTONE_TLS_URL
export OS_CACERT_TLS=$TLS/ca.pem
export NETWEAVE_OPENSTACK_COMPUTE_HOSTS="$COMPUTE_HOSTS"
EOF
}

cmd_status() {
  alive keystone && alive nova-api && alive nova-conductor && http_ok "$KEYSTONE_URL" && http_ok "http://127.0.0.1:$P_NOVA/" \
    && https_ok "$KEYSTONE_TLS_URL" "$TLS/ca.pem"
}

# Two callers starting or stopping the same run directory at once would kill each other's processes.
lock_run_dir() {
  exec 9>"$RUN.lock"
  flock -w 1800 9 || die "another start or stop of $RUN has held $RUN.lock for 30 minutes"
}

cmd_start() {
  lock_run_dir
  if cmd_status 2>/dev/null; then
    print_env
    return 0
  fi
  local started=$SECONDS sroot
  stop_all
  rm -rf "$RUN"
  mkdir -p "$RUN/logs" "$RUN/pids" "$CACHE"
  trap 'log "start failed: stopping what was started (logs kept in $RUN/logs)"; stop_all' EXIT
  install_packages
  sroot="$(service_root)"
  log "packages ready after $((SECONDS - started)) s"
  write_configs "$sroot"
  start_rabbitmq
  prepare_databases "$sroot"
  wait_rabbitmq
  log "databases ready after $((SECONDS - started)) s"
  start_services "$sroot"
  wait_ready
  trap - EXIT
  log "control plane ready after $((SECONDS - started)) s (logs in $RUN/logs)"
  print_env
}

cmd_stop() {
  lock_run_dir
  stop_all
  # RabbitMQ started Erlang's port mapper as a daemon; end it unless another Erlang node still uses it.
  if [ -d "$RUN" ] && command -v epmd >/dev/null && ! epmd -names 2>/dev/null | grep -q "^name "; then
    epmd -kill >/dev/null 2>&1 || true
  fi
  rm -rf "$RUN"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
