"""Shared pieces of the benchmark harness: the result record, the fake web process, env and timing helpers."""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS_PATH = ROOT / "bench" / "results.json"


@dataclass
class Result:
    """One benchmark's outcome. ``ratio`` = value / comparison; ``passed`` is None where there is no target."""

    name: str
    title: str
    unit: str
    value: float | None
    comparison: float | None = None
    comparison_label: str = ""
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    reason: str = ""  # one line: why the target was met or missed, from the run's own profile or probes
    growth: list[dict[str, Any]] = field(default_factory=list)  # rows from :func:`growth_row`

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# a figure "grows close to linearly" when its cost grows at most this much faster than the data
LINEAR_SLACK = 1.25


def growth_row(figure: str, small: float, large: float, small_cost: float, large_cost: float, unit: str) -> dict[str, Any]:
    """How one figure's cost grows from ``small`` to ``large`` items (``small_cost`` → ``large_cost`` in ``unit``).

    Linear means the cost grows as the data does (a crawl's wall time over 10× the posts takes 10× as
    long); a query whose p95 stays flat over 10× the data is better than linear. :data:`LINEAR_SLACK`
    is the tolerance either way.
    """
    data_x = large / small if small else float("inf")
    cost_x = large_cost / small_cost if small_cost else float("inf")
    if cost_x <= data_x / LINEAR_SLACK:
        verdict = "better than linear"
    elif cost_x <= data_x * LINEAR_SLACK:
        verdict = "close to linear"
    else:
        verdict = "worse than linear"
    return {"figure": figure, "from": small, "to": large, "data_x": round(data_x, 2), "cost_from": round(small_cost, 2),
            "cost_to": round(large_cost, 2), "unit": unit, "cost_x": round(cost_x, 2), "verdict": verdict}


def skipped(name: str, title: str, unit: str, target: str, why: str) -> Result:
    return Result(name=name, title=title, unit=unit, value=None, target=target, passed=None, note=f"skipped: {why}")


def ratio(value: float | None, comparison: float | None) -> float | None:
    if value is None or not comparison:
        return None
    return value / comparison


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium_path() -> str | None:
    from crawlers.browser import find_chromium

    return find_chromium(os.environ.get("RECEIPTS_BROWSER_PATH"))


