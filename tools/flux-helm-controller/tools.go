//go:build tools

// Package tools pins Flux's helm-controller (built by scripts/backends.py for tests/flux_controllers.py). The
// replaces are upstream's own (its go.mod; its ./api replace becomes the published api module). v1.6.4 is the
// newest the Go proxy serves (1.6.5, 1.7.x and the version list: 403). v1.6.0, the release of the same Flux
// version as tools/flux-source-controller v1.9.0 (the same dependency set), does not build here: the proxy
// answers 403 for its github.com/fluxcd/pkg/chartutil v1.27.0; v1.6.1-v1.6.3 share no more with it than v1.6.4.
package tools

import _ "github.com/fluxcd/helm-controller"
