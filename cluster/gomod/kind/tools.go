//go:build tools

// Package tools pins the kind commands svclab builds.
package tools

import (
	_ "sigs.k8s.io/kind"
)
