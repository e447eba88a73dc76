"""kubectl, pointed at svclab's cluster, through the one runner."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from svclab import runner
from svclab.errors import ClusterError, CommandFailed, ToolMissing
from svclab.settings import Settings, settings as default_settings

class Kubectl:
    """Runs kubectl with svclab's kubeconfig; turns an unreachable cluster into ClusterError."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or default_settings()

    def __call__(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        s = self.settings
        binary = runner.which("kubectl", [s.bin_dir])
        if binary is None:
            raise ToolMissing("kubectl is not installed", runner.INSTALL_HINTS["kubectl"])
        try:
            return runner.run([binary, *args], input=input, timeout=timeout, env=s.tool_env()).stdout
        except CommandFailed:
            if not self.reachable():
                raise ClusterError(
                    f"the cluster is not reachable (kubeconfig {s.kubeconfig})",
                    hint="start it with `svclab up`; `svclab status` shows what is wrong",
                ) from None
            raise

    def reachable(self) -> bool:
        """True when the API server answers its readiness endpoint within 5 seconds."""
        binary = runner.which("kubectl", [self.settings.bin_dir]) or "kubectl"
        probe = [binary, "get", "--raw=/readyz", "--request-timeout=5s"]
        return runner.run(probe, check=False, timeout=10, env=self.settings.tool_env()).returncode == 0

    def create_namespace(self, name: str, labels: dict[str, str], timeout: float = 60) -> None:
        """Create (or label) a namespace and wait for its `default` ServiceAccount: pods
        created before the controller adds it are refused."""
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
        self.apply(yaml.safe_dump(manifest))
        deadline = time.monotonic() + timeout
        while True:
            try:
                self("get", "serviceaccount", "default", "-n", name, timeout=20)
                return
            except CommandFailed:
                if time.monotonic() > deadline:
                    raise ClusterError(f"namespace {name} got no default ServiceAccount within {timeout:.0f}s",
                                       "is kube-controller-manager running? `svclab status`") from None
                time.sleep(0.5)

    def write_namespaced_config(self, namespace: str, path: Path) -> Path:
        """Write a copy of this kubeconfig whose context namespace is ``namespace``, so
        plain `kubectl …` commands (and students' `!kubectl` cells) act there."""
        config = yaml.safe_load(self("config", "view", "--flatten", "--minify"))
        config["contexts"][0]["context"]["namespace"] = namespace
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path

    def json(self, *args: str, timeout: float = 60) -> Any:
        return json.loads(self(*args, "-o", "json", timeout=timeout))

    def apply(self, manifest: str, *args: str) -> str:
        return self("apply", "-f", "-", *args, input=manifest)
