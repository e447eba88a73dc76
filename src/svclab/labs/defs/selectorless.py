"""A Service without selector and the EndpointSlice the student writes for it."""

from typing import Any

from svclab.labs.checks.answers import answer_addresses
from svclab.labs.checks.base import in_order, with_hint
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import service_exists, service_port_exists, service_without_selector
from svclab.labs.checks.workloads import serving_pods, slice_addresses, slice_labelled, slice_port
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, Context, LabSpec


def _hello_world_ips(ctx: Context) -> set[str]:
    return set(serving_pods(ctx, {"run": "hello-world"}).values())


# The `admin` ClusterRole may only read Endpoints and EndpointSlices (hand-made ones can send
# a Service's traffic anywhere); the selector-less lab is about writing one.
WRITE_ENDPOINTS: tuple[dict[str, Any], ...] = (
    {
        "apiGroups": ["discovery.k8s.io"],
        "resources": ["endpointslices"],
        "verbs": ["create", "update", "patch", "delete"],
    },
    {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["create", "update", "patch", "delete"]},
)

LAB = LabSpec(
    name="selectorless",
    title="A Service without selector and its own EndpointSlice",
    setup=STANDARD,
    grading_rules=WRITE_ENDPOINTS,
    checks=(
        CheckSpec("service", 1, "Service hello-manual has port 80", service_port_exists("hello-manual", 80)),
        CheckSpec("no-selector", 1, "it has no selector", service_without_selector("hello-manual")),
        CheckSpec(
            "pod-ips",
            1,
            "you read the hello-world pod IPs with kubectl",
            answer_addresses(
                "pod_ips",
                _hello_world_ips,
                "the IPs of the hello-world pods",
                "read them with kubectl get pods -l run=hello-world -o jsonpath=…",
            ),
        ),
        CheckSpec(
            "slice-label", 1, "your EndpointSlice belongs to Service hello-manual", slice_labelled("hello-manual")
        ),
        CheckSpec(
            "addresses",
            1,
            "it lists the hello-world pod IPs",
            slice_addresses(
                "hello-manual",
                _hello_world_ips,
                "the IPs of the hello-world pods",
                "use the pod_ips you read, not typed addresses",
            ),
        ),
        CheckSpec("port", 1, "it sends to the pods' port 8080", slice_port("hello-manual", 8080)),
        CheckSpec(
            "reachable",
            2,
            "a pod reaches hello-world through http://hello-manual",
            in_order(
                service_exists("hello-manual"),
                with_hint(
                    reachable_in_cluster("http://hello-manual"), "check the EndpointSlice's label, addresses and port"
                ),
            ),
            hidden=True,
        ),
    ),
)
