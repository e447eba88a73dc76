"""nbgrader preprocessors that run each submission in its own grading namespace.

Configure them around nbgrader's Execute (grader/nbgrader_config.py does):
    PrepareGradingNamespace → Execute → RemoveGradingNamespace
The namespace is derived here from nbgrader's student id, never from the notebook."""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from svclab.grading.environment import GradingEnvironment

_ACTIVE: dict[str, GradingEnvironment] = {}


def _key(resources: dict[str, Any]) -> str:
    meta = resources["nbgrader"]
    return f"{meta['student']}/{meta['assignment']}/{meta['notebook']}"


class PrepareGradingNamespace(NbGraderPreprocessor):
    """Create the submission's fresh namespace and point the kernel at it."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        meta = resources["nbgrader"]
        env = GradingEnvironment(meta["student"], meta["assignment"])
        self.log.info("grading %s in namespace %s", _key(resources), env.namespace)
        env.create()
        env.enter()
        _ACTIVE[_key(resources)] = env
        return nb, resources


class RemoveGradingNamespace(NbGraderPreprocessor):
    """Leave and delete the namespace once the notebook has run."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        env = _ACTIVE.pop(_key(resources), None)
        if env is not None:
            env.leave()
            env.remove()
        return nb, resources
