#!/usr/bin/env bash
# Prepare this machine for svclab (idempotent, needs root on Debian/Ubuntu):
#   Debian packages (docker.io, mmdebstrap), the Python venv with svclab, a Go toolchain,
#   the svclab-runc runtime wrapper where the kernel withholds capabilities,
#   and a running Docker engine.
# From a checkout (`make setup`) it makes the repository's .venv; from svclab's package data
# (installed from a wheel) it uses the Python of that installation: SVCLAB_PYTHON, which
# `svclab doctor` prints in the command to run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "[setup] $*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup needs root (apt-get, dockerd): run it with sudo" >&2; exit 1
fi

# --- Debian packages ---------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v iptables >/dev/null || need+=(iptables)
command -v zstd >/dev/null || need+=(zstd)  # image bundles (svclab images export | import)
command -v npm >/dev/null || need+=(npm)  # the hub image's configurable-http-proxy, from its lockfile
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
# the real-browser JupyterLab test drives Debian's chromium (never a downloaded browser)
command -v chromium >/dev/null || need+=(chromium fonts-liberation)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- Python -------------------------------------------------------------------
if [ ! -f "$repo/pyproject.toml" ]; then  # package data: never make a venv inside site-packages
  python=${SVCLAB_PYTHON:?set SVCLAB_PYTHON to the python of the venv svclab is installed in}
  "$python" -c 'import svclab' || { echo "$python has no svclab" >&2; exit 1; }
else
  python="$repo/.venv/bin/python"
  if [ ! -x "$repo/.venv/bin/svclab" ] || [ "$repo/pyproject.toml" -nt "$repo/.venv/.installed" ]; then
    log "installing svclab into $repo/.venv"
    python3 -m venv "$repo/.venv"
    "$repo/.venv/bin/pip" install -q --upgrade pip
    "$repo/.venv/bin/pip" install -q -e "$repo[lab,test]"
    touch "$repo/.venv/.installed"
  fi
fi

# --- Go -----------------------------------------------------------------------------
# The image build needs the Go of cluster/'s go.mod files: the one on PATH when it is new
# enough, else svclab installs its own (verified) into the cache of the user who runs
# `svclab up` – so as $SUDO_USER under sudo. Never /usr/local/go, never a system Go.
as_user=()
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  as_user=(runuser -u "$SUDO_USER" -- env HOME="$(getent passwd "$SUDO_USER" | cut -d: -f6)")
fi
go=$("${as_user[@]}" "$python" -m svclab.cluster.gotoolchain)
log "go: $go ($("$go" env GOVERSION))"

# --- Docker engine --------------------------------------------------------------
# Privileged containers (kind's nodes) ask runc for every capability; on hosts whose
# bounding set lacks some, runc fails. svclab-runc drops what the host cannot grant.
bounding=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
daemon_json=/etc/docker/daemon.json
wanted=""
if [ $(( 0x$bounding & 0x1ffffffffff )) != $(( 0x1ffffffffff )) ]; then
  log "capability bounding set is $bounding: registering svclab-runc as Docker's default runtime"
  (cd "$repo/cluster/runtime" && CGO_ENABLED=0 "$go" build -trimpath -ldflags '-s -w' -o /usr/local/bin/svclab-runc.new . \
     && mv /usr/local/bin/svclab-runc.new /usr/local/bin/svclab-runc)
  wanted=svclab-runc
fi
changed=$(python3 - "$daemon_json" "$wanted" <<'PY'
import json, pathlib, sys
path, wanted = pathlib.Path(sys.argv[1]), sys.argv[2]
config = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
before = json.dumps(config, sort_keys=True)
if wanted:
    config.setdefault("runtimes", {})["svclab-runc"] = {"path": "/usr/local/bin/svclab-runc"}
    config["default-runtime"] = "svclab-runc"
# kind publishes 50 node ports on 127.0.0.1: with the userland proxy that is one docker-proxy
# process each; without it, iptables forwards them (Docker sets route_localnet on its bridges).
config["userland-proxy"] = False
# A restart of dockerd (an upgrade, a crash) leaves the containers running: without this the
# kind nodes stop with it, and the class's cluster takes a minute or more to come back.
config["live-restore"] = True
if json.dumps(config, sort_keys=True) != before:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    print("yes")
PY
)

start_dockerd() {
  if [ -d /run/systemd/system ]; then
    systemctl restart docker
  else
    setsid dockerd >/var/log/svclab-dockerd.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  echo "dockerd did not start; see /var/log/svclab-dockerd.log" >&2; return 1
}
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  start_dockerd
elif [ -n "$changed" ]; then
  log "restarting dockerd to pick up $daemon_json"
  if [ -d /run/systemd/system ]; then systemctl restart docker; else
    pkill -TERM -x dockerd || true
    for _ in $(seq 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
    start_dockerd
  fi
fi
log "ready: docker $(docker info --format '{{.ServerVersion}} (default runtime {{.DefaultRuntime}})')"
