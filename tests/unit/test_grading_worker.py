"""The grading worker: one nbgrader process that takes submissions one after another, reports
each failure as that submission's, and is stopped (naming the submission) when it overruns."""

from __future__ import annotations

from pathlib import Path

import pytest

from svclab.grading.course import Course
from svclab.grading.worker import LOG, Worker, WorkerGone


def test_a_failed_submission_is_reported_and_the_worker_takes_the_next(tmp_path: Path) -> None:
    course = Course.create(tmp_path / "course")
    worker = Worker(course.root)
    try:
        first = worker.grade("clusterip", "alice", prepared=False, timeout=120)
        second = worker.grade("clusterip", "bob", prepared=False, timeout=120)
    finally:
        worker.close()
    assert first and "No notebooks were matched" in first and "submitted/alice/clusterip" in first
    assert second and "submitted/bob/clusterip" in second
    log = (course.root / LOG).read_text()
    assert "--- clusterip/alice: failed" in log and "No notebooks were matched" in log


def test_a_worker_past_its_time_is_stopped_and_the_submission_named(tmp_path: Path) -> None:
    course = Course.create(tmp_path / "course")
    worker = Worker(course.root)
    with pytest.raises(WorkerGone) as gone:
        worker.grade("clusterip", "carol", prepared=False, timeout=0.2)  # nbgrader alone takes longer to start
    assert not worker.alive
    assert "carol's submission stopped" in gone.value.message
    assert gone.value.hint and "svclab grade autograde clusterip --student carol" in gone.value.hint
