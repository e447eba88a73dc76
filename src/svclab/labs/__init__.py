"""Labs: `lab = svclab.labs.start("clusterip")`, then `lab.check("type")` or `lab.check_all()`."""

from svclab.labs.catalog import LABS, LabSpec
from svclab.labs.session import CheckResult, Lab, start

__all__ = ["LABS", "CheckResult", "Lab", "LabSpec", "start"]
