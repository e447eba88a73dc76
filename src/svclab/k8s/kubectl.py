"""kubectl, pointed at svclab's kubeconfig, through the one runner.

Only where kubectl itself is the point: applying YAML the way a student's
``kubectl apply`` / ``%%apply`` does (so later applies merge), the cluster's
add-on manifests, and kubeconfig files. Reads go through :mod:`svclab.k8s.reads`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from svclab import runner
from svclab.errors import ClusterError, CommandFailed, ToolMissing
from svclab.settings import Settings
from svclab.settings import settings as default_settings


class Kubectl:
    """Runs kubectl with svclab's kubeconfig; turns an unreachable cluster into ClusterError."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or default_settings()

    def __call__(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        s = self.settings
        binary = runner.which("kubectl", [s.bin_dir])
        if binary is None:
            raise ToolMissing("kubectl is not installed", runner.install_hint("kubectl"))
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

    def json(self, *args: str, timeout: float = 60) -> Any:
        """``kubectl … -o json``, parsed: an independent view for tests and scripts (the
        library itself reads through :mod:`svclab.k8s.reads`)."""
        return json.loads(self(*args, "-o", "json", timeout=timeout))

    def apply(self, manifest: str, *args: str) -> str:
        return self("apply", "-f", "-", *args, input=manifest)

    def write_namespaced_config(self, namespace: str, path: Path) -> Path:
        """Write a copy of this kubeconfig whose context namespace is ``namespace``, so
        plain `kubectl …` commands (and students' `!kubectl` cells) act there."""
        config = yaml.safe_load(self("config", "view", "--flatten", "--minify"))
        config["contexts"][0]["context"]["namespace"] = namespace
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path
