"""Check primitives shared by the in-notebook "check" cells and nbgrader autograde.

A lab's checks are data (name, points, what is checked) plus one of the small
functions below. Each looks at what the student actually built in their
namespace and returns a Verdict: passed or not, what was found versus what was
expected, and a hint. Checks that depend on convergence (Endpoints, DNS,
kube-proxy rules) poll with their own deadline; they print nothing themselves."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from svclab.errors import CommandFailed
from svclab.kubectl import Kubectl

PROBE_POD = "svclab-probe"
TOOLBOX_IMAGE = "docker.io/svclab/toolbox:v1"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    hint: str = ""


@dataclass
class Context:
    """What a check may look at: the student's namespace(s) and answers."""

    namespace: str
    kubectl: Kubectl
    answers: dict[str, Any]
    other_namespace: str | None = None

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        """The object as JSON, or None when it does not exist."""
        try:
            return self.kubectl.json("get", kind, name, "-n", namespace or self.namespace)
        except CommandFailed as exc:
            if "NotFound" in exc.stderr or "not found" in exc.stderr:
                return None
            raise

    def names(self, kind: str, namespace: str | None = None) -> list[str]:
        items = self.kubectl.json("get", kind, "-n", namespace or self.namespace)["items"]
        return sorted(i["metadata"]["name"] for i in items)

    def exec_probe(self, script: str, namespace: str | None = None, timeout: float = 30) -> tuple[bool, str]:
        """Run a shell script in the namespace's toolbox pod; (exit status 0, stdout+stderr)."""
        ns = namespace or self.namespace
        wrapped = f"{{ {script} ; }} 2>&1; echo \"__status=$?\""
        try:
            out = self.kubectl("exec", PROBE_POD, "-n", ns, "--", "sh", "-c", wrapped, timeout=timeout)
        except CommandFailed as exc:
            return False, exc.stderr
        body, _, status = out.rpartition("__status=")
        return status.strip() == "0", body


CheckFn = Callable[[Context], Verdict]


def poll(probe: Callable[[], Verdict], timeout: float, every: float = 1.0) -> Verdict:
    """Repeat ``probe`` until it passes or the deadline is reached; return the last verdict."""
    deadline = time.monotonic() + timeout
    while True:
        verdict = probe()
        if verdict.passed or time.monotonic() >= deadline:
            return verdict
        time.sleep(every)


# ---- Services ------------------------------------------------------------------

def _missing(ctx: Context, kind: str, name: str, namespace: str | None = None) -> Verdict:
    ns = namespace or ctx.namespace
    found = ctx.names(kind, ns)
    also = f"; it has: {', '.join(found)}" if found else "; it has none"
    return Verdict(False, f"there is no {kind} named {name!r} in namespace {ns}{also}",
                   f"create it with the name {name!r}, in your lab namespace {ns}")


def service_exists(name: str, namespace_key: str = "namespace") -> CheckFn:
    def check(ctx: Context) -> Verdict:
        ns = getattr(ctx, namespace_key)
        if ctx.get("service", name, ns) is None:
            return _missing(ctx, "service", name, ns)
        return Verdict(True, f"Service {name} exists in {ns}")
    return check


