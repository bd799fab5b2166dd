"""Re-crawl of an unchanged article: requests and wall time against its first crawl (issue 17).

The fake web runs in its own process; one data directory (its embedded database kept running by this
process between the crawls, as the daemon keeps it) receives a 300-post article crawled with
``receipts crawl URL --json --no-browser``, then the same article again, unchanged. Requests are read
from each crawl's report (``crawl.requests``, Scrapy's count) and counted at the fake web (its request
log); the article's captures, posts, media and references are read from the database before and after.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from bench.util import BIN, FakeWebProcess, Result, article_page, bulk_embeds, embedded_db, run_cli, temp_dir

NAME = "recrawl"
TITLE = "Re-crawl of an unchanged article"
REQUESTS_TARGET = 0.10
TIME_TARGET = 0.20


def _crawl(web: FakeWebProcess, url: str, data_dir: Path) -> tuple[dict[str, Any], float, int]:
    """One ``receipts crawl``: its report, wall seconds, and the requests the fake web answered meanwhile."""
    before = _served(web)
    proc, wall = run_cli([str(BIN / "receipts"), "crawl", url, "--json", "--no-browser"],
                         env=web.env(data_dir, RECEIPTS_BROWSER="0"), cwd=data_dir, timeout=900)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"receipts crawl exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall, _served(web) - before


IMPORTS = ("receipts.cli", "crawlers.run", "crawlers.spiders.article", "pipelines.storage", "pipelines.media",
           "pipelines.evidence", "scrapy.crawler", "scrapy.core.downloader.handlers.http11")


def _import_floor(cwd: Path) -> float:
    """Wall seconds of a fresh interpreter importing what every crawl process imports (no crawl, no DB)."""
    proc, wall = run_cli([sys.executable, "-c", f"import {', '.join(IMPORTS)}"],
                         env={k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}, cwd=cwd,
                         timeout=120)
    return wall if proc.returncode == 0 else float("nan")


def _served(web: FakeWebProcess) -> int:
    resp = httpx.get(f"{web.base_url}/_admin/log", timeout=30)
    resp.raise_for_status()
    return len(resp.json())


def _archive_state(db: Any, url: str) -> dict[str, Any]:
    article = db["articles"].find_one({"_id": url}) or {}
    refs = article.get("references") or []
    return {"article_captures": len(article.get("capture_ids") or []), "posts": db["posts"].count_documents({}),
            "media": db["media"].count_documents({}), "captures": db["captures"].count_documents({}),
            "archived_refs": sum(1 for r in refs if r.get("status") == "archived"), "refs": len(refs),
            "last_capture": (article.get("capture_ids") or [None])[-1]}


def run(quick: bool = False) -> Result:
    posts = 60 if quick else 300
    with FakeWebProcess(bulk=posts) as web, temp_dir("recrawl") as tmp:
        url = web.add_page("/bench/recrawl", article_page("Re-crawl benchmark", bulk_embeds(0, posts),
                                                          paragraphs_between=1))
        empty = web.add_page("/bench/recrawl-empty", article_page("Empty re-crawl benchmark article", []))
        data = tmp / "run"
        data.mkdir()
        with embedded_db(data) as db:  # the embedded server stays up across the crawls (a daemon's machine)
            _, fixed, _ = _crawl(web, empty, data)  # process start, DB connect, one article fetch: the floor
            first, wall1, served1 = _crawl(web, url, data)
            before = _archive_state(db, url)
            second, wall2, served2 = _crawl(web, url, data)
            after = _archive_state(db, url)
            check = db["captures"].find_one({"_id": after["last_capture"]}) or {}
        imports = _import_floor(tmp)
    req1, req2 = int(first["crawl"].get("requests") or 0), int(second["crawl"].get("requests") or 0)
    req_ratio = req2 / req1 if req1 else None
    served_ratio = served2 / served1 if served1 else None
    time_ratio = wall2 / wall1 if wall1 else None
    appended = after["article_captures"] == before["article_captures"] + 1 and check.get("outcome") in (
        "not_modified", "unchanged")
    kept = all(after[k] == before[k] for k in ("posts", "media", "archived_refs", "refs"))
    ok_requests = req_ratio is not None and req_ratio <= REQUESTS_TARGET and (served_ratio or 0) <= REQUESTS_TARGET
    ok_time = time_ratio is not None and time_ratio <= TIME_TARGET
    passed = ok_requests and ok_time and appended and kept
    recrawl = second["crawl"].get("recrawl") or {}
    note = (f"First crawl of a {posts}-post article: {req1} requests ({served1} answered by the fake web) in "
            f"{wall1:.1f} s; re-crawl unchanged: {req2} requests ({served2} at the fake web, article check "
            f"{recrawl.get('article')}, {recrawl.get('posts_fresh')} posts checked within RECEIPTS_RECRAWL_FRESH "
            f"not fetched) in {wall2:.1f} s: {_pct(req_ratio)} of the requests, {_pct(time_ratio)} of the time. "
            f"Article captures {before['article_captures']} -> {after['article_captures']} (the check, HTTP "
            f"{check.get('http_status')} {check.get('outcome')}, confirms {check.get('meta', {}).get('confirms_capture_id')}); "
            f"posts {before['posts']} -> {after['posts']}, media {before['media']} -> {after['media']}, archived "
            f"references {before['archived_refs']} -> {after['archived_refs']}. A crawl of an article with no posts "
            f"(process start, imports, DB connect, one fetch) took {fixed:.1f} s, and a fresh interpreter only "
            f"importing the CLI, Scrapy and the crawl components {imports:.1f} s: the re-crawl is "
            + ("at that fixed floor." if wall2 <= fixed * 1.2 else f"{wall2 - fixed:.1f} s above that fixed floor."))
    reasons = []
    if not ok_requests:
        reasons.append(f"requests {_pct(req_ratio)} (fake web {_pct(served_ratio)}) > {REQUESTS_TARGET:.0%}")
    if not ok_time:
        reasons.append(f"time {_pct(time_ratio)} > {TIME_TARGET:.0%}: the fixed {fixed:.1f} s per crawl process is "
                       f"{fixed / wall1:.0%} of the first crawl's {wall1:.1f} s ({imports:.1f} s of it imports), so the "
                       "floor itself decides; a daemon that keeps a warm crawl process would remove it")
    if not appended:
        reasons.append("no check capture was appended to the article")
    if not kept:
        reasons.append("posts, media or archived references changed")
    note += (" Missed: " + "; ".join(reasons) + ".") if reasons else " Met."
    return Result(
        name=NAME, title=TITLE, unit="s", value=wall2, comparison=wall1, comparison_label="first crawl s",
        ratio=time_ratio, target=f"<= {REQUESTS_TARGET:.0%} requests and <= {TIME_TARGET:.0%} time of the first crawl",
        passed=passed, note=note,
        details={"posts_embedded": posts, "first": {"requests": req1, "served": served1, "wall_s": round(wall1, 2),
                                                   "status": first["crawl"].get("status")},
                 "recrawl": {"requests": req2, "served": served2, "wall_s": round(wall2, 2),
                             "status": second["crawl"].get("status"), **recrawl},
                 "requests_ratio": _round(req_ratio), "served_ratio": _round(served_ratio),
                 "time_ratio": _round(time_ratio), "fixed_cost_s": round(fixed, 2), "imports_s": round(imports, 2),
                 "archive_before": before, "archive_after": after, "python": sys.version.split()[0]},
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
