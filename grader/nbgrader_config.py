"""nbgrader course root for the svclab labs.

Lab sources live in svclab's labs/<lab>/<lab>.ipynb (a checkout's, or the package data of an
installed wheel: svclab.settings.data_root); the student versions, submissions,
autograded copies, feedback and the gradebook live here. Autograde replays each
submission in a fresh namespace that only that submission's kubeconfig may touch
(svclab.grading.preprocessors)."""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from svclab.grading.preprocessors import ExecuteInGradingNamespace
from svclab.settings import settings

here = Path(__file__).resolve().parent
c = get_config()

c.CourseDirectory.course_id = "svclab"
c.CourseDirectory.root = str(here)
c.CourseDirectory.source_directory = str(settings().labs_dir)
# Parallel autograde processes share the gradebook: let SQLite wait for its lock.
c.CourseDirectory.db_url = f"sqlite:///{here / 'gradebook.db'}?timeout=60"
# The lab sources (<lab>.md, with solutions) never reach students.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md"]

# Student versions: solution regions become an empty task, not a raise, so
# "Run All" reaches the check cells and shows what is still missing.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}

c.Autograde.autograde_preprocessors = [
    ExecuteInGradingNamespace,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# Lab set-up waits for rollouts and checks poll for convergence: allow time per cell,
# never retry (a retry would replay the student's commands twice).
c.Execute.timeout = 300
c.Execute.execute_retries = 0
c.Execute.startup_timeout = 120
