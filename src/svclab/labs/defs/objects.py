"""The objects labs create in a student's namespace before the student starts."""

from __future__ import annotations

from functools import partial
from typing import Any

from svclab.constants import TOOLBOX_POD
from svclab.k8s import manifests

hello_world = partial(manifests.hello_world, None)
toolbox = partial(manifests.toolbox, TOOLBOX_POD)
#: the discovery lab's app in the second namespace: hello-app under its own labels
greeter = partial(manifests.hello_world, None, 1, "greeter", {"app": "greeter"})


def broken_web() -> dict[str, Any]:
    """The debugging lab's broken Service: a typo in its selector, and the wrong targetPort."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"selector": {"run": "hello-wrold"}, "ports": [{"port": 80, "targetPort": 80}]},
    }


STANDARD = (hello_world, toolbox)
