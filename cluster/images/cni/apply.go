package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// confName is the CNI config file written into the conf dir.
const confName = "10-svclab.conflist"

// runFunc runs a command and returns its combined output.
type runFunc func(ctx context.Context, name string, args ...string) (string, error)

// exitError is returned by execRun when a command exits non-zero.
type exitError struct {
	Cmd  string
	Code int
	Out  string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("%s: exit status %d: %s", e.Cmd, e.Code, strings.TrimSpace(e.Out))
}

// execRun is the only place that executes external programs.
func execRun(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), &exitError{Cmd: name + " " + strings.Join(args, " "), Code: ee.ExitCode(), Out: string(out)}
	}
	return string(out), err
}

// nodeLister lists the cluster's nodes (the API client, or a fake in tests).
type nodeLister interface {
	listNodes(ctx context.Context) ([]node, error)
}

// reconciler brings the node's CNI config, routes and masquerade rule in
// line with the cluster state. Errors are logged and retried next round.
type reconciler struct {
	cfg  config
	api  nodeLister
	run  runFunc
	mtu  func(ip netip.Addr) int
	info *log.Logger // changes, to stdout
	errs *log.Logger // errors, to stderr
}

// reconcile performs one round.
func (r *reconciler) reconcile(ctx context.Context) {
	for _, rule := range wantedRules(r.cfg) {
		if err := r.ensureRule(ctx, rule); err != nil {
			r.errs.Printf("iptables %s: %v", rule.comment, err)
		}
	}
	nodes, err := r.api.listNodes(ctx)
	if err != nil {
		r.errs.Printf("list nodes: %v", err)
		return
	}
	if self, ok := findNode(nodes, r.cfg.nodeName); !ok {
		r.errs.Printf("node %s not found in node list", r.cfg.nodeName)
	} else if !self.PodCIDR.IsValid() {
		r.errs.Printf("node %s has no IPv4 podCIDR yet", self.Name)
	} else {
		data := conflist(self.PodCIDR, r.mtu(self.InternalIP))
		changed, err := writeIfChanged(filepath.Join(r.cfg.confDir, confName), data)
		if err != nil {
			r.errs.Printf("write CNI config: %v", err)
		} else if changed {
			r.info.Printf("wrote %s for podCIDR %s", filepath.Join(r.cfg.confDir, confName), self.PodCIDR)
		}
	}
	for _, rt := range desiredRoutes(nodes, r.cfg.nodeName) {
		if err := r.ensureRoute(ctx, rt); err != nil {
			r.errs.Printf("route %s via %s: %v", rt.Dst, rt.Via, err)
		}
	}
}

// ensureRoute installs rt unless "ip route show" already lists it.
func (r *reconciler) ensureRoute(ctx context.Context, rt route) error {
	out, err := r.run(ctx, "ip", "route", "show", rt.Dst.String())
	if err != nil {
		return err
	}
	if routeOK(out, rt.Via) {
		return nil
	}
	if _, err := r.run(ctx, "ip", "route", "replace", rt.Dst.String(), "via", rt.Via.String()); err != nil {
		return err
	}
	if old := strings.TrimSpace(out); old != "" {
		r.info.Printf("replaced route %s via %s (was: %s)", rt.Dst, rt.Via, old)
	} else {
		r.info.Printf("added route %s via %s", rt.Dst, rt.Via)
	}
	return nil
}

// ensureRule adds the rule if "iptables -C" says it is missing (exit status 1);
// other failures are returned as errors.
func (r *reconciler) ensureRule(ctx context.Context, rule iptablesRule) error {
	_, err := r.run(ctx, "iptables", rule.args("-C")...)
	var ee *exitError
	if err == nil {
		return nil
	} else if !errors.As(err, &ee) || ee.Code != 1 {
		return err
	}
	if _, err := r.run(ctx, "iptables", rule.args(rule.addOp())...); err != nil {
		return err
	}
	r.info.Printf("added iptables rule: %s", rule.comment)
	return nil
}

// writeIfChanged atomically replaces path with data (temp file + rename in
// the same directory) unless it already has exactly that content.
func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	// The temp name has no .conf/.conflist/.json suffix, so the container
	// runtime never picks up a half-written file.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return false, err
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(f.Name(), path)
}

// localInterfaces lists the host's interfaces and their IP addresses.
func localInterfaces() ([]iface, error) {
	nifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var ifs []iface
	for _, ni := range nifs {
		addrs, err := ni.Addrs()
		if err != nil {
			return nil, err
		}
		f := iface{Name: ni.Name}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					f.IPs = append(f.IPs, ip.Unmap())
				}
			}
		}
		ifs = append(ifs, f)
	}
	return ifs, nil
}

// nodeMTU returns the MTU of the interface holding ip, read from sysfs,
// or defaultMTU if it cannot be determined.
func nodeMTU(ip netip.Addr) int {
	if !ip.IsValid() {
		return defaultMTU
	}
	ifs, err := localInterfaces()
	if err != nil {
		return defaultMTU
	}
	name := pickInterface(ifs, ip)
	if name == "" {
		return defaultMTU
	}
	b, err := os.ReadFile(filepath.Join("/sys/class/net", name, "mtu"))
	if err != nil {
		return defaultMTU
	}
	mtu, err := parseMTU(string(b))
	if err != nil {
		return defaultMTU
	}
	return mtu
}
