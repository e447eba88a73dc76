"""Settle, then judge. Before a check runs, wait once – with one bounded deadline – until the
namespace has stopped moving: rollouts finished or stuck, pods ready or failing, every
Service's EndpointSlices in step with its ready pods, kube-proxy's rules on every node in step
with those endpoints, LoadBalancer Services given their IP, DNS answering with each cluster IP.
Then the checks judge what is there at once (they keep only a short grace), so a wrong answer
fails as fast as a right one passes, and neither depends on how busy the machine is.

A namespace that has not changed since it last settled is settled: repeated checks cost one
round of reads."""

from __future__ import annotations

import time
from dataclasses import dataclass

from svclab import health, kubeproxy
from svclab.constants import TOOLBOX_POD
from svclab.errors import ClusterError
from svclab.k8s import reads
from svclab.k8s.objects import EndpointInfo, PodInfo, ServiceInfo
from svclab.toolbox import run_in_probe

#: after this long unsettled, ask whether the cluster itself is at fault
UNFIT_AFTER = 5.0


@dataclass(frozen=True)
class Snapshot:
    """One round of reads of a namespace."""

    pods: list[PodInfo]
    services: list[ServiceInfo]
    endpoints: dict[str, tuple[EndpointInfo, ...]]

    @property
    def key(self) -> str:
        return repr((self.pods, self.services, self.endpoints))


def moving(namespace: str, last_settled: str | None = None) -> tuple[list[str], str]:
    """What in the namespace is still on its way (empty when settled, or when nothing has
    changed since ``last_settled``), and the snapshot's key."""
    pods = reads.pods(namespace)
    services = reads.services(namespace)
    slices = reads.slices(namespace)
    endpoints = {s.name: tuple(e for sl in slices if sl.service == s.name for e in sl.endpoints) for s in services}
    snap = Snapshot(pods, services, endpoints)
    if snap.key == last_settled:
        return [], snap.key
    pending = [f"pod {p.name} is terminating" for p in pods if p.deleting]
    pending += [f"pod {p.name} is starting" for p in pods if not (p.ready or p.stuck or p.deleting)]
    for r in reads.rollouts(namespace):
        if not r.done and not any(p.stuck for p in pods if r.selector.items() <= p.labels.items()):
            pending.append(f"{r.kind} {r.name} is rolling out ({r.ready}/{r.want} ready)")
    for svc in services:
        if svc.selector and svc.type != "ExternalName":  # the controller's slices follow the pods
            serving = {p.ip for p in pods if p.serving and svc.selector.items() <= p.labels.items()}
            own = [sl for sl in slices if sl.service == svc.name and not sl.hand_made]
            listed = {e.address for sl in own for e in sl.endpoints if e.ready}
            if serving != listed:
                pending.append(f"the endpoints of Service {svc.name} are catching up with its pods")
        if svc.type == "LoadBalancer" and not svc.external_ip and reads.load_balancer_pools():
            pending.append(f"Service {svc.name} waits for its LoadBalancer IP")
    if pending:
        return pending, snap.key
    return _rules_pending(namespace, snap) or _dns_pending(namespace, snap), snap.key


def _rules_pending(namespace: str, snap: Snapshot) -> list[str]:
    """kube-proxy's rules on every node match each Service's ready endpoints (read through
    svclab-nodeview; a cluster without it is not judged on this)."""
    wanted = {  # kube-proxy writes one chain per distinct ready address:port, one entry per port
        s.name: (
            s.cluster_ip,
            len({(e.address, e.port) for e in snap.endpoints[s.name] if e.ready}),
            {f"{s.cluster_ip}:{p.port}/{p.protocol.lower()}" for p in s.ports},
        )
        for s in snap.services
        if s.cluster_ip and not s.headless and s.type != "ExternalName"
    }
    if not wanted:
        return []
    pending = []
    try:
        for node in kubeproxy.nodes():
            table = kubeproxy.iptables_nat(node)
            for name, (cluster_ip, count, ports) in wanted.items():
                chains = kubeproxy.service_chains_from(table, name, namespace, node)
                shown = {e.match.split(" ", 1)[0] for e in chains.entries if e.match.startswith(f"{cluster_ip}:")}
                current = not count or (bool(shown) and shown <= ports)  # no rule left of a port changed
                if len(chains.endpoints) != count or not current:
                    pending.append(f"kube-proxy on {node} has not written the rules of Service {name} yet")
    except ClusterError:
        return []
    return pending


def _dns_pending(namespace: str, snap: Snapshot) -> list[str]:
    """Each Service's name answers with its cluster IP, asked from the namespace's toolbox."""
    wanted = {s.name: s.cluster_ip for s in snap.services if s.cluster_ip and not s.headless}
    toolbox = next((p for p in snap.pods if p.name == TOOLBOX_POD), None)
    if not wanted or toolbox is None or not toolbox.ready:
        return []
    script = "; ".join(f"echo {n}=$(dig +short +time=1 +tries=1 {n}.{namespace}.svc.cluster.local)" for n in wanted)
    try:
        said = run_in_probe(["sh", "-c", script], namespace, timeout=20).stdout
    except ClusterError:
        return []
    answers = dict(line.split("=", 1) for line in said.splitlines() if "=" in line)
    return [f"DNS does not answer for Service {n} yet" for n, ip in wanted.items() if answers.get(n) != ip]


class Settler:
    """Settles a lab's namespaces before its checks, and remembers the state it last judged
    settled (or gave up on), so that checks of an unchanged namespace do not wait again."""

    def __init__(self, namespaces: list[str], timeout: float) -> None:
        self.namespaces = namespaces
        self.timeout = timeout
        self._judged: dict[str, str] = {}
        self.settled_at = time.monotonic()  # when the state last judged settled came to be

    def settle(self) -> list[str]:
        """Wait until every namespace is settled, the deadline passes, or the cluster itself is
        unfit (then waiting cannot help: the check judges, and the probe marks it); returns
        what still moves."""
        started = time.monotonic()
        while True:
            pending: list[str] = []
            keys = {}
            for ns in self.namespaces:
                found, keys[ns] = moving(ns, self._judged.get(ns))
                pending += found
            waited = time.monotonic() - started
            if (
                not pending
                or waited > self.timeout
                or (waited > UNFIT_AFTER and health.recent_problems(self.namespaces[0]))
            ):
                if any(self._judged.get(ns) != key for ns, key in keys.items()):
                    self.settled_at = time.monotonic()  # a new state: its grace starts now
                self._judged.update(keys)
                return pending
            time.sleep(0.25)
