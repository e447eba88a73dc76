"""Checks of values the student read and stored in a variable (passed on by the check
cell): a cluster IP, a node port, an external IP, a DNS name, addresses, a choice."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from svclab.k8s.objects import ServiceInfo
from svclab.labs.checks.dns import listed
from svclab.labs.checks.reach import no_node_port, node_port_of, with_external_ip
from svclab.labs.checks.services import service_field, with_service
from svclab.labs.spec import CheckFn, Context, Verdict

#: What `kubectl get -o jsonpath` reads for a LoadBalancer's address.
EXTERNAL_IP_PATH = "{.status.loadBalancer.ingress[0].ip}"


def _unset(key: str) -> Verdict:
    return Verdict(
        False,
        f"no answer: the variable {key} is not set",
        f"set {key} in its task cell (the check cell passes it on), then run the check again",
    )


#: record types dig takes beside the name (`dig +short CNAME backend…`)
_TYPES = {"A", "AAAA", "CNAME", "SRV", "TXT", "PTR", "NS", "MX", "SOA", "ANY"}
#: what dig prints without +short
_FULL_DIG = re.compile(r"<<>>\s*DiG|;;\s*(QUESTION|ANSWER|global options)")


def words(given: Any) -> list[str]:
    """An answer as words: `x = !cmd` gives a list of lines; a string may hold several words."""
    items = given if isinstance(given, (list, tuple, set)) else [given]
    return [w for item in items for w in re.split(r"[\s,]+", str(item)) if w]


def answer_equals(
    key: str,
    expected_of: Callable[[Context], Any],
    what: str,
    hint: str = "look it up with kubectl",
    looked_up: Callable[[Context], str] | None = None,
) -> CheckFn:
    """A value the student computed in the notebook (passed to lab.check) is right; with
    ``looked_up`` (the DNS name the answer comes from), an empty answer from a malformed
    name says which part of the name is missing."""

    def check(ctx: Context) -> Verdict:
        if ctx.answers.get(key) is None:
            return _unset(key)
        expected = expected_of(ctx)
        given = ctx.answers[key]
        if isinstance(given, list) and len(given) == 1:  # `x = !kubectl …` gives a list of lines
            given = given[0]
        if isinstance(given, list) and not given and looked_up and (wrong := _misnamed(ctx, key, looked_up(ctx))):
            return wrong
        if isinstance(given, list) and not given:
            return Verdict(
                False,
                f"{key} is empty: the command that set it printed nothing",
                f"run that command on its own and look at what it prints; {hint}",
            )
        if isinstance(given, list) and _FULL_DIG.search(" ".join(map(str, given))):
            return Verdict(
                False, f"{key} holds dig's whole report, not the address", "add +short: keep only what it prints"
            )
        if str(given).strip() != str(expected):
            return Verdict(False, f"{key} is {given!r}, which is not {what}", hint)
        return Verdict(True, f"{key} is {what}")

    return check


def _misnamed(ctx: Context, key: str, name: str) -> Verdict | None:
    """The name the student's dig asked for, when it lacks parts of ``name``."""
    source = (ctx.source_of(key) or "").replace("{lab.namespace}", ctx.namespace)
    after = re.search(r"\bdig\b(.*)", source)
    names = [w for w in (after[1].split() if after else []) if not w.startswith(("+", "@", "-")) and w not in _TYPES]
    if not names or not re.fullmatch(r"[A-Za-z0-9_.{}$-]+", names[0].strip("'\"")):
        return None
    typed = names[0].strip("'\"").rstrip(".")
    wanted = name.rstrip(".").split(".")
    missing = [part for part in wanted if part not in typed.split(".")]
    if not missing or typed == name.rstrip("."):
        return None
    return Verdict(
        False,
        f"{key} is empty: dig looked up {typed}, which has no {', '.join(repr(p) for p in missing)} part "
        f"(the full name is {name.rstrip('.')}: <service>.<namespace>.svc.cluster.local)",
        "look up the full name, all five parts, and keep what dig prints",
    )


