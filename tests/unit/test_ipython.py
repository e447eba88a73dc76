"""The notebook side without a cluster: a refused `!kubectl` command is printed as usual and
remembered with kubectl's reason; commands with shell syntax run as IPython runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from svclab import ipython


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InteractiveShell:
    fake = tmp_path / "kubectl"  # a kubectl that refuses as the API server does
    said = 'error: Service \\"web\\" is invalid: spec.ports[0].port: Invalid value: $5'
    fake.write_text(f'#!/bin/sh\necho "{said}" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    sh = InteractiveShell.instance()
    monkeypatch.setattr(ipython, "_ipython", lambda: sh)
    monkeypatch.setattr(ipython, "_refused", [])
    monkeypatch.setattr(sh, "_svclab_watching", False, raising=False)
    ipython.watch_kubectl()
    return sh


def test_a_refused_kubectl_command_is_remembered_with_its_reason(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.user_ns["port"] = 70000
    shell.system("kubectl create service clusterip web --tcp={port}:80")
    assert "Invalid value" in capsys.readouterr().out
    assert shell.user_ns["_exit_code"] == 1
    assert ipython.refused() == (
        '`kubectl create service clusterip web --tcp=70000:80`: error: Service "web" is invalid: '
        "spec.ports[0].port: Invalid value: --tcp=70000:80",
    )


def test_reads_and_shell_syntax_are_left_to_ipython(shell: InteractiveShell) -> None:
    shell.system("kubectl get services | cat")
    shell.system("kubectl get services")
    assert ipython.refused() == ()


def test_a_command_the_api_server_did_not_answer_marks_the_output_unfit(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    down = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
    (tmp_path / "kubectl").write_text(f'#!/bin/sh\necho "{down}" >&2\nexit 1\n')
    shell.system("kubectl apply -f web.yaml")
    marked = capsys.readouterr().err
    assert marked == "SVCLAB-ENVIRONMENT-ERROR: the API server did not answer `kubectl apply -f web.yaml`\n"


def test_the_line_that_set_an_answer_is_found_as_typed(shell: InteractiveShell) -> None:
    shell.run_cell("fqdn_ip = 'first'\nother = 1", store_history=True)
    shell.run_cell("fqdn_ip == 'x'\nfqdn_ip = !echo 10.96.0.7", store_history=True)
    assert ipython.source_of("fqdn_ip") == "fqdn_ip = !echo 10.96.0.7"
    assert ipython.source_of("missing") is None
