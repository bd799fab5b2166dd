"""Smoke test of the benchmark harness: ``python -m bench --quick --only discovery`` runs and writes its JSON.

Benchmarks are not timed tests: nothing here asserts a speed, only that the harness works and the
results file has the documented shape.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT_KEYS = {"name", "title", "unit", "value", "comparison", "comparison_label", "ratio", "target", "passed", "note",
               "details", "seconds"}


def test_quick_discovery_run_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "discovery", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Reference discovery" in proc.stdout
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["quick"] is True
    assert {"python", "platform", "cpus"} <= set(payload["machine"])
    [result] = payload["results"]
    assert set(result) == RESULT_KEYS
    assert result["name"] == "discovery"
    assert result["value"] > 0 and result["comparison"] > 0
    assert result["ratio"] == result["value"] / result["comparison"]
    assert isinstance(result["passed"], bool)  # issue 13: the new passes' cost against their budget
    extra = result["details"]["form_passes_extra"]
    assert result["passed"] == (extra <= 0.25) and result["details"]["form_passes_ms_per_article"] >= 0
    assert result["note"] and not result["note"].startswith("error")
    details = result["details"]
    assert details["articles"] > details["fixture_articles"] > 0
    assert details["references_found"] > 0
    assert details["profile_tottime_top"]


def test_unknown_benchmark_is_rejected(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "--only", "nosuch", "--out", str(tmp_path / "r.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "unknown benchmark" in proc.stderr
    assert not (tmp_path / "r.json").exists()
