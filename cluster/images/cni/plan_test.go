package main

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"testing"
)

// kindNodes is a trimmed NodeList as returned by a three-node kind cluster.
const kindNodes = `{"kind":"NodeList","apiVersion":"v1","items":[
 {"metadata":{"name":"svclab-control-plane","labels":{"x":"y"}},
  "spec":{"podCIDR":"10.244.0.0/24","podCIDRs":["10.244.0.0/24"],"providerID":"kind://docker/svclab/svclab-control-plane"},
  "status":{"addresses":[{"type":"InternalIP","address":"172.18.0.2"},{"type":"Hostname","address":"svclab-control-plane"}]}},
 {"metadata":{"name":"svclab-worker"},
  "spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"]},
  "status":{"addresses":[{"type":"Hostname","address":"svclab-worker"},{"type":"InternalIP","address":"172.18.0.3"}]}},
 {"metadata":{"name":"svclab-worker2"},
  "spec":{},
  "status":{"addresses":[{"type":"InternalIP","address":"172.18.0.4"}]}}
]}`

func TestParseNodes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []node
		wantErr bool
	}{
		{
			name: "kind cluster",
			in:   kindNodes,
			want: []node{
				{"svclab-control-plane", netip.MustParsePrefix("10.244.0.0/24"), netip.MustParseAddr("172.18.0.2")},
				{"svclab-worker", netip.MustParsePrefix("10.244.1.0/24"), netip.MustParseAddr("172.18.0.3")},
				{Name: "svclab-worker2", InternalIP: netip.MustParseAddr("172.18.0.4")},
			},
		},
		{
			name: "dual stack keeps IPv4",
			in: `{"items":[{"metadata":{"name":"n"},
			  "spec":{"podCIDR":"fd00:10:244::/64","podCIDRs":["fd00:10:244::/64","10.244.2.0/24"]},
			  "status":{"addresses":[{"type":"InternalIP","address":"fc00:f853:ccd:e793::2"},{"type":"InternalIP","address":"172.18.0.5"}]}}]}`,
			want: []node{{"n", netip.MustParsePrefix("10.244.2.0/24"), netip.MustParseAddr("172.18.0.5")}},
		},
		{
			name: "only podCIDR, unmasked, ExternalIP ignored",
			in: `{"items":[{"metadata":{"name":"n"},"spec":{"podCIDR":"10.244.3.7/24"},
			  "status":{"addresses":[{"type":"ExternalIP","address":"1.2.3.4"}]}}]}`,
			want: []node{{Name: "n", PodCIDR: netip.MustParsePrefix("10.244.3.0/24")}},
		},
		{
			name: "garbage values ignored",
			in:   `{"items":[{"metadata":{"name":"n"},"spec":{"podCIDR":"nope"},"status":{"addresses":[{"type":"InternalIP","address":"x"}]}}]}`,
			want: []node{{Name: "n"}},
		},
		{name: "empty list", in: `{"items":[]}`, want: []node{}},
		{name: "bad json", in: `{"items":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNodes([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDesiredRoutes(t *testing.T) {
	nodes, err := parseNodes([]byte(kindNodes))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		self string
		want []route
	}{
		{"svclab-control-plane", []route{{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParseAddr("172.18.0.3")}}},
		{"svclab-worker", []route{{netip.MustParsePrefix("10.244.0.0/24"), netip.MustParseAddr("172.18.0.2")}}},
		{"svclab-worker2", []route{
			{netip.MustParsePrefix("10.244.0.0/24"), netip.MustParseAddr("172.18.0.2")},
			{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParseAddr("172.18.0.3")},
		}},
	}
	for _, tt := range tests {
		if got := desiredRoutes(nodes, tt.self); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("desiredRoutes(%s) = %v, want %v", tt.self, got, tt.want)
		}
	}
	if got := desiredRoutes(nil, "x"); len(got) != 0 {
		t.Errorf("desiredRoutes(nil) = %v, want none", got)
	}
}

func TestFindNode(t *testing.T) {
	nodes := []node{{Name: "a"}, {Name: "b", PodCIDR: netip.MustParsePrefix("10.244.1.0/24")}}
	if n, ok := findNode(nodes, "b"); !ok || n.PodCIDR.String() != "10.244.1.0/24" {
		t.Errorf("findNode(b) = %v, %v", n, ok)
	}
	if _, ok := findNode(nodes, "c"); ok {
		t.Error("findNode(c) found a node")
	}
}

func TestConflist(t *testing.T) {
	tests := []struct {
		cidr string
		mtu  int
	}{
		{"10.244.1.0/24", 1500},
		{"10.244.0.0/24", 65000},
	}
	for _, tt := range tests {
		data := conflist(netip.MustParsePrefix(tt.cidr), tt.mtu)
		var c struct {
			CNIVersion string `json:"cniVersion"`
			Name       string `json:"name"`
			Plugins    []struct {
				Type   string `json:"type"`
				IPMasq *bool  `json:"ipMasq"`
				MTU    int    `json:"mtu"`
				IPAM   struct {
					Type    string              `json:"type"`
					DataDir string              `json:"dataDir"`
					Routes  []map[string]string `json:"routes"`
					Ranges  [][]struct {
						Subnet string `json:"subnet"`
					} `json:"ranges"`
				} `json:"ipam"`
				Capabilities map[string]bool `json:"capabilities"`
			} `json:"plugins"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("conflist is not valid JSON: %v\n%s", err, data)
		}
		if c.CNIVersion != "0.4.0" || c.Name != "svclab" || len(c.Plugins) != 2 {
			t.Fatalf("unexpected header: %+v", c)
		}
		p := c.Plugins[0]
		if p.Type != "ptp" || p.IPMasq == nil || *p.IPMasq || p.MTU != tt.mtu ||
			p.IPAM.Type != "host-local" || p.IPAM.DataDir != "/run/cni-ipam-state" ||
			len(p.IPAM.Routes) != 1 || p.IPAM.Routes[0]["dst"] != "0.0.0.0/0" ||
			len(p.IPAM.Ranges) != 1 || len(p.IPAM.Ranges[0]) != 1 || p.IPAM.Ranges[0][0].Subnet != tt.cidr {
			t.Errorf("unexpected ptp plugin: %+v", p)
		}
		if pm := c.Plugins[1]; pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
			t.Errorf("unexpected portmap plugin: %+v", pm)
		}
	}
}

