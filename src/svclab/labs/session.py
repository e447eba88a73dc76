"""A student's lab session: which namespace the lab uses, its set-up, and checks.

The namespace never comes from text the student typed:
- autograde: the grading preprocessor sets SVCLAB_NAMESPACE and a kubeconfig
  restricted to that (fresh) namespace before the kernel starts;
- `nbgrader validate`: a throwaway namespace per run;
- a student: `lab-<lab>` (or `<hub user>-<lab>` on a JupyterHub).
The kernel's KUBECONFIG points at a kubeconfig whose context namespace is the
lab's, so plain `!kubectl …` commands land there and replay the same way."""

from __future__ import annotations

import atexit
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from svclab import health, identity
from svclab.constants import GRADING_NAMESPACE_ENV, LAB_LABEL
from svclab.errors import CheckFailed, ClusterError, CommandFailed, Forbidden, InvalidInput, SvclabError
from svclab.ipython import mark_unfit, note_refused, refused, register_apply, watch_kubectl
from svclab.k8s import manifests, nodehost, quota, reads, tenancy
from svclab.k8s.kubectl import Kubectl
from svclab.labs.catalog import LABS
from svclab.labs.checks.base import judging
from svclab.labs.settle import Settler
from svclab.labs.spec import Context, LabSpec, Manifest, Verdict
from svclab.settings import Settings, settings

#: how long a check waits for its namespace to settle: (a student's, a grading namespace's)
SETTLE_TIMEOUT = (30.0, 90.0)


@dataclass(frozen=True)
class CheckResult:
    lab: str
    name: str
    points: float
    max_points: float
    message: str
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.points == self.max_points

    def __str__(self) -> str:
        mark = "✓" if self.passed else "✗"
        text = f"{mark} {self.name} [{self.points:g}/{self.max_points:g}]: {self.message}"
        return text if self.passed or not self.hint else f"{text}\n  hint: {self.hint}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "x"


def lab_namespaces(
    spec: LabSpec, environ: Mapping[str, str] = os.environ, student: Callable[[], str | None] = lambda: None
) -> tuple[str, str]:
    """(namespace, mode) for this kernel; see the module docstring."""
    if ns := environ.get(GRADING_NAMESPACE_ENV):
        return ns, "grading"
    if environ.get("NBGRADER_EXECUTION"):
        return f"v-{spec.name}-{uuid.uuid4().hex[:6]}", "validate"
    if name := student():
        return identity.namespace(name, spec.name), "classroom"
    if user := environ.get("JUPYTERHUB_USER"):
        return f"{slug(user)}-{spec.name}", "student"
    return f"lab-{spec.name}", "student"


