"""The objects svclab itself creates in a namespace: the one hello-world Deployment
(``cluster/manifests/hello-world.yaml``, also what ``svclab up`` deploys in
``default``) and the one toolbox pod (dig, curl, env) every probe runs in."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml

from svclab.constants import ROLE_LABEL, TOOLBOX_IMAGE
from svclab.settings import settings


@cache
def _hello_world_text() -> str:
    return (settings().cluster_dir / "manifests" / "hello-world.yaml").read_text()


def hello_world(
    namespace: str | None = None, replicas: int = 3, name: str = "hello-world", labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """The hello-world Deployment; with ``name``/``labels``, the same app under other
    labels (the discovery lab's ``greeter``: ``labels={"app": "greeter"}``)."""
    manifest = copy.deepcopy(yaml.safe_load(_hello_world_text()))
    manifest["metadata"]["name"] = name
    if namespace:
        manifest["metadata"]["namespace"] = namespace
    manifest["spec"]["replicas"] = replicas
    if labels is not None:
        manifest["metadata"]["labels"] = dict(labels)
        manifest["spec"]["selector"] = {"matchLabels": dict(labels)}
        manifest["spec"]["template"]["metadata"]["labels"] = dict(labels)
    return manifest


def toolbox(name: str, namespace: str | None = None, role: str = "probe") -> dict[str, Any]:
    """A pod that sleeps with DNS and HTTP tools, ready to `exec` into."""
    metadata: dict[str, Any] = {"name": name, "labels": {ROLE_LABEL: role}}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "toolbox",
                    "image": TOOLBOX_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sleep", "infinity"],
                    "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}, "limits": {"memory": "64Mi"}},
                }
            ],
        },
    }


def dump(*docs: dict[str, Any]) -> str:
    """Manifests as one YAML text (for `kubectl apply`)."""
    return yaml.safe_dump_all(list(docs), sort_keys=False)
