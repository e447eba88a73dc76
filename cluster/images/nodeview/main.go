// Command svclab-nodeview serves, read-only over HTTP, what the course shows of a node's
// network: kube-proxy's NAT rules, conntrack entries for one address, the node's
// addresses. It runs as a DaemonSet in the node's network namespace, so students can see
// these through the API server's pod proxy without ever holding exec rights in kube-system.
package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// view is one fixed, read-only command; nothing from the request reaches a shell.
type view struct {
	argv func(rest string) ([]string, bool)
}

var views = map[string]view{
	"iptables-nat": {func(string) ([]string, bool) { return []string{"iptables-save", "-t", "nat"}, true }},
	"addresses":    {func(string) ([]string, bool) { return []string{"ip", "-brief", "address"}, true }},
	// conntrack/<ip>: the TCP connections whose original destination is <ip>
	"conntrack": {func(rest string) ([]string, bool) {
		ip := net.ParseIP(rest)
		if ip == nil {
			return nil, false
		}
		return []string{"conntrack", "-L", "-p", "tcp", "--orig-dst", ip.String()}, true
	}},
}

// route splits "/conntrack/10.96.0.5" into the view and the rest of the path.
func route(path string) (string, string) {
	name, rest, _ := strings.Cut(strings.Trim(path, "/"), "/")
	return name, rest
}

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "read-only: GET only", http.StatusMethodNotAllowed)
		return
	}
	name, rest := route(r.URL.Path)
	if name == "healthz" {
		w.Write([]byte("ok\n"))
		return
	}
	v, ok := views[name]
	if !ok {
		http.Error(w, "unknown view; try /iptables-nat, /addresses or /conntrack/<ip>", http.StatusNotFound)
		return
	}
	argv, ok := v.argv(rest)
	if !ok {
		http.Error(w, "bad argument: "+rest, http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
	if err != nil {
		http.Error(w, strings.Join(argv, " ")+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(out)
}

func main() {
	log.SetOutput(os.Stdout)
	addr := ":10290"
	if a := os.Getenv("LISTEN"); a != "" {
		addr = a
	}
	srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(serve), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		log.Printf("svclab-nodeview listening on %s", addr)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
}