class Lab:
    """One lab in one namespace: set it up, check it, reset it."""

    def __init__(self, spec: LabSpec, namespace: str, mode: str, s: Settings | None = None) -> None:
        self.spec = spec
        self.namespace = namespace
        self.other_namespace = f"{namespace}-b" if spec.other_namespace else None
        self.mode = mode
        self.settings = s or settings()
        self.kubectl = Kubectl(self.settings)
        self.answers: dict[str, object] = {}
        namespaces = [n for n in (namespace, self.other_namespace) if n]
        self.settler = Settler(namespaces, timeout=SETTLE_TIMEOUT[mode == "grading"])

    def __repr__(self) -> str:
        return f"<Lab {self.spec.name} namespace={self.namespace} mode={self.mode}>"

    # ---- set-up ------------------------------------------------------------------
    def prepare(self, fresh: bool = False) -> None:
        """Create the namespace(s) (unless grading made them) and the lab's starting objects."""
        namespaces = [n for n in (self.namespace, self.other_namespace) if n]
        if self.mode == "classroom":  # provisioned by the instructor; a student may not create namespaces
            self._check_provisioned(namespaces)
            if fresh:
                for ns in namespaces:
                    tenancy.empty_namespace(ns)
        if self.mode in ("student", "validate"):
            if fresh:
                tenancy.delete_namespaces(namespaces)
            for ns in namespaces:
                tenancy.create_namespace(ns, {LAB_LABEL: self.spec.name})
            if self.spec.allowance.own_node_port:  # the same ledger a class uses
                quota.limit(self.namespace, self.spec.allowance)
            if self.mode == "validate":  # throwaway: gone when the validating kernel exits
                atexit.register(tenancy.delete_namespaces, namespaces, False)
        if self.mode != "grading":
            path = self.settings.config_dir / "labs" / f"{self.namespace}.kubeconfig"
            self._use_kubeconfig(self.kubectl.write_namespaced_config(self.namespace, path))
        setup: list[tuple[str, dict[str, Any]]] = [(self.namespace, make()) for make in self.spec.setup]
        if other := self.other_namespace:
            setup += [(other, make()) for make in self.spec.other_setup]
        for ns in {ns for ns, _ in setup}:
            self.kubectl.apply(manifests.dump(*(m for n, m in setup if n == ns)), "-n", ns)
        for make in self.spec.repair:  # re-applying would undo the student's repair
            self._create_once(make, self.namespace)
        for ns, manifest in setup:  # all applied first, so they start together
            _wait_ready(manifest, ns)

    @property
    def node_port(self) -> int | None:
        """The node port set aside for this lab's namespace (the NodePort lab asks for it)."""
        return quota.own_node_port(self.namespace)

    @property
    def node_host(self) -> str:
        """The address at which this kernel reaches a node port: 127.0.0.1 on this machine,
        the control-plane node's IP on the class's hub (:func:`svclab.node_host`)."""
        return nodehost.node_host()

    def _check_provisioned(self, namespaces: list[str]) -> None:
        missing = [ns for ns in namespaces if not tenancy.namespace_exists(ns)]
        if missing:
            student = identity.student() or "<student>"
            raise ClusterError(
                f"your lab namespace {', '.join(missing)} does not exist (or is not yours)",
                f"ask the instructor to provision it: svclab classroom add {student}",
            )

    def _create_once(self, make: Manifest, namespace: str) -> None:
        """Create the object unless it exists; leave an existing one as it is.
        (--save-config: a later `kubectl apply` / %%apply of a fixed version merges cleanly.)"""
        manifest = make()
        if reads.service(manifest["metadata"]["name"], namespace) is None:
            self.kubectl("create", "--save-config", "-f", "-", "-n", namespace, input=manifests.dump(manifest))

    def _use_kubeconfig(self, path: Path) -> None:
        os.environ["KUBECONFIG"] = os.environ["SVCLAB_KUBECONFIG"] = str(path)
        os.environ["PATH"] = f"{self.settings.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        self.settings = settings()
        self.kubectl = Kubectl(self.settings)

    # ---- checks --------------------------------------------------------------------
    def context(self) -> Context:
        return Context(self.namespace, self.answers, self.other_namespace, refused())

    def run_check(self, name: str, **answers: object) -> CheckResult:
        """Run one check and return its result (never raises for a wrong answer)."""
        try:
            spec = self.spec.check(name)
        except KeyError as exc:
            raise InvalidInput(str(exc.args[0]), "use one of the check names listed") from None
        self.answers.update(answers)
        try:
            if (gone := self._namespace_gone()) is not None:
                verdict = gone
            else:
                self.settler.settle()  # then judge at once: a wrong answer fails as fast as a right one passes
                with judging(self.settler.settled_at):
                    verdict = spec.fn(self.context())
        except SvclabError as exc:  # the cluster could not be read: say so, as this check's result
            verdict = Verdict(
                False, f"the check could not read the cluster: {exc.message.splitlines()[0]}", exc.hint or ""
            )
        if not verdict.passed and (unhealthy := health.recent_problems(self.namespace)):
            # the cluster, not the answer, may be at fault: say so, and mark it for autograde
            mark_unfit("; ".join(unhealthy))
            verdict = Verdict(
                False,
                f"{verdict.message} – but the cluster is not healthy ({'; '.join(unhealthy)}), "
                "so this says nothing about your answer",
                "ask the instructor to repair the cluster; autograde records this as an environment error to regrade",
            )
        points = spec.points if verdict.passed else 0
        return CheckResult(self.spec.name, name, points, spec.points, verdict.message, verdict.hint)

    def _namespace_gone(self) -> Verdict | None:
        """The lab's namespace was deleted (or is not this kubeconfig's): its own message,
        not one per missing object."""
        for ns in filter(None, (self.namespace, self.other_namespace)):
            try:
                reads.pods(ns)
            except Forbidden:
                student = identity.student() or "<student>"
                return Verdict(
                    False,
                    f"your lab namespace {ns} is gone, or no longer yours (no rights in it)",
                    f"ask the instructor to provision it again: svclab classroom add {student}",
                )
            if self.mode in ("student", "validate") and not tenancy.namespace_exists(ns):
                return Verdict(
                    False,
                    f"your lab namespace {ns} is gone (it was deleted)",
                    f"run the set-up cell again: svclab.labs.start({self.spec.name!r}) makes it anew",
                )
        return None

    def check(self, name: str, **answers: object) -> None:
        """The graded form: print the result when it passes, raise CheckFailed when not.
        Returns nothing: nbgrader would read a cell's value as partial credit."""
        result = self.run_check(name, **answers)
        if not result.passed:
            raise CheckFailed(f"{result.name}: {result.message}", result.hint or None)
        print(result)

    def check_all(self, **answers: object) -> None:
        """The "check" button: every visible check, printed; nothing raised."""
        if (gone := self._namespace_gone()) is not None:  # one message, not one per check
            print(f"✗ {gone.message}\n  hint: {gone.hint}")
            return
        results = [self.run_check(c.name, **answers) for c in self.spec.checks if not c.hidden]
        for r in results:
            print(r)
        got = sum(r.points for r in results)
        total = sum(r.max_points for r in results)
        print(f"{got:g}/{total:g} points on the visible checks (autograde runs more)")

    def apply(self, manifest: str) -> str:
        """kubectl apply a manifest in the lab namespace, with a clear error when invalid."""
        try:
            parsed = list(yaml.safe_load_all(manifest))
        except yaml.YAMLError as exc:
            raise InvalidInput(f"the manifest is not valid YAML: {exc}", "check the indentation") from None
        if not any(parsed):
            raise InvalidInput("the manifest is empty", "write a Service or Deployment in the cell")
        try:
            out = self.kubectl.apply(manifest, "-n", self.namespace)
        except CommandFailed as exc:
            note_refused("kubectl apply (the manifest of this cell)", exc.stderr)
            raise InvalidInput(
                f"kubectl rejected the manifest: {exc.stderr.strip()}", "fix the field it names and run the cell again"
            ) from None
        print(out.strip())
        return out


