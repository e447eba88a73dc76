#!/usr/bin/env bash
# The kind node image: the node rootfs plus the Kubernetes binaries and, preloaded
# into its containerd, every image `kubeadm init` and kind's CNI need.
. "$(dirname "$0")/common.sh"
: "${SVCLAB_OUT:?} ${SVCLAB_BUILD:?} ${SVCLAB_NODE_BASE:?} ${SVCLAB_PRELOAD:?space-separated images}"
ctx="$SVCLAB_WORK/ctx"
mkdir -p "$ctx"
cp "$SVCLAB_BUILD"/k8s/{kubeadm,kubelet,kubectl} "$SVCLAB_CLUSTER_DIR/node/default-cni.yaml" "$ctx/"
echo "v$KUBERNETES_VERSION" > "$ctx/version"
step "add Kubernetes v$KUBERNETES_VERSION binaries"
image_from_dir "$ctx" "$SVCLAB_OUT-stage" "FROM $SVCLAB_NODE_BASE" \
  'COPY kubeadm kubelet kubectl /usr/bin/' \
  'COPY version /kind/version' \
  'COPY default-cni.yaml /kind/manifests/default-cni.yaml'

step "save $(wc -w <<<"$SVCLAB_PRELOAD") images for preloading"
mkdir -p "$SVCLAB_WORK/images"
# shellcheck disable=SC2086
docker save -o "$SVCLAB_WORK/images/preload.tar" $SVCLAB_PRELOAD

step "import them into the node's containerd"
cid=$(docker run -d --privileged --entrypoint sleep -v "$SVCLAB_WORK/images:/preload:ro" "$SVCLAB_OUT-stage" infinity)
trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
docker exec "$cid" bash -euc '
  containerd >/tmp/containerd.log 2>&1 &
  for _ in $(seq 50); do ctr version >/dev/null 2>&1 && break; sleep 0.2; done
  ctr -n k8s.io images import --no-unpack --all-platforms /preload/preload.tar
  ctr -n k8s.io images ls -q
  kill %1; wait || true
  rm -rf /tmp/* /var/log/*'
step "commit $SVCLAB_OUT"
docker commit \
  --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' \
  --change 'CMD []' \
  "$cid" "$SVCLAB_OUT" >/dev/null
docker rm -f "$cid" >/dev/null
docker rmi "$SVCLAB_OUT-stage" >/dev/null
