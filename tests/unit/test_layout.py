"""The package's layout holds: data flows one way through its rooms, no module imports
itself in a circle, only svclab.k8s talks to the Kubernetes client, only the runner
starts processes, and no module grows past the size a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "svclab"
MAX_LINES = 400

#: rooms, lowest first; a module may import its own room or lower ones, never a higher one
LAYERS: list[tuple[str, ...]] = [
    ("svclab.errors", "svclab.constants", "svclab.settings", "svclab.poll", "svclab.runner"),
    ("svclab.k8s",),
    ("svclab.toolbox", "svclab.http", "svclab.ipython", "svclab.identity"),
    (
        "svclab.dns",
        "svclab.env",
        "svclab.exposing",
        "svclab.services",
        "svclab.traffic",
        "svclab.kubeproxy",
        "svclab.health",
        "svclab.cluster",
    ),
    ("svclab.labs",),
    ("svclab.grading", "svclab.course", "svclab.widgets", "svclab.classroom", "svclab.workspace", "svclab.hub"),
    ("svclab.bench", "svclab.cli", "svclab"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (``from a import b``
    counts as ``a.b`` when that is a module of its own)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found |= submodules or {node.module}
    return found


GRAPH = {name: {i for i in imports(path) if i in MODULES and i != name} for name, path in MODULES.items()}


def layer(module: str) -> int:
    best = max(
        (prefix for room in LAYERS for prefix in room if module == prefix or module.startswith(prefix + ".")), key=len
    )
    return next(i for i, room in enumerate(LAYERS) if best in room)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_no_higher_room(module: str) -> None:
    higher = sorted(i for i in GRAPH[module] if layer(i) > layer(module))
    assert not higher, f"{module} (room {layer(module)}) imports {higher} from a higher room"


def test_no_import_cycles() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " → ".join(cycle))
        if module in done:
            return
        for target in sorted(GRAPH[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_only_the_k8s_layer_uses_the_kubernetes_client_and_only_the_runner_starts_processes() -> None:
    for name, path in MODULES.items():
        used = {i.split(".")[0] for i in imports(path)}
        if "kubernetes" in used:
            assert name.startswith("svclab.k8s."), f"{name} imports the Kubernetes client directly"
        if "subprocess" in used:
            assert name == "svclab.runner", f"{name} starts processes itself"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concern"


def test_no_exported_name_is_shadowed_by_a_module() -> None:
    """`import svclab as sl; sl.expose(...)` must reach the function even after the module of the
    same room was imported (Python sets every imported submodule as a package attribute)."""
    import importlib
    import types

    import svclab

    for name in MODULES:
        importlib.import_module(name)
    shadowed = [n for n in svclab.__all__ if isinstance(getattr(svclab, n), types.ModuleType)]
    assert not shadowed, f"svclab.{shadowed} are modules, not the functions svclab exports"
