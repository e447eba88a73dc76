"""Service discovery as a pod sees it: DNS answers, the resolver's search path,
and the ``<SVC>_SERVICE_HOST`` environment variables. Everything runs in a small
``toolbox`` pod (dig, curl, env) that is created once per namespace and reused."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from svclab.errors import InvalidInput
from svclab.kube import ExecResult, kube, poll
from svclab.services import ServiceInfo, delete_service, expose

TOOLBOX_IMAGE = "docker.io/svclab/toolbox:v1"
PROBE_POD = "toolbox"
ROLE_LABEL = "svclab.dev/role"
RECORD_TYPES = ("A", "AAAA", "SRV", "CNAME", "PTR", "TXT", "ANY")


# -- toolbox pods ------------------------------------------------------------------------
def toolbox_manifest(name: str, namespace: str, role: str = "probe") -> dict[str, Any]:
    """A pod that sleeps forever with DNS and HTTP tools, ready to `exec` into."""
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {ROLE_LABEL: role}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "toolbox", "image": TOOLBOX_IMAGE, "imagePullPolicy": "IfNotPresent",
                            "command": ["sleep", "infinity"],
                            "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}}}],
        },
    }


def start_toolbox(name: str, namespace: str = "default", role: str = "probe", timeout: float = 90) -> str:
    """Create a toolbox pod (or reuse a running one of that name) and wait until it is Ready."""
    k = kube()
    pod = k.pod(name, namespace)
    if pod is not None and (pod.metadata.labels or {}).get(ROLE_LABEL) is None:
        raise InvalidInput(f"Pod {name!r} in namespace {namespace!r} is not an svclab toolbox pod",
                           "delete it, or pick another namespace")
    if pod is not None and (pod.metadata.deletion_timestamp or pod.status.phase in ("Succeeded", "Failed")):
        k.call(f"delete Pod {name}", k.core.delete_namespaced_pod, name, namespace, grace_period_seconds=0)
        poll(lambda: k.pod(name, namespace) is None, timeout=timeout, what=f"old Pod {name} to go away")
        pod = None
    if pod is None:
        k.call(f"create Pod {name} in {namespace}", k.core.create_namespaced_pod, namespace,
               toolbox_manifest(name, namespace, role))
    poll(lambda: _ready(k.pod(name, namespace)), timeout=timeout, every=0.3,
         what=f"toolbox Pod {name} in {namespace} to be Ready")
    return name


def _ready(pod: Any) -> bool:
    return pod is not None and any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def probe_pod(namespace: str = "default") -> str:
    """The namespace's shared toolbox pod (``toolbox``), created on first use."""
    pod = kube().pod(PROBE_POD, namespace)
    if pod is not None and _ready(pod) and not pod.metadata.deletion_timestamp:
        return PROBE_POD
    return start_toolbox(PROBE_POD, namespace)


def run_in_probe(argv: list[str], namespace: str = "default", timeout: float = 30) -> ExecResult:
    """Run a command in the namespace's toolbox pod."""
    return kube().exec(probe_pod(namespace), namespace, argv, timeout=timeout)


# -- DNS -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DnsRecord:
    name: str
    ttl: int
    type: str
    data: str


@dataclass(frozen=True)
class SrvTarget:
    priority: int
    weight: int
    port: int
    target: str


@dataclass(frozen=True)
class DnsAnswer:
    """What `dig` in a pod answered for one query."""

    query: str
    type: str
    status: str
    records: tuple[DnsRecord, ...]
    namespace: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "NOERROR" and bool(self.records)

    @property
    def addresses(self) -> list[str]:
        return sorted(r.data for r in self.records if r.type in ("A", "AAAA"))

    @property
    def cnames(self) -> list[str]:
        return [r.data for r in self.records if r.type == "CNAME"]

    @property
    def srv(self) -> list[SrvTarget]:
        found = []
        for r in self.records:
            if r.type == "SRV":
                priority, weight, port, target = r.data.split()
                found.append(SrvTarget(int(priority), int(weight), int(port), target))
        return sorted(found, key=lambda s: (s.target, s.port))

    @property
    def answered_name(self) -> str | None:
        """The full name that answered: what the search path made of a short name."""
        return self.records[0].name if self.records else None


_STATUS = re.compile(r"->>HEADER<<-.*status: ([A-Z]+)")


def parse_dig(text: str) -> tuple[str, tuple[DnsRecord, ...]]:
    """Status and answer records from `dig +noall +answer +comments` output."""
    statuses = _STATUS.findall(text)
    records = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        parts = line.split()
        if len(parts) < 5:
            continue
        name, ttl, klass, rtype, *data = parts
        if klass == "IN" and ttl.isdigit():
            records.append(DnsRecord(name, int(ttl), rtype, " ".join(data)))
    return (statuses[-1] if statuses else "NOANSWER"), tuple(records)


def resolve(name: str, type: str = "A", namespace: str = "default", search: bool = True) -> DnsAnswer:
    """Look ``name`` up from a pod in ``namespace``, through the pod's resolver search path
    (so short names like ``web`` or ``web.other`` work as they do for applications)."""
    type = type.upper()
    if type not in RECORD_TYPES:
        raise InvalidInput(f"record type {type!r} is not supported", f"use one of {', '.join(RECORD_TYPES)}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,253}", name):
        raise InvalidInput(f"{name!r} is not a DNS name", "e.g. hello-world, hello-world.default, "
                                                          "_http._tcp.web.default.svc.cluster.local")
    argv = ["dig", "+search" if search else "+nosearch", "+noall", "+answer", "+comments", "+time=2",
            "+tries=2", name, type]
    started = time.perf_counter()
    result = run_in_probe(argv, namespace)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise InvalidInput(f"dig {name} {type} failed in the toolbox pod: {result.stderr or result.stdout}",
                           "is CoreDNS running? `kubectl -n kube-system get pods -l k8s-app=kube-dns`")
    status, records = parse_dig(result.stdout)
    return DnsAnswer(name, type, status, records, namespace, seconds)


