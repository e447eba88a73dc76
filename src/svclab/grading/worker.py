"""A grading worker: one long-lived process that autogrades submissions one after another
with nbgrader's own API, so a class pays for starting Python and importing nbgrader once
per worker instead of once per submission.

The parent (:class:`svclab.grading.course.Course`) writes one JSON job a line on the
worker's stdin – ``{"lab": …, "student": …, "prepared": true|false}`` – and reads one JSON
result a line back: ``{"student": …, "error": str | null}``. Each submission still runs in
a kernel of its own, in its own grading namespace; only the nbgrader process is shared.

Run as ``python -m svclab.grading.worker COURSE_ROOT [--on-host]``; ``--on-host`` runs the
submissions' code on this machine instead of in grading pods (svclab.grading.preprocessors)."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

from svclab import runner
from svclab.errors import SvclabError
from svclab.grading.environment import PREPARED_ENV

#: nbgrader's log of every worker, in the course root
LOG = "svclab-autograde.log"


def _api(root: Path, on_host: bool) -> Any:
    """nbgrader's API, configured by the course root's nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    if on_host:
        config.ExecuteInGradingNamespace.on_host = True
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _failure(result: dict[str, Any]) -> str:
    """The lines of nbgrader's log and traceback that say why a submission failed."""
    lines = [ln for ln in (result.get("log", "") + "\n" + (result.get("error") or "")).splitlines() if ln.strip()]
    wanted = [ln for ln in lines if ln.startswith(("[ERROR]", "[CRITICAL]")) or "Error" in ln]
    return "\n".join((wanted or lines)[-12:]) or "nbgrader failed without saying why"


def serve(root: Path, jobs: IO[str], results: IO[str], on_host: bool = False) -> None:
    """Grade each job read from ``jobs``; write each result to ``results`` as it ends."""
    os.chdir(root)
    api = _api(root, on_host)
    for line in jobs:
        job = json.loads(line)
        os.environ[PREPARED_ENV] = "1" if job.get("prepared") else ""
        try:
            result = api.autograde(job["lab"], job["student"], force=True, create=True)
        except Exception as exc:  # noqa: BLE001 – one submission's failure must not end the batch
            result = {"success": False, "error": f"{type(exc).__name__}: {exc}"}
        error = None if result.get("success") else _failure(result)
        print(f"--- {job['lab']}/{job['student']}: {'graded' if error is None else 'failed'}", file=sys.stderr)
        print(result.get("log", ""), file=sys.stderr, flush=True)  # nbgrader's own log, into LOG
        results.write(json.dumps({"student": job["student"], "error": error}) + "\n")
        results.flush()


class Worker:
    """The parent's handle on one worker process."""

    def __init__(self, root: Path, on_host: bool = False) -> None:
        # nbgrader's log of each submission (and its kernels' stderr) goes to the course root
        cmd = [sys.executable, "-m", "svclab.grading.worker", str(root), *(["--on-host"] if on_host else [])]
        self.proc = runner.converse(cmd, log=root / LOG, cwd=root)

    def grade(self, lab: str, student: str, prepared: bool, timeout: float) -> str | None:
        """Autograde one submission; None when it was graded, else why not. A worker that
        overruns ``timeout`` (a kernel that hangs past nbgrader's own limits) is killed."""
        assert self.proc.stdin and self.proc.stdout
        watchdog = threading.Timer(timeout, self.proc.kill)
        watchdog.start()
        try:
            self.proc.stdin.write(json.dumps({"lab": lab, "student": student, "prepared": prepared}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        finally:
            watchdog.cancel()
        if not line:
            self.proc.kill()
            self.proc.wait()
            raise WorkerGone(student, lab, timeout)
        return json.loads(line)["error"]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        runner.stop(self.proc)


class WorkerGone(SvclabError):
    """The worker process ended (or was stopped) in the middle of a submission."""

    def __init__(self, student: str, lab: str, timeout: float) -> None:
        super().__init__(
            f"grading {student}'s submission stopped: its nbgrader worker ended or ran past {timeout:.0f} s",
            f"see {LOG} in the course root, then grade it alone: svclab grade autograde {lab} --student {student}",
        )


def main() -> None:
    root = Path(sys.argv[1])
    results = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the results
    serve(root, sys.stdin, results, on_host="--on-host" in sys.argv[2:])


if __name__ == "__main__":
    main()
