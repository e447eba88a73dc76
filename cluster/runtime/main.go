// svclab-runc is an OCI runtime shim for Docker on hosts whose capability
// bounding set is smaller than the full list (some VMs drop CAP_SYS_RESOURCE).
//
// `docker run --privileged` asks runc for every capability; runc then fails with
// "unable to apply caps: operation not permitted". Before handing over to runc,
// this shim removes from the container's process spec every capability the host
// cannot grant, then execs the real runc with the unchanged arguments.
//
// Without CAP_SYS_RESOURCE a process may not lower its OOM score either, so a
// requested oomScoreAdj below the shim's own is raised to it (what containerd's
// restrict_oom_score_adj does for rootless setups).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// capBits maps capability names to their bit numbers (linux/capability.h).
var capBits = map[string]uint{
	"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
	"CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
	"CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
	"CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
	"CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
	"CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
	"CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
	"CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
	"CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35,
	"CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
	"CAP_CHECKPOINT_RESTORE": 40,
}

const (
	realRuntime    = "/usr/sbin/runc"
	capSysResource = 24
)

func main() {
	args := os.Args[1:]
	if err := filterFor(args); err != nil {
		fmt.Fprintf(os.Stderr, "svclab-runc: %v\n", err)
		os.Exit(1)
	}
	runtime := os.Getenv("SVCLAB_REAL_RUNC")
	if runtime == "" {
		runtime = realRuntime
	}
	err := syscall.Exec(runtime, append([]string{"runc"}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, "svclab-runc: exec %s: %v\n", runtime, err)
	os.Exit(1)
}

// filterFor rewrites the spec file that the runc subcommand in args will read.
func filterFor(args []string) error {
	sub, rest := subcommand(args)
	switch sub {
	case "create", "run":
		bundle := flagValue(rest, "--bundle", "-b")
		if bundle == "" {
			bundle = "."
		}
		return filterFile(filepath.Join(bundle, "config.json"), true)
	case "exec":
		if p := flagValue(rest, "--process", "-p"); p != "" {
			return filterFile(p, false)
		}
	}
	return nil
}

// subcommand returns the first non-flag argument and the arguments after it.
// runc's global flags that take a value are --root, --log, --log-format, --criu.
func subcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--root" || a == "--log" || a == "--log-format" || a == "--criu":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a, args[i+1:]
		}
	}
	return "", nil
}

func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if strings.HasPrefix(a, n+"=") {
				return strings.TrimPrefix(a, n+"=")
			}
		}
	}
	return ""
}

// filterFile drops unavailable capabilities from a bundle config (process under
// "process") or from a bare process spec (runc exec --process).
func filterFile(path string, isBundle bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	process := doc
	if isBundle {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		process = p
	}
	bounding, err := boundingSet()
	if err != nil {
		return err
	}
	changed := false
	if bounding&(1<<capSysResource) == 0 {
		changed = clampOOMScoreAdj(process)
	}
	caps, _ := process["capabilities"].(map[string]any)
	for kind, list := range caps {
		names, ok := list.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(names))
		for _, n := range names {
			name, _ := n.(string)
			if bit, known := capBits[name]; known && bounding&(1<<bit) == 0 {
				changed = true
				continue
			}
			kept = append(kept, n)
		}
		caps[kind] = kept
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o600)
}

// clampOOMScoreAdj raises process.oomScoreAdj to this process's own score.
func clampOOMScoreAdj(process map[string]any) bool {
	want, ok := process["oomScoreAdj"].(float64)
	if !ok {
		return false
	}
	data, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return false
	}
	own, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || int(want) >= own {
		return false
	}
	process["oomScoreAdj"] = own
	return true
}

// boundingSet reads CapBnd of this process from /proc/self/status.
func boundingSet() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapBnd:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("CapBnd not found in /proc/self/status")
}
