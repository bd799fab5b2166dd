"""(5) Resident memory of ``receipts serve``: idle, and while crawls submitted over its API run.

RSS is summed per group: the daemon and its Python children (crawl workers); the embedded database
(nx-27017, found through ``server.json``); the browser stack (Chromium processes and Playwright's
node driver). Only the first group is held to the target; the others are reported beside it.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import psutil

from bench.util import (
    BIN,
    FakeWebProcess,
    Result,
    article_page,
    bulk_embeds,
    chromium_path,
    free_port,
    temp_dir,
    wait_healthy,
)

NAME = "memory"
TITLE = "Daemon resident memory (idle)"
TARGET_MB = 250.0
MB = 1024 * 1024


def _group(proc: psutil.Process, db_pids: set[int]) -> str:
    try:
        cmd = " ".join(proc.cmdline()).lower()
        name = proc.name().lower()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "gone"
    if proc.pid in db_pids or "nx-27017" in cmd or "nx_27017" in cmd:
        return "db"
    if "chrom" in name or "chrom" in cmd.split(" ", 1)[0] or "playwright" in cmd or name == "node":
        return "browser"
    return "daemon"


def _db_pids(data_dir: Path) -> set[int]:
    try:
        state = json.loads((data_dir / "db" / "server.json").read_text())
    except (OSError, ValueError):
        return set()
    pid = state.get("pid")
    if not isinstance(pid, int) or not psutil.pid_exists(pid):
        return set()
    root = psutil.Process(pid)
    return {pid, *(c.pid for c in root.children(recursive=True))}


def sample(daemon_pid: int, data_dir: Path, pss: bool = True) -> dict[str, float]:
    """RSS (and PSS) in MB per group, plus process counts."""
    db = _db_pids(data_dir)
    root = psutil.Process(daemon_pid)
    procs = [root, *root.children(recursive=True)]
    procs += [psutil.Process(p) for p in db if p not in {q.pid for q in procs} and psutil.pid_exists(p)]
    out: dict[str, float] = {"daemon": 0.0, "db": 0.0, "browser": 0.0, "daemon_procs": 0, "browser_procs": 0,
                             "browser_pss": 0.0, "daemon_pss": 0.0}
    for proc in procs:
        group = _group(proc, db)
        try:
            rss = proc.memory_info().rss / MB
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if group == "gone":
            continue
        out[group] += rss
        if group in ("daemon", "browser") and pss:
            try:  # PSS splits shared pages between processes: a fair sum over Chromium's many processes
                out[f"{group}_pss"] += proc.memory_full_info().pss / MB
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                pass
        if group in ("daemon", "browser"):
            out[f"{group}_procs"] += 1
    return out


def _peaks(samples: list[dict[str, float]]) -> dict[str, float]:
    keys = samples[0].keys() if samples else ()
    return {k: round(max(s[k] for s in samples), 1) for k in keys}


def run(quick: bool = False) -> Result:
    from receipts.settings import Settings

    articles, per_article = (2, 8) if quick else (4, 20)
    idle_s = 3.0 if quick else 8.0
    browser = chromium_path() is not None
    token = "bench-token"
    with FakeWebProcess(bulk=articles * per_article) as web, temp_dir("memory") as tmp:
        urls = [web.add_page(f"/bench/memory/{a}", article_page(f"Memory benchmark {a}",
                                                                 bulk_embeds(a * per_article, per_article)))
                for a in range(articles)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = web.env(tmp, RECEIPTS_API_TOKEN=token, RECEIPTS_API_URL=base, RECEIPTS_BROWSER="1" if browser else "0")
        log = (tmp / "daemon.log").open("wb")
        proc = subprocess.Popen([str(BIN / "receipts"), "serve", "--port", str(port)], env=env, cwd=tmp, stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_healthy(base, proc)
            time.sleep(2.0)  # let start-up settle (scheduler first tick, worker pool)
            idle: list[dict[str, float]] = []
            end = time.monotonic() + idle_s
            while time.monotonic() < end:
                idle.append(sample(proc.pid, tmp))
                time.sleep(0.25)
            headers = {"Authorization": f"Bearer {token}"}
            jobs = []
            for url in urls:
                resp = httpx.post(base + "/api/v1/crawls", json={"url": url, "browser": browser}, headers=headers, timeout=10)
                resp.raise_for_status()
                jobs.append(resp.json()["id"])
            load: list[dict[str, float]] = []
            statuses: dict[str, str] = {}
            started = time.monotonic()
            deadline = started + (120 if quick else 240)
            while time.monotonic() < deadline:
                load.append(sample(proc.pid, tmp))
                for job in jobs:
                    if statuses.get(job) not in ("done", "failed"):
                        statuses[job] = httpx.get(f"{base}/api/v1/crawls/{job}", headers=headers, timeout=10).json()["status"]
                if all(s in ("done", "failed") for s in statuses.values()) and len(statuses) == len(jobs):
                    break
                time.sleep(0.25)
            load_s = time.monotonic() - started
            after = sample(proc.pid, tmp)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
    idle_peak, load_peak = _peaks(idle), _peaks(load)
    value = idle_peak["daemon"]
    passed = value < TARGET_MB
    workers = Settings.workers
    note = (f"Idle (peak of {len(idle)} samples over {idle_s:.0f} s): daemon + Python children {value:.0f} MB in "
            f"{idle_peak['daemon_procs']:.0f} processes; embedded DB {idle_peak['db']:.0f} MB. Under load ({articles} "
            f"crawls of {per_article} posts each, browser {'on' if browser else 'off'}, {load_s:.0f} s, jobs "
            f"{sorted(set(statuses.values()))}): daemon + Python children peak {load_peak['daemon']:.0f} MB, DB "
            f"{load_peak['db']:.0f} MB, Chromium + Playwright driver {load_peak['browser']:.0f} MB RSS summed, "
            f"{load_peak['browser_pss']:.0f} MB PSS (reported separately). After the load: daemon {after['daemon']:.0f} MB.")
    if not passed:
        note += (f" Target missed: the idle daemon group is {idle_peak['daemon_procs']:.0f} Python processes "
                 f"(RECEIPTS_WORKERS={workers}) totalling {value:.0f} MB; profile their imports (python -X importtime) "
                 "to see what to load lazily.")
    return Result(
        name=NAME, title=TITLE, unit="MB RSS", value=value, comparison=load_peak["daemon"],
        comparison_label="under load, MB RSS", ratio=None, target=f"idle < {TARGET_MB:.0f} MB", passed=passed, note=note,
        reason=(f"idle daemon group is {idle_peak['daemon_procs']:.0f} Python processes totalling {value:.0f} MB; "
                f"Chromium ({load_peak['browser_pss']:.0f} MB PSS) and the DB are counted separately"),
        details={"idle_peak": idle_peak, "load_peak": load_peak, "after_load": {k: round(v, 1) for k, v in after.items()},
                 "load_seconds": round(load_s, 1), "jobs": statuses, "browser": browser,
                 "crawls": articles, "posts_per_crawl": per_article, "workers_setting": workers},
    )

