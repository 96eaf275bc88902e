//go:build tools

// Package tools pins Crossplane core v1 (built by scripts/backends.py for tests/crossplane_harness.py). v1 is
// the last line that composes without composition functions (classic `mode: Resources` Compositions); v2
// composes only through functions, which are OCI packages run as pods (plugins/dms/crossplane/README.md).
package tools

import _ "github.com/crossplane/crossplane/cmd/crossplane"
