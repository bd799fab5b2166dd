"""Imports run one way (issue 11): the contracts in ``.importlinter`` hold, and they catch an upward import.

``make lint`` runs the same ``lint-imports``; this test makes CI (``make test``) run it too.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("receipts", "crawlers", "pipelines", "scheduler", "fakeweb")


def lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=240)


def test_the_house_keeps_its_import_contracts() -> None:
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """A copy of the packages where the core imports the daemon: lint-imports must fail and name it."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    with (tmp_path / "receipts" / "models.py").open("a") as fh:
        fh.write("\nfrom scheduler import daemon  # noqa: E402  upward\n")
    (tmp_path / "crawlers" / "spiders" / "peek.py").write_text("import fakeweb  # the dev fake web\n")
    proc = lint(tmp_path, pythonpath=tmp_path)
    assert proc.returncode != 0
    assert "receipts.models -> scheduler.daemon" in proc.stdout, proc.stdout[-4000:]
    assert "crawlers.spiders.peek -> fakeweb" in proc.stdout, proc.stdout[-4000:]


def layer_modules() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    raw = parser["importlinter:contract:layers"]["layers"]
    return [m.strip() for line in raw.splitlines() for m in line.split(":") if m.strip()]


def test_every_module_sits_in_a_layer() -> None:
    """A module the layers do not name would escape the contract: each one must belong to a layer."""
    layers = layer_modules()
    loose = []
    for package in PACKAGES[:-1]:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            if module in PACKAGES or module.endswith("__main__"):
                continue
            if not any(module == layer or module.startswith(layer + ".") for layer in layers):
                loose.append(module)
    assert loose == [], f"modules in no layer of .importlinter: {loose}"
