"""kube-proxy internals: the iptables NAT chains it writes for one Service on one node,
KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… → DNAT, with the random-choice probabilities."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from svclab.errors import ClusterError
from svclab.k8s import reads
from svclab.k8s.api import kube
from svclab.poll import poll
from svclab.services import ServiceView, describe_service, require_service, wait_for_endpoints

ENTRY_CHAINS = ("KUBE-SERVICES", "KUBE-NODEPORTS")
_SERVICE_COMMENT = re.compile(r"^(?P<ns>[^/\s]+)/(?P<svc>[^:\s]+)(?::(?P<port>[^\s]+))?(?:\s|$)")


@dataclass(frozen=True)
class Rule:
    """One ``-A CHAIN …`` line of iptables-save."""

    chain: str
    args: tuple[str, ...]

    def option(self, flag: str) -> str | None:
        """The value after ``flag`` (``-d``, ``--dport``, ``--probability`` …)."""
        for i, arg in enumerate(self.args[:-1]):
            if arg == flag:
                return self.args[i + 1]
        return None

    @property
    def target(self) -> str | None:
        return self.option("-j")

    @property
    def comment(self) -> str:
        return self.option("--comment") or ""

    @property
    def negated_source(self) -> bool:
        return "!" in self.args and self.args[self.args.index("!") + 1] == "-s"


def parse_nat_table(text: str) -> dict[str, list[Rule]]:
    """The rules of iptables-save's ``*nat`` table, by chain, in order."""
    chains: dict[str, list[Rule]] = {}
    table = None
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif table == "nat" and line.startswith(":"):
            chains.setdefault(line[1:].split()[0], [])
        elif table == "nat" and line.startswith("-A "):
            args = shlex.split(line)
            chains.setdefault(args[1], []).append(Rule(args[1], tuple(args[2:])))
    return chains


@dataclass(frozen=True)
class EntryRule:
    """Where packets for the Service leave a generic chain for the Service's own chain."""

    chain: str
    match: str
    jump: str


@dataclass(frozen=True)
class EndpointRule:
    """One KUBE-SEP chain: chosen with ``probability`` among those left, ``share`` of all new connections."""

    service_chain: str
    port: str | None
    chain: str
    endpoint: str
    probability: float
    share: float


@dataclass(frozen=True)
class ServiceChains:
    service: str
    namespace: str
    node: str
    entries: tuple[EntryRule, ...]
    endpoints: tuple[EndpointRule, ...]

    @property
    def service_chains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.service_chain for e in self.endpoints)) or tuple(
            dict.fromkeys(e.jump for e in self.entries if e.jump.startswith(("KUBE-SVC-", "KUBE-SVL-")))
        )

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(chain, match, jump, probability, share) for a readable table."""
        table = [(e.chain, e.match, e.jump, "", "") for e in self.entries]
        for e in self.endpoints:
            label = f"→ {e.endpoint}" + (f" ({e.port})" if e.port else "")
            table.append((e.service_chain, label, e.chain, f"{e.probability:.4f}", f"{e.share:.1%}"))
        return table


def _port_of(rule: Rule, service: str, namespace: str) -> str | None:
    """The port name when the rule's comment names ns/service (``""`` if unnamed), else None."""
    found = _SERVICE_COMMENT.match(rule.comment)
    if found and found["ns"] == namespace and found["svc"] == service:
        return found["port"] or ""
    return None


def _describe_entry(rule: Rule) -> str:
    proto = rule.option("-p") or ""
    port = rule.option("--dport") or ""
    dest = (rule.option("-d") or "").removesuffix("/32")
    if rule.chain == "KUBE-NODEPORTS":
        where = " from 127.0.0.0/8" if dest == "127.0.0.0/8" else ""
        return f"node port {port}/{proto}{where}"
    kind = rule.comment.split(" ", 1)[1] if " " in rule.comment else ""
    return f"{dest}:{port}/{proto} ({kind})" if kind else f"{dest}:{port}/{proto}"


