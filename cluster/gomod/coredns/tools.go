//go:build tools

// Package tools pins the coredns commands svclab builds.
package tools

import (
	_ "github.com/coredns/coredns"
)
