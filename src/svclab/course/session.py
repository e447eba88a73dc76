"""A lecture or demo notebook's namespace.

``start()`` (the notebook's first cell) deletes and recreates it with ``hello-world``
and a ``toolbox`` pod, and points ``!kubectl`` at it; ``Session.finish()`` (its last
cell) deletes it. So a notebook can be run again from the top at any time, and never
touches ``default`` or another notebook's objects."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from svclab import identity
from svclab.constants import DEMO_LABEL, TEST_LABEL
from svclab.errors import ClusterError, CommandFailed, InvalidInput
from svclab.ipython import show_errors_briefly
from svclab.k8s import manifests, reads, tenancy
from svclab.k8s.kubectl import Kubectl
from svclab.settings import Settings
from svclab.settings import settings as default_settings
from svclab.toolbox import probe_pod

#: tests set it to run the notebooks in throwaway namespaces (``t-nb-1234-`` + name)
PREFIX_ENV = "SVCLAB_COURSE_PREFIX"


def namespace_for(
    name: str, environ: Mapping[str, str] = os.environ, student: Callable[[], str | None] = lambda: None
) -> str:
    """The namespace of notebook ``name``: the name itself, prefixed in tests, per student of a
    class and per JupyterHub user, so that two runs of one notebook never share a namespace."""
    if prefix := environ.get(PREFIX_ENV):
        return f"{prefix}{name}"
    if who := student():
        return identity.namespace(who, name)
    if user := environ.get("JUPYTERHUB_USER"):
        return re.sub(r"[^a-z0-9]+", "-", user.lower()).strip("-")[:20] + f"-{name}"
    return name


@dataclass
class Session:
    """One notebook's namespace; ``!kubectl`` in the notebook works there."""

    name: str
    namespace: str
    kubeconfig: Path
    settings: Settings = field(default_factory=default_settings, repr=False)
    extra: list[str] = field(default_factory=list)

    def add_namespace(self, suffix: str = "client", toolbox: bool = True) -> str:
        """A second namespace ``<namespace>-<suffix>`` (with a toolbox pod), to look across
        namespaces; :meth:`finish` deletes it too."""
        namespace = f"{self.namespace}-{suffix}"
        _fresh_namespace(namespace, self.name)
        if toolbox:
            probe_pod(namespace)
        self.extra.append(namespace)
        print(f"Namespace {namespace} is fresh" + (", with a toolbox pod." if toolbox else "."))
        return namespace

    def apply(self, manifest: str) -> None:
        """``kubectl apply`` a manifest in this namespace and print what kubectl says."""
        try:
            out = Kubectl(self.settings).apply(manifest, "-n", self.namespace)
        except CommandFailed as exc:
            raise InvalidInput(
                f"kubectl refused the manifest: {exc.stderr.strip()}", "fix the field it names and run the cell again"
            ) from None
        print(out.strip())

    def finish(self) -> None:
        """Delete the namespace and everything in it (Services, node ports, LoadBalancer IPs);
        a student of a class keeps the (emptied) namespace, which the instructor provisioned."""
        for ns in [self.namespace, *self.extra]:
            _clear(ns)
        if os.environ.get("KUBECONFIG") == str(self.kubeconfig):
            os.environ["KUBECONFIG"] = str(self.settings.kubeconfig)
        self.kubeconfig.unlink(missing_ok=True)
        names = " and ".join([self.namespace, *self.extra])
        print(
            f"Namespace {names} deleted: nothing this notebook created is left. "
            f"`!kubectl` is back on namespace default."
        )


def start(name: str, hello_world: bool = True, replicas: int = 3, toolbox: bool = True) -> Session:
    """The reset cell: (re)create the notebook's namespace from scratch, labelled
    ``svclab.dev/demo=<name>``, with ``hello-world`` (``replicas`` pods, as in ``default``)
    and a ``toolbox`` pod (curl, dig); make ``!kubectl`` use that namespace."""
    s = default_settings()
    kubectl = Kubectl(s)
    namespace = namespace_for(name, student=identity.student)
    _fresh_namespace(namespace, name)
    if hello_world:
        kubectl.apply(manifests.dump(manifests.hello_world(namespace, replicas)))
    if toolbox:
        probe_pod(namespace)
    if hello_world:
        reads.wait_rolled_out("hello-world", namespace)
    kubeconfig = kubectl.write_namespaced_config(namespace, s.config_dir / "course" / f"{namespace}.kubeconfig")
    session = Session(name, namespace, kubeconfig, s)
    show_errors_briefly()
    os.environ["KUBECONFIG"] = str(session.kubeconfig)
    os.environ["PATH"] = f"{s.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    made = [f"hello-world ({replicas} pods)"] if hello_world else []
    made += ["a toolbox pod (curl, dig)"] if toolbox else []
    print(
        f"Namespace {namespace} is fresh"
        + (f", with {' and '.join(made)}" if made else "")
        + f". `!kubectl …` now works in namespace {namespace}."
    )
    return session


def _fresh_namespace(namespace: str, name: str) -> None:
    """Delete ``namespace`` (waiting until it is gone) and create it again, labelled; for a
    student of a class, empty the namespace the instructor provisioned."""
    if identity.student():
        if not tenancy.namespace_exists(namespace):
            raise ClusterError(
                f"your namespace {namespace} does not exist (or is not yours)",
                f"ask the instructor to provision it: svclab classroom add {identity.student()}",
            )
        tenancy.empty_namespace(namespace)
        return
    tenancy.delete_namespaces([namespace], wait=True, timeout=150)
    labels = {DEMO_LABEL: name} | ({TEST_LABEL: "true"} if os.environ.get(PREFIX_ENV) else {})
    tenancy.create_namespace(namespace, labels)


def _clear(namespace: str) -> None:
    """What finish() does to one namespace: delete it, or empty a student's."""
    if identity.student():
        tenancy.empty_namespace(namespace)
    else:
        tenancy.delete_namespaces([namespace], wait=True, timeout=150)
