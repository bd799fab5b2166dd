"""The product ships without the fake web: `pip install .` and the image leave `fakeweb/` out, and
`receipts demo` without it says it needs the development install instead of a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]


def test_the_product_distribution_leaves_out_the_fake_web() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    found = find_namespace_packages(where=str(ROOT), include=find["include"], exclude=find.get("exclude", ()))
    # a folder left with only __pycache__ (an old checkout) puts no file in the wheel
    packages = [p for p in found if any((ROOT / p.replace(".", "/")).glob("*.py"))]
    assert {"receipts", "crawlers", "pipelines", "scheduler"} <= set(packages)
    assert [p for p in packages if "fakeweb" in p.split(".")] == []


def test_the_image_copies_only_the_product() -> None:
    copied = [line.split()[1:-1] for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
              if re.match(r"COPY\s", line)]
    sources = {source.rstrip("/") for line in copied for source in line}
    assert "receipts" in sources and "fakeweb" not in sources and "." not in sources


def test_the_fake_web_is_importable_from_any_directory(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import fakeweb, sys; print(fakeweb.__file__)"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve().parent == ROOT / "fakeweb"


def test_demo_without_the_fake_web_is_a_one_line_error(tmp_path: Path) -> None:
    # a production install, as far as the CLI can tell: `import fakeweb` fails
    script = ("import sys; sys.modules['fakeweb'] = None; sys.argv = ['receipts', 'demo']\n"
              "from receipts.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "RECEIPTS_DATA_DIR": str(tmp_path / "var")})
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "development install" in lines[0] and "make setup" in lines[0], proc.stderr
    assert proc.stdout == "" and not (tmp_path / "var" / "db").exists()  # nothing started
