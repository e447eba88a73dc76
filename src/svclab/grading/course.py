"""The instructor's side: generate student versions, take submissions, autograde
them (in parallel, bounded), write feedback, and summarise each check over the class.

Every step is the real nbgrader, run in the course root: the one the instructor names, else
a checkout's grader/, else (svclab installed from a wheel) ~/svclab/grader, made on first use
(Settings.course_root)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from queue import Queue
from threading import Thread

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from svclab import health, runner
from svclab.errors import CommandFailed, InvalidInput, SvclabError
from svclab.grading.environment import GradingEnvironment, PreparedAhead
from svclab.grading.outcomes import Outcome, RegradeList, marked_problems
from svclab.grading.sandbox import SUBMISSION_TIMEOUT, ensure_kernel_image
from svclab.grading.worker import Worker, WorkerGone
from svclab.labs.catalog import LABS
from svclab.settings import settings

#: what nbgrader and the grading namespaces can use as a student id
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass
class Collected:
    """What `collect` took from the hub's inboxes, and what it refused."""

    students: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)


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
        """The course root ``root`` (default: Settings.course_root). A folder that does not exist
        yet, or is empty, becomes one (svclab's nbgrader_config.py is copied in); any other
        folder must already hold an nbgrader_config.py."""
        s = settings()
        self.root = (root or s.course_root).expanduser().resolve()
        if not (self.root / "nbgrader_config.py").is_file():
            if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
                raise InvalidInput(
                    f"{self.root} is not an nbgrader course root (no nbgrader_config.py)",
                    f"name a new or empty folder (svclab sets it up), or copy {s.nbgrader_config} into it",
                )
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.copy(s.nbgrader_config, self.root / "nbgrader_config.py")
        self.regrade = RegradeList(self.root)
        # nbgrader runs `alembic`, `jupyter` and kubectl by name: this venv's and svclab's bins first.
        path = os.environ.get("PATH", "").split(os.pathsep)
        wanted = [str(Path(sys.executable).parent), str(settings().bin_dir)]
        os.environ["PATH"] = os.pathsep.join(wanted + [p for p in path if p not in wanted])

    @classmethod
    def create(cls, root: Path) -> Course:
        """A new course root (e.g. one per class) with svclab's nbgrader_config.py."""
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(settings().nbgrader_config, root / "nbgrader_config.py")
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
        on_host: bool = False,
        building: Callable[[str], None] = lambda line: None,
    ) -> dict[str, Outcome]:
        """Autograde a lab's submissions (all of them, or those of ``students``): see
        :meth:`autograde_labs`. {student: outcome}."""
        todo = list(students) if students is not None else self.submitted_students(lab)
        return {o.student: o for o in self.autograde_labs({lab: todo}, parallel, report, on_host, building)}

    def autograde_labs(
        self,
        todo: Mapping[str, Iterable[str]],
        parallel: int = 2,
        report: Callable[[Outcome], None] = lambda outcome: None,
        on_host: bool = False,
        building: Callable[[str], None] = lambda line: None,
    ) -> list[Outcome]:
        """Autograde {lab: students} with ``parallel`` nbgrader worker processes, each taking one
        submission at a time, each submission in a grading namespace of its own, prepared
        ahead, and its code in a kernel pod there (``on_host``: in a kernel on this machine,
        with the instructor's rights). The environment probe runs before and after each one
        (and the kernel marks checks that failed on an unfit cluster): such a submission is an
        environment error to regrade, never a score; ``self.regrade.students(lab)`` lists those.
        ``building`` hears how the kernel pods' image is built, when svclab changed."""
        jobs = [(lab, student) for lab, students in todo.items() for student in students]
        return self.autograde_jobs(jobs, parallel, report, on_host, building)

    def autograde_jobs(
        self,
        jobs: list[tuple[str, str]],
        parallel: int = 2,
        report: Callable[[Outcome], None] = lambda outcome: None,
        on_host: bool = False,
        building: Callable[[str], None] = lambda line: None,
    ) -> list[Outcome]:
        """:meth:`autograde_labs` for (lab, student) pairs, taken in this order (a pair given
        twice is graded once)."""
        jobs = list(dict.fromkeys(jobs))
        with Gradebook(self._db_url()) as gb:
            for lab in dict.fromkeys(lab for lab, _ in jobs):
                _known(lab)
                try:
                    gb.find_assignment(lab)
                except MissingEntry:
                    raise InvalidInput(
                        f"lab {lab} has not been generated in the course {self.root}",
                        f"generate it first (what students got): svclab grade generate {lab}",
                    ) from None
            for student in {student for _, student in jobs}:
                gb.update_or_create_student(student)
        if not on_host and jobs:
            ensure_kernel_image(building)  # built when svclab changed, and on the workers
        outcomes: Queue[Outcome] = Queue()
        ahead = PreparedAhead(jobs, parallel, in_pod=not on_host)

        def work() -> None:  # one worker process, and the submissions it takes in turn
            worker: Worker | None = None
            try:
                while (job := ahead.next()) is not None:
                    outcome, worker = self._grade(*job, worker, on_host)
                    outcomes.put(outcome)
            finally:
                if worker is not None:
                    worker.close()

        for _ in range(min(max(1, parallel), len(jobs))):
            Thread(target=work, daemon=True).start()
        results: list[Outcome] = []
        try:
            while len(results) < len(jobs):
                outcome = outcomes.get()
                results.append(outcome)
                self.regrade.record(outcome.lab, outcome)
                report(outcome)
        finally:
            ahead.close()
        return results

    def _grade(
        self, env: GradingEnvironment, prepared: Future[object], worker: Worker | None, on_host: bool
    ) -> tuple[Outcome, Worker | None]:
        """One submission on its prepared namespace, with ``worker`` (or a new one); the worker
        to use next. Nothing here may raise: every failure is the submission's outcome."""
        lab, student = env.lab.name, env.student
        done = partial(Outcome, student, lab=lab)
        try:
            worker = worker or Worker(self.root, on_host)
            try:
                prepared.result()
            except Exception as exc:  # noqa: BLE001 – never the student's doing: the cluster could not set the lab up
                why = exc.message if isinstance(exc, SvclabError) else f"{type(exc).__name__}: {exc}"
                return done(environment=f"the lab's namespace could not be set up: {_first_line(why)}"), worker
            if unfit := health.problems():
                return done(environment="; ".join(unfit)), worker
            try:
                error = worker.grade(lab, student, prepared=True, timeout=SUBMISSION_TIMEOUT)
            except WorkerGone as exc:
                worker.close()
                return done(error=exc.message), None
            if error:
                return done(error=error), worker
            executed = self.root / "autograded" / student / lab / f"{lab}.ipynb"
            if unfit_during := marked_problems(executed) or "; ".join(health.problems()):
                return done(environment=unfit_during), worker
            return done(), worker
        except Exception as exc:  # noqa: BLE001 – reported as that submission's error, the batch goes on
            return done(error=f"{type(exc).__name__}: {exc}"), worker
        finally:
            with suppress(SvclabError):
                env.remove()  # prepared here, so removed here (the preprocessor leaves it)

    def feedback(self, lab: str) -> list[Path]:
        _known(lab)
        self.nbgrader("generate_feedback", lab, "--force")
        return sorted((self.root / "feedback").glob(f"*/{lab}/*.html"))

    # -- the hub's exchange (nbgrader's own, on the hub's data folder) ---------------------------
    def _exchange(self, *args: str) -> str:
        return self.nbgrader(*args, f"--Exchange.root={settings().hub_dir / 'exchange'}")

    def release(self, lab: str) -> Path:
        """Generate the lab's student version and release it to the hub's students."""
        self.generate(lab)
        self._exchange("release_assignment", lab, "--force")
        return settings().hub_dir / "exchange" / "svclab" / "outbound" / lab

    def collect(self, lab: str, students: Iterable[str]) -> Collected:
        """Take the latest submission of the lab of each of ``students`` (the class) from the
        hub into the course (nbgrader collect). A student's pod writes only into their own
        inbox, so a submission is trusted only under the name of the inbox it came from."""
        _known(lab)
        exchange = settings().hub_dir / "exchange" / "svclab" / "inbound"
        exchange.mkdir(parents=True, exist_ok=True)
        found = Collected()
        for student in sorted(students):
            inbox = settings().hub_dir / "inbound" / student
            for entry in sorted(inbox.glob(f"*+{lab}+*")):
                if not entry.name.startswith(f"{inbox.name}+{lab}+"):
                    found.refused.append(f"{inbox.name}: {entry.name} (a submission under another name)")
                    continue
                if not (exchange / entry.name).exists():
                    shutil.copytree(entry, exchange / entry.name)
                found.students.add(inbox.name)
        if found.students:
            self._exchange("collect", lab, "--update")
        return found

    def release_feedback(self, lab: str) -> list[Path]:
        """Feedback pages for every graded submission, released to the students on the hub."""
        pages = self.feedback(lab)
        self._exchange("release_feedback", lab)
        return pages

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


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _known(lab: str) -> None:
    if lab not in LABS:
        raise InvalidInput(f"there is no lab {lab!r}", f"labs: {', '.join(sorted(LABS))}")
