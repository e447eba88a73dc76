package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRouteSplitsViewAndArgument(t *testing.T) {
	if name, rest := route("/conntrack/10.96.0.5"); name != "conntrack" || rest != "10.96.0.5" {
		t.Fatalf("got %q %q", name, rest)
	}
	if name, rest := route("/iptables-nat"); name != "iptables-nat" || rest != "" {
		t.Fatalf("got %q %q", name, rest)
	}
}

func TestConntrackTakesOnlyAnAddress(t *testing.T) {
	if _, ok := views["conntrack"].argv("10.96.0.5; rm -rf /"); ok {
		t.Fatal("a non-address argument was accepted")
	}
	argv, ok := views["conntrack"].argv("10.96.0.5")
	if !ok || argv[len(argv)-1] != "10.96.0.5" {
		t.Fatalf("got %v %v", argv, ok)
	}
}

func TestOnlyGetAndKnownViews(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/iptables-nat", http.StatusMethodNotAllowed},
		{http.MethodGet, "/etc/shadow", http.StatusNotFound},
		{http.MethodGet, "/conntrack/not-an-ip", http.StatusBadRequest},
		{http.MethodGet, "/healthz", http.StatusOK},
	} {
		w := httptest.NewRecorder()
		serve(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, w.Code, c.status)
		}
	}
}
