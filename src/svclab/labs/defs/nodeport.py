"""NodePort: reach hello-world from this machine on a fixed node port."""

from svclab.labs.checks.reach import node_port_on_every_node, reachable_on_node_port
from svclab.labs.checks.services import endpoints_ready, service_exists, service_port, service_type
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, LabSpec

#: The fixed node port of the NodePort lab; node ports are cluster-wide, so that lab is exclusive.
NODE_PORT = 30007

LAB = LabSpec(
    name="nodeport",
    title="NodePort: reach hello-world from this machine on a fixed node port",
    setup=STANDARD,
    exclusive=True,  # node port 30007 is cluster-wide: autograde one submission at a time
    node_ports=1,
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace", service_exists("hello-world")),
        CheckSpec("type", 1, "its type is NodePort", service_type("hello-world", "NodePort")),
        CheckSpec(
            "ports",
            1,
            f"port 80 forwards to targetPort 8080, on node port {NODE_PORT}",
            service_port("hello-world", 80, 8080, node_port=NODE_PORT),
        ),
        CheckSpec("endpoints", 1, "it selects the 3 hello-world pods", endpoints_ready("hello-world", 3)),
        CheckSpec(
            "reachable",
            2,
            "this machine reaches it on its node port (http://127.0.0.1:<nodePort>/)",
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
