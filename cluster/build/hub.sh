#!/usr/bin/env bash
# The images of a class's JupyterHub in the cluster, built on demand only
# (`ImageBuilder.build(extra=HUB_STEPS)`): Debian's userland, Python wheels pinned with their
# hashes (cluster/hub/requirements-*.txt) and configurable-http-proxy from its npm lockfile,
# fetched on this machine (pip's and npm's caches make a rebuild cheap); nothing from a registry.
#   hub.sh hub         JupyterHub, KubeSpawner, the idle culler, CHP and svclab_hub; /srv/jupyterhub
#   hub.sh singleuser  a student's server: JupyterLab, nbgrader, svclab without its lab sources and
#                      grader, kubectl, the student workspace in /opt/svclab/workspace; /home/jovyan
# Both run as jovyan (uid 1000, gid 100 users) under tini, with /opt/venv/bin first on PATH.
# mmdebstrap runs this script again as its customize hook: hub.sh --customize hub|singleuser ROOTFS.
. "$(dirname "$0")/common.sh"
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
hub="$SVCLAB_CLUSTER_DIR/hub"
data=$(cd "$SVCLAB_CLUSTER_DIR/.." && pwd) # the checkout (or a wheel's package data)
wheels="$SVCLAB_WORK/wheels"
VENV_PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin
SOLUTION_MARKS='BEGIN (SOLUTION|HIDDEN TESTS)' # nbgrader's; so written, this file holds neither

fail() { echo "hub.sh: $*" >&2; exit 1; }

# python: the build driver's (it has svclab and pip), else this machine's python3
python=${SVCLAB_PYTHON:-python3}
"$python" -m pip --version >/dev/null 2>&1 || python=python3

# download_wheels REQUIREMENTS: every wheel, for the images' Python (Debian bookworm: CPython
# 3.11.2, glibc 2.36), hashes checked; pip resolves them again, so a missing pin fails here.
download_wheels() {
  local platforms=() m
  for m in $(seq 36 -1 17); do platforms+=(--platform "manylinux_2_${m}_x86_64"); done
  "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --require-hashes \
    --python-version 3.11.2 --implementation cp --abi cp311 "${platforms[@]}" --platform manylinux2014_x86_64 \
    --dest "$wheels" --requirement "$1"
}

# in_root ROOT CMD...: run CMD in the rootfs as jovyan, with the image's environment (and a
# scratch home, so that the image's stays empty)
in_root() {
  local root=$1; shift
  install -d -o 1000 -g 100 "$root/tmp/check"
  chroot --userspec=1000:100 "$root" /usr/bin/env -i PATH="$VENV_PATH" HOME=/tmp/check LANG=C.UTF-8 \
    JUPYTER_CONFIG_PATH=/etc/jupyter "$@"
  rm -rf "$root/tmp/check"
}

