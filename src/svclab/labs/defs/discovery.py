"""Service discovery: DNS names (full, short, across namespaces), the resolver's search
path, and the `<SVC>_SERVICE_HOST` variables a pod gets only for Services older than itself."""

from svclab.constants import TOOLBOX_POD
from svclab.labs.checks.answers import answer_choice, answer_equals
from svclab.labs.checks.base import in_order, per_context, with_hint
from svclab.labs.checks.dns import fqdn, service_resolves
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import cluster_ip, service_exists, service_port
from svclab.labs.checks.workloads import pod_env
from svclab.labs.defs.objects import STANDARD, greeter
from svclab.labs.spec import CheckSpec, Context, LabSpec, Verdict


def _hello_world_ip(ctx: Context) -> str | None:
    ip = cluster_ip(ctx, "hello-world")
    return None if isinstance(ip, Verdict) else ip


def _hello_env(ctx: Context) -> dict[str, str] | Verdict:
    ip = cluster_ip(ctx, "hello-world")
    return ip if isinstance(ip, Verdict) else {"HELLO_WORLD_SERVICE_HOST": ip, "HELLO_WORLD_SERVICE_PORT": "80"}


def _other_namespace_hint(ctx: Context) -> str:
    return (
        f"create it in the second namespace, {ctx.other_namespace} (lab.other_namespace): "
        f"kubectl expose deployment greeter -n {ctx.other_namespace} …"
    )


_greeter_exists = with_hint(service_exists("greeter", "other_namespace"), _other_namespace_hint)

LAB = LabSpec(
    name="discovery",
    title="Service discovery: DNS names and environment variables",
    setup=STANDARD,
    other_namespace=True,
    other_setup=(greeter,),
    checks=(
        CheckSpec(
            "service",
            1,
            "Service hello-world forwards port 80 to the pods' 8080",
            service_port("hello-world", 80, 8080),
        ),
        CheckSpec(
            "dns",
            1,
            "its full name and its short name resolve to its cluster IP",
            service_resolves("hello-world", lambda ctx: [fqdn("hello-world")(ctx) + ".", "hello-world"]),
        ),
        CheckSpec(
            "fqdn-ip",
            1,
            "you looked up the full name with dig",
            answer_equals(
                "fqdn_ip",
                _hello_world_ip,
                "the address of hello-world's full DNS name",
                f"run dig +short <name> in pod {TOOLBOX_POD} and keep what it prints",
                looked_up=fqdn("hello-world"),
            ),
        ),
        CheckSpec(
            "search",
            1,
            "you read the first search domain from /etc/resolv.conf",
            answer_equals(
                "first_search",
                lambda ctx: f"{ctx.namespace}.svc.cluster.local",
                f"the first search domain of pod {TOOLBOX_POD}",
                f"read it from /etc/resolv.conf in pod {TOOLBOX_POD}, with kubectl exec",
            ),
        ),
        CheckSpec("other-service", 1, "Service greeter exists in the second namespace", _greeter_exists),
        CheckSpec(
            "cross-namespace",
            1,
            "greeter.<second namespace> resolves from your namespace",
            in_order(
                _greeter_exists,
                service_resolves("greeter", lambda ctx: [f"greeter.{ctx.other_namespace}"], "other_namespace"),
            ),
        ),
        CheckSpec(
            "env",
            2,
            "pod client has HELLO_WORLD_SERVICE_HOST and _PORT of Service hello-world",
            pod_env(
                "client",
                _hello_env,
                "a pod gets these variables for the Services that exist when it starts: "
                "delete pod client and start it again",
            ),
        ),
        CheckSpec(
            "why-no-env",
            1,
            f"you know why {TOOLBOX_POD} lacks them",
            answer_choice(
                "why_no_env",
                "b",
                "abcd",
                "compare when each pod started (kubectl get pods) with when Service hello-world "
                "was created (kubectl get service hello-world)",
            ),
        ),
        CheckSpec(
            "reach-other",
            1,
            "a pod in your namespace reaches greeter in the second namespace by name",
            in_order(
                _greeter_exists, per_context(lambda ctx: reachable_in_cluster(f"http://greeter.{ctx.other_namespace}"))
            ),
            hidden=True,
        ),
    ),
)
