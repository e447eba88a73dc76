"""The service-discovery labs and the check primitives they add.

- discovery:    DNS names (full, short, across namespaces), the resolver's search path, and the
                `<SVC>_SERVICE_HOST` variables a pod gets only for Services older than itself;
- headless:     a headless Service for a StatefulSet: one A record per ready pod, per-pod names,
                SRV records for a named port;
- externalname: an ExternalName Service: a DNS CNAME to a name the cluster answers itself;
- selectorless: a Service without selector and a hand-made EndpointSlice.

Every DNS question is asked from the namespace's `svclab-probe` pod, the way a program in
the cluster would ask it. The catalog imports this module last and registers its LABS;
the module adds its set-up objects (greeter, in the second namespace) to SETUP_MANIFESTS."""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from svclab.errors import CommandFailed
from svclab.labs.catalog import HELLO_IMAGE, SETUP_MANIFESTS, CheckSpec, LabSpec
from svclab.labs.checks import (
    CheckFn,
    Context,
    Verdict,
    _missing,
    _ready_endpoint_ips,
    answer_equals,
    poll,
    reachable_in_cluster,
    service_exists,
    service_port,
    service_type,
)

DNS_TIMEOUT = 20  # CoreDNS answers for a new object within seconds (its cache is off for cluster.local)

# ---- combinators -----------------------------------------------------------------


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
    """The same check with a hint that fits this lab better than the primitive's own."""
    def check(ctx: Context) -> Verdict:
        verdict = fn(ctx)
        if verdict.passed:
            return verdict
        return replace(verdict, hint=hint(ctx) if callable(hint) else hint)
    return check


# ---- reading the student's objects --------------------------------------------------

def _cluster_ip(ctx: Context, service: str, namespace: str | None = None) -> str | Verdict:
    """The Service's cluster IP, or the verdict that explains why there is none."""
    svc = ctx.get("service", service, namespace)
    if svc is None:
        return _missing(ctx, "service", service, namespace)
    ip = svc["spec"].get("clusterIP")
    if not ip or ip == "None":
        return Verdict(False, f"Service {service} has no cluster IP (its type is {svc['spec']['type']}"
                              f"{', headless' if ip == 'None' else ''})", "")
    return ip


def _ready_pods(ctx: Context, selector: dict[str, str]) -> dict[str, str]:
    """{pod name: pod IP} of the ready pods matching ``selector``."""
    query = ",".join(f"{k}={v}" for k, v in selector.items())
    pods = ctx.kubectl.json("get", "pods", "-n", ctx.namespace, "-l", query)["items"]
    return {
        p["metadata"]["name"]: p["status"]["podIP"]
        for p in pods
        if p["status"].get("podIP") and not p["metadata"].get("deletionTimestamp")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])
    }


def _statefulset_pods(ctx: Context, name: str) -> dict[str, str] | Verdict:
    sts = ctx.get("statefulset", name)
    if sts is None:
        return _missing(ctx, "statefulset", name)
    pods = _ready_pods(ctx, sts["spec"]["selector"].get("matchLabels") or {})
    if not pods:
        return Verdict(False, f"StatefulSet {name} has no ready pod yet",
                       f"kubectl get pods shows them; kubectl describe statefulset {name} says what is wrong")
    return pods


def _shown(name: str) -> str:
    return name.rstrip(".")


def _listed(values: set[str] | list[str]) -> str:
    return ", ".join(sorted(values, key=_sort_key)) or "nothing"


def _sort_key(value: str) -> tuple[int, Any]:
    try:
        return 0, ipaddress.ip_address(value)
    except ValueError:
        return 1, value


# ---- DNS, as a pod in the namespace sees it ---------------------------------------------

_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
Records = dict[str, set[str]]  # DNS name → the addresses it must resolve to


def dig(ctx: Context, name: str, rtype: str = "A") -> tuple[list[str], str | None]:
    """(records, error) of `dig +short` in the probe pod. A name ending in a dot is asked as
    it is; any other goes through the pod's search path, as curl or a program would use it.
    For an A query the records are the CNAME chain (names ending in a dot), then addresses."""
    search = "" if name.endswith(".") else " +search"
    ok, out = ctx.exec_probe(f"dig +short{search} {rtype} {shlex.quote(name)}", timeout=20)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not ok:
        return [], (lines[-1] if lines else "no answer")
    return [line for line in lines if not line.startswith(";")], None