# customize_common ROOT REQUIREMENTS [WHEEL...]: jovyan, and /opt/venv from the downloaded
# wheels (and the given wheels, without their dependencies), nothing from an index
customize_common() {
  local root=$1 req=$2; shift 2
  chroot "$root" useradd --uid 1000 --gid 100 --create-home --home-dir /home/jovyan --shell /bin/bash jovyan
  mkdir "$root/tmp/wheels"
  cp "$wheels"/*.whl "$req" "$@" "$root/tmp/wheels/"
  # a clean environment: no setting of this machine's pip reaches the rootfs
  local clean=(chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 PIP_ROOT_USER_ACTION=ignore)
  "${clean[@]}" python3 -m venv /opt/venv
  local pip=("${clean[@]}" /opt/venv/bin/pip --disable-pip-version-check --no-cache-dir)
  "${pip[@]}" install --quiet --no-index --find-links /tmp/wheels --require-hashes \
    --requirement "/tmp/wheels/$(basename "$req")"
  local w
  for w in "$@"; do "${pip[@]}" install --quiet --no-index --no-deps "/tmp/wheels/$(basename "$w")"; done
  "${pip[@]}" check
  rm -rf "$root/tmp/wheels"
}

customize_hub() {
  local root=$1
  customize_common "$root" "$hub/requirements-hub.txt"
  local site
  site=$(chroot "$root" /opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  tar -C "$hub" --exclude=__pycache__ --exclude='*.pyc' --no-same-owner -cf - svclab_hub | tar -C "$root$site" -xf -
  cp -r "$SVCLAB_WORK/chp" "$root/opt/chp"
  ln -s /opt/chp/node_modules/configurable-http-proxy/bin/configurable-http-proxy \
    "$root/usr/local/bin/configurable-http-proxy"
  install -d -o 1000 -g 100 "$root/srv/jupyterhub"
  # what the hub runs, as it runs it
  in_root "$root" jupyterhub --version
  in_root "$root" configurable-http-proxy --version
  in_root "$root" python -c 'import kubespawner, jupyterhub_idle_culler, svclab_hub'
}

customize_singleuser() {
  local root=$1
  customize_common "$root" "$hub/requirements-singleuser.txt" "$SVCLAB_WORK"/svclab-wheel/svclab-*.whl
  local site
  site=$(chroot "$root" /opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # students never see a solution: no lab source, no grader; nbgrader's own demo
  # assignments (its docs and tests, which no student server uses) go too
  rm -rf "$root$site/svclab/_data/labs" "$root$site/svclab/_data/grader" "$root$site/nbgrader/docs" \
    "$root$site/nbgrader/tests"
  install -m 0755 "$SVCLAB_BUILD/../bin/kubectl" "$root/usr/local/bin/kubectl"
  install -m 0755 "$hub/singleuser/svclab-singleuser" "$root/usr/local/bin/svclab-singleuser"
  # Jupyter's config: the student settings of svclab.workspace (written with the workspace), and
  # nbgrader's; first on JUPYTER_CONFIG_PATH (the image's ENV), before the venv's, which enables
  # nbgrader's instructor tools
  install -d "$root/etc/jupyter" "$root/opt/svclab"
  cp -r "$SVCLAB_WORK/workspace/.jupyter/." "$root/etc/jupyter/"
  install -m 0644 "$hub/singleuser/jupyter/nbgrader_config.py" "$root/etc/jupyter/nbgrader_config.py"
  rm -r "$SVCLAB_WORK/workspace/.jupyter" # /etc/jupyter holds it; a copy in each $HOME would go stale
  cp -r "$SVCLAB_WORK/workspace" "$root/opt/svclab/workspace"
  chmod -R a+rX "$root/opt/svclab" "$root/etc/jupyter"

  local leaks=() f
  while IFS= read -r f; do
    case $f in
      "$root$site"/svclab/_data/*) leaks+=("$f") ;;
      "$root$site"/*.py | "$root$site"/*.pyc) ;; # code that names the marks: nbgrader's, svclab's lab authoring
      *) leaks+=("$f") ;;
    esac
  done < <(grep -rlE "$SOLUTION_MARKS" "$root/opt" "$root/etc/jupyter" || true)
  [ ${#leaks[@]} -eq 0 ] || fail "solutions or hidden tests in the single-user image: ${leaks[*]#"$root"}"

  in_root "$root" python -c 'import svclab, svclab.labs, nbgrader'
  in_root "$root" jupyterhub-singleuser --version
  in_root "$root" jupyter lab --version
  in_root "$root" kubectl version --client
  # the server extensions a student's server loads, as jupyter_server finds them
  local extensions
  extensions=$(in_root "$root" python -c 'from jupyter_server.serverapp import ServerApp
app = ServerApp(); app.load_config_file(); app.find_server_extensions()
print(" ".join(sorted(m for m, on in app.jpserver_extensions.items() if on)))')
  case " $extensions " in
    *" nbgrader.server_extensions.assignment_list "*) ;;
    *) fail "the student's server has no nbgrader assignment list: $extensions" ;;
  esac
  case " $extensions " in
    *" nbgrader.server_extensions.formgrader "* | *" nbgrader.server_extensions.course_list "*)
      fail "the student's server has nbgrader's instructor tools: $extensions" ;;
  esac
}

if [ "${1:-}" = --customize ]; then
  "customize_$2" "$3"
  exit
fi

: "${SVCLAB_OUT:?image tag}" "${SVCLAB_BUILD:?}"
kind=${1:?usage: hub.sh hub|singleuser}
packages=python3,python3-venv,ca-certificates,tini
case $kind in
  hub)
    [ -f "$hub/svclab_hub/__init__.py" ] ||
      fail "$hub/svclab_hub/ (the hub's authenticator and spawner, a Python package) is missing; the hub image carries it"
    command -v npm >/dev/null || fail "the hub image needs npm on this machine (sudo apt-get install npm)"
    step "configurable-http-proxy from its lockfile"
    mkdir -p "$SVCLAB_WORK/chp"
    cp "$hub/chp/package.json" "$hub/chp/package-lock.json" "$SVCLAB_WORK/chp/"
    (cd "$SVCLAB_WORK/chp" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
    native=$(find "$SVCLAB_WORK/chp/node_modules" -name '*.node' -o -name binding.gyp)
    [ -z "$native" ] || fail "configurable-http-proxy's dependencies must be pure JavaScript: $native"
    packages+=,nodejs
    workdir=/srv/jupyterhub
    env=()
    ;;
  singleuser)
    [ -f "$data/pyproject.toml" ] || fail "the single-user image is made from svclab's sources: it needs a checkout"
    [ -x "$SVCLAB_BUILD/../bin/kubectl" ] || fail "no kubectl in $SVCLAB_BUILD/../bin (the kubernetes step builds it)"
    step "svclab's wheel"
    "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$SVCLAB_WORK/svclab-wheel" "$data"
    step "the student workspace"
    PYTHONPATH="$data/src" "$python" -c 'import sys, pathlib, svclab.workspace as w; w.update(pathlib.Path(sys.argv[1]))' \
      "$SVCLAB_WORK/workspace"
    packages+=,curl,dnsutils,procps,less,iproute2,netcat-openbsd
    workdir=/home/jovyan
    env=(--change 'ENV JUPYTER_CONFIG_PATH=/etc/jupyter')
    ;;
  *) fail "usage: hub.sh hub|singleuser" ;;
esac

step "Python wheels for the $kind image"
download_wheels "$hub/requirements-$kind.txt"
step "debootstrap $DEBIAN_SUITE with Python, the $kind's packages and checks"
rootfs "$DEBIAN_SUITE" "$SVCLAB_WORK/rootfs.tar" "$packages" \
  --customize-hook="bash \"$self\" --customize $kind \"\$1\""
step "import as $SVCLAB_OUT"
docker import \
  --change "ENV PATH=$VENV_PATH" --change "ENV HOME=/home/jovyan" --change 'ENV LANG=C.UTF-8' "${env[@]}" \
  --change 'USER 1000' --change "WORKDIR $workdir" --change 'ENTRYPOINT ["/usr/bin/tini","--"]' \
  "$SVCLAB_WORK/rootfs.tar" "$SVCLAB_OUT" >/dev/null
