#!/usr/bin/env bash
# Debian userland for the network images (kube-proxy, svclab-cni) and the
# toolbox image students exec into: iptables/nft, iproute2, DNS and HTTP clients.
. "$(dirname "$0")/common.sh"
: "${SVCLAB_OUT:?image tag}"
step "debootstrap $DEBIAN_SUITE with network tools"
rootfs "$DEBIAN_SUITE" "$SVCLAB_WORK/rootfs.tar" \
  iptables,nftables,conntrack,iproute2,ipset,kmod,ca-certificates,dnsutils,curl,wget,netcat-openbsd,procps,iputils-ping,jq,less
step "import as $SVCLAB_OUT"
docker import --change 'CMD ["/bin/bash"]' "$SVCLAB_WORK/rootfs.tar" "$SVCLAB_OUT" >/dev/null
