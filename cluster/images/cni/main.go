// Command svclab-cni is a minimal kindnetd-like CNI daemon. It runs as a
// hostNetwork DaemonSet pod on every node and, every few seconds:
//
//   - writes the node's CNI config (ptp + host-local for its podCIDR,
//     plus portmap) into CNI_CONF_DIR,
//   - routes every other node's podCIDR via that node's InternalIP,
//   - masquerades pod traffic that leaves the cluster pod network.
//
// Environment: NODE_NAME, POD_SUBNET, KUBERNETES_SERVICE_HOST,
// KUBERNETES_SERVICE_PORT and optionally CNI_CONF_DIR.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	interval       = 5 * time.Second
	defaultConfDir = "/etc/cni/net.d"
	saDir          = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// config is the daemon's configuration, read from the environment.
type config struct {
	nodeName      string
	podSubnet     netip.Prefix
	serviceSubnet netip.Prefix // optional: reject traffic to it that kube-proxy did not DNAT
	apiURL        string
	confDir       string
}

// configFromEnv reads and validates the configuration.
func configFromEnv(getenv func(string) string) (config, error) {
	c := config{nodeName: getenv("NODE_NAME"), confDir: getenv("CNI_CONF_DIR")}
	if c.confDir == "" {
		c.confDir = defaultConfDir
	}
	if c.nodeName == "" {
		return c, fmt.Errorf("NODE_NAME is not set")
	}
	p, err := netip.ParsePrefix(getenv("POD_SUBNET"))
	if err != nil || !p.Addr().Is4() {
		return c, fmt.Errorf("POD_SUBNET %q is not an IPv4 CIDR", getenv("POD_SUBNET"))
	}
	c.podSubnet = p.Masked()
	if v := getenv("SERVICE_SUBNET"); v != "" {
		s, err := netip.ParsePrefix(v)
		if err != nil || !s.Addr().Is4() {
			return c, fmt.Errorf("SERVICE_SUBNET %q is not an IPv4 CIDR", v)
		}
		c.serviceSubnet = s.Masked()
	}
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return c, fmt.Errorf("KUBERNETES_SERVICE_HOST/PORT are not set (not running in a pod?)")
	}
	c.apiURL = "https://" + net.JoinHostPort(host, port)
	return c, nil
}

func main() {
	info := log.New(os.Stdout, "", log.LstdFlags)
	errs := log.New(os.Stderr, "", log.LstdFlags)

	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		errs.Fatalf("config: %v", err)
	}
	api, err := newAPIClient(cfg.apiURL, saDir+"/ca.crt", saDir+"/token")
	if err != nil {
		errs.Fatalf("api client: %v", err)
	}
	r := &reconciler{cfg: cfg, api: api, run: execRun, mtu: nodeMTU, info: info, errs: errs}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	info.Printf("svclab-cni starting on node %s, pod subnet %s, conf dir %s", cfg.nodeName, cfg.podSubnet, cfg.confDir)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		r.reconcile(ctx)
		select {
		case <-ctx.Done():
			info.Printf("svclab-cni stopping")
			return
		case <-ticker.C:
		}
	}
}