def start(name: str, fresh: bool = False) -> Lab:
    """Open lab ``name``: choose its namespace, set it up, wire `!kubectl` and `%%apply` to it."""
    if name not in LABS:
        raise InvalidInput(f"there is no lab {name!r}", f"labs: {', '.join(sorted(LABS))}")
    spec = LABS[name]
    namespace, mode = lab_namespaces(spec, student=identity.student)
    lab = Lab(spec, namespace, mode)
    try:
        lab.prepare(fresh=fresh)
    except SvclabError as exc:
        if mode == "grading":  # the set-up is the course's, not the student's: the cluster failed it
            mark_unfit(f"the lab's set-up failed: {exc.message.splitlines()[0]}")
        raise
    register_apply(lab.apply)
    watch_kubectl()
    print(f"Lab {spec.title!r} ready in namespace {namespace}. `!kubectl …` works in that namespace.")
    if spec.allowance.own_node_port:
        if lab.node_port is None:
            raise ClusterError(
                f"no node port is set aside for namespace {namespace}",
                f"ask the instructor to run: svclab classroom add {identity.student() or '<student>'}",
            )
        print(f"Your node port is {lab.node_port}: use {{lab.node_port}} wherever the lab asks for it.")
    return lab


def _wait_ready(manifest: dict[str, Any], namespace: str) -> None:
    """Wait until a set-up Deployment has rolled out, or a set-up Pod is Ready."""
    kind, name = manifest.get("kind"), manifest["metadata"]["name"]
    if kind == "Deployment":
        reads.wait_rolled_out(name, namespace, timeout=120)
    elif kind == "Pod":
        reads.wait_pod_ready(name, namespace, timeout=120)
