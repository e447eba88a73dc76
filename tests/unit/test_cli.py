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
