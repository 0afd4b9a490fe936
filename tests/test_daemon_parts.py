"""The daemon's parts depend on one another in one direction only: none reaches back to
the Daemon (reminderd/daemon/__init__.py), and none imports a part that imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import reminderd.daemon

PACKAGE = Path(reminderd.daemon.__file__).parent


def daemon_imports(path: Path) -> set[str]:
    """The parts of reminderd.daemon a module imports ("" for the package itself)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reminderd.daemon"):
            part = node.module[len("reminderd.daemon"):].lstrip(".")
            found |= {a.name for a in node.names} if part == "" else {part}
        elif isinstance(node, ast.Import):
            found |= {a.name[len("reminderd.daemon."):] for a in node.names if a.name.startswith("reminderd.daemon.")}
    return found


def test_no_part_of_the_daemon_imports_the_daemon_or_a_part_that_leads_back() -> None:
    parts = {p.stem: daemon_imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert parts, "no parts found"
    for name, imports in parts.items():
        assert "Daemon" not in imports, f"{name} imports the Daemon"
        seen, todo = set(), list(imports)
        while todo:
            part = todo.pop()
            assert part != name, f"{name} imports itself through {sorted(seen)}"
            if part not in seen:
                seen.add(part)
                todo += parts.get(part, set())


def test_morning_needs_only_the_shared_parts() -> None:
    assert daemon_imports(PACKAGE / "morning.py") == {"shared"}


def test_push_needs_only_the_shared_parts() -> None:
    assert daemon_imports(PACKAGE.parent / "push" / "outbox.py") == {"shared"}
