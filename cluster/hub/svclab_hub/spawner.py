"""Each student's server in their own namespace, ``<student>-server``, under their own
ServiceAccount: the namespace exists already (`svclab hub add-students` made it, with a
Role that lets the hub run one pod there), so the hub needs no cluster-wide rights and
KubeSpawner watches only the namespaces of the students it serves."""

from __future__ import annotations

from kubespawner import KubeSpawner
from traitlets import default

#: a student's server namespace is their name with this suffix (svclab.constants.SERVER_SUFFIX)
SERVER_SUFFIX = "-server"


class SvclabSpawner(KubeSpawner):
    """KubeSpawner with the namespace of the student it spawns for."""

    @default("namespace")
    def _student_namespace(self) -> str:
        return f"{self.user.name}{SERVER_SUFFIX}"
