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
               "details", "seconds", "reason", "growth"}


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
    assert "ms per article" in result["reason"]
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


def test_readme_table_is_regenerated_from_results(tmp_path: Path) -> None:
    """A results payload becomes README's Benchmarks block between its markers; the rest of the file stays."""
    from bench.readme import END, START, update_readme
    from bench.util import Result, growth_row

    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{START}\nold table\n{END}\nafter\n", encoding="utf-8")
    rows = [growth_row("posts by date range p95", 10_000, 100_000, 12.0, 14.0, "ms"),
            growth_row("crawl wall time", 100, 1000, 10.0, 180.0, "s")]
    results = [Result(name="queries", title="Query latency p95", unit="ms", value=14.0, target="p95 < 50 ms",
                      passed=True, reason="every listing is an indexed equality find", growth=rows).to_json(),
               Result(name="archive_rate", title="Archive rate", unit="posts/min", value=900.0, comparison=3600.0,
                      comparison_label="scrapy bench pages/min", ratio=0.25, target=">= 0.5", passed=False).to_json()]
    update_readme({"started_at": "2026-12-03T10:00:00+00:00", "machine": {"cpus": 2, "python": "3.11"},
                   "results": results}, readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n") and text.endswith("after\n") and "old table" not in text
    assert "| Query latency p95 | 14.0 ms | — | — | p95 < 50 ms | met |" in text
    assert "| Archive rate | 900 posts/min | 3,600 scrapy bench pages/min | 0.25 | >= 0.5 | missed |" in text
    assert "| queries | posts by date range p95 | 10,000 → 100,000 (×10) | 12.0 → 14.0 ms | ×1.17 | better than linear |" in text
    assert "×18 | worse than linear |" in text  # 10× the posts in 18× the time
    assert "- **Query latency p95** (met): every listing is an indexed equality find" in text


def test_every_benchmark_module_imports_and_has_a_run() -> None:
    code = ("import importlib, inspect; from bench.__main__ import MODULES; "
            "print(sorted(n for n, m in MODULES.items() if callable(getattr(importlib.import_module(m), 'run', None))))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from bench.__main__ import MODULES

    assert proc.stdout.strip() == str(sorted(MODULES))
