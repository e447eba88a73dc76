package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestWantVersion(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"-v"}, true},
		{[]string{"-x", "-v"}, true},
		{[]string{"-version"}, false},
	}
	for _, tt := range tests {
		if got := wantVersion(tt.args); got != tt.want {
			t.Errorf("wantVersion(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestReap starts a child that exits at once, without waiting for it, and
// checks that reap collects the zombie.
func TestReap(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true binary:", err)
	}
	pid, err := syscall.ForkExec(truePath, []string{"true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for reap() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("child %d was not reaped", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The child is gone: a second wait for it must fail with ECHILD.
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err != syscall.ECHILD {
		t.Errorf("Wait4 after reap: err = %v, want ECHILD", err)
	}
}

func TestRunExitsOnTerm(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	sigs <- syscall.SIGCHLD
	sigs <- syscall.SIGTERM
	done := make(chan int)
	go func() { done <- run(sigs) }()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run = %d, want 0", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}