def service_chains_from(text: str, service: str, namespace: str = "default", node: str = "") -> ServiceChains:
    """Pick the Service's rules out of ``iptables-save -t nat`` text."""
    chains = parse_nat_table(text)
    entries = [
        EntryRule(r.chain, _describe_entry(r), r.target or "")
        for name in ENTRY_CHAINS
        for r in chains.get(name, [])
        if _port_of(r, service, namespace) is not None and (r.target or "").startswith("KUBE-")
    ]
    # KUBE-EXT / KUBE-FW chains lead on to the service chain
    service_chain_names: list[str] = []
    todo = [e.jump for e in entries]
    while todo:
        chain = todo.pop(0)
        if chain.startswith(("KUBE-SVC-", "KUBE-SVL-")):
            if chain not in service_chain_names:
                service_chain_names.append(chain)
        elif chain.startswith(("KUBE-EXT-", "KUBE-FW-")):
            todo += [r.target for r in chains.get(chain, []) if r.target and r.target.startswith("KUBE-")]
    endpoints = []
    for svc_chain in service_chain_names:
        left = 1.0
        for r in chains.get(svc_chain, []):
            if not (r.target or "").startswith("KUBE-SEP-"):
                continue
            probability = float(r.option("--probability") or 1.0)
            port = _port_of(r, service, namespace)
            endpoints.append(
                EndpointRule(
                    svc_chain, port or None, r.target or "", _dnat_target(chains, r), probability, left * probability
                )
            )
            left *= 1 - probability
    return ServiceChains(service, namespace, node, tuple(entries), tuple(endpoints))


def _dnat_target(chains: dict[str, list[Rule]], jump: Rule) -> str:
    for r in chains.get(jump.target or "", []):
        if r.target == "DNAT":
            return r.option("--to-destination") or "?"
    return jump.comment.rsplit("-> ", 1)[-1] if "-> " in jump.comment else "?"


def nodes() -> list[str]:
    """The cluster's node names."""
    return reads.node_names()


def iptables_nat(node: str) -> str:
    """``iptables-save -t nat`` on ``node``: read from svclab-nodeview (what a student may do),
    or, on a cluster without it, run in that node's kube-proxy pod (needs exec in kube-system)."""
    served = reads.node_view(node, "iptables-nat")
    if served is not None:
        return served
    result = kube().exec(reads.kube_proxy_pod(node), "kube-system", ["iptables-save", "-t", "nat"])
    if result.returncode != 0:
        raise ClusterError(
            f"iptables-save failed on {node}: {result.stderr.strip()[:300]}",
            "kube-proxy must run in iptables mode for this view",
        )
    return result.stdout


def service_chains(service: str, namespace: str = "default", node: str | None = None) -> ServiceChains:
    """The NAT chains kube-proxy programmed for a Service on ``node`` (default: the first node)."""
    node = node or nodes()[0]
    require_service(service, namespace)
    return service_chains_from(iptables_nat(node), service, namespace, node)


def wait_for_chains(
    service: str, namespace: str = "default", node: str | None = None, endpoints: int = 1, timeout: float = 30
) -> ServiceChains:
    """Poll until kube-proxy has written ``endpoints`` KUBE-SEP rules for the Service – for its
    current cluster IP: after a Service is deleted and created again under the same name, the old
    Service's rules would otherwise pass for the new one's."""
    info = require_service(service, namespace)
    # (a Service without endpoints has no NAT entry rule to look for)
    current = f"{info.cluster_ip}:" if info.cluster_ip and not info.headless and endpoints else None

    def written() -> ServiceChains | None:
        chains = service_chains(service, namespace, node)
        up_to_date = current is None or any(e.match.startswith(current) for e in chains.entries)
        return chains if len(chains.endpoints) == endpoints and up_to_date else None

    return poll(written, timeout=timeout, what=f"kube-proxy to write {endpoints} endpoint rules for {service}")


def wait_for_service(service: str, namespace: str = "default", timeout: float = 120) -> ServiceView:
    """Wait until the Service works from everywhere: its endpoints have settled (every matching
    pod ready and listed) and kube-proxy on every node has written a rule for each of them.
    Right after it is created, a Service resolves before the nodes' rules exist, and the first
    connections are refused. Returns the Service's view."""
    view = describe_service(service, namespace)
    if view.service.selector:  # without a selector, the endpoints are whatever was written by hand
        view = wait_for_endpoints(service, namespace, timeout=timeout)
    if view.service.type != "ExternalName" and not view.service.headless:
        for node in nodes():
            wait_for_chains(service, namespace, node=node, endpoints=len(view.ready_endpoints), timeout=timeout)
    return view
