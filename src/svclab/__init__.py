"""svclab: learn Kubernetes Services on a live cluster.

In a notebook: ``import svclab as sl; sl.expose("hello-world", 80, 8080, type="NodePort")``.
Names are imported on first use, so ``import svclab`` (and the CLI) stays fast."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "svclab.errors": ["SvclabError", "ClusterError", "InvalidInput", "CommandFailed", "ToolMissing", "CheckFailed"],
    "svclab.services": ["ServiceInfo", "ServicePlan", "ServiceView", "expose", "plan_expose", "apply_plan",
                        "create_external_name", "plan_external_name", "delete_service", "describe_service",
                        "wait_for_endpoints", "scale", "kill_pod", "service_names", "deployment_names",
                        "load_balancer_available"],
    "svclab.discovery": ["DnsAnswer", "ResolvConf", "PodEnv", "EnvDemo", "resolve", "wait_for_dns", "resolv_conf",
                         "probe_pod", "start_toolbox", "pod_env", "env_demo"],
    "svclab.traffic": ["Spread", "spread"],
    "svclab.kubeproxy": ["ServiceChains", "service_chains", "wait_for_chains", "nodes"],
    "svclab.widgets": ["ExposeBuilder", "ServiceExplorer", "DnsExplorer", "EnvViewer", "LoadBalancingChart",
                       "KubeProxyViewer"],
    "svclab.bench_library": ["bench_widgets"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'svclab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
