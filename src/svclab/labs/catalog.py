"""The labs: for each, what its namespace needs before the student starts, and
its graded checks (data plus the primitives of svclab.labs.checks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from svclab.labs.checks import (
    PROBE_POD,
    TOOLBOX_IMAGE,
    CheckFn,
    Context,
    answer_equals,
    endpoints_ready,
    reachable_in_cluster,
    service_exists,
    service_port,
    service_type,
)

HELLO_IMAGE = "gcr.io/google-samples/hello-app:1.0"


@dataclass(frozen=True)
class CheckSpec:
    name: str
    points: float
    description: str  # what is checked, shown to students
    fn: CheckFn
    hidden: bool = False  # run by autograde only; `lab.check_all()` leaves it out


@dataclass(frozen=True)
class LabSpec:
    name: str
    title: str
    checks: tuple[CheckSpec, ...]
    setup: tuple[str, ...] = ("hello-world", "probe")  # keys of SETUP_MANIFESTS
    other_namespace: bool = False  # a second namespace for cross-namespace tasks
    other_setup: tuple[str, ...] = ()  # keys of SETUP_MANIFESTS created in the second namespace
    repair: tuple[str, ...] = ()  # keys of SETUP_MANIFESTS the student repairs: created once, never re-applied
    exclusive: bool = False  # uses cluster-wide resources (a fixed NodePort): grade one at a time
    # RBAC rules the grading service account needs beyond the `admin` ClusterRole, which may
    # not write Endpoints or EndpointSlices (a selector-less Service needs them)
    grading_rules: tuple[dict[str, Any], ...] = ()

    def check(self, name: str) -> CheckSpec:
        for c in self.checks:
            if c.name == name:
                return c
        known = ", ".join(c.name for c in self.checks)
        raise KeyError(f"lab {self.name} has no check {name!r} (its checks: {known})")

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)


SETUP_MANIFESTS: dict[str, str] = {
    "hello-world": f"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-world
  labels: {{app: hello-world, run: hello-world}}
spec:
  replicas: 3
  selector:
    matchLabels: {{run: hello-world}}
  template:
    metadata:
      labels: {{app: hello-world, run: hello-world}}
    spec:
      containers:
        - name: hello-app
          image: {HELLO_IMAGE}
          imagePullPolicy: IfNotPresent
          ports: [{{containerPort: 8080}}]
          readinessProbe: {{httpGet: {{path: /, port: 8080}}, periodSeconds: 2}}
          resources: {{requests: {{cpu: 5m, memory: 10Mi}}, limits: {{memory: 32Mi}}}}
""",
    "probe": f"""
apiVersion: v1
kind: Pod
metadata:
  name: {PROBE_POD}
  labels: {{app: svclab-probe}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: toolbox
      image: {TOOLBOX_IMAGE}
      imagePullPolicy: IfNotPresent
      command: [sleep, infinity]
      resources: {{requests: {{cpu: 5m, memory: 10Mi}}, limits: {{memory: 64Mi}}}}
""",
    # The debugging lab's broken Service: a typo in its selector, and the wrong targetPort.
    "broken-web": """
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {run: hello-wrold}
  ports:
    - port: 80
      targetPort: 80
""",
}


def _cluster_ip(service: str):
    def expected(ctx: Context) -> str | None:
        svc = ctx.get("service", service)
        return svc["spec"].get("clusterIP") if svc else None
    return expected


CLUSTERIP = LabSpec(
    name="clusterip",
    title="ClusterIP: reach hello-world inside the cluster",
    checks=(
        CheckSpec("exists", 1, "a Service named hello-world exists in your namespace",
                  service_exists("hello-world")),
        CheckSpec("type", 1, "its type is ClusterIP", service_type("hello-world", "ClusterIP")),
        CheckSpec("ports", 1, "port 80 forwards to targetPort 8080", service_port("hello-world", 80, 8080)),
        CheckSpec("endpoints", 1, "it selects the 3 hello-world pods", endpoints_ready("hello-world", 3)),
        CheckSpec("cluster-ip", 1, "you found its cluster IP",
                  answer_equals("cluster_ip", _cluster_ip("hello-world"), "the cluster IP of Service hello-world")),
        CheckSpec("reachable", 2, "a pod reaches http://hello-world", reachable_in_cluster("http://hello-world", service="hello-world"),
                  hidden=True),
    ),
)

LABS: dict[str, LabSpec] = {lab.name: lab for lab in (CLUSTERIP,)}

# Labs defined in their own modules; they import the dataclasses above, so they are registered last.
from svclab.labs import exposure  # noqa: E402
LABS.update((lab.name, lab) for lab in exposure.LABS)
from svclab.labs import discovery_labs  # noqa: E402
LABS.update((lab.name, lab) for lab in discovery_labs.LABS)
