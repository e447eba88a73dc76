//go:build tools

// Package tools pins the metallb commands svclab builds.
package tools

import (
	_ "go.universe.tf/metallb/controller"
	_ "go.universe.tf/metallb/speaker"
)
