"""The architecture, checked: layers point one way, modules stay small, the SLA core stays pure.

Reads every module's imports with `ast` (those inside functions too). docs/architecture.md draws
the same layers; a new app gets its row in LAYERS before it gets code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "guichet"

# Lowest first. A module may import its own app and the apps of lower layers only; apps that
# share a layer do not import each other. Lower layers reach higher ones through domain events.
LAYERS: list[set[str]] = [
    {"sla"},  # the pure SLA core: no Django
    {"accounts"},
    {"contracts"},
    {"tickets"},
    {"outbox"},
    {"mail"},
    {"reports", "oncall", "statements"},
    {"api", "web"},
    {"ops", "demo"},
]
RANK = {app: i for i, layer in enumerate(LAYERS) for app in layer}
# Top-level modules every layer may use; they import no app themselves.
KERNEL = {"events", "fastsql", "background"}
# The composition root: wires everything together, imported by nothing inside guichet's apps.
ROOT_MODULES = {"settings", "urls", "wsgi", "cli", "__main__", "__init__"}
MAX_LINES = 600


def python_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported_guichet_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, second component) of every `guichet.X` import, at any depth of the module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "guichet":
                names = [f"guichet.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "guichet" and len(parts) > 1:
                yield node.lineno, parts[1]


def where(path: Path) -> tuple[str, str]:
    """("app", name) for a module inside an app package, ("top", module name) for a top-level one."""
    rel = path.relative_to(PACKAGE).parts
    return ("app", rel[0]) if len(rel) > 1 else ("top", rel[0].removesuffix(".py"))


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    apps -= {"locale"}
    assert apps <= set(RANK), f"give these apps a layer in LAYERS: {sorted(apps - set(RANK))}"


def test_layers_point_one_way() -> None:
    bad = []
    for path in python_files():
        kind, name = where(path)
        for line, target in imported_guichet_names(path):
            if target == name or (kind == "top" and name in ROOT_MODULES):
                continue
            if target in ROOT_MODULES - {"__init__"}:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports the composition root guichet.{target}")
                continue
            if kind == "top":
                if name in KERNEL and target not in KERNEL:
                    bad.append(f"{path.relative_to(ROOT)}:{line} kernel module imports app {target}")
                continue
            if target in KERNEL or target not in RANK:
                continue
            if RANK[target] > RANK[name]:
                bad.append(f"{path.relative_to(ROOT)}:{line} {name} imports {target} (a higher layer)")
            elif RANK[target] == RANK[name]:
                bad.append(f"{path.relative_to(ROOT)}:{line} {name} imports {target} (same layer)")
    assert not bad, "\n".join(bad)


def test_the_sla_core_imports_no_django() -> None:
    bad = []
    for path in (PACKAGE / "sla").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            bad += [
                f"{path.relative_to(ROOT)}:{node.lineno} {m}" for m in modules if m.split(".")[0] == "django"
            ]
    assert not bad, bad


@pytest.mark.parametrize("folder", ["guichet", "tests", "bench"])
def test_no_module_over_600_lines(folder: str) -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"
