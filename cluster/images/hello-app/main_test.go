package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestListenPort(t *testing.T) {
	tests := []struct {
		env  string
		want string
	}{
		{"", "8080"},
		{"9090", "9090"},
	}
	for _, tt := range tests {
		got := listenPort(func(k string) string {
			if k == "PORT" {
				return tt.env
			}
			return ""
		})
		if got != tt.want {
			t.Errorf("listenPort(PORT=%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestHello(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hello))
	defer srv.Close()

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	want := "Hello, world!\nVersion: 1.0.0\nHostname: " + host + "\n"

	for _, path := range []string{"/", "/some/other/path"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want 200", path, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: Content-Type %q, want text/plain", path, ct)
		}
		if string(body) != want {
			t.Errorf("%s: body %q, want %q", path, body, want)
		}
	}
}
