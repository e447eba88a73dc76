// Command pause is the Kubernetes pod sandbox ("pause") container. It runs
// as PID 1 of the pod, reaps zombie children, and exits 0 on SIGINT or
// SIGTERM; otherwise it blocks forever.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is printed by "pause -v".
const version = "pause svclab 3.10"

// wantVersion reports whether the command line asks for the version.
func wantVersion(args []string) bool {
	for _, a := range args {
		if a == "-v" {
			return true
		}
	}
	return false
}

// reap collects every exited child without blocking and returns how many
// it reaped.
func reap() int {
	n := 0
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return n
		}
		n++
	}
}

// run handles signals until SIGINT or SIGTERM arrives and returns the exit
// code; SIGCHLD triggers a reap.
func run(sigs <-chan os.Signal) int {
	for sig := range sigs {
		switch sig {
		case syscall.SIGCHLD:
			reap()
		case syscall.SIGINT, syscall.SIGTERM:
			fmt.Fprintf(os.Stderr, "Shutting down, got signal: %v\n", sig)
			return 0
		}
	}
	return 0
}

func main() {
	if wantVersion(os.Args[1:]) {
		fmt.Println(version)
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "Warning: pause should be the first process")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	os.Exit(run(sigs))
}
