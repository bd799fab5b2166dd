"""(6) Scale-out: posts archived per minute by 1, 2 and 3 ``receipts serve`` daemons on one database."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from bench.util import (
    BIN,
    FakeWebProcess,
    Result,
    article_page,
    bulk_embeds,
    free_port,
    ratio,
    temp_dir,
    wait_healthy,
)

NAME = "scale"
TITLE = "Scale-out, daemons on one database"
TOKEN = "bench-token"


class _Nx:
    """An nx-27017 of its own (the daemons must share one database, not each embed one)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}/"
        (data_dir / "data").mkdir(parents=True)
        log = (data_dir / "nx.log").open("ab")
        self.proc = subprocess.Popen([str(BIN / "nx-27017"), "--data-dir", str(data_dir / "data"), "--pid-file",
                                      str(data_dir / "nx.pid"), "-p", str(self.port)], stdout=log, stderr=log,
                                     start_new_session=True)
        log.close()
        import pymongo

        deadline = time.monotonic() + 30
        while True:
            try:
                pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=300).admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _round(web: FakeWebProcess, nx: _Nx, tmp: Path, daemons: int, urls: list[str], posts: int) -> dict[str, float]:
    """Start *daemons* daemons on a fresh database, submit *urls*, wait for all; posts/min and seconds."""
    db_name = f"bench_scale_{daemons}_{os.getpid()}"
    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for n in range(daemons):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            data_dir = tmp / f"d{daemons}-{n}"
            data_dir.mkdir()
            env = web.env(data_dir, RECEIPTS_MONGODB_URI=nx.uri, RECEIPTS_DB_NAME=db_name, RECEIPTS_API_TOKEN=TOKEN,
                          RECEIPTS_API_URL=base, RECEIPTS_BROWSER="0", RECEIPTS_SCHEDULER_TICK="0.5",
                          RECEIPTS_RETRY_TIMES="0", RECEIPTS_LEADER_LEASE="5")
            log = (data_dir / "daemon.log").open("wb")
            procs.append(subprocess.Popen([str(BIN / "receipts"), "serve", "--port", str(port)], env=env, cwd=data_dir,
                                          stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True))
            log.close()
            bases.append(base)
        for base, proc in zip(bases, procs, strict=True):
            wait_healthy(base, proc)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        started = time.monotonic()
        jobs = []
        for i, url in enumerate(urls):
            resp = httpx.post(bases[i % daemons] + "/api/v1/crawls", json={"url": url}, headers=headers, timeout=10)
            resp.raise_for_status()
            jobs.append(resp.json()["id"])
        pending = set(jobs)
        deadline = started + 900
        while pending and time.monotonic() < deadline:
            for job in list(pending):
                if httpx.get(f"{bases[0]}/api/v1/crawls/{job}", headers=headers,
                             timeout=10).json()["status"] in ("done", "failed"):
                    pending.discard(job)
            time.sleep(0.25)
        seconds = time.monotonic() - started
        if pending:
            raise RuntimeError(f"{len(pending)} crawls unfinished after 900 s with {daemons} daemons")
        return {"posts_per_min": round(posts * len(urls) / seconds * 60, 1), "seconds": round(seconds, 1)}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(quick: bool = False) -> Result:
    articles, posts = (3, 8) if quick else (6, 20)
    rounds: dict[int, dict[str, float]] = {}
    with FakeWebProcess(bulk=articles * posts) as web, temp_dir("scale") as tmp:
        nx = _Nx(tmp / "nx")
        try:
            for daemons in (1, 2, 3):
                urls = [web.add_page(f"/bench/scale/{daemons}/{a}", article_page(
                    f"Scale benchmark {daemons}/{a}", bulk_embeds(a * posts, posts))) for a in range(articles)]
                rounds[daemons] = _round(web, nx, tmp, daemons, urls, posts)
        finally:
            nx.stop()
    one, three = rounds[1]["posts_per_min"], rounds[3]["posts_per_min"]
    cores = os.cpu_count() or 1
    note = (f"{articles} crawls of {posts} posts each, submitted over the daemons' APIs, RECEIPTS_WORKERS=2 each, "
            f"browser off, one nx-27017: " + ", ".join(f"{n} daemon{'s' if n > 1 else ''} "
                                                       f"{r['posts_per_min']:.0f} posts/min ({r['seconds']:.0f} s)"
                                                       for n, r in rounds.items())
            + f". Ceiling: this machine's {cores} cores — every crawl is a CPU-bound subprocess (parsing, WARC, "
            "hashing), so daemons beyond the cores only queue for CPU; on separate machines the rate adds up "
            "until the database (one primary's writes) or the per-host budgets bind.")
    return Result(name=NAME, title=TITLE, unit="posts/min (3 daemons)", value=three, comparison=one,
                  comparison_label="1 daemon, posts/min", ratio=ratio(three, one), target="", passed=None, note=note,
                  reason=f"no target; the ceiling is this machine's {cores} cores (each crawl is a CPU-bound subprocess)",
                  details={"rounds": {str(n): r for n, r in rounds.items()}, "articles": articles,
                           "posts_per_article": posts, "cpu_count": cores})
