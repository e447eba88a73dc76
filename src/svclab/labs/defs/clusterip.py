"""ClusterIP: expose hello-world inside the cluster and reach it from a pod."""

from svclab.labs.checks.answers import answer_equals
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import endpoints_ready, service_exists, service_field, service_port, service_type
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, LabSpec

LAB = LabSpec(
    name="clusterip",
    title="ClusterIP: reach hello-world inside the cluster",
    setup=STANDARD,
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace", service_exists("hello-world")),
        CheckSpec("type", 1, "its type is ClusterIP", service_type("hello-world", "ClusterIP")),
        CheckSpec("ports", 1, "port 80 forwards to targetPort 8080", service_port("hello-world", 80, 8080)),
        CheckSpec("endpoints", 1, "it selects the 3 hello-world pods", endpoints_ready("hello-world", 3)),
        CheckSpec(
            "cluster-ip",
            1,
            "you found its cluster IP",
            answer_equals(
                "cluster_ip",
                service_field("hello-world", lambda svc: svc.cluster_ip),
                "the cluster IP of Service hello-world",
            ),
        ),
        CheckSpec(
            "reachable",
            2,
            "a pod reaches http://hello-world",
            reachable_in_cluster("http://hello-world", service="hello-world"),
            hidden=True,
        ),
    ),
)
