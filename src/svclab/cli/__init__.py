"""The `svclab` command. ``app`` (in ``app``) gathers the commands of ``cluster``
(up, status, lab …), ``grade`` (the nbgrader workflow), ``classroom`` (a class's students),
``hub`` (the class's JupyterHub) and ``images`` (bundles of the built images; a registry of
them, in ``registry_cmds``)."""

import sys

from svclab.cli import classroom, cluster, grade, hub, images, registry_cmds  # noqa: F401 – registering their commands
from svclab.cli.app import app

__all__ = ["app"]

if __name__ == "__main__":
    sys.exit(app())
