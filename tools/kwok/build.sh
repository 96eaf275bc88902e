#!/usr/bin/env bash
# kwok, the kubelet simulator of the Kubernetes SIGs (sigs.k8s.io/kwok), pinned by go.mod, for the tests that need
# pods with logs on the harness's kube-apiserver (tests/kwok_harness.py).
#
#   tools/kwok/build.sh             build `kwok` into the machine-level cache once; print the binary's path
#   tools/kwok/build.sh module-dir  print the folder of the pinned module's source (its stage and CRD manifests)
#
# The cache lives outside the repository (${NETWEAVE_CACHE:-/root/.cache/netweave}/kwok-<version>/) so CI on this
# machine reuses it; on a fresh machine the first call builds it (96 s on 2 cores with empty Go module and build
# caches).
set -euo pipefail
cd "$(dirname "$0")"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VERSION="$(awk '$1 == "require" && $2 == "sigs.k8s.io/kwok" {print $3} $1 == "sigs.k8s.io/kwok" {print $2}' go.mod)"
[[ -n "$VERSION" ]] || { echo "kwok build: no sigs.k8s.io/kwok version in go.mod" >&2; exit 1; }
CACHE="${NETWEAVE_CACHE:-/root/.cache/netweave}/kwok-${VERSION}"
BIN="$CACHE/kwok"

die() { echo "kwok build: $*" >&2; exit 1; }

if [[ "${1:-}" == "module-dir" ]]; then
  [[ -x "$GO" ]] || die "Go toolchain not found (set GO=...)"
  dir="$("$GO" mod download -json "sigs.k8s.io/kwok@${VERSION}" | awk -F'"' '$2 == "Dir" {print $4}')"
  [[ -d "$dir" ]] || die "cannot fetch sigs.k8s.io/kwok@${VERSION} from the Go module proxy"
  echo "$dir"
  exit 0
fi

if [[ ! -x "$BIN" ]]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE/build.lock"
  flock 9  # two test sessions on a fresh machine: the second waits for the first one's build
  if [[ ! -x "$BIN" ]]; then
    [[ -x "$GO" ]] || die "Go toolchain not found (set GO=...)"
    echo "building kwok ${VERSION} into ${CACHE} (first time only)" >&2
    started=$SECONDS
    CGO_ENABLED=0 "$GO" build -trimpath -o "$BIN.partial" \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${VERSION#v}" \
      sigs.k8s.io/kwok/cmd/kwok || die "go build failed (see above)"
    mv "$BIN.partial" "$BIN"
    echo "kwok built in $((SECONDS - started))s" >&2
  fi
fi
echo "$BIN"
