#!/usr/bin/env bash
# Build the pinned kustomize CLI into the machine-level cache, once, and print the binary's path.
# `go install` of the released module (not a tools go.mod) is what BACKENDS.md verified: v5.8.2
# builds here in about 30 s (v5.8.3 does not). The cache lives outside the repository so CI on
# this machine reuses it; a lock keeps parallel test runs from building it twice.
set -euo pipefail
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
CACHE="${NETWEAVE_CACHE:-/root/.cache/netweave}/backends/kustomize-${VERSION}"
BIN="$CACHE/kustomize"
if [[ ! -x "$BIN" ]]; then
  mkdir -p "$CACHE"
  exec 9>"$CACHE.lock"
  flock 9
  if [[ ! -x "$BIN" ]]; then
    echo "building kustomize ${VERSION} into ${CACHE} (first time only)" >&2
    [[ -x "$GO" ]] || { echo "kustomize build: Go toolchain not found (set GO=...)" >&2; exit 1; }
    GOBIN="$CACHE/.partial" CGO_ENABLED=0 "$GO" install -trimpath -ldflags "-s -w" \
      "sigs.k8s.io/kustomize/kustomize/v5@${VERSION}" >&2
    mv "$CACHE/.partial/kustomize" "$BIN"
    rmdir "$CACHE/.partial"
  fi
fi
echo "$BIN"