def resolves(expect: Callable[[Context], Records | Verdict], what: str, hint: str,
             timeout: float = DNS_TIMEOUT) -> CheckFn:
    """From the probe pod, each name resolves to exactly its expected addresses."""
    def check(ctx: Context) -> Verdict:
        first = expect(ctx)
        if isinstance(first, Verdict):
            return first

        def probe() -> Verdict:
            expected = expect(ctx)  # again: pods may still be becoming ready
            if isinstance(expected, Verdict):
                return expected
            for name, addresses in expected.items():
                records, error = dig(ctx, name)
                if error:
                    return Verdict(False, f"the DNS lookup of {_shown(name)} failed in pod svclab-probe ({error})",
                                   "is pod svclab-probe running? Run the set-up cell again")
                found = {r for r in records if _IPV4.match(r)}
                if found != addresses:
                    return Verdict(False, f"from a pod in {ctx.namespace}, {_shown(name)} resolves to "
                                          f"{_listed(found)}; expected {_listed(addresses)} ({what})", hint)
            shown = [_shown(n) for n in expected]
            names = (" and ".join(shown) if len(shown) < 3
                     else f"all {len(shown)} names ({shown[0]}, …)")
            return Verdict(True, f"{names} resolve{'s' if len(shown) == 1 else ''} to {what}")
        return poll(probe, timeout, every=2)
    return check


def service_resolves(service: str, names: Callable[[Context], list[str]], namespace_key: str = "namespace",
                     hint: str = "") -> CheckFn:
    """Each of ``names`` resolves, from the probe pod, to the cluster IP of ``service``."""
    def expect(ctx: Context) -> Records | Verdict:
        ip = _cluster_ip(ctx, service, getattr(ctx, namespace_key))
        return ip if isinstance(ip, Verdict) else {name: {ip} for name in names(ctx)}
    return resolves(expect, f"the cluster IP of Service {service}",
                    hint or f"kubectl get service {service} shows its cluster IP")


def srv_records(service: str, port_name: str, port: int, timeout: float = DNS_TIMEOUT) -> CheckFn:
    """`_<port_name>._tcp.<service>` has one SRV record per ready endpoint, on ``port``,
    each naming a pod (the per-pod DNS names of a headless Service)."""
    def check(ctx: Context) -> Verdict:
        if ctx.get("service", service) is None:
            return _missing(ctx, "service", service)
        name = f"_{port_name}._tcp.{service}.{ctx.namespace}.svc.cluster.local."

        def probe() -> Verdict:
            ready = len(_ready_endpoint_ips(ctx, service))
            records, error = dig(ctx, name, "SRV")
            if error:
                return Verdict(False, f"the DNS lookup of {_shown(name)} failed in pod svclab-probe ({error})",
                               "is pod svclab-probe running? Run the set-up cell again")
            srv = [r.split() for r in records if len(r.split()) == 4]
            shown = ", ".join(f"{_shown(t)}:{p}" for _, _, p, t in srv)
            if not srv:
                return Verdict(False, f"{_shown(name)} has no SRV record; expected one per ready pod "
                                      f"({ready}), on port {port}",
                               f"SRV records exist only for named ports: name the Service's port {port_name}")
            if len(srv) != ready or any(p != str(port) for _, _, p, _ in srv):
                return Verdict(False, f"{_shown(name)} has {len(srv)} SRV record{'s' if len(srv) != 1 else ''} "
                                      f"({shown}); expected one per ready pod ({ready}), on port {port}",
                               "a headless Service (clusterIP: None) has one SRV record per pod; "
                               "a ClusterIP Service has one, for itself")
            pods = ", ".join(sorted(t.split(".")[0] for _, _, _, t in srv))
            return Verdict(True, f"{_shown(name)} has one SRV record per pod ({pods}), on port {port}")
        return poll(probe, timeout, every=2)
    return check


