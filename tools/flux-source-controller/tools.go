//go:build tools

// Package tools pins Flux's source-controller (built by scripts/backends.py for tests/flux_controllers.py). The
// go-digest replace is upstream's own (its go.mod). v1.10.x needs go 1.27; v1.9.4 and later need
// github.com/fluxcd/pkg/artifact v0.18.2 or v0.18.3, which the Go proxy answers 403 for; v1.9.0 builds.
package tools

import _ "github.com/fluxcd/source-controller"