def wait_for_dns(name: str, type: str = "A", namespace: str = "default", records: int = 1,
                 timeout: float = 30) -> DnsAnswer:
    """Poll :func:`resolve` until the answer has ``records`` records (CoreDNS learns about a new
    Service or a newly ready pod within seconds)."""
    def answered() -> DnsAnswer | None:
        answer = resolve(name, type, namespace)
        return answer if len(answer.records) >= records else None

    return poll(answered, timeout=timeout, what=f"{records} DNS record(s) for {name} {type}")


@dataclass(frozen=True)
class ResolvConf:
    """A pod's /etc/resolv.conf."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...] = ()

    @property
    def ndots(self) -> int:
        for option in self.options:
            if option.startswith("ndots:"):
                return int(option.split(":", 1)[1])
        return 1

    def candidates(self, name: str) -> list[str]:
        """The names the resolver tries for ``name``, in order."""
        if name.endswith("."):
            return [name]
        expanded = [f"{name}.{domain}" for domain in self.search]
        return [name, *expanded] if name.count(".") >= self.ndots else [*expanded, name]


def parse_resolv_conf(text: str) -> ResolvConf:
    nameservers: list[str] = []
    search: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        key, *values = line.split("#", 1)[0].split() or [""]
        if key == "nameserver":
            nameservers += values
        elif key in ("search", "domain"):
            search = values
        elif key == "options":
            options += values
    return ResolvConf(tuple(nameservers), tuple(search), tuple(options))


def resolv_conf(namespace: str = "default") -> ResolvConf:
    """The toolbox pod's resolver configuration: the search path that makes short names work."""
    return parse_resolv_conf(run_in_probe(["cat", "/etc/resolv.conf"], namespace).stdout)


# -- environment variables --------------------------------------------------------------
@dataclass(frozen=True)
class PodEnv:
    """The Service variables the kubelet put into a pod's environment when it started."""

    pod: str
    namespace: str
    variables: dict[str, str] = field(default_factory=dict)

    def for_service(self, service: str) -> dict[str, str]:
        prefix = env_prefix(service)
        return {k: v for k, v in self.variables.items() if k.startswith(f"{prefix}_SERVICE_")
                or k == f"{prefix}_PORT" or k.startswith(f"{prefix}_PORT_")}


def env_prefix(service: str) -> str:
    """``hello-world`` → ``HELLO_WORLD`` (the variables' prefix)."""
    return service.upper().replace("-", "_")


def parse_env(text: str) -> dict[str, str]:
    """`env` output → dict (lines without '=' continue the previous value)."""
    env: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            env[key] = value
            last = key
        elif last is not None:
            env[last] += "\n" + line
    return env


def service_variables(env: dict[str, str]) -> dict[str, str]:
    """Only the Service variables (``X_SERVICE_HOST``, ``X_SERVICE_PORT*``, ``X_PORT*``)."""
    prefixes = {k.removesuffix("_SERVICE_HOST") for k in env if k.endswith("_SERVICE_HOST")}
    return dict(sorted(
        (k, v) for k, v in env.items()
        if any(k.startswith(f"{p}_SERVICE_") or k == f"{p}_PORT" or k.startswith(f"{p}_PORT_") for p in prefixes)
    ))


def pod_env(pod: str, namespace: str = "default") -> PodEnv:
    """The Service variables in a running pod's environment (needs `env` in its image)."""
    k = kube()
    found = k.pod(pod, namespace)
    if found is None:
        raise InvalidInput(f"there is no Pod {pod!r} in namespace {namespace!r}")
    container = found.spec.containers[0].name
    result = k.exec(pod, namespace, ["env"], container=container)
    if result.returncode != 0:
        raise InvalidInput(f"cannot run `env` in Pod {pod}: {result.stderr.strip()[:200]}",
                           "its image has no `env` program (hello-app is a single binary): "
                           "look at a toolbox pod, e.g. svclab.probe_pod(namespace)")
    return PodEnv(pod, namespace, service_variables(parse_env(result.stdout)))


@dataclass(frozen=True)
class EnvDemo:
    """A pod started before a Service and one started after, and their variables for it."""

    service: ServiceInfo
    before: PodEnv
    after: PodEnv

    @property
    def before_vars(self) -> dict[str, str]:
        return self.before.for_service(self.service.name)

    @property
    def after_vars(self) -> dict[str, str]:
        return self.after.for_service(self.service.name)


def env_demo(service: str = "env-demo", deployment: str = "hello-world", port: int = 80,
             target_port: int = 8080, namespace: str = "default", timeout: float = 90) -> EnvDemo:
    """Start a pod, then expose ``deployment`` as ``service``, then start another pod: only the
    second gets ``<SERVICE>_SERVICE_HOST`` – variables are fixed when a container starts."""
    k = kube()
    role = f"env-demo-{service}"
    k.call("delete old demo Pods", k.core.delete_collection_namespaced_pod, namespace,
           label_selector=f"{ROLE_LABEL}={role}", grace_period_seconds=0)
    delete_service(service, namespace)
    poll(lambda: k.service(service, namespace) is None, timeout=timeout, what=f"old Service {service} to go away")
    suffix = uuid.uuid4().hex[:4]
    before = start_toolbox(f"{service}-before-{suffix}", namespace, role, timeout)
    info = expose(deployment, port, target_port, name=service, namespace=namespace)
    after = start_toolbox(f"{service}-after-{suffix}", namespace, role, timeout)
    return EnvDemo(info, pod_env(before, namespace), pod_env(after, namespace))
