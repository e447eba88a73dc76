"""The one wait primitive of svclab: call a probe until its result is good enough.

Everything that waits – for pods, endpoints, DNS answers, kube-proxy rules, an
external IP, a check to pass – goes through :func:`poll`, so there is a single
place that knows about deadlines and intervals."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, overload

from svclab.errors import ClusterError

T = TypeVar("T")


@overload
def poll(probe: Callable[[], T | None], *, timeout: float, every: float = 0.5, what: str) -> T: ...


@overload
def poll(
    probe: Callable[[], T], *, timeout: float, every: float = 0.5, until: Callable[[T], object], what: str | None = None
) -> T: ...


def poll(
    probe: Callable[[], Any],
    *,
    timeout: float,
    every: float = 0.5,
    until: Callable[[Any], object] = bool,
    what: str | None = None,
) -> Any:
    """Call ``probe`` until ``until(result)`` holds and return that result.

    At the deadline: with ``what``, raise ClusterError ("timed out … waiting for <what>");
    without it, return the last result (a check's last verdict, say). ``timeout=0`` probes once."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if until(result):
            return result
        if time.monotonic() >= deadline:
            if what is None:
                return result
            raise ClusterError(
                f"timed out after {timeout:.0f}s waiting for {what}",
                hint="the cluster may be slow or the object unhealthy: `kubectl get events`",
            )
        time.sleep(every)
