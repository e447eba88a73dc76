"""Combinators every lab uses, and the verdict for an object that is not there."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from svclab.labs.spec import CheckFn, Context, Verdict
from svclab.poll import poll

_grace: float | None = None


@contextmanager
def judging(grace: float) -> Iterator[None]:
    """While the namespace is known to be settled: no check polls longer than ``grace``."""
    global _grace
    before, _grace = _grace, grace
    try:
        yield
    finally:
        _grace = before


def deadline(timeout: float, grace: float = 0.0) -> float:
    """A check's polling deadline: ``timeout``, or the grace while judging a settled namespace
    (at least ``grace``, for what settling cannot see, e.g. MetalLB announcing a new IP)."""
    return timeout if _grace is None else min(timeout, max(_grace, grace))


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
