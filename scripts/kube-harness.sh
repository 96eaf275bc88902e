#!/usr/bin/env bash
# A real Kubernetes API server (kube-apiserver + etcd) on loopback, for tests and benchmarks.
#
# The binaries are built from the pinned Go modules in tools/kube/ (k8s.io/kubernetes with a `replace` for each
# k8s.io staging module, go.etcd.io/etcd/server/v3) by scripts/backends.py, into the machine-level backend cache
# OUTSIDE the repo, keyed by the pinned versions (~/.cache/netweave/backends/{kube-apiserver,etcd}-<version>/).
# A machine that has them reuses them; a fresh machine builds them once (several minutes on 2 cores).
# There is no kubelet, scheduler or controller-manager: tests create Nodes (with status) as API objects.
#
# Usage:
#   scripts/kube-harness.sh build                  build the binaries if missing or broken; print their paths
#   scripts/kube-harness.sh crd-dir                print the directory holding the openshift/api CRD manifests
#   scripts/kube-harness.sh start -d DIR [-p PORT] [-e ETCD_PORT]
#        start etcd and kube-apiserver (whichever is not running yet) with their state in DIR; wait for /readyz.
#        Writes DIR/kubeconfig (admin user "netweave-admin", group system:masters, client certificate), and
#        DIR/ca.crt. Defaults: PORT 16443, ETCD_PORT 12379 (etcd also takes ETCD_PORT+1 for peers).
#   scripts/kube-harness.sh stop -d DIR            stop both (etcd data stays in DIR until DIR is removed)
#   scripts/kube-harness.sh stop-apiserver -d DIR  stop only kube-apiserver (an outage; `start` brings it back)
#
# From pytest, use the `kube_cluster` fixture of tests/k8s_harness.py (see tests/k8s/README.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$HERE/tools/kube"
GO="${GO:-/usr/local/go/bin/go}"
pinned() { awk -v m="$1" '{ if ($1 == "require") { $1 = ""; $0 = $0 } } $1 == m && $2 ~ /^v/ {print $2}' "$TOOLS/go.mod"; }
OPENSHIFT_API_VERSION="$(pinned github.com/openshift/api)"
BACKENDS="$HERE/scripts/backends.py"

die() { echo "kube-harness: $*" >&2; exit 1; }

# The two binaries' paths, one a line (kube-apiserver, then etcd); built on first use, progress on stderr.
build() {
    python3 "$BACKENDS" path kube-apiserver || die "cannot provide kube-apiserver (see above)"
    python3 "$BACKENDS" path etcd || die "cannot provide etcd (see above)"
}

crd_dir() {
    local dir
    dir="$(cd "$TOOLS" && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/openshift/api@$OPENSHIFT_API_VERSION" \
        | awk -F'"' '$2 == "Dir" {print $4}')"
    [[ -d "$dir" ]] || die "cannot fetch github.com/openshift/api@$OPENSHIFT_API_VERSION from the Go module proxy"
    echo "$dir"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

certificates() {
    local dir=$1
    [[ -f "$dir/admin.key" ]] && return
    (
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt -subj "/CN=netweave-test-ca"
        openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' > apiserver.ext
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile apiserver.ext -out apiserver.crt
        openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr \
            -subj "/O=system:masters/CN=netweave-admin"
        openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out admin.crt
        openssl genrsa -out sa.key 2048
        openssl rsa -in sa.key -pubout -out sa.pub
        rm -f ./*.csr apiserver.ext
    ) >/dev/null 2>&1 || die "openssl failed to make the test certificates in $dir"
}

kubeconfig() {
    local dir=$1 port=$2 b64="base64 -w0"
    cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: netweave-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority-data: $($b64 < "$dir/ca.crt")
users:
- name: netweave-admin
  user:
    client-certificate-data: $($b64 < "$dir/admin.crt")
    client-key-data: $($b64 < "$dir/admin.key")
contexts:
- name: netweave-test
  context: {cluster: netweave-test, user: netweave-admin, namespace: default}
current-context: netweave-test
EOF
    chmod 600 "$dir/kubeconfig"
}

start() {
    local dir=$1 port=$2 etcd_port=$3 binaries apiserver etcd
    binaries="$(build)"
    apiserver="$(sed -n 1p <<<"$binaries")"
    etcd="$(sed -n 2p <<<"$binaries")"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    certificates "$dir"
    kubeconfig "$dir" "$port"
    if ! alive "$dir/etcd.pid"; then
        "$etcd" --name netweave-test --data-dir "$dir/etcd-data" \
            --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
            --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
            --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
            --initial-cluster "netweave-test=http://127.0.0.1:$((etcd_port + 1))" \
            --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn >"$dir/etcd.log" 2>&1 &
        echo $! > "$dir/etcd.pid"
    fi
    if ! alive "$dir/apiserver.pid"; then
        "$apiserver" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" \
            --etcd-servers "http://127.0.0.1:$etcd_port" --cert-dir "$dir" \
            --tls-cert-file "$dir/apiserver.crt" --tls-private-key-file "$dir/apiserver.key" \
            --client-ca-file "$dir/ca.crt" --authorization-mode RBAC \
            --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$dir/sa.pub" \
            --service-account-signing-key-file "$dir/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
            --disable-admission-plugins ServiceAccount --endpoint-reconciler-type none --max-requests-inflight 800 \
            --watch-cache=true --v 0 >"$dir/apiserver.log" 2>&1 &
        echo $! > "$dir/apiserver.pid"
    fi
    local deadline=$((SECONDS + 120))
    until curl -fsS --cacert "$dir/ca.crt" --cert "$dir/admin.crt" --key "$dir/admin.key" \
        "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
        alive "$dir/etcd.pid" || die "etcd exited; last lines of $dir/etcd.log: $(tail -5 "$dir/etcd.log")"
        alive "$dir/apiserver.pid" || die "kube-apiserver exited; last lines: $(tail -5 "$dir/apiserver.log")"
        ((SECONDS < deadline)) || die "kube-apiserver not ready after 120s; see $dir/apiserver.log"
        sleep 0.5
    done
    echo "$dir/kubeconfig"
}

stop_one() {
    local pidfile=$1
    if alive "$pidfile"; then
        local pid
        pid="$(cat "$pidfile")"
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

command=${1:-}
shift || true
DIR="" PORT=16443 ETCD_PORT=12379
while getopts "d:p:e:" opt; do
    case $opt in
        d) DIR=$OPTARG ;;
        p) PORT=$OPTARG ;;
        e) ETCD_PORT=$OPTARG ;;
        *) die "unknown option" ;;
    esac
done
case $command in
    build) build ;;
    crd-dir) crd_dir ;;
    start) [[ -n $DIR ]] || die "start needs -d DIR"; start "$DIR" "$PORT" "$ETCD_PORT" ;;
    stop) [[ -n $DIR ]] || die "stop needs -d DIR"; stop_one "$DIR/apiserver.pid"; stop_one "$DIR/etcd.pid" ;;
    stop-apiserver) [[ -n $DIR ]] || die "stop-apiserver needs -d DIR"; stop_one "$DIR/apiserver.pid" ;;
    *) sed -n '2,22p' "$0"; exit 2 ;;
esac
