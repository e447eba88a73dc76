"""Run one submission in its grading pod, as nbgrader's autograde runs it elsewhere.

The pod's main process, ``python -m svclab.grading.inpod serve``, imports nbgrader while the
pod waits for its turn, then takes one job on a Unix socket. ``python -m svclab.grading.inpod
send`` (what svclab.grading.sandbox runs with ``kubectl exec -i``) hands it the job read on
stdin – ``{"notebook": …, "execute": {Execute's settings}, "memory": bytes}`` as JSON – and
writes the executed notebook back on stdout. The kernel gets a kubeconfig made from the pod's grading token,
pointed at the grading namespace, and a memory limit of its own, so a cell that allocates
without end meets a MemoryError instead of killing the kernel. Should the kernel die all the
same, the cell that ran says why and every later cell says it was not run, so their checks
score nothing rather than full marks.

Inside the pod only."""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svclab.constants import GRADING_NAMESPACE_ENV, GRADING_TOKEN_DIR

if TYPE_CHECKING:
    from nbformat import NotebookNode

TOKEN_DIR = Path(GRADING_TOKEN_DIR)
CGROUP_EVENTS = Path("/sys/fs/cgroup/memory.events")
SOCKET = Path(os.environ.get("SVCLAB_GRADING_SOCKET", "/tmp/svclab-grading.sock"))


def kubeconfig(token_dir: Path, namespace: str, environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """A kubeconfig for the grading token, aimed at the API server's Service address (no DNS:
    a grading must not depend on CoreDNS to reach the API server)."""
    host = environ["KUBERNETES_SERVICE_HOST"]
    server = f"https://[{host}]" if ":" in host else f"https://{host}"
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "cluster",
                    "cluster": {
                        "server": f"{server}:{environ.get('KUBERNETES_SERVICE_PORT', '443')}",
                        "certificate-authority": str(token_dir / "ca.crt"),
                    },
                }
            ],
            "users": [{"name": "grading", "user": {"tokenFile": str(token_dir / "token")}}],
            "contexts": [
                {"name": "grading", "context": {"cluster": "cluster", "user": "grading", "namespace": namespace}}
            ],
            "current-context": "grading",
        }
    )


def oom_kills() -> int:
    """How often the kernel's cgroup hit its memory limit (cgroup v2), 0 when unknown."""
    try:
        lines = CGROUP_EVENTS.read_text().splitlines()
    except OSError:
        return 0
    return next((int(v) for k, v in (ln.split() for ln in lines if ln.strip()) if k == "oom_kill"), 0)


def _pod_execute() -> Any:
    """nbgrader's Execute that remembers the running cell and says so when memory ran out."""
    import nbformat
    from nbgrader.preprocessors import Execute

    class PodExecute(Execute):
        running: int | None = None
        memory: int = 0

        def on_cell_start(self, **kwargs: Any) -> None:
            self.running = kwargs["cell_index"]

        def on_cell_executed(self, **kwargs: Any) -> None:
            super().on_cell_executed(**kwargs)
            cell = kwargs["cell"]
            if any(o.output_type == "error" and o.get("ename") == "MemoryError" for o in cell.outputs):
                limit = f"a grading kernel may use at most {self.memory >> 20} MiB"
                text = f"svclab: this cell ran out of memory: {limit}\n"
                cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=text))

    return PodExecute


def mark_stopped(nb: NotebookNode, running: int | None, why: str) -> None:
    """The cell the kernel died in gets ``why``; every later code cell an error saying it was
    not run (a check cell without an error would score full marks)."""
    import nbformat

    start = running if running is not None else 0
    for index, cell in enumerate(nb.cells[start:], start):
        if cell.cell_type != "code":
            continue
        text = why if index == running else "not run: the grading kernel was stopped in an earlier cell"
        stopped = nbformat.v4.new_output("error", ename="KernelStopped", evalue=text, traceback=[text])
        cell.outputs = [*cell.outputs, stopped] if index == running else [stopped]


def run(job: dict[str, Any], home: Path, execute_class: Any, token_dir: Path = TOKEN_DIR) -> NotebookNode:
    """Execute the job's notebook in a kernel of this pod; the executed notebook."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    namespace = os.environ["SVCLAB_GRADING_POD_NAMESPACE"]
    config = home / ".svclab-kubeconfig"
    config.write_text(kubeconfig(token_dir, namespace))
    config.chmod(0o600)
    os.environ.update(
        {
            "KUBECONFIG": str(config),
            "SVCLAB_KUBECONFIG": str(config),
            GRADING_NAMESPACE_ENV: namespace,
            "NBGRADER_EXECUTION": "autograde",
        }
    )
    memory = int(job["memory"])
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))  # inherited by the kernel and its commands
    workdir = home / "submission"
    workdir.mkdir(exist_ok=True)
    nb = nbformat.from_dict(job["notebook"])
    execute = execute_class(**job["execute"])
    execute.memory = memory
    killed = oom_kills()
    try:
        nb, _ = execute.preprocess(nb, {"metadata": {"path": str(workdir)}})
    except DeadKernelError:
        why = (
            "the grading pod ran out of memory while this cell ran, so its kernel was stopped"
            if oom_kills() > killed
            else "the kernel died while this cell ran"
        )
        mark_stopped(nb, execute.running, why)
    return nb


def serve(home: Path) -> None:
    """The pod's main process: import what grading needs, then run the one job it is sent."""
    import nbformat

    execute_class = _pod_execute()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(SOCKET))
        server.listen(1)
        conn, _ = server.accept()
    with conn:
        job = json.loads(_read_all(conn))
        nb = run(job, home, execute_class)
        conn.sendall(nbformat.writes(nb).encode())


def send(wait: float = 120) -> None:
    """Hand the job on stdin to the pod's main process; its executed notebook to stdout."""
    job = sys.stdin.buffer.read()
    deadline = time.monotonic() + wait
    while not SOCKET.exists():  # the main process may still be importing
        if time.monotonic() > deadline:
            sys.exit(f"svclab: the grading pod's runner did not start within {wait:.0f} s")
        time.sleep(0.05)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(SOCKET))
        conn.sendall(job)
        conn.shutdown(socket.SHUT_WR)
        result = _read_all(conn)
    if not result:
        sys.exit("svclab: the grading pod's runner stopped before it sent the executed notebook back (see its log)")
    sys.stdout.buffer.write(result)


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def main() -> None:
    if sys.argv[1:] == ["serve"]:
        serve(Path.home())
    elif sys.argv[1:] == ["send"]:
        send()
    else:
        sys.exit("usage: python -m svclab.grading.inpod serve|send (inside a grading pod)")


if __name__ == "__main__":
    main()
