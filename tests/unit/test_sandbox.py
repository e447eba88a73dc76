"""The grading pod: what it may hold and reach, and how its runner reports a stopped kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from svclab.grading import inpod, sandbox
from svclab.grading.environment import grading_allowance
from svclab.k8s.quota import BASIC, HARD, KERNEL_LIMITS, KERNEL_REQUESTS, Allowance


def test_the_kernel_pod_holds_no_credential_but_the_grading_token_and_no_host_path() -> None:
    pod = sandbox.kernel_pod("docker.io/svclab/singleuser:abc", "g-alice-clusterip")
    spec = pod["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 1000
    assert spec["activeDeadlineSeconds"] >= sandbox.SUBMISSION_TIMEOUT
    assert all("hostPath" not in v for v in spec["volumes"])
    sources = spec["volumes"][0]["projected"]["sources"]
    assert [s.get("secret", {}).get("name") for s in sources] == [sandbox.TOKEN_SECRET, None]
    (container,) = spec["containers"]
    assert container["imagePullPolicy"] == "Never"
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["limits"]["memory"] == KERNEL_LIMITS["memory"]
    assert container["command"][-3:] == ["-m", "svclab.grading.inpod", "serve"]
    # the kernel's own limit sits below the pod's: a MemoryError comes before the OOM killer
    assert int(KERNEL_LIMITS["memory"].removesuffix("Mi")) << 20 > sandbox.KERNEL_MEMORY


def test_the_grading_quota_makes_room_for_exactly_the_kernel_pod() -> None:
    hard = grading_allowance(BASIC).quota()["spec"]["hard"]
    assert hard["pods"] == str(int(HARD["pods"]) + 1)
    assert hard["requests.memory"] == f"{512 + int(KERNEL_REQUESTS['memory'].removesuffix('Mi'))}Mi"
    assert hard["requests.cpu"] == f"{500 + int(KERNEL_REQUESTS['cpu'].removesuffix('m'))}m"
    assert grading_allowance(BASIC).limit_range()["spec"]["limits"][0]["max"]["memory"] == KERNEL_LIMITS["memory"]
    on_host = grading_allowance(BASIC, kernel_pod=False)
    assert on_host.quota()["spec"]["hard"]["pods"] == HARD["pods"]
    assert Allowance().limit_range()["spec"]["limits"][0]["max"]["memory"] == "256Mi"


def test_the_pods_kubeconfig_reaches_the_api_server_without_dns(tmp_path: Path) -> None:
    config = json.loads(inpod.kubeconfig(tmp_path, "g-a-clusterip", {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}))
    assert config["clusters"][0]["cluster"]["server"] == "https://10.96.0.1:443"
    assert config["users"][0]["user"] == {"tokenFile": str(tmp_path / "token")}
    assert config["contexts"][0]["context"]["namespace"] == "g-a-clusterip"
    v6 = json.loads(
        inpod.kubeconfig(tmp_path, "n", {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"})
    )
    assert v6["clusters"][0]["cluster"]["server"] == "https://[fd00::1]:6443"
    assert yaml.safe_load(inpod.kubeconfig(tmp_path, "n", {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}))


def test_a_stopped_kernel_leaves_no_later_check_with_full_marks() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("setup"),
        nbformat.v4.new_code_cell("eat()"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("lab.check('x')", outputs=[nbformat.v4.new_output("stream", text="old pass\n")]),
    ]
    inpod.mark_stopped(nb, 1, "the grading pod ran out of memory")
    assert nb.cells[0].outputs == []
    assert [o.evalue for o in nb.cells[1].outputs] == ["the grading pod ran out of memory"]
    assert "outputs" not in nb.cells[2]
    assert [(o.output_type, o.ename) for o in nb.cells[3].outputs] == [("error", "KernelStopped")]


def test_oom_kills_are_read_from_the_cgroup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = tmp_path / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n")
    monkeypatch.setattr(inpod, "CGROUP_EVENTS", events)
    assert inpod.oom_kills() == 2
    monkeypatch.setattr(inpod, "CGROUP_EVENTS", tmp_path / "none")
    assert inpod.oom_kills() == 0


def test_the_runner_executes_what_it_is_sent_and_names_a_memory_error(tmp_path: Path) -> None:
    """serve and send as in the pod, on this machine: the kernel sees the grading namespace
    and the kubeconfig made for it, and a MemoryError gets the note of the kernel's limit."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import os\nprint(os.environ['SVCLAB_NAMESPACE'], os.environ['NBGRADER_EXECUTION'])"),
        nbformat.v4.new_code_cell("raise MemoryError"),
        nbformat.v4.new_code_cell("print(open(os.environ['KUBECONFIG']).read().count('tokenFile'))"),
    ]
    env = os.environ | {
        "HOME": str(tmp_path),
        "SVCLAB_GRADING_SOCKET": str(tmp_path / "sock"),
        "SVCLAB_GRADING_POD_NAMESPACE": "g-bob-clusterip",
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
    }
    module = [sys.executable, "-m", "svclab.grading.inpod"]
    server = subprocess.Popen([*module, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        job = {"notebook": nb, "execute": {"timeout": 60, "startup_timeout": 60}, "memory": 2 << 30}
        sent = subprocess.run(
            [*module, "send"], input=json.dumps(job), env=env, capture_output=True, text=True, timeout=120
        )
        assert sent.returncode == 0, sent.stderr
        out = nbformat.reads(sent.stdout, as_version=4)
    finally:
        server.wait(timeout=30)
    assert out.cells[0].outputs[0].text == "g-bob-clusterip autograde\n"
    assert out.cells[1].outputs[0].ename == "MemoryError"
    assert "a grading kernel may use at most 2048 MiB" in out.cells[1].outputs[1].text
    assert out.cells[2].outputs[0].text == "1\n"


def test_send_says_so_when_no_runner_listens(tmp_path: Path) -> None:
    env = os.environ | {"SVCLAB_GRADING_SOCKET": str(tmp_path / "sock")}
    code = "import svclab.grading.inpod as p; p.send(wait=0.2)"
    sent = subprocess.run([sys.executable, "-c", code], input="{}", env=env, capture_output=True, text=True)
    assert sent.returncode == 1
    assert "the grading pod's runner did not start within 0 s" in sent.stderr
