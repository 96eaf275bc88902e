//go:build tools

// Package tools pins Flux's kustomize-controller (built by scripts/backends.py for tests/flux_controllers.py),
// the release of the same Flux minor as tools/flux-source-controller. The replaces are upstream's own (its go.mod).
package tools

import _ "github.com/fluxcd/kustomize-controller"
