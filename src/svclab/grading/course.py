"""The instructor's side: generate student versions, take submissions, autograde
them (in parallel, bounded), write feedback, and summarise each check over the class.

Every step is the real nbgrader, run in the course root (grader/ by default)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from svclab import health, runner
from svclab.errors import CommandFailed, InvalidInput
from svclab.grading.outcomes import Outcome, RegradeList, marked_problems
from svclab.labs.catalog import LABS
from svclab.settings import settings

#: what nbgrader and the grading namespaces can use as a student id
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class CheckStats:
    check: str
    max_points: float
    mean: float
    full_marks: int
    students: int


class Course:
    """An nbgrader course root with svclab's configuration."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or settings().repo_dir / "grader").resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            raise InvalidInput(
                f"{self.root} is not an nbgrader course root (no nbgrader_config.py)",
                "use the repository's grader/ folder or a copy of its nbgrader_config.py",
            )
        self.regrade = RegradeList(self.root)
        # nbgrader runs `alembic`, `jupyter` and kubectl by name: this venv's and svclab's bins first.
        path = os.environ.get("PATH", "").split(os.pathsep)
        wanted = [str(Path(sys.executable).parent), str(settings().bin_dir)]
        os.environ["PATH"] = os.pathsep.join(wanted + [p for p in path if p not in wanted])

    @classmethod
    def create(cls, root: Path) -> Course:
        """A new course root (e.g. one per class) with svclab's nbgrader_config.py."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings().repo_dir / "grader/nbgrader_config.py", root / "nbgrader_config.py")
        return cls(root)

    def nbgrader(self, *args: str, timeout: float = 1800) -> str:
        """Run the nbgrader CLI of this venv in the course root."""
        exe = Path(sys.executable).with_name("nbgrader")
        try:
            result = runner.run([str(exe), *args], cwd=self.root, timeout=timeout)
        except CommandFailed as exc:
            raise CommandFailed(
                exc.cmd, exc.returncode, exc.stderr, hint=f"nbgrader's log is above; the course root is {self.root}"
            ) from None
        return result.stdout + result.stderr

    @property
    def db_path(self) -> Path:
        return self.root / "gradebook.db"

    def generate(self, lab: str) -> Path:
        """The student version of a lab: grader/release/<lab>/<lab>.ipynb."""
        _known(lab)
        self.nbgrader("generate_assignment", lab, "--force", "--create")
        return self.root / "release" / lab / f"{lab}.ipynb"

    def submit(self, student: str, lab: str, notebook: Path) -> Path:
        """Place a student's notebook where autograde looks (what `collect` does), once it is
        known to be a notebook of that lab; nothing is filed otherwise."""
        _known(lab)
        if not STUDENT_ID.fullmatch(student):
            raise InvalidInput(
                f"{student!r} is not a usable student id",
                "use letters, digits, '.', '_' and '-' (at most 64), e.g. alice or a.smith",
            )
        _check_submission(notebook, lab)
        target = self.root / "submitted" / student / lab
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, target / f"{lab}.ipynb")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        (target / "timestamp.txt").write_text(stamp)
        return target / f"{lab}.ipynb"

    def submitted_students(self, lab: str) -> list[str]:
        folder = self.root / "submitted"
        return sorted(p.parent.name for p in folder.glob(f"*/{lab}") if p.is_dir())

    def autograde(
        self,
        lab: str,
        students: Iterable[str] | None = None,
        parallel: int = 2,
        report: Callable[[Outcome], None] = lambda outcome: None,
    ) -> dict[str, Outcome]:
        """Autograde each submission in its own process, at most ``parallel`` at once. The
        environment probe runs before and after each one (and the kernel marks checks that
        failed on an unfit cluster): such a submission is an environment error to regrade,
        never a score; ``self.regrade.students(lab)`` lists those to grade again."""
        _known(lab)
        todo = list(students) if students is not None else self.submitted_students(lab)
        with Gradebook(self._db_url()) as gb:
            try:
                gb.find_assignment(lab)
            except MissingEntry:
                raise InvalidInput(
                    f"lab {lab} has not been generated in the course {self.root}",
                    f"generate it first (what students got): svclab grade generate {lab}",
                ) from None
            for student in todo:
                gb.update_or_create_student(student)
        results: dict[str, Outcome] = {}

        def one(student: str) -> Outcome:
            if unfit := health.problems():
                return Outcome(student, environment="; ".join(unfit))
            try:
                self.nbgrader("autograde", lab, "--student", student, "--force")
            except CommandFailed as exc:
                return Outcome(student, error=exc.message)
            executed = self.root / "autograded" / student / lab / f"{lab}.ipynb"
            if unfit_during := marked_problems(executed) or "; ".join(health.problems()):
                return Outcome(student, environment=unfit_during)
            return Outcome(student)

        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = [pool.submit(one, s) for s in todo]
            for future in as_completed(futures):
                outcome = future.result()
                results[outcome.student] = outcome
                self.regrade.record(lab, outcome)
                report(outcome)
        return results

    def feedback(self, lab: str) -> list[Path]:
        _known(lab)
        self.nbgrader("generate_feedback", lab, "--force")
        return sorted((self.root / "feedback").glob(f"*/{lab}/*.html"))

    def scores(self, lab: str) -> dict[str, dict[str, float]]:
        """{student: {check name: points}} from the gradebook."""
        _known(lab)
        result: dict[str, dict[str, float]] = {}
        with Gradebook(self._db_url()) as gb:
            for student in gb.students:
                try:
                    nb = gb.find_submission_notebook(lab, lab, student.id)
                except MissingEntry:
                    continue
                result[student.id] = {
                    g.name.removeprefix("check-"): float(g.score) for g in nb.grades if g.name.startswith("check-")
                }
        return result

    def stats(self, lab: str) -> list[CheckStats]:
        """Per check: mean points and how many students got full marks."""
        scores = self.scores(lab)
        stats = []
        for check in LABS[lab].checks:
            points = [s[check.name] for s in scores.values() if check.name in s]
            stats.append(
                CheckStats(
                    check.name,
                    check.points,
                    sum(points) / len(points) if points else 0.0,
                    sum(p == check.points for p in points),
                    len(points),
                )
            )
        return stats

    def _db_url(self) -> str:
        return f"sqlite:///{self.db_path}?timeout=60"


def _check_submission(notebook: Path, lab: str) -> None:
    """InvalidInput unless ``notebook`` is a readable notebook holding the lab's graded cells."""
    if not notebook.is_file():
        raise InvalidInput(f"{notebook} does not exist", "give the path of the student's .ipynb file")
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 – nbformat raises JSON, schema and OS errors alike
        raise InvalidInput(
            f"{notebook} is not a Jupyter notebook ({type(exc).__name__}: {str(exc)[:120]})",
            "submit the .ipynb file the student saved from the lab",
        ) from None
    ids = {str(c.get("metadata", {}).get("nbgrader", {}).get("grade_id")) for c in nb.cells}
    found = {i.removeprefix("check-") for i in ids if i.startswith("check-")}
    expected = {c.name for c in LABS[lab].checks}
    hint = f"submit the student's copy of {lab}.ipynb (from `svclab grade generate {lab}`)"
    if not found & expected:
        raise InvalidInput(f"{notebook} is not a notebook of lab {lab}: it has none of that lab's check cells", hint)
    if found - expected:
        raise InvalidInput(
            f"{notebook} is not a notebook of lab {lab}: it has checks of another lab "
            f"({', '.join(sorted(found - expected))})",
            hint,
        )


def _known(lab: str) -> None:
    if lab not in LABS:
        raise InvalidInput(f"there is no lab {lab!r}", f"labs: {', '.join(sorted(LABS))}")
