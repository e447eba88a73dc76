"""Small helpers shared by the library's live and widget tests."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import TypeVar

import pytest

from svclab.k8s.api import kube
from svclab.settings import settings

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 60, every: float = 0.5) -> T:
    """Poll until ``probe`` returns something truthy; fail with its last error."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            if result := probe():
                return result
        except Exception as exc:  # noqa: BLE001 – remembered for the failure message
            last = exc
        time.sleep(every)
    pytest.fail(f"not reached within {timeout:.0f}s (last error: {last!r})")


def free_node_port() -> int:
    """A node port of the course range that no Service uses right now."""
    k = kube()
    used = {p.node_port for s in k.core.list_service_for_all_namespaces().items for p in s.spec.ports or []}
    free = [p for p in settings().node_ports if p not in used]
    if not free:
        pytest.fail(f"all node ports of {settings().node_ports} are in use")
    return free[-1]


def http_get(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=3) as reply:
        return reply.read().decode()


def service_names(namespace: str) -> list[str]:
    return sorted(s.metadata.name for s in kube().core.list_namespaced_service(namespace).items)
