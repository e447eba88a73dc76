# Shared helpers for the image build steps. Sourced, never run.
# Every step gets its inputs from the environment set by svclab's build driver:
#   SVCLAB_CLUSTER_DIR  this repository's cluster/ folder
#   SVCLAB_WORK         a scratch folder for this step (emptied before the step)
#   SVCLAB_OUT          the file or image the step must produce
# and the pinned versions of cluster/versions.env.
set -euo pipefail
: "${SVCLAB_CLUSTER_DIR:?}" "${SVCLAB_WORK:?}"
# shellcheck source=../versions.env
. "$SVCLAB_CLUSTER_DIR/versions.env"
export CGO_ENABLED=0 GOFLAGS=-trimpath
export DOCKER_BUILDKIT=0

step() { echo "==> $*"; }

# go_build MODULE_DIR OUT_DIR PACKAGE... : build static binaries of a wrapper module.
go_build() {
  local mod=$1 out=$2; shift 2
  mkdir -p "$out"
  go -C "$SVCLAB_CLUSTER_DIR/gomod/$mod" build -ldflags '-s -w' -o "$out/" "$@"
}

# debian_sources: the host's Debian sources file, so a classroom mirror is used;
# nothing (mmdebstrap's default mirror) when the host has neither file.
debian_sources() {
  local f
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$f" ]; then echo "$f"; return; fi
  done
}

# rootfs SUITE OUT.tar PACKAGES [mmdebstrap options...]: a minimal Debian rootfs tarball.
rootfs() {
  local suite=$1 out=$2 packages=$3; shift 3
  mmdebstrap --variant=minbase --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --aptopt='Acquire::Retries "3"' \
    "$@" "$suite" "$out" $(debian_sources)
}

# image_from_dir DIR TAG [Dockerfile lines...]: build an image from a context folder.
image_from_dir() {
  local dir=$1 tag=$2; shift 2
  printf '%s\n' "$@" > "$dir/Dockerfile"
  docker build -q -t "$tag" "$dir" >/dev/null
}
