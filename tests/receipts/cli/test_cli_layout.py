"""The CLI package's import rule: command modules share only ``receipts.cli.common`` and the layers below.

No command module imports another one or the dispatcher (``receipts/cli/__init__.py``), and none takes
its JSON shapes from an API route module (they live in ``receipts.exports.records``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

CLI = ROOT / "receipts" / "cli"
COMMAND_MODULES = sorted(p for p in CLI.glob("*.py") if p.name not in ("__init__.py", "__main__.py", "common.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module *path* imports, at module level or inside functions (``from a import b`` counts as ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_cli_has_one_module_per_command_group() -> None:
    assert {p.stem for p in COMMAND_MODULES} == {"crawl", "daemon", "evidence", "export", "media", "query"}
    assert not list(CLI.parent.glob("cli_*.py")), "the CLI lives in receipts/cli/ only"


@pytest.mark.parametrize("path", [*COMMAND_MODULES, CLI / "common.py"], ids=lambda p: p.name)
def test_command_modules_import_only_common_and_lower_layers(path: Path) -> None:
    imports = imported_modules(path)
    allowed = set() if path.name == "common.py" else {"receipts.cli.common"}
    cli = {m for m in imports if m == "receipts.cli" or m.startswith("receipts.cli.")}
    # ``from receipts.cli.common import fail`` also yields "receipts.cli.common.fail"
    assert {m for m in cli if not any(m == a or m.startswith(a + ".") for a in allowed)} == set()
    assert {m for m in imports if m.startswith("receipts.api.routes_")} == set()
