"""The nbgrader preprocessor that runs each submission in its own grading namespace.

It takes the place of nbgrader's Execute in the autograde pipeline (grader/nbgrader_config.py):
the namespace is created just before the notebook runs (or, under `svclab grade autograde`,
just ahead of it) – derived from nbgrader's student id, never from the notebook – and deleted
afterwards (in ``finally`` here, or by svclab grade), whatever the execution did."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from svclab.grading.environment import GradingEnvironment


class ExecuteInGradingNamespace(Execute):
    """nbgrader's Execute (same timeouts, no retries), with the kernel pointed at a fresh,
    RBAC-restricted namespace of this submission's own."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        meta = resources["nbgrader"]
        env = GradingEnvironment(meta["student"], meta["assignment"])
        self.log.info("grading %s/%s in namespace %s", meta["student"], meta["assignment"], env.namespace)
        prepared = env.prepared  # svclab grade prepares namespaces ahead, and removes them itself
        if not prepared:
            env.create()
        env.enter()
        try:
            return super().preprocess(nb, resources)
        finally:
            env.leave()
            if not prepared:
                env.remove()
