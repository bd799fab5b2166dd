"""(2) End-to-end archive rate on the JSON route, beside ``scrapy bench`` on the same machine in the same run."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from bench.util import (
    BIN,
    FakeWebProcess,
    Result,
    article_page,
    bulk_embeds,
    embedded_db,
    growth_row,
    ratio,
    run_cli,
    temp_dir,
    time_share,
    top_functions,
)

NAME = "archive_rate"
TITLE = "Archive rate, JSON route"
TARGET = 0.5
# own time in these frames is the crawl process waiting on, or encoding for, MongoDB (Scrapy's
# Twisted sockets use recv/send, pymongo's use recv_into/sendall)
DB_FRAMES = ("pymongo", "gridfs", "bson", ":<method 'recv_into'", ":<method 'sendall'")
_CRAWLED = re.compile(r"Crawled (\d+) pages \(at (\d+) pages/min\)")
_STAT = re.compile(r"'(response_received_count|elapsed_time_seconds)': ([\d.]+)")


def scrapy_bench(seconds: int, cwd: Path) -> dict[str, Any]:
    """Run the real ``scrapy bench`` (outside any project) and read its rate from the log."""
    proc, wall = run_cli([str(BIN / "scrapy"), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}", "-s", "LOGSTATS_INTERVAL=1"],
                         env={"PATH": str(BIN) + ":/usr/bin:/bin", "HOME": str(cwd)}, cwd=cwd, timeout=seconds + 60)
    log = proc.stderr
    rates = [int(m[2]) for m in _CRAWLED.finditer(log)]
    stats = {k: float(v) for k, v in _STAT.findall(log)}
    pages, elapsed = stats.get("response_received_count"), stats.get("elapsed_time_seconds")
    overall = pages / elapsed * 60 if pages and elapsed else None
    steady = sorted(rates)[len(rates) // 2] if rates else None  # median of the per-interval rates
    return {"pages_per_min": overall, "median_interval_pages_per_min": steady, "peak_pages_per_min": max(rates, default=None),
            "pages": pages, "elapsed_s": elapsed, "wall_s": round(wall, 2), "exit": proc.returncode}


def _crawl(web: FakeWebProcess, url: str, data_dir: Path, profile: Path | None = None) -> tuple[dict[str, Any], float]:
    env = web.env(data_dir, RECEIPTS_BROWSER="0")
    prefix = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "receipts.cli"] if profile else [
        str(BIN / "receipts")]
    proc, wall = run_cli([*prefix, "crawl", url, "--json", "--no-browser"], env=env, cwd=data_dir, timeout=900)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"receipts crawl exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def run(quick: bool = False) -> Result:
    posts = 60 if quick else 300
    sizes = (20, 60) if quick else (100, 1000)  # the growth rows: the same first crawl at two sizes
    spans = {"main": (0, posts)}  # disjoint post ranges: every crawl is the first of its article and posts
    for n in sizes:
        spans[f"size{n}"] = (sum(spans[k][1] for k in spans), n)
    spans["prof"] = (sum(spans[k][1] for k in spans), posts)
    with FakeWebProcess(bulk=sum(n for _, n in spans.values())) as web, temp_dir("archive") as tmp, \
            embedded_db(tmp):  # started once, as on a machine whose daemon (or an earlier crawl) runs it
        pages = {name: web.add_page(f"/bench/archive-rate-{name}", article_page(
            f"Archive-rate benchmark ({name})", bulk_embeds(*span), paragraphs_between=1)) for name, span in spans.items()}
        empty = web.add_page("/bench/empty", article_page("Empty benchmark article", []))
        _, fixed = _crawl(web, empty, tmp)  # process start-up, DB connection, article fetch: the fixed cost
        report, wall = _crawl(web, pages["main"], tmp)
        statuses: dict[str, int] = {}
        for post in report.get("posts", []):
            statuses[post.get("status")] = statuses.get(post.get("status"), 0) + 1
        archived = statuses.get("live", 0)
        rate = archived / wall * 60
        requests = int(report["crawl"].get("requests") or 0)
        by_size: dict[int, dict[str, float]] = {}
        for n in sizes:
            sized, seconds = _crawl(web, pages[f"size{n}"], tmp)
            live = sum(1 for p in sized.get("posts", []) if p.get("status") == "live")
            by_size[n] = {"live": live, "wall_s": round(seconds, 2), "posts_per_min": round(live / seconds * 60)}
        (tmp / "scrapy").mkdir()
        scrapy = scrapy_bench(5 if quick else 10, tmp / "scrapy")
        baseline = scrapy["pages_per_min"]
        share = ratio(rate, baseline)
        passed = share is not None and share >= TARGET
        hot: list[str] = []
        db_share = None
        if not quick:  # a profiled crawl of a third article of the same size
            prof = tmp / "crawl.prof"
            _crawl(web, pages["prof"], tmp, profile=prof)
            hot = [line.strip() for line in top_functions(prof, limit=10)]
            db_share = time_share(prof, DB_FRAMES)
    req_rate = requests / wall * 60
    steady = archived / max(0.1, wall - fixed) * 60
    note = (f"{archived} of {posts} embedded posts archived live in {wall:.1f} s wall (process start, "
            f"{requests} HTTP requests = {req_rate:.0f} requests/min, every post stored with its capture, body and WARC "
            "record; the embedded DB already running, started once for the whole benchmark). "
            f"scrapy bench: {baseline:.0f} pages/min over its run. Without the fixed {fixed:.1f} s of a crawl of an "
            f"article with no posts (process start, imports, DB connection, article fetch) the rate is {steady:.0f} "
            f"posts/min ({steady / baseline:.2f}x).")
    if not passed and share is not None:
        note += (f" Target missed ({share:.2f} < {TARGET}): each Receipts post costs about {requests / max(1, archived):.1f} "
                 "requests plus its DB writes against one discarded page for scrapy bench, so in requests/min the "
                 f"crawl runs at {req_rate / baseline:.2f}x scrapy bench; the fixed start-up is the rest.")
    if db_share is not None:
        note += (f" cProfile of the crawl process's main thread: {db_share * 100:.0f}% of its time is MongoDB work "
                 "(pymongo/bson/gridfs frames and socket waits) still on the reactor; captures, bodies, posts and "
                 "events are written in batches on the writer thread. Top own-time frames: "
                 f"{'; '.join(hot[:3])}.")
    small, large = sizes
    growth = [growth_row("first crawl wall time", small, large, by_size[small]["wall_s"], by_size[large]["wall_s"], "s")]
    big_share = by_size[large]["posts_per_min"] / baseline if baseline else 0.0
    passed = passed and big_share >= TARGET
    verdict = "met" if passed else "missed"
    reason = (f"{verdict}: {share or 0:.2f}x at {posts} posts and {big_share:.2f}x at {large} posts; "
              f"{requests / max(1, archived):.1f} requests per post, requests/min at {req_rate / baseline:.2f}x scrapy "
              f"bench; the fixed {fixed:.1f} s start-up is {fixed / wall * 100:.0f}% of the {posts}-post crawl"
              + (f", MongoDB frames {db_share * 100:.0f}% of the main thread's profile" if db_share is not None else ""))
    return Result(
        name=NAME, title=TITLE, unit="posts/min", value=rate, reason=reason, growth=growth, comparison=baseline,
        comparison_label="scrapy bench pages/min", ratio=share, target=f">= {TARGET} x scrapy bench", passed=passed,
        note=note,
        details={"posts_embedded": posts, "statuses": statuses, "wall_s": round(wall, 2), "requests": requests,
                 "requests_per_min": round(req_rate),
                 "fixed_cost_s": round(fixed, 2), "steady_posts_per_min": round(steady),
                 "db_time_share": None if db_share is None else round(db_share, 3), "crawl_status": report["crawl"].get("status"),
                 "crawl_errors": len(report["crawl"].get("errors") or []), "scrapy_bench": scrapy,
                 "profile_tottime_top": hot, "by_size": {str(k): v for k, v in by_size.items()}},
    )
