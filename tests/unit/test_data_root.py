"""Where svclab finds its data (a checkout, else a wheel's package data) and the course root
it grades in by default – never inside site-packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from svclab import settings as settings_module
from svclab.errors import InvalidInput
from svclab.settings import Settings, data_root

CHECKOUT = Path(__file__).resolve().parents[2]


def test_a_checkout_wins_and_svclab_cluster_dir_wins_over_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SVCLAB_CLUSTER_DIR", raising=False)
    assert data_root() == CHECKOUT
    s = Settings()
    assert s.cluster_dir == CHECKOUT / "cluster" and not s.installed
    assert s.course_dir == CHECKOUT / "course" and s.nbgrader_config == CHECKOUT / "grader/nbgrader_config.py"
    monkeypatch.setenv("SVCLAB_CLUSTER_DIR", str(tmp_path / "cluster"))
    assert data_root() == tmp_path


def test_without_a_checkout_the_package_data_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SVCLAB_CLUSTER_DIR", raising=False)
    monkeypatch.setattr(settings_module, "CHECKOUT", tmp_path)  # as in site-packages: no pyproject.toml
    assert data_root() == settings_module.PACKAGE_DATA == Path(settings_module.__file__).parent / "_data"


def test_the_default_course_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SVCLAB_COURSE", raising=False)
    monkeypatch.delenv("SVCLAB_CLUSTER_DIR", raising=False)
    monkeypatch.setenv("SVCLAB_WORKSPACE", str(tmp_path / "home/svclab"))
    assert Settings(cluster_dir=CHECKOUT / "cluster").course_root == CHECKOUT / "grader"
    (tmp_path / "data/cluster").mkdir(parents=True)
    installed = Settings(cluster_dir=tmp_path / "data/cluster")
    assert installed.installed and installed.course_root == tmp_path / "home/svclab/grader"
    monkeypatch.setenv("SVCLAB_COURSE", str(tmp_path / "class-a"))
    assert installed.course_root == tmp_path / "class-a"
    assert "setup-host.sh" in installed.setup_hint() and "make setup" in Settings().setup_hint()


def test_a_new_or_empty_course_root_is_set_up_and_a_foreign_folder_refused(tmp_path: Path) -> None:
    from svclab.grading.course import Course

    assert (Course(tmp_path / "new" / "class").root / "nbgrader_config.py").is_file()
    (tmp_path / "empty").mkdir()
    assert (Course(tmp_path / "empty").root / "nbgrader_config.py").is_file()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("grade\n")
    with pytest.raises(InvalidInput, match="not an nbgrader course root"):
        Course(tmp_path / "notes")
    assert not (tmp_path / "notes" / "nbgrader_config.py").exists()
