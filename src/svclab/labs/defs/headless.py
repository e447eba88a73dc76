"""Headless Services: one A record per ready pod of a StatefulSet, per-pod DNS names,
SRV records for a named port."""

from svclab.labs.checks.base import in_order, with_hint
from svclab.labs.checks.dns import Records, fqdn, resolves, srv_records
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import service_headless, service_port_exists
from svclab.labs.checks.workloads import statefulset_pods, statefulset_ready, statefulset_spec
from svclab.labs.defs.objects import toolbox
from svclab.labs.spec import CheckSpec, Context, LabSpec, Verdict


def _service_records(ctx: Context) -> Records | Verdict:
    """hello.<ns>.svc.cluster.local → the IPs of all ready pods of StatefulSet hello."""
    pods = statefulset_pods(ctx, "hello")
    return pods if isinstance(pods, Verdict) else {fqdn("hello")(ctx) + ".": set(pods.values())}


def _pod_records(ctx: Context) -> Records | Verdict:
    """<pod>.hello.<ns>.svc.cluster.local → that pod's IP, for each ready pod of StatefulSet hello."""
    pods = statefulset_pods(ctx, "hello")
    return pods if isinstance(pods, Verdict) else {f"{pod}.{fqdn('hello')(ctx)}.": {ip} for pod, ip in pods.items()}


LAB = LabSpec(
    name="headless",
    title="Headless Services: DNS names for each pod of a StatefulSet",
    setup=(toolbox,),
    checks=(
        CheckSpec(
            "statefulset",
            1,
            "StatefulSet hello runs 3 replicas under Service hello",
            statefulset_spec("hello", 3, "hello"),
        ),
        CheckSpec("ready", 1, "its 3 pods are ready", statefulset_ready("hello", 3)),
        CheckSpec("headless", 1, "Service hello is headless", service_headless("hello")),
        CheckSpec("port-name", 1, "its port 8080 is named http", service_port_exists("hello", 8080, "http")),
        CheckSpec(
            "a-records",
            1,
            "hello.<namespace>.svc.cluster.local resolves to the ready pods' IPs",
            resolves(
                _service_records,
                "the IPs of the ready pods of StatefulSet hello",
                "only a headless Service (clusterIP: None) answers with the pods' own IPs",
            ),
        ),
        CheckSpec(
            "pod-dns",
            1,
            "each pod has its own DNS name <pod>.hello.<namespace>.svc.cluster.local",
            resolves(
                _pod_records,
                "each pod's own IP",
                "pods get these names when the StatefulSet's serviceName names a headless Service",
            ),
        ),
        CheckSpec("srv", 1, "_http._tcp.hello has one SRV record per pod", srv_records("hello", "http", 8080)),
        CheckSpec(
            "reach-pod",
            1,
            "a pod reaches hello-1 by its own name, http://hello-1.hello:8080",
            in_order(
                statefulset_ready("hello", 3),
                with_hint(
                    reachable_in_cluster("http://hello-1.hello:8080", expect="Hostname: hello-1"),
                    "a pod's name comes from the StatefulSet's serviceName, which must name the headless Service",
                ),
            ),
            hidden=True,
        ),
    ),
)
