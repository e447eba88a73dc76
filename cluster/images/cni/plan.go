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

// masqArgs returns the iptables arguments to check ("-C") or append ("-A")
// the masquerade rule for traffic from the pod subnet to outside it.
func masqArgs(op string, podSubnet netip.Prefix) []string {
	s := podSubnet.String()
	return []string{"-w", "5", "-t", "nat", op, "POSTROUTING", "-s", s, "!", "-d", s,
		"-m", "comment", "--comment", masqComment, "-j", "MASQUERADE"}
}
