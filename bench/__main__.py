"""``python -m bench [--quick] [--only a,b] [--out PATH]``: run the benchmarks, print a table, write results JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.readme import update_readme, verdict
from bench.util import RESULTS_PATH, Result

BENCHMARKS = ("discovery", "archive_rate", "recrawl", "browser", "queries", "memory", "scale")
MODULES = {"discovery": "bench.discovery", "archive_rate": "bench.archive_rate",
           "recrawl": "bench.recrawl", "browser": "bench.browser",
           "queries": "bench.queries", "memory": "bench.memory", "scale": "bench.scale"}


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if abs(value) < 10_000 else f"{value:,.0f}"


def table(results: list[Result]) -> Table:
    out = Table(title="Receipts benchmarks", show_lines=True)
    for column in ("benchmark", "value", "comparison", "ratio", "target", "result and why"):
        out.add_column(column, overflow="fold")
    for r in results:
        word = verdict(r.passed)
        colour = {"met": "green", "missed": "red"}.get(word, "dim")
        comparison = f"{_fmt(r.comparison)}\n[dim]{r.comparison_label}[/]" if r.comparison is not None else "-"
        why = f"\n[dim]{escape(r.reason)}[/]" if r.reason else ""
        out.add_row(f"{r.title}\n[dim]{r.name}, {r.seconds:.0f} s[/]", f"{_fmt(r.value)} {r.unit}", comparison,
                    _fmt(r.ratio, 2), r.target, f"[{colour}]{word}[/]{why}")
    return out


def growth_table(results: list[Result]) -> Table | None:
    """How each figure grows with the data: from each benchmark's ``growth`` rows."""
    rows = [(r, g) for r in results for g in r.growth]
    if not rows:
        return None
    out = Table(title="How the figures grow", show_lines=False)
    for column in ("benchmark", "figure", "data", "cost", "cost grows", "verdict"):
        out.add_column(column, overflow="fold")
    for r, g in rows:
        out.add_row(r.name, g["figure"], f"{_fmt(g['from'], 0)} → {_fmt(g['to'], 0)} (×{g['data_x']:g})",
                    f"{_fmt(g['cost_from'])} → {_fmt(g['cost_to'])} {g['unit']}", f"×{g['cost_x']:g}", g["verdict"])
    return out


def run_one(name: str, quick: bool) -> Result:
    start = time.perf_counter()
    module = None
    try:
        module = importlib.import_module(MODULES[name])
        result: Result = module.run(quick=quick)
    except Exception as exc:  # noqa: BLE001 — one broken benchmark must not hide the others
        result = Result(name=name, title=getattr(module, "TITLE", name), unit="", value=None, passed=False,
                        note=f"error: {exc!r}", details={"traceback": traceback.format_exc()[-4000:]})
    result.seconds = round(time.perf_counter() - start, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not a measurement)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="where to write the results JSON")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    started = datetime.now(UTC)
    results = []
    for name in names:
        console.print(f"[bold]running {name}{' (quick)' if args.quick else ''} …[/]")
        result = run_one(name, args.quick)
        console.print(f"  {result.name}: {_fmt(result.value)} {result.unit} in {result.seconds:.0f} s")
        results.append(result)
    console.print(table(results))
    grown = growth_table(results)
    if grown is not None:
        console.print(grown)
    for r in results:
        if r.note:
            console.print(f"[bold]{r.name}[/]: {escape(r.note)}", highlight=False)
    payload = {
        "started_at": started.isoformat(), "quick": args.quick,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
        "results": [r.to_json() for r in results],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"wrote {args.out}")
    if not args.quick and set(names) == set(BENCHMARKS) and args.out == RESULTS_PATH:
        update_readme(payload)  # a full run regenerates README's Benchmarks table
        console.print("updated the Benchmarks table in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
