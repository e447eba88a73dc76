// Command hello-app is a drop-in replacement for
// gcr.io/google-samples/hello-app:1.0: an HTTP server that answers every
// path with a short greeting, the version and the pod's hostname.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is reported in every response, as in the original image.
const version = "1.0.0"

// listenPort returns the port to listen on: $PORT, or 8080 when unset.
func listenPort(getenv func(string) string) string {
	if p := getenv("PORT"); p != "" {
		return p
	}
	return "8080"
}

// hello answers any request with the three-line greeting.
func hello(w http.ResponseWriter, r *http.Request) {
	log.Printf("Serving request: %s", r.URL.Path)
	host, _ := os.Hostname()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, world!\nVersion: %s\nHostname: %s\n", version, host)
}

func main() {
	log.SetOutput(os.Stdout)

	mux := http.NewServeMux()
	mux.HandleFunc("/", hello)
	port := listenPort(os.Getenv)
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	errc := make(chan error, 1)
	go func() {
		log.Printf("Server listening on port %s", port)
		errc <- srv.ListenAndServe()
	}()

	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}

	log.Printf("Shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("shutdown: %v", err)
	}
}
