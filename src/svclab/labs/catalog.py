"""Every lab, by name. A new lab: a module in :mod:`svclab.labs.defs` defining ``LAB``,
listed here."""

from __future__ import annotations

from svclab.labs.defs import (
    clusterip,
    debugging,
    discovery,
    externalname,
    headless,
    loadbalancer,
    nodeport,
    selectorless,
)
from svclab.labs.spec import LabSpec

LABS: dict[str, LabSpec] = {
    m.LAB.name: m.LAB
    for m in (clusterip, nodeport, loadbalancer, debugging, discovery, headless, externalname, selectorless)
}
