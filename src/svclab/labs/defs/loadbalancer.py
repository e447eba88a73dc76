"""LoadBalancer: reach hello-world on its own external IP (from MetalLB)."""

from svclab.k8s.quota import Allowance
from svclab.labs.checks.answers import external_ip_answer, node_port_answer
from svclab.labs.checks.reach import reachable_in_cluster, reachable_on_external_ip
from svclab.labs.checks.services import service_exists, service_port, service_type
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, LabSpec

LAB = LabSpec(
    name="loadbalancer",
    title="LoadBalancer: reach hello-world on its own external IP",
    setup=STANDARD,
    allowance=Allowance(node_ports=1, load_balancers=1),  # a LoadBalancer Service takes a node port too
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace", service_exists("hello-world")),
        CheckSpec("type", 1, "its type is LoadBalancer", service_type("hello-world", "LoadBalancer")),
        CheckSpec("ports", 1, "port 80 forwards to targetPort 8080", service_port("hello-world", 80, 8080)),
        CheckSpec("external-ip", 1, "you read its external IP with kubectl", external_ip_answer("hello-world")),
        CheckSpec("node-port", 1, "you found the node port it also got", node_port_answer("hello-world")),
        CheckSpec(
            "reachable", 2, "this machine reaches http://<external IP>/", reachable_on_external_ip("hello-world")
        ),
        CheckSpec(
            "in-cluster",
            1,
            "a pod still reaches it at http://hello-world (its cluster IP)",
            reachable_in_cluster("http://hello-world", service="hello-world"),
            hidden=True,
        ),
    ),
)
