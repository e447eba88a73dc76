#!/usr/bin/env bash
# The kind node's operating system: Debian with systemd, containerd and runc,
# CNI plugins and kind's own base-image files, taken from the pinned kind module.
. "$(dirname "$0")/common.sh"
: "${SVCLAB_OUT:?image tag}" "${SVCLAB_RUNC_WRAPPER:?path to svclab-runc}"
step "fetch kind v$KIND_VERSION base-image files"
KIND_BASE_FILES="$(go -C "$SVCLAB_CLUSTER_DIR/gomod/kind" list -m -f '{{.Dir}}' sigs.k8s.io/kind)/images/base/files"
export KIND_BASE_FILES SVCLAB_RUNC_WRAPPER
step "debootstrap $DEBIAN_SUITE node userland"
rootfs "$DEBIAN_SUITE" "$SVCLAB_WORK/rootfs.tar" \
  systemd,dbus,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins,less,socat \
  --customize-hook="$SVCLAB_CLUSTER_DIR/node/customize.sh \"\$1\""
step "import as $SVCLAB_OUT"
docker import "$SVCLAB_WORK/rootfs.tar" "$SVCLAB_OUT-rootfs" >/dev/null
mkdir -p "$SVCLAB_WORK/ctx"
image_from_dir "$SVCLAB_WORK/ctx" "$SVCLAB_OUT" "FROM $SVCLAB_OUT-rootfs" \
  'ENV container=docker' 'STOPSIGNAL SIGRTMIN+3' \
  'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]'
docker rmi "$SVCLAB_OUT-rootfs" >/dev/null
