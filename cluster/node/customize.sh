#!/usr/bin/env bash
# mmdebstrap customize hook for the node rootfs ($1): what kind's base-image
# Dockerfile does, adapted to Debian's containerd and runc.
set -euo pipefail
root=$1
: "${KIND_BASE_FILES:?}" "${SVCLAB_RUNC_WRAPPER:?}"
here=$(cd "$(dirname "$0")" && pwd)

# kind's files: entrypoint, systemd units, kubelet drop-ins, containerd config, sysctls.
install -d "$root/kind/bin" "$root/etc/kubernetes/manifests" "$root/opt/cni" "$root/LICENSES"
install -m 0755 "$KIND_BASE_FILES"/usr/local/bin/* "$root/usr/local/bin/"
install -m 0755 "$KIND_BASE_FILES"/kind/bin/* "$root/kind/bin/"
install -m 0644 "$KIND_BASE_FILES/kind/README.txt" "$root/kind/"
install -m 0644 "$KIND_BASE_FILES"/LICENSES/* "$root/LICENSES/"
install -m 0644 "$KIND_BASE_FILES/etc/crictl.yaml" "$root/etc/"
install -D -m 0644 -t "$root/etc/containerd" "$KIND_BASE_FILES"/etc/containerd/*
install -D -m 0644 -t "$root/etc/default" "$KIND_BASE_FILES"/etc/default/*
install -D -m 0644 -t "$root/etc/sysctl.d" "$KIND_BASE_FILES"/etc/sysctl.d/*
install -D -m 0644 -t "$root/etc/systemd/system" "$KIND_BASE_FILES"/etc/systemd/system/*.service "$KIND_BASE_FILES"/etc/systemd/system/*.slice
install -D -m 0644 -t "$root/etc/systemd/system/kubelet.service.d" "$KIND_BASE_FILES"/etc/systemd/system/kubelet.service.d/*

# Debian ships containerd in /usr/bin and the CNI plugins in /usr/lib/cni;
# kind's units and config expect /usr/local/bin and /opt/cni/bin.
ln -sf /usr/bin/containerd "$root/usr/local/bin/containerd"
ln -sfn /usr/lib/cni "$root/opt/cni/bin"

# Pods run through svclab-runc, which drops capabilities the host cannot grant.
install -m 0755 "$SVCLAB_RUNC_WRAPPER" "$root/usr/local/bin/svclab-runc"
sed -i '/SystemdCgroup = true/a\    BinaryName = "/usr/local/bin/svclab-runc"' "$root/etc/containerd/config.toml"
# containerd 1.6 has no fuse-overlayfs proxy plugin socket here; kind only uses it rootless.
rm -f "$root/etc/systemd/system/containerd-fuse-overlayfs.service"

# The base OCI spec for pods, with kind's hook that gives each pod its own product_uuid.
chroot "$root" ctr oci spec \
  | chroot "$root" jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | chroot "$root" jq 'del(.process.rlimits)' > "$root/etc/containerd/cri-base.json"

# systemd inside a container: only the units the node needs.
find "$root/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$root"/lib/systemd/system/multi-user.target.wants/* \
      "$root"/etc/systemd/system/*.wants/* \
      "$root"/lib/systemd/system/local-fs.target.wants/* \
      "$root"/lib/systemd/system/sockets.target.wants/*udev* \
      "$root"/lib/systemd/system/sockets.target.wants/*initctl* \
      "$root"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "$root/etc/systemd/journald.conf"
ln -sf /lib/systemd/systemd "$root/sbin/init"
chroot "$root" systemctl enable kubelet.service containerd.service undo-mount-hacks.service
chroot "$root" systemctl mask systemd-binfmt.service
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* "$root"/tmp/*
