"""Labs: `lab = svclab.labs.start("clusterip")`, then `lab.check("type")` or `lab.check_all()`.

Where things go: a lab's definition in ``defs/<lab>.py`` (listed in ``catalog``), the
check building blocks in ``checks/``, the data model in ``spec``, the student's session
in ``session``, the Markdown → nbgrader notebook build in ``authoring``."""

from svclab.labs.catalog import LABS
from svclab.labs.session import CheckResult, Lab, start
from svclab.labs.spec import LabSpec

__all__ = ["LABS", "CheckResult", "Lab", "LabSpec", "start"]
