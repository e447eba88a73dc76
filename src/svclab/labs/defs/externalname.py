"""ExternalName: a Service that is only a DNS CNAME, to a name the cluster answers itself."""

from svclab.constants import TOOLBOX_POD
from svclab.labs.checks.answers import answer_dns_name
from svclab.labs.checks.base import in_order, with_hint
from svclab.labs.checks.dns import fqdn, resolves_via_cname
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import external_name, service_exists, service_field, service_port, service_type
from svclab.labs.defs.objects import STANDARD
from svclab.labs.spec import CheckSpec, LabSpec

LAB = LabSpec(
    name="externalname",
    title="ExternalName: a Service that is only a DNS alias",
    setup=STANDARD,
    checks=(
        CheckSpec(
            "hello-world",
            1,
            "Service hello-world forwards port 80 to the pods' 8080",
            service_port("hello-world", 80, 8080),
        ),
        CheckSpec(
            "type",
            1,
            "Service backend is of type ExternalName",
            in_order(
                service_exists("backend"),
                with_hint(
                    service_type("backend", "ExternalName"),
                    "kubectl create service externalname backend --external-name=… (delete the "
                    "backend Service of another type first)",
                ),
            ),
        ),
        CheckSpec(
            "external-name",
            1,
            "backend points at hello-world's full DNS name",
            external_name("backend", fqdn("hello-world")),
        ),
        CheckSpec(
            "cname",
            1,
            "DNS answers for backend with a CNAME that leads to hello-world",
            resolves_via_cname("backend", "hello-world"),
        ),
        CheckSpec(
            "cname-answer",
            1,
            "you looked up the CNAME with dig",
            answer_dns_name(
                "cname_target",
                service_field("backend", lambda svc: svc.external_name),
                "the CNAME that DNS gives for backend",
                f"run dig +short CNAME <name> in pod {TOOLBOX_POD} and keep what it prints",
                looked_up=fqdn("backend"),
            ),
        ),
        CheckSpec(
            "reachable",
            2,
            "a pod reaches hello-world through http://backend",
            in_order(
                service_exists("backend"),
                with_hint(
                    reachable_in_cluster("http://backend"),
                    "backend is only a DNS alias: check the name it points at, and the port of "
                    "the Service behind that name",
                ),
            ),
            hidden=True,
        ),
    ),
)