def answer_choice(key: str, correct: str, letters: str, hint: str) -> CheckFn:
    """A multiple-choice question answered with one letter."""

    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return Verdict(
                False,
                f"no answer: the variable {key} is not set",
                f'set {key} to the letter of your answer, e.g. {key} = "{letters[0]}"',
            )
        text = str(given).strip().lower()
        leading = re.match(r"\(?([a-z])\)?(?:[\s.:)]|$)", text)  # "b", "(b)", "b) because …"
        letter = leading[1] if leading else text
        if letter not in letters or len(letter) != 1:
            return Verdict(False, f"{key} is {given!r}; answer with one of the letters {', '.join(letters)}")
        if letter != correct:
            return Verdict(False, f"{key} is {letter!r}, which is not the reason", hint)
        return Verdict(True, f"{key} is {letter!r}: right")

    return check


def answer_dns_name(
    key: str,
    expected_of: Callable[[Context], str | None],
    what: str,
    hint: str,
    looked_up: Callable[[Context], str] | None = None,
) -> CheckFn:
    """A DNS name the student looked up; a trailing dot and letter case do not matter. With
    ``looked_up`` (the name to ask for), an empty answer from a malformed name says which part
    is missing."""

    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return _unset(key)
        found = words(given)
        if not found and looked_up and (wrong := _misnamed(ctx, key, looked_up(ctx))):
            return wrong
        if not found:
            return Verdict(False, f"{key} is empty: the command that set it printed nothing", hint)
        if _FULL_DIG.search(" ".join(found)):
            return Verdict(False, f"{key} holds dig's whole report, not a name", "add +short: keep only what it prints")
        expected = expected_of(ctx)
        if expected is None or found[0].rstrip(".").lower() != expected.rstrip(".").lower():
            return Verdict(False, f"{key} is {found[0]!r}, which is not {what}", hint)
        return Verdict(True, f"{key} is {what}")

    return check


def answer_addresses(key: str, expected_of: Callable[[Context], set[str]], what: str, hint: str) -> CheckFn:
    """A set of IP addresses the student read with kubectl (a list, or one line of them)."""

    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return _unset(key)
        found, expected = set(words(given)), expected_of(ctx)
        if found != expected:
            return Verdict(False, f"{key} holds {listed(found)}; {what} are {listed(expected)}", hint)
        return Verdict(True, f"{key} holds {what}")

    return check


def external_ip_answer(name: str, key: str = "external_ip", timeout: float = 20) -> CheckFn:
    """The student's ``key`` is the Service's external IP (read with kubectl, not typed)."""
    answer = answer_equals(
        key,
        service_field(name, lambda svc: svc.external_ip),
        f"the external IP of Service {name}",
        hint=f"read it with kubectl (-o jsonpath='{EXTERNAL_IP_PATH}') instead of typing "
        "it: the address differs in every namespace, including the one where you are graded",
    )

    return with_external_ip(
        name,
        "which gets no external IP, so there is none to find",
        "make it type LoadBalancer, wait for its EXTERNAL-IP, then read it",
        answer,
        timeout,
    )


def node_port_answer(name: str, key: str = "node_port", port: int = 80) -> CheckFn:
    """The student's ``key`` is the node port Kubernetes chose for the Service's port ``port``."""
    answer = answer_equals(
        key,
        service_field(name, lambda svc: node_port_of(svc, port)),
        f"the node port of Service {name}",
        hint="read it with kubectl (-o jsonpath='{.spec.ports[0].nodePort}'): Kubernetes picks "
        "it when the Service is created, so it differs where you are graded",
    )

    def judge(ctx: Context, svc: ServiceInfo) -> Verdict:
        if node_port_of(svc, port) is None:
            return no_node_port(svc, port, wanted="LoadBalancer")
        return answer(ctx)

    return with_service(name, judge)
