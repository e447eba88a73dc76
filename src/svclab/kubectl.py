"""kubectl, pointed at svclab's cluster, through the one runner."""

from __future__ import annotations

import json
import re
from typing import Any

from svclab import runner
from svclab.errors import ClusterError, CommandFailed, ToolMissing
from svclab.settings import Settings, settings as default_settings

_UNREACHABLE = re.compile(
    r"connection refused|no such host|i/o timeout|Unable to connect to the server|"
    r"couldn't get current server API group list|no configuration has been provided|"
    r"stat .*kubeconfig.*no such file",
    re.IGNORECASE,
)


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
        except CommandFailed as exc:
            if _UNREACHABLE.search(exc.stderr):
                raise ClusterError(
                    f"the cluster is not reachable (kubeconfig {s.kubeconfig})",
                    hint="start it with `svclab up`; `svclab status` shows what is wrong",
                ) from None
            raise

    def json(self, *args: str, timeout: float = 60) -> Any:
        return json.loads(self(*args, "-o", "json", timeout=timeout))

    def apply(self, manifest: str, *args: str) -> str:
        return self("apply", "-f", "-", *args, input=manifest)
