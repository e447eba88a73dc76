package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeRunner records commands and answers them from a table keyed by the
// command line; unknown commands succeed with no output.
type fakeRunner struct {
	answers map[string]fakeAnswer
	calls   []string
}

type fakeAnswer struct {
	out string
	err error
}

func (f *fakeRunner) run(_ context.Context, name string, args ...string) (string, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	f.calls = append(f.calls, cmd)
	a := f.answers[cmd]
	return a.out, a.err
}

// fakeLister returns a fixed node list.
type fakeLister struct {
	nodes []node
	err   error
}

func (f fakeLister) listNodes(context.Context) ([]node, error) { return f.nodes, f.err }

var (
	masqRule   = wantedRules(config{podSubnet: netip.MustParsePrefix("10.244.0.0/16")})[0]
	masqCheck  = "iptables " + strings.Join(masqRule.args("-C"), " ")
	masqAppend = "iptables " + strings.Join(masqRule.args("-A"), " ")
)

func newTestReconciler(t *testing.T, nodes []node, answers map[string]fakeAnswer) (*reconciler, *fakeRunner) {
	t.Helper()
	fr := &fakeRunner{answers: answers}
	r := &reconciler{
		cfg: config{
			nodeName:  "svclab-worker",
			podSubnet: netip.MustParsePrefix("10.244.0.0/16"),
			confDir:   filepath.Join(t.TempDir(), "net.d"),
		},
		api:  fakeLister{nodes: nodes},
		run:  fr.run,
		mtu:  func(netip.Addr) int { return 1400 },
		info: log.New(io.Discard, "", 0),
		errs: log.New(io.Discard, "", 0),
	}
	return r, fr
}

