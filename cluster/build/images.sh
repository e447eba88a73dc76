#!/usr/bin/env bash
# Container images from the static binaries in $SVCLAB_BUILD, tagged exactly as
# kubeadm, kind and the course expect them, so nothing is ever pulled.
. "$(dirname "$0")/common.sh"
: "${SVCLAB_BUILD:?} ${SVCLAB_TOOLS_IMAGE:?}"
K="v$KUBERNETES_VERSION"
ENV_PATH='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# image TAG BASE BINARY DEST [Dockerfile lines...]
image() {
  local tag=$1 base=$2 bin=$3 dest=$4; shift 4
  local ctx="$SVCLAB_WORK/$(basename "$bin")"
  mkdir -p "$ctx"
  cp "$bin" "$ctx/"
  step "$tag"
  image_from_dir "$ctx" "$tag" "FROM $base" "$ENV_PATH" "COPY $(basename "$bin") $dest" "$@"
}

for c in kube-apiserver kube-controller-manager kube-scheduler; do
  image "registry.k8s.io/$c:$K" scratch "$SVCLAB_BUILD/k8s/$c" /usr/local/bin/
done
image "registry.k8s.io/kube-proxy:$K" "$SVCLAB_TOOLS_IMAGE" "$SVCLAB_BUILD/k8s/kube-proxy" /usr/local/bin/
image "registry.k8s.io/etcd:$ETCD_IMAGE_TAG" scratch "$SVCLAB_BUILD/etcd/etcd" /usr/local/bin/
image "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" scratch "$SVCLAB_BUILD/coredns/coredns" / \
  'ENTRYPOINT ["/coredns"]'
for t in $PAUSE_TAGS; do
  image "registry.k8s.io/pause:$t" scratch "$SVCLAB_BUILD/images/pause" / 'ENTRYPOINT ["/pause"]'
done
image docker.io/svclab/cni:v1 "$SVCLAB_TOOLS_IMAGE" "$SVCLAB_BUILD/images/cni" /usr/local/bin/svclab-cni \
  'CMD ["/usr/local/bin/svclab-cni"]'
image docker.io/svclab/nodeview:v1 "$SVCLAB_TOOLS_IMAGE" "$SVCLAB_BUILD/images/nodeview" /usr/local/bin/svclab-nodeview \
  'CMD ["/usr/local/bin/svclab-nodeview"]'
image gcr.io/google-samples/hello-app:1.0 scratch "$SVCLAB_BUILD/images/hello-app" /hello-app \
  'ENV PORT=8080' 'EXPOSE 8080' 'ENTRYPOINT ["/hello-app"]'
for c in controller speaker; do
  image "quay.io/metallb/$c:v$METALLB_VERSION" scratch "$SVCLAB_BUILD/metallb/$c" "/$c" "ENTRYPOINT [\"/$c\"]"
done
step "docker.io/svclab/toolbox:v1"
docker tag "$SVCLAB_TOOLS_IMAGE" docker.io/svclab/toolbox:v1
