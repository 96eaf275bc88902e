#!/usr/bin/env bash
# Build the pinned helm CLI (the version required in go.mod) into the machine-level cache, once.
# Prints the binary's path. The cache lives outside the repository so CI on this machine reuses it;
# on a fresh machine the first call builds it (about 4.5 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VERSION="$(awk '$1 == "helm.sh/helm/v3" {print $2}' go.mod)"
CACHE="${NETWEAVE_CACHE:-/root/.cache/netweave}/helm-${VERSION}"
BIN="$CACHE/helm"
if [[ ! -x "$BIN" ]]; then
  mkdir -p "$CACHE"
  echo "building helm ${VERSION} into ${CACHE} (first time only)" >&2
  [[ -x "$GO" ]] || { echo "helm build: Go toolchain not found (set GO=...)" >&2; exit 1; }
  CGO_ENABLED=0 "$GO" build -trimpath -o "$BIN.partial" \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${VERSION}" \
    helm.sh/helm/v3/cmd/helm
  mv "$BIN.partial" "$BIN"
fi
echo "$BIN"