def service_type(name: str, expected: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        actual = svc["spec"]["type"]
        if actual != expected:
            return Verdict(False, f"Service {name} has type {actual}; the task asks for {expected}",
                           f"set spec.type: {expected} (kubectl expose … --type {expected})")
        return Verdict(True, f"Service {name} has type {expected}")
    return check


def service_port(name: str, port: int, target_port: int | str, port_name: str | None = None,
                 node_port: int | None = None) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        ports = svc["spec"].get("ports", [])
        match = next((p for p in ports if p["port"] == port), None)
        if match is None:
            listed = ", ".join(str(p["port"]) for p in ports) or "none"
            return Verdict(False, f"Service {name} has no port {port} (its ports: {listed})",
                           f"clients connect to port {port}: set ports[].port: {port}")
        target = match.get("targetPort", port)
        if target != target_port:
            return Verdict(False, f"Service {name} forwards port {port} to targetPort {target}; "
                                  f"the pods listen on {target_port}",
                           f"set targetPort: {target_port} (kubectl expose … --target-port={target_port})")
        if port_name is not None and match.get("name") != port_name:
            return Verdict(False, f"port {port} of Service {name} is named {match.get('name')!r}; "
                                  f"the task asks for {port_name!r}",
                           f"name the port: ports[].name: {port_name}")
        if node_port is not None and match.get("nodePort") != node_port:
            found = (f"has nodePort {match['nodePort']}" if match.get("nodePort")
                     else f"has no nodePort (a {svc['spec']['type']} Service opens none)")
            return Verdict(False, f"port {port} of Service {name} {found}; the task asks for nodePort {node_port}",
                           f"set ports[].nodePort: {node_port} (without it Kubernetes picks a free one)")
        return Verdict(True, f"Service {name} forwards port {port} to targetPort {target_port}")
    return check


def endpoints_ready(name: str, count: int, timeout: float = 30) -> CheckFn:
    """The Service selects exactly ``count`` ready pods (fails at once when it selects none)."""
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        selector = svc["spec"].get("selector") or {}
        if not selector:
            return Verdict(False, f"Service {name} has no selector, so Kubernetes adds no endpoints",
                           "select the pods by their labels, e.g. selector: {run: hello-world}")
        label_query = ",".join(f"{k}={v}" for k, v in selector.items())
        pods = ctx.kubectl.json("get", "pods", "-n", ctx.namespace, "-l", label_query)["items"]
        if not pods:
            shown = ", ".join(f"{k}: {v}" for k, v in selector.items())
            return Verdict(False, f"the selector of Service {name} ({shown}) matches no pod",
                           "compare it with the pods' labels: kubectl get pods --show-labels")

        def ready() -> Verdict:
            addresses = _ready_endpoint_ips(ctx, name)
            if len(addresses) != count:
                return Verdict(False, f"Service {name} has {len(addresses)} ready endpoints; expected {count}",
                               "kubectl get endpointslices -l kubernetes.io/service-name=" + name)
            return Verdict(True, f"Service {name} has {count} ready endpoints")
        return poll(ready, timeout)
    return check


def _ready_endpoint_ips(ctx: Context, service: str) -> set[str]:
    slices = ctx.kubectl.json("get", "endpointslices", "-n", ctx.namespace,
                              "-l", f"kubernetes.io/service-name={service}")["items"]
    return {
        address
        for s in slices
        for e in s.get("endpoints") or []
        if (e.get("conditions") or {}).get("ready", True)
        for address in e["addresses"]
    }


def reachable_in_cluster(url: str, expect: str = "Hello, world!", timeout: float = 20,
                         service: str | None = None) -> CheckFn:
    """A request from the namespace's toolbox pod to ``url`` answers with ``expect``.
    With ``service``, fail at once (no waiting) when that Service does not exist."""
    def check(ctx: Context) -> Verdict:
        if service is not None and ctx.get("service", service) is None:
            return _missing(ctx, "service", service)

        def probe() -> Verdict:
            ok, out = ctx.exec_probe(f"curl -sS -m 3 {url}")
            if ok and expect in out:
                return Verdict(True, f"{url} answers from inside the cluster")
            reason = out.strip().splitlines()[-1] if out.strip() else "no answer"
            return Verdict(False, f"a pod in {ctx.namespace} got no '{expect}' from {url} ({reason})",
                           "check the Service's port, targetPort and selector")
        return poll(probe, timeout, every=2)
    return check


def reachable_from_host(url_of: Callable[[Context], str | None], expect: str = "Hello, world!",
                        timeout: float = 30) -> CheckFn:
    """A request from this machine to the URL ``url_of`` computes answers with ``expect``."""
    def check(ctx: Context) -> Verdict:
        def probe() -> Verdict:
            url = url_of(ctx)
            if url is None:
                return Verdict(False, "the Service has no address reachable from this machine yet",
                               "a NodePort or LoadBalancer Service is needed")
            try:
                # never through an HTTP proxy from the environment: the address is the cluster's own
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=3) as reply:
                    body = reply.read().decode(errors="replace")
            except (urllib.error.URLError, OSError) as exc:
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                return Verdict(False, f"{url} did not answer from this machine ({reason})",
                               "check the Service's type, ports and selector")
            if expect not in body:
                return Verdict(False, f"{url} answered without '{expect}'")
            return Verdict(True, f"{url} answers from this machine")
        return poll(probe, timeout, every=2)
    return check


def answer_equals(key: str, expected_of: Callable[[Context], Any], what: str,
                  hint: str = "look it up with kubectl") -> CheckFn:
    """A value the student computed in the notebook (passed to lab.check) is right."""
    def check(ctx: Context) -> Verdict:
        if ctx.answers.get(key) is None:
            return Verdict(False, f"no answer: the variable {key} is not set",
                           f"set {key} in its task cell (the check cell passes it on), then run the check again")
        expected = expected_of(ctx)
        given = ctx.answers[key]
        if isinstance(given, list) and len(given) == 1:  # `x = !kubectl …` gives a list of lines
            given = given[0]
        if isinstance(given, list) and not given:
            return Verdict(False, f"{key} is empty: the command that set it printed nothing",
                           f"run that command on its own and look at what it prints; {hint}")
        if str(given).strip() != str(expected):
            return Verdict(False, f"{key} is {given!r}, which is not {what}", hint)
        return Verdict(True, f"{key} is {what}")
    return check


def with_hint(fn: CheckFn, hint: str) -> CheckFn:
    """``fn`` with the hint its failures show replaced by one that fits the lab's task
    (e.g. "kubectl patch …" where the Service already exists and must be repaired)."""
    def check(ctx: Context) -> Verdict:
        verdict = fn(ctx)
        return verdict if verdict.passed else Verdict(False, verdict.message, hint)
    return check