func TestReconcile(t *testing.T) {
	nodes, err := parseNodes([]byte(kindNodes))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		answers   map[string]fakeAnswer
		wantCalls []string
	}{
		{
			name: "fresh node: add rule and route",
			answers: map[string]fakeAnswer{
				masqCheck: {err: &exitError{Code: 1}},
			},
			wantCalls: []string{
				masqCheck, masqAppend,
				"ip route show 10.244.0.0/24",
				"ip route replace 10.244.0.0/24 via 172.18.0.2",
			},
		},
		{
			name: "everything in place: only checks",
			answers: map[string]fakeAnswer{
				"ip route show 10.244.0.0/24": {out: "10.244.0.0/24 via 172.18.0.2 dev eth0 \n"},
			},
			wantCalls: []string{masqCheck, "ip route show 10.244.0.0/24"},
		},
		{
			name: "wrong gateway is replaced",
			answers: map[string]fakeAnswer{
				"ip route show 10.244.0.0/24": {out: "10.244.0.0/24 via 172.18.0.9 dev eth0 \n"},
			},
			wantCalls: []string{masqCheck, "ip route show 10.244.0.0/24", "ip route replace 10.244.0.0/24 via 172.18.0.2"},
		},
		{
			name: "iptables broken: no append, routes still handled",
			answers: map[string]fakeAnswer{
				masqCheck:                     {err: &exitError{Code: 4, Out: "permission denied"}},
				"ip route show 10.244.0.0/24": {err: errors.New("ip: not found")},
			},
			wantCalls: []string{masqCheck, "ip route show 10.244.0.0/24"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, fr := newTestReconciler(t, nodes, tt.answers)
			r.reconcile(context.Background())
			if !reflect.DeepEqual(fr.calls, tt.wantCalls) {
				t.Errorf("calls:\n got %q\nwant %q", fr.calls, tt.wantCalls)
			}
			got, err := os.ReadFile(filepath.Join(r.cfg.confDir, confName))
			if err != nil {
				t.Fatal(err)
			}
			if want := conflist(netip.MustParsePrefix("10.244.1.0/24"), 1400); string(got) != string(want) {
				t.Errorf("conflist:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestReconcileNoPodCIDR(t *testing.T) {
	nodes := []node{{Name: "svclab-worker", InternalIP: netip.MustParseAddr("172.18.0.3")}}
	r, _ := newTestReconciler(t, nodes, nil)
	r.reconcile(context.Background())
	if _, err := os.Stat(filepath.Join(r.cfg.confDir, confName)); !os.IsNotExist(err) {
		t.Errorf("conflist written without podCIDR (stat err %v)", err)
	}
}

func TestReconcileListError(t *testing.T) {
	r, fr := newTestReconciler(t, nil, nil)
	r.api = fakeLister{err: errors.New("boom")}
	r.reconcile(context.Background())
	if want := []string{masqCheck}; !reflect.DeepEqual(fr.calls, want) {
		t.Errorf("calls = %q, want %q", fr.calls, want)
	}
}

func TestWriteIfChanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	path := filepath.Join(dir, confName)
	steps := []struct {
		data        string
		wantChanged bool
	}{
		{"one", true},
		{"one", false},
		{"two", true},
	}
	for i, s := range steps {
		changed, err := writeIfChanged(path, []byte(s.data))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if changed != s.wantChanged {
			t.Errorf("step %d: changed = %v, want %v", i, changed, s.wantChanged)
		}
		if got, _ := os.ReadFile(path); string(got) != s.data {
			t.Errorf("step %d: content %q, want %q", i, got, s.data)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("dir has %d entries, want only %s (temp file left behind?)", len(entries), confName)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, err %v; want 0644", fi.Mode().Perm(), err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		"NODE_NAME": "n1", "POD_SUBNET": "10.244.0.0/16",
		"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantURL string
		wantDir string
		wantErr bool
	}{
		{"defaults", full, "https://10.96.0.1:443", "/etc/cni/net.d", false},
		{"conf dir", with("CNI_CONF_DIR", "/tmp/x"), "https://10.96.0.1:443", "/tmp/x", false},
		{"ipv6 api host", with("KUBERNETES_SERVICE_HOST", "fd00::1"), "https://[fd00::1]:443", "/etc/cni/net.d", false},
		{"no node name", with("NODE_NAME", ""), "", "", true},
		{"bad subnet", with("POD_SUBNET", "10.244.0.0"), "", "", true},
		{"ipv6 subnet", with("POD_SUBNET", "fd00:10:244::/56"), "", "", true},
		{"no api", with("KUBERNETES_SERVICE_HOST", ""), "", "", true},
	}
	for _, tt := range tests {
		c, err := configFromEnv(func(k string) string { return tt.env[k] })
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, wantErr %v", tt.name, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && (c.apiURL != tt.wantURL || c.confDir != tt.wantDir || c.podSubnet.String() != "10.244.0.0/16") {
			t.Errorf("%s: got %+v", tt.name, c)
		}
	}
}

// TestListNodes runs the API client against a loopback TLS server and
// checks the bearer token, the path and that the CA file is honoured.
func TestListNodes(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/nodes" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			http.Error(w, `{"kind":"Status","message":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		io.WriteString(w, kindNodes)
	}))
	defer srv.Close()

	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	tokenFile := filepath.Join(dir, "token")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte("secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	c, err := newAPIClient(srv.URL, caFile, tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := c.listNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 3 || nodes[1].Name != "svclab-worker" || nodes[1].PodCIDR.String() != "10.244.1.0/24" {
		t.Errorf("nodes = %+v", nodes)
	}

	// A wrong token yields an error that carries the HTTP status.
	if err := os.WriteFile(tokenFile, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.listNodes(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong token: err = %v, want 401", err)
	}

	// A CA file with an unrelated certificate must make TLS verification fail.
	if err := os.WriteFile(caFile, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	c2, err := newAPIClient(srv.URL, caFile, tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	var uerr x509.UnknownAuthorityError
	if _, err := c2.listNodes(context.Background()); !errors.As(err, &uerr) {
		t.Errorf("untrusted server: err = %v, want x509.UnknownAuthorityError", err)
	}
}

// selfSignedPEM returns a fresh self-signed CA certificate in PEM form.
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestExecRun(t *testing.T) {
	out, err := execRun(context.Background(), "sh", "-c", "echo hi; exit 1")
	var ee *exitError
	if !errors.As(err, &ee) || ee.Code != 1 || out != "hi\n" {
		t.Errorf("execRun(exit 1) = %q, %v; want exitError code 1", out, err)
	}
	if out, err := execRun(context.Background(), "sh", "-c", "echo ok"); err != nil || out != "ok\n" {
		t.Errorf("execRun(echo) = %q, %v", out, err)
	}
	if _, err := execRun(context.Background(), "/nonexistent/ip"); err == nil || errors.As(err, &ee) {
		t.Errorf("execRun(missing binary) err = %v, want a non-exit error", err)
	}
}

func TestNodeMTU(t *testing.T) {
	if got := nodeMTU(netip.Addr{}); got != defaultMTU {
		t.Errorf("nodeMTU(invalid) = %d", got)
	}
	if got := nodeMTU(netip.MustParseAddr("203.0.113.77")); got != defaultMTU {
		t.Errorf("nodeMTU(unassigned address) = %d", got)
	}
	// Loopback: whatever sysfs says, when it is readable.
	b, err := os.ReadFile("/sys/class/net/lo/mtu")
	if err != nil {
		t.Skip("no sysfs:", err)
	}
	want, err := parseMTU(string(b))
	if err != nil {
		t.Skip(err)
	}
	if got := nodeMTU(netip.MustParseAddr("127.0.0.1")); got != want {
		t.Errorf("nodeMTU(127.0.0.1) = %d, want %d", got, want)
	}
}
