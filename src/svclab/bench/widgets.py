"""How fast the widgets answer on a warm cluster: a DNS lookup (DnsExplorer → exec dig in the
toolbox pod) and an Endpoints refresh (ServiceExplorer → Service, pods, EndpointSlices, nodes).

Run: ``svclab bench --widgets`` (creates and deletes namespace ``svclab-bench``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from svclab import services
from svclab.constants import TEST_LABEL
from svclab.errors import SvclabError
from svclab.exposing import expose
from svclab.k8s import manifests, reads, tenancy
from svclab.k8s.api import kube

BENCH_NAMESPACE = "svclab-bench"


def _timings(action: Callable[[], bool], runs: int) -> list[float]:
    action()  # warm: connections, pod, caches
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        if not action():
            raise SvclabError("a benchmarked widget action failed", "run it in a notebook to see its message")
        found.append(time.perf_counter() - started)
    return found


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "max_ms": ordered[-1] * 1000}


def _prepare(namespace: str) -> bool:
    """hello-world exposed in ``namespace``; True when the namespace was created here."""
    created = not tenancy.namespace_exists(namespace)
    if created:
        tenancy.create_namespace(namespace, {TEST_LABEL: "true"})
    if reads.deployment("hello-world", namespace) is None:
        k = kube()
        k.call("create Deployment", k.apps.create_namespaced_deployment, namespace, manifests.hello_world(namespace))
    if reads.service("hello-world", namespace) is None:
        expose("hello-world", 80, 8080, namespace=namespace)
    services.wait_for_endpoints("hello-world", namespace, ready=3, timeout=120)
    return created


def bench_widgets(runs: int = 30, namespace: str = BENCH_NAMESPACE) -> dict[str, dict[str, float]]:
    """Time ``runs`` warm DNS lookups and Endpoints refreshes through the widgets; print and return
    median/p95/max in milliseconds."""
    from svclab.widgets import DnsExplorer, ServiceExplorer

    created = _prepare(namespace)
    try:
        dns = DnsExplorer("hello-world", namespace)
        explorer = ServiceExplorer("hello-world", namespace)
        figures = {
            "DNS lookup (DnsExplorer → dig in toolbox pod)": _summary(_timings(dns.resolve, runs)),
            "Endpoints refresh (ServiceExplorer.refresh)": _summary(_timings(explorer.refresh, runs)),
        }
    finally:
        if created:
            tenancy.delete_namespaces([namespace], wait=False)
    for name, f in figures.items():
        print(
            f"{name:48} median {f['median_ms']:6.0f} ms   p95 {f['p95_ms']:6.0f} ms   "
            f"max {f['max_ms']:6.0f} ms   ({runs} runs)"
        )
    return figures


if __name__ == "__main__":
    bench_widgets()
