//go:build tools

// Package tools pins github.com/openshift/api so that the machine API CRD
// manifests the test harness applies come from a checksummed module version.
package tools

import _ "github.com/openshift/api/machine/v1beta1"
