"""DNS as a pod sees it: ``dig`` in the namespace's toolbox pod, through the pod's
resolver search path, and the resolver configuration itself. The one DNS probe of
svclab: lectures, widgets and lab checks all ask through :func:`resolve`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from svclab.errors import ClusterError, InvalidInput
from svclab.poll import poll
from svclab.toolbox import run_in_probe

RECORD_TYPES = ("A", "AAAA", "SRV", "CNAME", "PTR", "TXT", "ANY")


class DnsError(ClusterError):
    """``dig`` got no answer at all (no server reached, the toolbox pod failed); ``reason`` is dig's word."""

    def __init__(self, name: str, type: str, reason: str) -> None:
        super().__init__(
            f"dig {name} {type} failed in the toolbox pod ({reason})",
            "is CoreDNS running? `kubectl -n kube-system get pods -l k8s-app=kube-dns`",
        )
        self.reason = reason


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
        raise InvalidInput(
            f"{name!r} is not a DNS name",
            "e.g. hello-world, hello-world.default, _http._tcp.web.default.svc.cluster.local",
        )
    argv = [
        "dig",
        "+search" if search else "+nosearch",
        "+noall",
        "+answer",
        "+comments",
        "+time=2",
        "+tries=2",
        name,
        type,
    ]
    started = time.perf_counter()
    result = run_in_probe(argv, namespace)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise DnsError(name, type, lines[-1] if lines else "no answer")
    status, records = parse_dig(result.stdout)
    return DnsAnswer(name, type, status, records, namespace, seconds)


def wait_for_dns(
    name: str, type: str = "A", namespace: str = "default", records: int = 1, timeout: float = 30
) -> DnsAnswer:
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