def resolves_via_cname(service: str, target_service: str, timeout: float = DNS_TIMEOUT) -> CheckFn:
    """`<service>` answers with a CNAME for `<target_service>`'s full name, which resolves to
    the target's cluster IP."""
    def check(ctx: Context) -> Verdict:
        if ctx.get("service", service) is None:
            return _missing(ctx, "service", service)
        name = f"{service}.{ctx.namespace}.svc.cluster.local."
        target = f"{target_service}.{ctx.namespace}.svc.cluster.local."

        def probe() -> Verdict:
            records, error = dig(ctx, name)
            if error:
                return Verdict(False, f"the DNS lookup of {_shown(name)} failed in pod svclab-probe ({error})",
                               "is pod svclab-probe running? Run the set-up cell again")
            chain = [r for r in records if r.endswith(".")]
            addresses = {r for r in records if _IPV4.match(r)}
            if not records:
                return Verdict(False, f"{_shown(name)} does not resolve", f"kubectl get service {service}")
            if not chain:
                return Verdict(False, f"{_shown(name)} answers with the address {_listed(addresses)}, not with a "
                                      f"CNAME: Service {service} is not of type ExternalName",
                               "only an ExternalName Service makes DNS answer with a CNAME")
            if chain[0].lower() != target:
                tail = "" if addresses else ", which resolves to no address"
                return Verdict(False, f"{_shown(name)} is a CNAME for {chain[0]}{tail}; the task asks for "
                                      f"{_shown(target)}",
                               "a CNAME target is used as it is, never completed with the search path: "
                               "give the full name <service>.<namespace>.svc.cluster.local")
            ip = _cluster_ip(ctx, target_service)
            if isinstance(ip, Verdict):
                return replace(ip, message=f"{_shown(name)} is a CNAME for {_shown(target)}, but {ip.message}")
            if addresses != {ip}:
                return Verdict(False, f"{_shown(name)} is a CNAME for {_shown(target)}, which resolves to "
                                      f"{_listed(addresses)}, not to {ip}, the cluster IP of Service {target_service}")
            return Verdict(True, f"{_shown(name)} is a CNAME for {_shown(target)}, which resolves to {ip}")
        return poll(probe, timeout, every=2)
    return check


# ---- Services and workloads ---------------------------------------------------------

def service_port_exists(name: str, port: int, port_name: str | None = None) -> CheckFn:
    """The Service has port ``port`` (named ``port_name`` when given); its targetPort is not judged."""
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        ports = svc["spec"].get("ports") or []
        match = next((p for p in ports if p["port"] == port), None)
        if match is None:
            listed = ", ".join(str(p["port"]) for p in ports) or "none"
            return Verdict(False, f"Service {name} has no port {port} (its ports: {listed})",
                           f"set ports[].port: {port}")
        if port_name is not None and match.get("name") != port_name:
            found = f"is named {match['name']!r}" if match.get("name") else "has no name"
            return Verdict(False, f"port {port} of Service {name} {found}; the task asks for the name {port_name!r}",
                           f"name the port: ports[].name: {port_name}")
        return Verdict(True, f"Service {name} has port {port}" + (f" named {port_name}" if port_name else ""))
    return check


