"""The one subprocess runner and the errors it raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from svclab import runner
from svclab.errors import CommandFailed, SvclabError, ToolMissing
from svclab.poll import poll


def test_run_returns_stdout() -> None:
    assert runner.run(["sh", "-c", "echo hi"]).stdout == "hi\n"


def test_failure_carries_command_exit_code_and_stderr() -> None:
    with pytest.raises(CommandFailed) as info:
        runner.run(["sh", "-c", "echo boom >&2; exit 3"])
    err = info.value
    assert err.cmd == ["sh", "-c", "echo boom >&2; exit 3"]
    assert err.returncode == 3
    assert "boom" in err.stderr and "exited with code 3" in str(err)


def test_unchecked_failure_returns_the_result() -> None:
    assert runner.run(["sh", "-c", "exit 4"], check=False).returncode == 4


def test_missing_program_is_tool_missing_with_a_hint() -> None:
    with pytest.raises(ToolMissing) as info:
        runner.run(["kind-does-not-exist-xyz"])
    assert "not installed" in info.value.message


def test_timeout_is_a_command_failure() -> None:
    with pytest.raises(CommandFailed, match="timed out"):
        runner.run(["sleep", "5"], timeout=0.2)


def test_stream_logs_every_line_and_reports_them(tmp_path: Path) -> None:
    seen: list[str] = []
    log = tmp_path / "x.log"
    runner.stream(["sh", "-c", "echo one; echo two >&2"], log=log, on_line=seen.append)
    assert seen == ["one", "two"]
    assert log.read_text() == "one\ntwo\n"


def test_stream_failure_shows_the_log_tail(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed) as info:
        runner.stream(["sh", "-c", "echo reason; exit 2"], log=tmp_path / "y.log")
    assert "reason" in info.value.stderr and str(tmp_path / "y.log") in info.value.stderr


def test_error_text_includes_the_hint() -> None:
    assert str(SvclabError("it broke", "do this")) == "it broke\n  hint: do this"


def test_which_prefers_svclab_bin(tmp_path: Path) -> None:
    tool = tmp_path / "sh"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert runner.which("sh", [tmp_path]) == str(tool)
    assert runner.which("sh", [tmp_path / "nowhere"]) not in (None, str(tool))


def test_a_daemon_runs_on_until_it_is_ended(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    pid = runner.daemon(["sh", "-c", "echo started; exec sleep 30"], log=log)
    assert poll(log.read_text, timeout=10, every=0.05, what="its first line") == "started\n"
    assert runner.alive(pid)
    runner.end(pid, grace=5)
    assert not runner.alive(pid)


def test_pipeline_feeds_bytes_through_every_command(tmp_path: Path) -> None:
    source, sink = tmp_path / "in", tmp_path / "out"
    source.write_bytes(b"b\na\n" * 100_000)
    with source.open("rb") as feed, sink.open("wb") as out:
        runner.pipeline([["sort"], ["uniq", "-c"]], source=feed, sink=out)
    assert sink.read_text().split() == ["100000", "a", "100000", "b"]


def test_pipeline_names_the_command_that_failed(tmp_path: Path) -> None:
    with (tmp_path / "in").open("wb+") as feed:
        feed.write(b"x" * (1 << 22))
        feed.seek(0)
        with pytest.raises(CommandFailed) as caught:  # it stops reading: no BrokenPipeError escapes
            runner.pipeline([["sh", "-c", "echo refused >&2; exit 3"], ["cat"]], source=feed)
    assert caught.value.returncode == 3 and "refused" in caught.value.stderr and caught.value.cmd[0] == "sh"
