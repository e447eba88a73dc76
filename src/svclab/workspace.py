"""A student's workspace: the course notebooks and the *student* versions of the labs,
with no solution and no hidden check in any file. `svclab workspace [DIR]` makes or
updates it; `svclab lab` opens it (`svclab lab --instructor` opens the sources instead).

    <dir>/course/…            the lectures and demos (their lab links resolve below)
    <dir>/labs/<lab>/<lab>.ipynb   nbgrader's student version of each lab

A later run never overwrites a file the student may have edited: a lab whose shipped
version changed arrives beside it as ``<lab>.new.ipynb``. The student versions are made
once per set of lab sources and kept in svclab's cache."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from svclab.grading.course import Course
from svclab.labs import LABS
from svclab.settings import settings

#: what a student's JupyterLab leaves out: the news prompt and nbgrader's instructor tools
STUDENT_SERVER_CONFIG = {
    "LabApp": {"news_url": None},
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.formgrader": False,
            "nbgrader.server_extensions.course_list": False,
        }
    },
}
STUDENT_PAGE_CONFIG = {
    "disabledExtensions": {
        **{f"@jupyter/nbgrader:{p}": True for p in ("formgrader", "course-list", "create-assignment")},
        "@jupyterlab/apputils-extension:announcements": True,  # the news prompt, wherever LabApp is not told
    }
}
_STATE = ".svclab-workspace.json"


@dataclass
class Update:
    """What one run did: files written, files left as the student has them, newer versions beside them."""

    root: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    beside: list[str] = field(default_factory=list)


def student_labs() -> dict[str, Path]:
    """Each lab's student version (solutions and hidden checks removed by nbgrader), cached."""
    s = settings()
    digest = hashlib.sha256()
    for lab in sorted(LABS):
        digest.update((s.labs_dir / lab / f"{lab}.ipynb").read_bytes())
    cache = s.cache_dir / "workspace" / digest.hexdigest()[:16]
    found = {lab: cache / f"{lab}.ipynb" for lab in sorted(LABS)}
    if not all(p.exists() for p in found.values()):
        with tempfile.TemporaryDirectory(prefix="svclab-release-") as tmp:
            course = Course.create(Path(tmp) / "course")
            cache.mkdir(parents=True, exist_ok=True)
            for lab, target in found.items():
                shutil.copy(course.generate(lab), target)
    return found


def update(root: Path | None = None) -> Update:
    """Create or update the workspace at ``root`` (default: ~/svclab); see the module docstring."""
    s = settings()
    root = (root or s.workspace_dir).expanduser().resolve()
    state_file = root / _STATE
    shipped: dict[str, str] = json.loads(state_file.read_text()) if state_file.exists() else {}
    files = {
        f"course/{p.relative_to(s.course_dir)}": p
        for p in sorted(s.course_dir.rglob("*.ipynb"))
        if ".ipynb_checkpoints" not in p.parts
    }
    files |= {f"labs/{lab}/{lab}.ipynb": p for lab, p in student_labs().items()}
    result = Update(root)
    for name, source in files.items():
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = root / name
        if not target.exists():
            _write(target, data, result.written, name)
        elif hashlib.sha256(target.read_bytes()).hexdigest() == digest or shipped.get(name) == digest:
            result.kept.append(name)  # as shipped, or the student's edit of this very version
        else:
            newer = target.with_suffix(".new.ipynb")
            if hashlib.sha256(target.read_bytes()).hexdigest() == shipped.get(name):
                _write(target, data, result.written, name)  # unedited: safe to bring up to date
            else:
                _write(newer, data, result.beside, str(newer.relative_to(root)))
        shipped[name] = digest
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(shipped, indent=1, sort_keys=True))
    _write_jupyter_config(root / ".jupyter")
    return result


def _write(target: Path, data: bytes, record: list[str], name: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    record.append(name)


def _write_jupyter_config(folder: Path) -> None:
    """Jupyter config for the student's server (put on JUPYTER_CONFIG_PATH by `svclab lab`)."""
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER_CONFIG, indent=1))
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(STUDENT_PAGE_CONFIG, indent=1))
