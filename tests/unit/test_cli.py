"""The CLI turns every failure into one clear message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from svclab.cli import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and output with rich's line wrapping undone."""
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SVCLAB_CONFIG", str(tmp_path / "config"))
    monkeypatch.delenv("SVCLAB_KUBECONFIG", raising=False)
    return tmp_path


def test_status_without_a_cluster_says_how_to_start_one(empty_home: Path) -> None:
    code, output = invoke("status")
    assert code == 1
    assert "no cluster yet: run `svclab up`" in output
    assert "Traceback" not in output


def test_up_with_a_missing_kubeconfig_is_a_clear_error(empty_home: Path) -> None:
    code, output = invoke("up", "--kubeconfig", str(empty_home / "nope.yaml"))
    assert code == 1
    assert f"error: kubeconfig {empty_home / 'nope.yaml'} does not exist" in output
    assert "hint: pass the path of a kubeconfig file" in output
    assert "Traceback" not in output


def test_up_on_an_unreachable_cluster_names_the_problem(empty_home: Path) -> None:
    kubeconfig = empty_home / "dead.yaml"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        "clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    code, output = invoke("up", "--kubeconfig", str(kubeconfig))
    assert code == 1
    assert f"error: the cluster of {kubeconfig} does not answer" in output
    assert "hint: check the server address" in output
    assert "Traceback" not in output
    code, output = invoke("status")
    assert code == 1
    assert "API server unreachable: the cluster is not reachable" in output


def test_grade_submit_refuses_what_is_not_a_submission_and_files_nothing(tmp_path: Path) -> None:
    from svclab.grading.course import Course

    root = Course.create(tmp_path / "course").root
    course = ("--course", str(root))
    text = tmp_path / "notes.ipynb"
    text.write_text("my answers: 10.96.0.1\n")
    labs = Path(__file__).resolve().parents[2] / "labs"
    other, unrelated = labs / "nodeport" / "nodeport.ipynb", labs / "headless" / "headless.ipynb"
    cases = [
        ((str(tmp_path / "missing.ipynb"),), "missing.ipynb does not exist"),
        ((str(text),), "notes.ipynb is not a Jupyter notebook"),
        ((str(other),), "nodeport.ipynb is not a notebook of lab clusterip: it has checks of another lab (every-node)"),
    ]
    cases.append(((str(unrelated),), "headless.ipynb is not a notebook of lab clusterip: it has none of that lab's"))
    for args, message in cases:
        code, output = invoke("grade", "submit", "alice", "clusterip", *args, *course)
        assert code == 1, output
        assert message in output and "hint:" in output and "Traceback" not in output
    code, output = invoke("grade", "submit", "../alice", "clusterip", str(other), *course)
    assert code == 1 and "'../alice' is not a usable student id" in output
    assert not (root / "submitted").exists()


def test_grade_autograde_says_what_to_do_first(tmp_path: Path) -> None:
    from svclab.grading.course import Course

    course = ("--course", str(Course.create(tmp_path / "course").root))
    code, output = invoke("grade", "autograde", "clusterip", *course)
    assert code == 0 and "no submissions of clusterip yet" in output
    code, output = invoke("grade", "autograde", "clusterip", "--retry-errors", *course)
    assert code == 0 and "nothing to regrade for clusterip" in output
    code, output = invoke("grade", "autograde", "clusterip", "--student", "alice", *course)
    assert code == 1 and "lab clusterip has not been generated in the course" in output, output
    assert "svclab grade generate clusterip" in output and "Traceback" not in output
