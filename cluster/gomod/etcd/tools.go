//go:build tools

// Package tools pins the etcd commands svclab builds.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