def service_headless(name: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        ip = svc["spec"].get("clusterIP")
        if ip != "None":
            found = f"has the cluster IP {ip}" if ip else f"is of type {svc['spec']['type']}"
            return Verdict(False, f"Service {name} {found}: it is not headless",
                           "set clusterIP: None. An existing Service's cluster IP cannot be changed: "
                           f"kubectl delete service {name}, then apply it again")
        return Verdict(True, f"Service {name} is headless (clusterIP: None)")
    return check


def service_without_selector(name: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", name)
        if svc is None:
            return _missing(ctx, "service", name)
        selector = svc["spec"].get("selector") or {}
        if selector:
            shown = ", ".join(f"{k}: {v}" for k, v in selector.items())
            return Verdict(False, f"Service {name} has a selector ({shown}), so Kubernetes manages its endpoints; "
                                  "the task asks for a Service without selector",
                           "write the Service in YAML without spec.selector (kubectl create service adds one)")
        return Verdict(True, f"Service {name} has no selector")
    return check


def external_name(service: str, target_of: Callable[[Context], str]) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        svc = ctx.get("service", service)
        if svc is None:
            return _missing(ctx, "service", service)
        expected = target_of(ctx)
        actual = svc["spec"].get("externalName")
        if actual is None:
            return Verdict(False, f"Service {service} is of type {svc['spec']['type']}, so it names no external "
                                  f"host; the task asks for externalName: {expected}",
                           "kubectl create service externalname … --external-name=…")
        if actual.rstrip(".").lower() != expected:
            return Verdict(False, f"Service {service} points at {actual!r}; the task asks for {expected!r}",
                           "use the full name <service>.<namespace>.svc.cluster.local: a CNAME target is used "
                           "as it is, never completed with the search path")
        return Verdict(True, f"Service {service} points at {expected}")
    return check


def statefulset_spec(name: str, replicas: int, service_name: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        sts = ctx.get("statefulset", name)
        if sts is None:
            return _missing(ctx, "statefulset", name)
        spec = sts["spec"]
        if spec.get("serviceName") != service_name:
            found = f"serviceName {spec['serviceName']!r}" if spec.get("serviceName") else "no serviceName"
            return Verdict(False, f"StatefulSet {name} has {found}; its pods get DNS names only under the "
                                  f"headless Service it names, {service_name!r}",
                           f"set serviceName: {service_name}. It cannot be changed: kubectl delete statefulset "
                           f"{name}, then apply it again")
        if spec.get("replicas", 1) != replicas:
            return Verdict(False, f"StatefulSet {name} asks for {spec.get('replicas', 1)} replicas; "
                                  f"the task asks for {replicas}",
                           f"set replicas: {replicas} (kubectl scale statefulset {name} --replicas={replicas})")
        return Verdict(True, f"StatefulSet {name} runs {replicas} replicas under Service {service_name}")
    return check


def statefulset_ready(name: str, replicas: int, timeout: float = 90) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        if ctx.get("statefulset", name) is None:
            return _missing(ctx, "statefulset", name)

        def probe() -> Verdict:
            sts = ctx.get("statefulset", name) or {}
            ready = (sts.get("status") or {}).get("readyReplicas", 0)
            if ready != replicas:
                return Verdict(False, f"StatefulSet {name} has {ready} ready pods; expected {replicas}",
                               f"kubectl describe statefulset {name} and kubectl get pods say what is wrong")
            return Verdict(True, f"StatefulSet {name} has {replicas} ready pods")
        return poll(probe, timeout, every=2)
    return check


def pod_env(pod: str, expect: Callable[[Context], dict[str, str] | Verdict], hint: str,
            timeout: float = 60) -> CheckFn:
    """Pod ``pod`` (once running) has exactly these values in its environment."""
    def check(ctx: Context) -> Verdict:
        expected = expect(ctx)
        if isinstance(expected, Verdict):
            return expected
        if ctx.get("pod", pod) is None:
            return _missing(ctx, "pod", pod)
        found: dict[str, str] = {}

        def read() -> Verdict:
            try:
                out = ctx.kubectl("exec", pod, "-n", ctx.namespace, "--", "env", timeout=20)
            except CommandFailed as exc:
                reason = exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else "no answer"
                return Verdict(False, f"could not run env in pod {pod} ({reason})",
                               f"start it from the toolbox image and wait until it runs: kubectl get pod {pod}")
            found.update(line.split("=", 1) for line in out.splitlines() if "=" in line)
            return Verdict(True, "")
        verdict = poll(read, timeout, every=2)
        if not verdict.passed:
            return verdict
        for key, value in expected.items():
            if key not in found:
                return Verdict(False, f"pod {pod} has no variable {key}", hint)
            if found[key] != value:
                return Verdict(False, f"{key} is {found[key]} in pod {pod}; expected {value}", hint)
        return Verdict(True, f"pod {pod} has " + ", ".join(f"{k}={v}" for k, v in expected.items()))
    return check


# ---- EndpointSlices the student wrote ---------------------------------------------------

_CONTROLLER = "endpointslice-controller.k8s.io"


def _own_slices(ctx: Context, service: str) -> list[dict]:
    """The EndpointSlices not made by the EndpointSlice controller that belong to ``service``
    or to no Service at all (a slice whose label is missing is still the student's)."""
    items = ctx.kubectl.json("get", "endpointslices", "-n", ctx.namespace)["items"]
    own = []
    for s in items:
        labels = s["metadata"].get("labels") or {}
        if labels.get("endpointslice.kubernetes.io/managed-by") == _CONTROLLER:
            continue
        if labels.get("kubernetes.io/service-name") in (service, None):
            own.append(s)
    return own


def _no_slice(ctx: Context, service: str) -> Verdict:
    return Verdict(False, f"there is no EndpointSlice of your own in namespace {ctx.namespace}",
                   f"write one (apiVersion: discovery.k8s.io/v1, kind: EndpointSlice) for Service {service}")


def slice_labelled(service: str) -> CheckFn:
    label = "kubernetes.io/service-name"

    def check(ctx: Context) -> Verdict:
        slices = _own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        for s in slices:
            if (s["metadata"].get("labels") or {}).get(label) != service:
                return Verdict(False, f"EndpointSlice {s['metadata']['name']} has no label {label}, so nothing "
                                      f"connects it to Service {service}",
                               f"add the label {label}: {service}")
        names = ", ".join(s["metadata"]["name"] for s in slices)
        return Verdict(True, f"EndpointSlice {names} belongs to Service {service}")
    return check


def slice_addresses(service: str, expect: Callable[[Context], set[str]], what: str, hint: str) -> CheckFn:
    def check(ctx: Context) -> Verdict:
        slices = _own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        found = {a for s in slices for e in s.get("endpoints") or [] for a in e.get("addresses") or []}
        expected = expect(ctx)
        if found != expected:
            return Verdict(False, f"your EndpointSlices list {_listed(found)}; {what} are {_listed(expected)}", hint)
        return Verdict(True, f"your EndpointSlices list {what}: {_listed(found)}")
    return check


def slice_port(service: str, port: int) -> CheckFn:
    """Every own EndpointSlice sends to ``port``, under the name of the Service's port
    (kube-proxy pairs a Service port and an EndpointSlice port by name)."""
    def check(ctx: Context) -> Verdict:
        slices = _own_slices(ctx, service)
        if not slices:
            return _no_slice(ctx, service)
        svc = ctx.get("service", service)
        service_ports = {p.get("name") or "" for p in (svc or {}).get("spec", {}).get("ports") or []}
        for s in slices:
            name, ports = s["metadata"]["name"], s.get("ports") or []
            if not ports:
                return Verdict(False, f"EndpointSlice {name} lists no port",
                               f"add ports: [{{port: {port}}}] (the port the pods listen on)")
            if all(p.get("port") != port for p in ports):
                listed = ", ".join(str(p.get("port")) for p in ports)
                return Verdict(False, f"EndpointSlice {name} sends to port {listed}; the pods listen on {port}",
                               "an EndpointSlice lists the pods' own port, not the Service's")
            named = next(p for p in ports if p.get("port") == port).get("name") or ""
            if svc is not None and named not in service_ports:
                shown = ", ".join(repr(n) for n in sorted(service_ports))
                return Verdict(False, f"the port of EndpointSlice {name} is named {named!r}, but the port of "
                                      f"Service {service} is named {shown}: kube-proxy pairs them by name",
                               "give both the same name, or leave both unnamed")
        return Verdict(True, f"your EndpointSlices send to port {port}")
    return check


# ---- answers ------------------------------------------------------------------------

def _lines(given: Any) -> list[str]:
    """An answer as words: `x = !cmd` gives a list of lines; a string may hold several words."""
    items = given if isinstance(given, (list, tuple, set)) else [given]
    return [w for item in items for w in re.split(r"[\s,]+", str(item)) if w]


def answer_choice(key: str, correct: str, letters: str, hint: str) -> CheckFn:
    """A multiple-choice question answered with one letter."""
    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return Verdict(False, f"no answer: the variable {key} is not set",
                           f"set {key} to the letter of your answer, e.g. {key} = \"{letters[0]}\"")
        letter = str(given).strip().strip("()").lower()
        if letter not in letters or len(letter) != 1:
            return Verdict(False, f"{key} is {given!r}; answer with one of the letters {', '.join(letters)}")
        if letter != correct:
            return Verdict(False, f"{key} is {letter!r}, which is not the reason", hint)
        return Verdict(True, f"{key} is {letter!r}: right")
    return check


def answer_dns_name(key: str, expected_of: Callable[[Context], str | None], what: str, hint: str) -> CheckFn:
    """A DNS name the student looked up; a trailing dot and letter case do not matter."""
    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return Verdict(False, f"no answer: the variable {key} is not set",
                           f"set {key} in its task cell (the check cell passes it on), then run the check again")
        words = _lines(given)
        if not words:
            return Verdict(False, f"{key} is empty: the command that set it printed nothing", hint)
        expected = expected_of(ctx)
        if expected is None or words[0].rstrip(".").lower() != expected.rstrip(".").lower():
            return Verdict(False, f"{key} is {words[0]!r}, which is not {what}", hint)
        return Verdict(True, f"{key} is {what}")
    return check


def answer_addresses(key: str, expected_of: Callable[[Context], set[str]], what: str, hint: str) -> CheckFn:
    """A set of IP addresses the student read with kubectl (a list, or one line of them)."""
    def check(ctx: Context) -> Verdict:
        given = ctx.answers.get(key)
        if given is None:
            return Verdict(False, f"no answer: the variable {key} is not set",
                           f"set {key} in its task cell (the check cell passes it on), then run the check again")
        found, expected = set(_lines(given)), expected_of(ctx)
        if found != expected:
            return Verdict(False, f"{key} holds {_listed(found)}; {what} are {_listed(expected)}", hint)
        return Verdict(True, f"{key} holds {what}")
    return check


# ---- the labs ---------------------------------------------------------------------------

SETUP_MANIFESTS["greeter"] = f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: greeter
  labels: {{app: greeter}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: greeter}}
  template:
    metadata:
      labels: {{app: greeter}}
    spec:
      containers:
        - name: hello-app
          image: {HELLO_IMAGE}
          imagePullPolicy: IfNotPresent
          ports: [{{containerPort: 8080}}]
          readinessProbe: {{httpGet: {{path: /, port: 8080}}, periodSeconds: 2}}
          resources: {{requests: {{cpu: 5m, memory: 10Mi}}, limits: {{memory: 32Mi}}}}
"""


def _fqdn(service: str, namespace_key: str = "namespace") -> Callable[[Context], str]:
    return lambda ctx: f"{service}.{getattr(ctx, namespace_key)}.svc.cluster.local"


def _ip_or_none(ctx: Context, service: str) -> str | None:
    ip = _cluster_ip(ctx, service)
    return None if isinstance(ip, Verdict) else ip


def _hello_env(ctx: Context) -> dict[str, str] | Verdict:
    ip = _cluster_ip(ctx, "hello-world")
    return ip if isinstance(ip, Verdict) else {"HELLO_WORLD_SERVICE_HOST": ip, "HELLO_WORLD_SERVICE_PORT": "80"}


def _other_namespace_hint(ctx: Context) -> str:
    return (f"create it in the second namespace, {ctx.other_namespace} (lab.other_namespace): "
            f"kubectl expose deployment greeter -n {ctx.other_namespace} …")


_greeter_exists = with_hint(service_exists("greeter", "other_namespace"), _other_namespace_hint)


DISCOVERY = LabSpec(
    name="discovery",
    title="Service discovery: DNS names and environment variables",
    other_namespace=True,
    other_setup=("greeter",),
    checks=(
        CheckSpec("service", 1, "Service hello-world forwards port 80 to the pods' 8080",
                  service_port("hello-world", 80, 8080)),
        CheckSpec("dns", 1, "its full name and its short name resolve to its cluster IP",
                  service_resolves("hello-world", lambda ctx: [_fqdn("hello-world")(ctx) + ".", "hello-world"])),
        CheckSpec("fqdn-ip", 1, "you looked up the full name with dig",
                  answer_equals("fqdn_ip", lambda ctx: _ip_or_none(ctx, "hello-world"),
                                "the address of hello-world's full DNS name",
                                "run dig +short <name> in pod svclab-probe and keep what it prints")),
        CheckSpec("search", 1, "you read the first search domain from /etc/resolv.conf",
                  answer_equals("first_search", lambda ctx: f"{ctx.namespace}.svc.cluster.local",
                                "the first search domain of the probe pod",
                                "read it from /etc/resolv.conf in pod svclab-probe, with kubectl exec")),
        CheckSpec("other-service", 1, "Service greeter exists in the second namespace",
                  _greeter_exists),
        CheckSpec("cross-namespace", 1, "greeter.<second namespace> resolves from your namespace",
                  in_order(_greeter_exists,
                           service_resolves("greeter", lambda ctx: [f"greeter.{ctx.other_namespace}"],
                                            "other_namespace"))),
        CheckSpec("env", 2, "pod client has HELLO_WORLD_SERVICE_HOST and _PORT of Service hello-world",
                  pod_env("client", _hello_env,
                          "a pod gets these variables for the Services that exist when it starts: "
                          "delete pod client and start it again")),
        CheckSpec("why-no-env", 1, "you know why svclab-probe lacks them",
                  answer_choice("why_no_env", "b", "abcd",
                                "compare when each pod started (kubectl get pods) with when Service hello-world "
                                "was created (kubectl get service hello-world)")),
        CheckSpec("reach-other", 1, "a pod in your namespace reaches greeter in the second namespace by name",
                  in_order(_greeter_exists,
                           per_context(lambda ctx: reachable_in_cluster(f"http://greeter.{ctx.other_namespace}"))),
                  hidden=True),
    ),
)


def _service_records(ctx: Context) -> Records | Verdict:
    """hello.<ns>.svc.cluster.local → the IPs of all ready pods of StatefulSet hello."""
    pods = _statefulset_pods(ctx, "hello")
    return pods if isinstance(pods, Verdict) else {_fqdn("hello")(ctx) + ".": set(pods.values())}


def _pod_records(ctx: Context) -> Records | Verdict:
    """<pod>.hello.<ns>.svc.cluster.local → that pod's IP, for each ready pod of StatefulSet hello."""
    pods = _statefulset_pods(ctx, "hello")
    return pods if isinstance(pods, Verdict) else {f"{pod}.{_fqdn('hello')(ctx)}.": {ip} for pod, ip in pods.items()}


HEADLESS = LabSpec(
    name="headless",
    title="Headless Services: DNS names for each pod of a StatefulSet",
    setup=("probe",),
    checks=(
        CheckSpec("statefulset", 1, "StatefulSet hello runs 3 replicas under Service hello",
                  statefulset_spec("hello", 3, "hello")),
        CheckSpec("ready", 1, "its 3 pods are ready", statefulset_ready("hello", 3)),
        CheckSpec("headless", 1, "Service hello is headless", service_headless("hello")),
        CheckSpec("port-name", 1, "its port 8080 is named http", service_port_exists("hello", 8080, "http")),
        CheckSpec("a-records", 1, "hello.<namespace>.svc.cluster.local resolves to the ready pods' IPs",
                  resolves(_service_records, "the IPs of the ready pods of StatefulSet hello",
                           "only a headless Service (clusterIP: None) answers with the pods' own IPs")),
        CheckSpec("pod-dns", 1, "each pod has its own DNS name <pod>.hello.<namespace>.svc.cluster.local",
                  resolves(_pod_records, "each pod's own IP",
                           "pods get these names when the StatefulSet's serviceName names a headless Service")),
        CheckSpec("srv", 1, "_http._tcp.hello has one SRV record per pod", srv_records("hello", "http", 8080)),
        CheckSpec("reach-pod", 1, "a pod reaches hello-1 by its own name, http://hello-1.hello:8080",
                  in_order(statefulset_ready("hello", 3),
                           with_hint(reachable_in_cluster("http://hello-1.hello:8080", expect="Hostname: hello-1"),
                                     "a pod's name comes from the StatefulSet's serviceName, which must name "
                                     "the headless Service")),
                  hidden=True),
    ),
)

def _external_name_of(service: str) -> Callable[[Context], str | None]:
    return lambda ctx: ((ctx.get("service", service) or {}).get("spec") or {}).get("externalName")


EXTERNALNAME = LabSpec(
    name="externalname",
    title="ExternalName: a Service that is only a DNS alias",
    checks=(
        CheckSpec("hello-world", 1, "Service hello-world forwards port 80 to the pods' 8080",
                  service_port("hello-world", 80, 8080)),
        CheckSpec("type", 1, "Service backend is of type ExternalName",
                  in_order(service_exists("backend"),
                           with_hint(service_type("backend", "ExternalName"),
                                     "kubectl create service externalname backend --external-name=… (delete the "
                                     "backend Service of another type first)"))),
        CheckSpec("external-name", 1, "backend points at hello-world's full DNS name",
                  external_name("backend", _fqdn("hello-world"))),
        CheckSpec("cname", 1, "DNS answers for backend with a CNAME that leads to hello-world",
                  resolves_via_cname("backend", "hello-world")),
        CheckSpec("cname-answer", 1, "you looked up the CNAME with dig",
                  answer_dns_name("cname_target", _external_name_of("backend"),
                                  "the CNAME that DNS gives for backend",
                                  "run dig +short CNAME <name> in pod svclab-probe and keep what it prints")),
        CheckSpec("reachable", 2, "a pod reaches hello-world through http://backend",
                  in_order(service_exists("backend"),
                           with_hint(reachable_in_cluster("http://backend"),
                                     "backend is only a DNS alias: check the name it points at, and the port of "
                                     "the Service behind that name")),
                  hidden=True),
    ),
)


def _hello_world_ips(ctx: Context) -> set[str]:
    return set(_ready_pods(ctx, {"run": "hello-world"}).values())


# The `admin` ClusterRole may only read Endpoints and EndpointSlices (hand-made ones can send
# a Service's traffic anywhere); the selector-less lab is about writing one.
WRITE_ENDPOINTS: tuple[dict[str, Any], ...] = (
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
     "verbs": ["create", "update", "patch", "delete"]},
    {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create", "update", "patch", "delete"]},
)

SELECTORLESS = LabSpec(
    name="selectorless",
    title="A Service without selector and its own EndpointSlice",
    grading_rules=WRITE_ENDPOINTS,
    checks=(
        CheckSpec("service", 1, "Service hello-manual has port 80", service_port_exists("hello-manual", 80)),
        CheckSpec("no-selector", 1, "it has no selector", service_without_selector("hello-manual")),
        CheckSpec("pod-ips", 1, "you read the hello-world pod IPs with kubectl",
                  answer_addresses("pod_ips", _hello_world_ips, "the IPs of the hello-world pods",
                                   "read them with kubectl get pods -l run=hello-world -o jsonpath=…")),
        CheckSpec("slice-label", 1, "your EndpointSlice belongs to Service hello-manual",
                  slice_labelled("hello-manual")),
        CheckSpec("addresses", 1, "it lists the hello-world pod IPs",
                  slice_addresses("hello-manual", _hello_world_ips, "the IPs of the hello-world pods",
                                  "use the pod_ips you read, not typed addresses")),
        CheckSpec("port", 1, "it sends to the pods' port 8080", slice_port("hello-manual", 8080)),
        CheckSpec("reachable", 2, "a pod reaches hello-world through http://hello-manual",
                  in_order(service_exists("hello-manual"),
                           with_hint(reachable_in_cluster("http://hello-manual"),
                                     "check the EndpointSlice's label, addresses and port")),
                  hidden=True),
    ),
)

LABS: tuple[LabSpec, ...] = (DISCOVERY, HEADLESS, EXTERNALNAME, SELECTORLESS)