func TestPickInterface(t *testing.T) {
	ifs := []iface{
		{"lo", []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}},
		{"eth0", []netip.Addr{netip.MustParseAddr("172.18.0.2"), netip.MustParseAddr("fc00:f853:ccd:e793::2")}},
		{"veth1234", nil},
		{"eth1", []netip.Addr{netip.MustParseAddr("192.168.1.10")}},
	}
	tests := []struct {
		ip   string
		want string
	}{
		{"172.18.0.2", "eth0"},
		{"192.168.1.10", "eth1"},
		{"::ffff:192.168.1.10", "eth1"},
		{"10.0.0.1", ""},
	}
	for _, tt := range tests {
		if got := pickInterface(ifs, netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("pickInterface(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
	if got := pickInterface(nil, netip.MustParseAddr("172.18.0.2")); got != "" {
		t.Errorf("pickInterface(nil) = %q", got)
	}
}

func TestParseMTU(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"1500\n", 1500, false},
		{"9000", 9000, false},
		{" 65536 \n", 65536, false},
		{"", 0, true},
		{"abc\n", 0, true},
		{"0\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMTU(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMTU(%q) = %d, %v; want %d, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRouteOK(t *testing.T) {
	via := netip.MustParseAddr("172.18.0.3")
	tests := []struct {
		name string
		out  string
		want bool
	}{
		{"missing", "", false},
		{"correct", "10.244.1.0/24 via 172.18.0.3 dev eth0 \n", true},
		{"other gateway", "10.244.1.0/24 via 172.18.0.4 dev eth0 \n", false},
		{"gateway prefix only", "10.244.1.0/24 via 172.18.0.33 dev eth0 \n", false},
		{"direct route", "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 \n", false},
		{"second line", "10.244.1.0/24 via 172.18.0.9 dev eth1 metric 100\n10.244.1.0/24 via 172.18.0.3 dev eth0 metric 200\n", true},
	}
	for _, tt := range tests {
		if got := routeOK(tt.out, via); got != tt.want {
			t.Errorf("%s: routeOK = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWantedRules(t *testing.T) {
	pods := netip.MustParsePrefix("10.244.0.0/16")
	rules := wantedRules(config{podSubnet: pods})
	if len(rules) != 1 {
		t.Fatalf("without a service subnet: %d rules, want only the masquerade", len(rules))
	}
	got := rules[0].args("-C")
	want := []string{"-w", "5", "-t", "nat", "-C", "POSTROUTING", "-s", "10.244.0.0/16", "!", "-d", "10.244.0.0/16",
		"-m", "comment", "--comment", "svclab-cni masquerade", "-j", "MASQUERADE"}
	if !reflect.DeepEqual(got, want) || rules[0].addOp() != "-A" {
		t.Errorf("masquerade = %q (%s)\nwant %q (-A)", got, rules[0].addOp(), want)
	}
	rules = wantedRules(config{podSubnet: pods, serviceSubnet: netip.MustParsePrefix("10.96.0.0/16")})
	if len(rules) != 3 {
		t.Fatalf("with a service subnet: %d rules, want 3", len(rules))
	}
	for i, chain := range []string{"FORWARD", "OUTPUT"} {
		r := rules[i+1]
		got := r.args(r.addOp())
		want := []string{"-w", "5", "-t", "filter", "-I", chain, "-d", "10.96.0.0/16",
			"-m", "comment", "--comment", "svclab-cni reject unserved service ports", "-j", "REJECT"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s rule = %q\nwant %q", chain, got, want)
		}
	}
}

func TestServiceSubnetFromEnv(t *testing.T) {
	env := map[string]string{"NODE_NAME": "n", "POD_SUBNET": "10.244.0.0/16", "SERVICE_SUBNET": "10.96.0.0/16",
		"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
	c, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || c.serviceSubnet.String() != "10.96.0.0/16" {
		t.Fatalf("serviceSubnet = %v, err %v", c.serviceSubnet, err)
	}
	env["SERVICE_SUBNET"] = "nonsense"
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a bad SERVICE_SUBNET was accepted")
	}
}
