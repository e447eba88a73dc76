package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// defaultMTU is used when the node's interface MTU cannot be determined.
const defaultMTU = 1500

// masqComment tags the masquerade rule so it can be found again.
const masqComment = "svclab-cni masquerade"

// rejectComment tags the rules that reject untranslated Service traffic.
const rejectComment = "svclab-cni reject unserved service ports"

// route is a route to another node's pod range.
type route struct {
	Dst netip.Prefix
	Via netip.Addr
}

// findNode returns the node called name.
func findNode(nodes []node, name string) (node, bool) {
	for _, n := range nodes {
		if n.Name == name {
			return n, true
		}
	}
	return node{}, false
}

// desiredRoutes returns a route for every node other than self that has
// both a podCIDR and an InternalIP.
func desiredRoutes(nodes []node, self string) []route {
	var rs []route
	for _, n := range nodes {
		if n.Name == self || !n.PodCIDR.IsValid() || !n.InternalIP.IsValid() {
			continue
		}
		rs = append(rs, route{Dst: n.PodCIDR, Via: n.InternalIP})
	}
	return rs
}

// conflist renders the CNI network config list for a node's pod range.
func conflist(podCIDR netip.Prefix, mtu int) []byte {
	return fmt.Appendf(nil, `{"cniVersion": "0.4.0", "name": "svclab", "plugins": [
  {"type": "ptp", "ipMasq": false, "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam-state", "routes": [{"dst": "0.0.0.0/0"}], "ranges": [[{"subnet": "%s"}]]}, "mtu": %d},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
`, podCIDR, mtu)
}

// iface is a network interface and its IP addresses.
type iface struct {
	Name string
	IPs  []netip.Addr
}

// pickInterface returns the name of the interface that holds ip, or "".
func pickInterface(ifs []iface, ip netip.Addr) string {
	for _, f := range ifs {
		for _, a := range f.IPs {
			if a.Unmap() == ip.Unmap() {
				return f.Name
			}
		}
	}
	return ""
}

// parseMTU parses the content of /sys/class/net/<if>/mtu.
func parseMTU(s string) (int, error) {
	mtu, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if mtu < 68 || mtu > 65536 {
		return 0, fmt.Errorf("implausible MTU %d", mtu)
	}
	return mtu, nil
}

// routeOK reports whether the output of "ip route show <dst>" already
// contains a route via the given gateway.
func routeOK(out string, via netip.Addr) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "via" && f[i+1] == via.String() {
				return true
			}
		}
	}
	return false
}

// iptablesRule is one rule the daemon keeps in place.
type iptablesRule struct {
	table, chain string
	match        []string
	comment      string
	target       []string
	first        bool // insert at the top of the chain instead of appending
}

func (r iptablesRule) addOp() string {
	if r.first {
		return "-I"
	}
	return "-A"
}

// args returns the iptables arguments for op: "-C" (check), "-A" or "-I".
func (r iptablesRule) args(op string) []string {
	args := []string{"-w", "5", "-t", r.table, op, r.chain}
	args = append(args, r.match...)
	args = append(args, "-m", "comment", "--comment", r.comment)
	return append(args, r.target...)
}

// wantedRules: masquerade for pod traffic leaving the pod network and, with a
// service subnet, a reject for traffic to a Service IP that kube-proxy did not
// translate (a port the Service does not serve): it fails at once instead of
// being routed out of the cluster.
func wantedRules(c config) []iptablesRule {
	s := c.podSubnet.String()
	rules := []iptablesRule{{table: "nat", chain: "POSTROUTING", match: []string{"-s", s, "!", "-d", s},
		comment: masqComment, target: []string{"-j", "MASQUERADE"}}}
	if c.serviceSubnet.IsValid() {
		for _, chain := range []string{"FORWARD", "OUTPUT"} {
			rules = append(rules, iptablesRule{table: "filter", chain: chain,
				match: []string{"-d", c.serviceSubnet.String()}, comment: rejectComment,
				target: []string{"-j", "REJECT"}, first: true})
		}
	}
	return rules
}
