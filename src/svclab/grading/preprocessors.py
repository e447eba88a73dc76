"""The nbgrader preprocessor that runs each submission in its own grading namespace.

It takes the place of nbgrader's Execute in the autograde pipeline (grader/nbgrader_config.py):
the namespace is created just before the notebook runs (or, under `svclab grade autograde`,
just ahead of it) – derived from nbgrader's student id, never from the notebook – and deleted
afterwards (in ``finally`` here, or by svclab grade), whatever the execution did.

By default the notebook runs in a kernel pod of that namespace (svclab.grading.sandbox), with
the grading token as its only credential. ``on_host`` runs it in a kernel on this machine
instead, as the instructor: only for notebooks one trusts."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool

from svclab.grading.environment import GradingEnvironment
from svclab.grading.sandbox import SUBMISSION_TIMEOUT

#: Execute's settings that the kernel pod's Execute gets too
PASSED_ON = (
    "timeout",
    "startup_timeout",
    "interrupt_on_timeout",
    "raise_on_iopub_timeout",
    "error_on_timeout",
    "extra_arguments",
    "execute_retries",
    "iopub_timeout",
    "allow_errors",
)


class ExecuteInGradingNamespace(Execute):
    """nbgrader's Execute (same timeouts, no retries), with the kernel in a pod of a fresh,
    RBAC-restricted namespace of this submission's own – or, with ``on_host``, on this machine."""

    on_host = Bool(
        False,
        help="Run the submission's code on this machine, with the instructor's rights (not in a grading pod).",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        meta = resources["nbgrader"]
        env = GradingEnvironment(meta["student"], meta["assignment"], in_pod=not self.on_host)
        where = "on this machine" if self.on_host else "in its grading pod"
        self.log.info("grading %s/%s in namespace %s, %s", meta["student"], meta["assignment"], env.namespace, where)
        prepared = env.prepared  # svclab grade prepares namespaces ahead, and removes them itself
        if not prepared:
            env.create()
        try:
            if not self.on_host:
                settings = {name: getattr(self, name) for name in PASSED_ON}
                return env.kernel.execute(nb, settings, timeout=SUBMISSION_TIMEOUT - 60), resources
            env.enter()
            try:
                return super().preprocess(nb, resources)
            finally:
                env.leave()
        finally:
            if not prepared:
                env.remove()