# ------------------------------------------------------------------------------------------ environment


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any RECEIPTS_* (no real DB, token or origin map leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}
    env.update({"RECEIPTS_DATA_DIR": str(data_dir), "RECEIPTS_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"receipts-bench-{prefix}-") as name:
        yield Path(name)


@contextmanager
def embedded_db(data_dir: Path) -> Iterator[Any]:
    """The Receipts database under ``data_dir`` (embedded server restarted if needed), env restored after."""
    from receipts.db import close_all, get_database
    from receipts.settings import reset_settings

    saved = {k: os.environ.get(k) for k in ("RECEIPTS_DATA_DIR", "RECEIPTS_MONGODB_URI",
                                              "RECEIPTS_API_READ_TOKEN_REQUIRED")}
    os.environ["RECEIPTS_DATA_DIR"] = str(data_dir)
    os.environ.pop("RECEIPTS_MONGODB_URI", None)
    os.environ.pop("RECEIPTS_API_READ_TOKEN_REQUIRED", None)
    reset_settings()
    try:
        yield get_database()
    finally:
        close_all()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings()


# ------------------------------------------------------------------------------------------ fake web


class FakeWebProcess:
    """``python -m fakeweb --bulk N`` in its own process (so its CPU is not the crawler's)."""

    def __init__(self, bulk: int = 0) -> None:
        self.bulk = bulk
        self.proc: subprocess.Popen[str] | None = None
        self.origin_map: dict[str, str] = {}
        self.base_url = ""

    def __enter__(self) -> FakeWebProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fakeweb", "--port", "0", "--bulk", str(self.bulk)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"fake web exited with {self.proc.wait()}")
        self.origin_map = json.loads(line)
        self.base_url = self.origin_map["https://news.example"].rsplit("/", 1)[0]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def add_page(self, path: str, html: str) -> str:
        """Serve ``html`` at ``https://news.example{path}``; returns that URL."""
        resp = httpx.post(f"{self.base_url}/_admin/pages", json={"path": path, "body": html}, timeout=30)
        resp.raise_for_status()
        return str(resp.json()["url"])

    def env(self, data_dir: Path, **extra: str) -> dict[str, str]:
        return base_env(data_dir, RECEIPTS_ORIGIN_MAP=json.dumps(self.origin_map), **extra)


# ------------------------------------------------------------------------------------------ generated articles


def bulk_embeds(start: int, count: int) -> list[str]:
    """publish.twitter.com embed markup for bulk posts ``start … start+count-1`` (bodies as the fake web serves)."""
    from fakeweb.bulk import bulk_body, bulk_id
    from fakeweb.oembed import embed_blockquote

    out = []
    for i in range(start, start + count):
        body = bulk_body(bulk_id(i), start + count)
        assert body is not None
        out.append(embed_blockquote(body, "twitter.com"))
    return out


PARAGRAPHS = (
    "Ministers met on Thursday to discuss the proposals, which officials described as a starting point.",
    "The statement drew an immediate response from opposition figures, several of whom posted online.",
    "Analysts said the timing of the announcement was unlikely to be a coincidence given the week's events.",
    "A spokesperson declined to comment further, citing the ongoing nature of the talks.",
)


def article_page(title: str, embeds: list[str], paragraphs_between: int = 2, extra_html: str = "") -> str:
    """A news-article page (JSON-LD, OpenGraph, byline) with ``embeds`` spread through its body."""
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": "2025-03-02T10:00:00Z", "author": {"@type": "Person", "name": "Bench Desk"}})
    parts = []
    for i, embed in enumerate(embeds):
        for j in range(paragraphs_between):
            parts.append(f"<p>{escape(PARAGRAPHS[(i + j) % len(PARAGRAPHS)])}</p>")
        parts.append(embed)
    parts.append(f"<p>{escape(PARAGRAPHS[0])}</p>")
    widgets = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    return (
        f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
        f"<meta property=\"og:title\" content=\"{escape(title)}\"><meta name=\"author\" content=\"Bench Desk\">"
        f"<script type=\"application/ld+json\">{ld}</script></head><body><header><nav><a href=\"/\">Home</a></nav>"
        f"</header><main><article><h1>{escape(title)}</h1><p class=\"byline\">By Bench Desk</p>"
        f"<div class=\"article-body\">{''.join(parts)}</div></article>{extra_html}</main>{widgets}</body></html>"
    )


# ------------------------------------------------------------------------------------------ processes


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a command; returns (completed process, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    return proc, time.perf_counter() - start


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until ``receipts serve`` at *base* answers its health check (its exit is an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"receipts serve exited with {proc.returncode}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("receipts serve did not become healthy")


def top_functions(profile_path: Path | None = None, profiler: cProfile.Profile | None = None, limit: int = 8,
                  sort: str = "tottime") -> list[str]:
    """The heaviest functions of a cProfile run as ``"12.3% file:line(func)"`` lines (share of total time)."""
    stats = pstats.Stats(str(profile_path), stream=io.StringIO()) if profile_path else pstats.Stats(
        profiler, stream=io.StringIO())  # type: ignore[arg-type]
    total = stats.total_tt or 1e-9  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tt if sort == "tottime" else ct, f"{_short(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    return [f"{value / total * 100:5.1f}% {where}" for value, where in rows[:limit]]


def time_share(profile_path: Path, match: tuple[str, ...]) -> float:
    """Share (0..1) of a cProfile run's own time spent in functions whose ``file:func`` contains any of ``match``."""
    stats = pstats.Stats(str(profile_path), stream=io.StringIO())
    total = stats.total_tt or 1e-9  # type: ignore[attr-defined]
    own = sum(tt for (filename, _line, func), (_cc, _nc, tt, _ct, _c) in stats.stats.items()  # type: ignore[attr-defined]
              if any(m in f"{filename}:{func}" for m in match))
    return own / total


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/", 2)[-1] if "/" in filename else filename
