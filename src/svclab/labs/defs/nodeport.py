"""NodePort: reach hello-world from this machine on the node port set aside for the student."""

from svclab.k8s.quota import Allowance
from svclab.labs.checks.reach import node_port_on_every_node, reachable_on_node_port
from svclab.labs.checks.services import endpoints_ready, service_exists, service_port, service_type
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, LabSpec

LAB = LabSpec(
    name="nodeport",
    title="NodePort: reach hello-world from this machine on your own node port",
    setup=STANDARD,
    # node ports are cluster-wide: each namespace gets one of its own from the ledger
    allowance=Allowance(node_ports=1, own_node_port=True),
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace", service_exists("hello-world")),
        CheckSpec("type", 1, "its type is NodePort", service_type("hello-world", "NodePort")),
        CheckSpec(
            "ports",
            1,
            "port 80 forwards to targetPort 8080, on your node port (lab.node_port)",
            service_port("hello-world", 80, 8080, own_node_port=True),
        ),
        CheckSpec("endpoints", 1, "it selects the 3 hello-world pods", endpoints_ready("hello-world", 3)),
        CheckSpec(
            "reachable",
            2,
            "this machine reaches it on its node port (http://<lab.node_host>:<nodePort>/)",
            reachable_on_node_port("hello-world"),
        ),
        CheckSpec(
            "every-node",
            1,
            "its node port answers on every node that runs your pods",
            node_port_on_every_node("hello-world"),
            hidden=True,
        ),
    ),
)
