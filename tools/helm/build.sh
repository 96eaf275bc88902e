#!/usr/bin/env bash
# Build the pinned helm CLI (the version go.mod requires) into OUT_DIR and print the binary's path:
#   tools/helm/build.sh OUT_DIR
# This is the one recipe for helm: deploy/Containerfile runs it in its Go stage, and scripts/backends.py runs it
# to fill the machine-level test cache (`scripts/backends.py path helm`; about 4.5 minutes cold on 2 cores).
set -euo pipefail
OUT="${1:?usage: tools/helm/build.sh OUT_DIR}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
cd "$(dirname "$0")"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VERSION="$(awk '$1 == "helm.sh/helm/v3" {print $2}' go.mod)"
[[ -x "$GO" ]] || { echo "helm build: Go toolchain not found (set GO=...)" >&2; exit 1; }
CGO_ENABLED=0 "$GO" build -trimpath -o "$OUT/helm" \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${VERSION}" \
  helm.sh/helm/v3/cmd/helm
echo "$OUT/helm"
