"""Combinators every lab uses, and the verdict for an object that is not there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from svclab.labs.spec import CheckFn, Context, Verdict
from svclab.poll import poll

#: how long after its namespace settled a check may still poll (kube-proxy and CoreDNS
#: catch up with what settling read a moment later)
GRACE = 2.0
_settled_at: float | None = None


@contextmanager
def judging(settled_at: float) -> Iterator[None]:
    """While the namespace is known to have settled at ``settled_at`` (monotonic time): no
    check polls past GRACE seconds after that, so the second check that fails for the same
    reason fails at once instead of waiting its grace again."""
    global _settled_at
    before, _settled_at = _settled_at, settled_at
    try:
        yield
    finally:
        _settled_at = before


def deadline(timeout: float, grace: float = 0.0) -> float:
    """A check's polling deadline: ``timeout``, or while judging a settled namespace what is
    left of the grace since it settled (of ``grace``, when longer: for what settling cannot
    see, e.g. MetalLB announcing a new IP)."""
    if _settled_at is None:
        return timeout
    return min(timeout, max(0.0, _settled_at + max(GRACE, grace) - time.monotonic()))


def settle(probe: Callable[[], Verdict], timeout: float, every: float = 1.0, grace: float = 0.0) -> Verdict:
    """Repeat ``probe`` until it passes or the deadline is reached; the last verdict."""
    return poll(probe, timeout=deadline(timeout, grace), every=min(every, 1.0), until=lambda v: v.passed)


def missing(ctx: Context, kind: str, name: str, namespace: str | None = None) -> Verdict:
    """There is no ``kind`` (service, pod, statefulset) ``name``: say what there is instead."""
    ns = namespace or ctx.namespace
    found = ctx.names(kind, ns)
    also = f"; it has: {', '.join(found)}" if found else "; it has none"
    if ctx.refused:  # the likeliest why: the command that should have made it was refused
        also += f" – and kubectl refused {ctx.refused[-1]}"
    return Verdict(
        False,
        f"there is no {kind} named {name!r} in namespace {ns}{also}",
        f"fix what kubectl named and run that cell again ({name!r}, in namespace {ns})"
        if ctx.refused
        else f"create it with the name {name!r}, in your lab namespace {ns}",
    )


def per_context(make: Callable[[Context], CheckFn]) -> CheckFn:
    """A check whose arguments depend on the namespace (e.g. a URL naming the second one)."""
    return lambda ctx: make(ctx)(ctx)


def in_order(*fns: CheckFn) -> CheckFn:
    """Run checks in turn; the first that fails gives the verdict (so a missing object
    is reported at once instead of after a polling deadline)."""

    def check(ctx: Context) -> Verdict:
        verdict = Verdict(True, "")
        for fn in fns:
            verdict = fn(ctx)
            if not verdict.passed:
                return verdict
        return verdict

    return check


def with_hint(fn: CheckFn, hint: str | Callable[[Context], str]) -> CheckFn:
    """The same check with a hint that fits this lab better than the primitive's own
    (e.g. "kubectl patch …" where the Service already exists and must be repaired)."""

    def check(ctx: Context) -> Verdict:
        verdict = fn(ctx)
        if verdict.passed:
            return verdict
        return replace(verdict, hint=hint(ctx) if callable(hint) else hint)

    return check
