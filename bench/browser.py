"""(3) Browser route: post screenshots per minute, beside bare Playwright loading the same x.com pages.

Receipts: ``receipts crawl URL --json --browser`` on an article embedding N generated posts (the fake
web renders their x.com status pages with JS). The same crawl with ``--no-browser`` gives the JSON
route's share, so the browser's own increment is reported too. Bare Playwright: the same Chromium
binary and launch arguments, the same N status pages at the same concurrency, one fresh context per
page (as Receipts does), ``goto`` until ``load``, wait for the focal post, element screenshot. The
page's requests are mapped to the fake web by a minimal fetch-and-fulfil route (a plain
``continue_`` cannot switch https to loopback http).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.util import (
    BIN,
    FakeWebProcess,
    Result,
    article_page,
    bulk_embeds,
    chromium_path,
    embedded_db,
    ratio,
    run_cli,
    skipped,
    temp_dir,
)

NAME = "browser"
TITLE = "Browser route screenshots"
TARGET = 0.8


def _crawl(web: FakeWebProcess, url: str, data_dir: Path, browser: bool, concurrency: int) -> tuple[dict[str, Any], float]:
    env = web.env(data_dir, RECEIPTS_BROWSER="1" if browser else "0", RECEIPTS_BROWSER_CONCURRENCY=str(concurrency))
    proc, wall = run_cli([str(BIN / "receipts"), "crawl", url, "--json", "--browser" if browser else "--no-browser"],
                         env=env, cwd=data_dir, timeout=900)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"receipts crawl exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def timeline(data_dir: Path) -> dict[str, Any]:
    """Seconds from crawl start: when the post screenshots and the article's embed render ran (from the captures)."""
    with embedded_db(data_dir) as db:
        crawl = db.crawls.find_one({}, sort=[("started_at", -1)])
        t0 = crawl["started_at"]
        post_shots, embed_shots, render_start = [], [], None
        for c in db.captures.find({"route": {"$in": ["browser", "embed_render"]}}, {"route": 1, "target_type": 1,
                                                                                   "fetched_at": 1, "requested_url": 1}):
            at = (c["fetched_at"] - t0).total_seconds()
            if c["route"] == "embed_render":
                render_start = at if render_start is None else min(render_start, at)
            elif c["target_type"] == "screenshot":
                (post_shots if c["requested_url"].startswith("https://x.com/") else embed_shots).append(at)
        finished = crawl.get("finished_at")
        if finished is not None and finished.tzinfo is None:
            finished = finished.replace(tzinfo=t0.tzinfo)
    return {"post_shots": len(post_shots), "first_post_shot_s": round(min(post_shots, default=0), 2),
            "last_post_shot_s": round(max(post_shots, default=0), 2), "embed_shots": len(embed_shots),
            "embed_render_start_s": render_start, "embed_shots_done_s": round(max(embed_shots, default=0), 2),
            "crawl_s": round((finished - t0).total_seconds(), 2) if finished else None}


def _span_rate(tl: dict[str, Any]) -> float:
    span = tl["last_post_shot_s"] - tl["first_post_shot_s"]
    return (tl["post_shots"] - 1) / span * 60 if span > 0 and tl["post_shots"] > 1 else 0.0


async def _bare(pages: list[tuple[str, str]], origin_map: dict[str, str], concurrency: int, executable: str) -> dict[str, float]:
    from playwright.async_api import async_playwright

    from crawlers.browser import LAUNCH_ARGS

    origins = sorted(origin_map, key=len, reverse=True)

    async def mapped(route: Any) -> None:
        url = route.request.url
        for origin in origins:
            if url == origin or url.startswith(origin + "/"):
                answer = await route.fetch(url=origin_map[origin] + url[len(origin):], max_redirects=0)
                await route.fulfill(response=answer)
                return
        if url.startswith(("http://127.0.0.1", "data:", "blob:")):
            await route.fallback()
        else:
            await route.abort("blockedbyclient")

    shots = 0
    start = time.perf_counter()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(headless=True, executable_path=executable, args=list(LAUNCH_ARGS))
        launched = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)

        async def one(url: str, post_id: str) -> None:
            nonlocal shots
            async with gate:
                context = await browser.new_context(viewport={"width": 1200, "height": 1000}, device_scale_factor=1,
                                                    locale="en-US", timezone_id="UTC", service_workers="block")
                try:
                    page = await context.new_page()
                    await page.route("**/*", mapped)
                    await page.goto(url, wait_until="load", timeout=30_000)
                    element = await page.wait_for_selector(
                        f'article[data-testid="tweet"]:has(a[href*="/status/{post_id}"] time)', timeout=30_000)
                    if element is not None and await element.screenshot():
                        shots += 1
                finally:
                    await context.close()

        await asyncio.gather(*(one(url, pid) for url, pid in pages))
        done = time.perf_counter()
        await browser.close()
    return {"shots": shots, "total_s": done - start, "launch_s": launched - start, "pages_s": done - launched}


