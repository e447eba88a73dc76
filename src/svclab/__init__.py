"""svclab: learn Kubernetes Services on a live cluster.

In a notebook: ``import svclab as sl; sl.expose("hello-world", 80, 8080, type="NodePort")``.
Names are imported on first use, so ``import svclab`` (and the CLI) stays fast."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "svclab.errors": [
        "SvclabError",
        "ClusterError",
        "InvalidInput",
        "CommandFailed",
        "ToolMissing",
        "CheckFailed",
        "APIError",
        "NotFound",
        "Forbidden",
        "Conflict",
        "Rejected",
    ],
    "svclab.k8s.objects": ["ServiceInfo"],
    "svclab.k8s.nodehost": ["node_host"],
    "svclab.exposing": [
        "ServicePlan",
        "expose",
        "plan_expose",
        "apply_plan",
        "create_external_name",
        "plan_external_name",
        "load_balancer_available",
    ],
    "svclab.services": [
        "ServiceView",
        "delete_service",
        "describe_service",
        "wait_for_endpoints",
        "scale",
        "kill_pod",
        "service_names",
        "deployment_names",
    ],
    "svclab.dns": ["DnsAnswer", "ResolvConf", "resolve", "wait_for_dns", "resolv_conf"],
    "svclab.env": ["PodEnv", "EnvDemo", "pod_env", "env_demo"],
    "svclab.toolbox": ["probe_pod", "start_toolbox"],
    "svclab.traffic": ["Spread", "spread"],
    "svclab.kubeproxy": ["ServiceChains", "service_chains", "wait_for_chains", "wait_for_service", "nodes"],
    "svclab.widgets": [
        "ExposeBuilder",
        "ServiceExplorer",
        "DnsExplorer",
        "EnvViewer",
        "LoadBalancingChart",
        "KubeProxyViewer",
    ],
    "svclab.bench.widgets": ["bench_widgets"],
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
