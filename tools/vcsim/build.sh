#!/usr/bin/env bash
# Build vcsim (VMware's vCenter simulator, the govmomi `simulator` package at the version pinned in go.mod,
# wrapped by main.go here) into the machine-level cache, once. Prints the binary's path. The upstream vcsim
# command is a nested module the Go proxy does not serve, hence the small main. About 40 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VERSION="$(awk '$1 == "github.com/vmware/govmomi" {print $2} $2 == "github.com/vmware/govmomi" {print $3}' go.mod)"
CACHE="${NETWEAVE_CACHE:-/root/.cache/netweave}/backends/vcsim-${VERSION}"
BIN="$CACHE/vcsim"
if [[ ! -x "$BIN" ]]; then
  mkdir -p "$CACHE"
  echo "building vcsim ${VERSION} into ${CACHE} (first time only)" >&2
  [[ -x "$GO" ]] || { echo "vcsim build: Go toolchain not found (set GO=...)" >&2; exit 1; }
  exec 9>"$CACHE.lock"
  flock 9
  if [[ ! -x "$BIN" ]]; then
    CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w" -o "$BIN.partial" .
    mv "$BIN.partial" "$BIN"
  fi
fi
echo "$BIN"