def run(quick: bool = False) -> Result:
    from fakeweb.bulk import bulk_handle, bulk_id
    from receipts.settings import Settings

    target = f">= {TARGET} x bare Playwright"
    executable = chromium_path()
    if executable is None:
        return skipped(NAME, TITLE, "screenshots/min", target, "no Chromium found (RECEIPTS_BROWSER_PATH or /usr/bin/chromium)")
    posts = 6 if quick else 24
    concurrency = Settings.browser_concurrency
    pages = [(f"https://x.com/{bulk_handle(i)}/status/{bulk_id(i)}", bulk_id(i)) for i in range(posts)]
    with FakeWebProcess(bulk=posts) as web, temp_dir("browser") as tmp:
        url = web.add_page("/bench/browser", article_page("Browser benchmark", bulk_embeds(0, posts)))
        (tmp / "json").mkdir()
        _, json_wall = _crawl(web, url, tmp / "json", browser=False, concurrency=concurrency)
        (tmp / "browser").mkdir()
        report, wall = _crawl(web, url, tmp / "browser", browser=True, concurrency=concurrency)
        bare = asyncio.run(_bare(pages, web.origin_map, concurrency, executable))
        try:
            tl = timeline(tmp / "browser")
        except Exception as exc:  # noqa: BLE001 — the timeline only explains; the numbers above stand
            tl = {"error": repr(exc)}
    shots = sum(1 for p in report.get("posts", []) if p.get("screenshot_sha256"))
    rate = shots / wall * 60
    bare_rate = bare["shots"] / bare["total_s"] * 60 if bare["shots"] else None
    share = ratio(rate, bare_rate)
    passed = share is not None and share >= TARGET and shots == posts
    increment = max(0.1, wall - json_wall)
    note = (f"{shots} of {posts} post screenshots in {wall:.1f} s end to end (the same crawl without the browser takes "
            f"{json_wall:.1f} s, so the browser adds {increment:.1f} s: {shots / increment * 60:.0f} screenshots/min "
            f"on that increment). Bare Playwright: {bare['shots']} screenshots in {bare['total_s']:.1f} s, of which "
            f"{bare['launch_s']:.1f} s Chromium launch; concurrency {concurrency} on both sides.")
    if not passed and share is not None:
        note += f" Target missed ({share:.2f} < {TARGET})."
        if "last_post_shot_s" in tl:
            note += (f" From the captures: the post screenshots ran from {tl['first_post_shot_s']} s to "
                     f"{tl['last_post_shot_s']} s into the crawl ({_span_rate(tl):.0f}/min over that span, on "
                     f"{concurrency - 1} slots); the article's embed render started at "
                     f"{tl['embed_render_start_s']} s and its {tl['embed_shots']} embed screenshots were stored at "
                     f"{tl['embed_shots_done_s']} s, so that one page (every embed iframe rendered and shot in turn) "
                     f"holds one of the {concurrency} browser slots for most of the crawl, leaving "
                     f"{concurrency - 1} for post pages, and is the crawl's tail. The JSON route before the first "
                     f"render ({tl['first_post_shot_s']} s) is also inside the end-to-end time. Fix: shoot the embed "
                     "iframes concurrently, or give the article render a slot of its own.")
    return Result(
        name=NAME, title=TITLE, unit="screenshots/min", value=rate, comparison=bare_rate,
        comparison_label="bare Playwright screenshots/min", ratio=share, target=target, passed=passed, note=note,
        reason=(f"{shots}/{posts} shots; the browser adds {increment:.1f} s to the {json_wall:.1f} s JSON crawl "
                f"({shots / increment * 60:.0f}/min on that increment) against bare Playwright's "
                f"{bare['total_s']:.1f} s incl. {bare['launch_s']:.1f} s launch"),
        details={"posts": posts, "concurrency": concurrency, "chromium": executable, "receipts_wall_s": round(wall, 2),
                 "json_only_wall_s": round(json_wall, 2), "browser_increment_per_min": round(shots / increment * 60, 1),
                 "bare": {k: round(v, 2) for k, v in bare.items()}, "timeline": tl, "crawl_status": report["crawl"].get("status"),
                 "crawl_errors": report["crawl"].get("errors")},
    )
