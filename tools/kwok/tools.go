//go:build tools

// Package tools pins sigs.k8s.io/kwok, the Kubernetes SIG's kubelet simulator, so scripts/backends.py compiles its
// `kwok` command from a checksummed module version.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
