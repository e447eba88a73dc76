#!/usr/bin/env bash
# Static Go binaries from pinned modules: `go.sh COMPONENT` writes into $SVCLAB_BUILD.
. "$(dirname "$0")/common.sh"
: "${SVCLAB_BUILD:?}"
mod() { go -C "$SVCLAB_CLUSTER_DIR/gomod/$1" list -m -f '{{.Dir}}' "$2"; }

case "${1:?component}" in
kubernetes)
  v="v$KUBERNETES_VERSION" minor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")
  ld="-s -w"
  # An unstamped kubeadm or kubelet reports v0.0.0 and fails its own version checks.
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ld+=" -X $p.gitCommit=svclab-offline -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  step "go build Kubernetes $v (kube-apiserver, controller-manager, scheduler, proxy, kubeadm, kubelet, kubectl)"
  mkdir -p "$SVCLAB_BUILD/k8s"
  go -C "$SVCLAB_CLUSTER_DIR/gomod/kubernetes" build -ldflags "$ld" -o "$SVCLAB_BUILD/k8s/" \
    k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,kubeadm,kubelet,kubectl}
  install -D "$SVCLAB_BUILD/k8s/kubectl" "$SVCLAB_BUILD/../bin/kubectl" ;;
etcd)
  step "go build etcd v$ETCD_VERSION"
  go -C "$SVCLAB_CLUSTER_DIR/gomod/etcd" build -ldflags '-s -w' -o "$SVCLAB_BUILD/etcd/etcd" go.etcd.io/etcd/server/v3 ;;
coredns)
  step "go build CoreDNS v$COREDNS_VERSION"
  go_build coredns "$SVCLAB_BUILD/coredns" github.com/coredns/coredns ;;
metallb)
  step "go build MetalLB v$METALLB_VERSION controller and speaker"
  go_build metallb "$SVCLAB_BUILD/metallb" go.universe.tf/metallb/controller go.universe.tf/metallb/speaker
  install -m 0644 "$(mod metallb go.universe.tf/metallb)/config/manifests/metallb-native.yaml" "$SVCLAB_BUILD/metallb/" ;;
kind)
  step "go build kind v$KIND_VERSION"
  go_build kind "$SVCLAB_BUILD/../bin" sigs.k8s.io/kind ;;
programs)
  step "go build hello-app, pause, svclab-cni, svclab-nodeview, svclab-runc"
  go -C "$SVCLAB_CLUSTER_DIR/images" build -ldflags '-s -w' -o "$SVCLAB_BUILD/images/" ./hello-app ./pause ./cni ./nodeview
  go -C "$SVCLAB_CLUSTER_DIR/runtime" build -ldflags '-s -w' -o "$SVCLAB_BUILD/images/svclab-runc" . ;;
*) echo "unknown component: $1" >&2; exit 2 ;;
esac
