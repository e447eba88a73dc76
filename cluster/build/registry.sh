#!/usr/bin/env bash
# The distribution registry (`svclab images serve`) from its pinned wrapper module, into
# $SVCLAB_BUILD/registry/. A script of its own, not a case of go.sh: go.sh feeds the cache key of
# every Go step, so editing it would rebuild the node image, which has no use for a registry.
# Its version is the wrapper module's pin, not a line of versions.env (whose every change
# rebuilds every image).
. "$(dirname "$0")/common.sh"
: "${SVCLAB_BUILD:?}"
mod="$SVCLAB_CLUSTER_DIR/gomod/registry"
v=$(go -C "$mod" list -m -f '{{.Version}}' github.com/distribution/distribution/v3)
step "go build the distribution registry $v"
mkdir -p "$SVCLAB_BUILD/registry"
go -C "$mod" build -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$v" \
  -o "$SVCLAB_BUILD/registry/registry" github.com/distribution/distribution/v3/cmd/registry
