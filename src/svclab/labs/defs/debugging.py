"""Debugging: repair the broken Service web (a selector typo and the wrong targetPort)."""

from svclab.labs.checks.base import with_hint
from svclab.labs.checks.reach import reachable_in_cluster
from svclab.labs.checks.services import endpoints_ready, repaired, selects_kept_pods, service_port
from svclab.labs.defs.objects import STANDARD, broken_web
from svclab.labs.spec import CheckSpec, LabSpec

_PATCH_HINT = (
    "change the Service in place: kubectl patch service web -p '<JSON with the fields to change>' "
    "(or lab.apply a corrected manifest)"
)

LAB = LabSpec(
    name="debugging",
    title="Debugging: repair the broken Service web",
    setup=STANDARD,
    repair=(broken_web,),
    checks=(
        CheckSpec(
            "selector",
            2,
            "Service web selects the 3 hello-world pods",
            repaired("web", selects_kept_pods("web", endpoints_ready("web", 3))),
        ),
        CheckSpec(
            "target-port",
            1,
            "Service web forwards port 80 to the pods' port 8080",
            repaired("web", with_hint(service_port("web", 80, 8080), _PATCH_HINT)),
        ),
        CheckSpec(
            "reachable",
            2,
            "a pod reaches http://web",
            repaired("web", reachable_in_cluster("http://web", service="web")),
            hidden=True,
        ),
    ),
)
