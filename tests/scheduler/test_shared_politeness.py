"""Two daemons on one database share one budget per host and one pause after a 429 (counted at the fake web)."""

from __future__ import annotations

import math
import time
from collections import Counter

from conftest import bulk_article
from daemon_support import article_page, daemons, unique_path, wait_for  # noqa: F401

BUDGET, WINDOW = 6, 2.0
POSTS = 12
RETRY_AFTER = 12


def _two(daemons, **env: str) -> list:  # noqa: F811
    return [daemons(name, RECEIPTS_WORKERS="1", **env) for name in ("left", "right")]


def _submit(daemon, url: str) -> str:
    with daemon.client() as client:
        resp = client.post("/api/v1/crawls", json={"url": url})
        assert resp.status_code in (200, 201, 202), resp.text
        return resp.json()["id"]


def _finished(db, job_ids: list[str]) -> list[dict]:
    def done() -> list[dict] | None:
        jobs = [db.jobs.find_one({"_id": j}) for j in job_ids]
        return jobs if all(j and j["status"] in ("done", "failed") for j in jobs) else None

    return wait_for(done, 90, 0.2, "the crawls to finish")


def _daemon_of(job: dict) -> str:
    return job["worker"].split("/")[0]


def test_two_daemons_together_stay_within_a_host_budget(daemons, receipts_env, fakeweb, bulk) -> None:  # noqa: F811
    pair = _two(daemons, RECEIPTS_HOST_BUDGETS=f"cdn.syndication.twimg.com={BUDGET}/{WINDOW:.0f}s")
    db = receipts_env.db
    urls = [bulk_article(fakeweb, unique_path(f"budget-{n}"), POSTS, title=f"Budget {n}") for n in range(2)]
    since = time.time()
    job_ids = [_submit(daemon, url) for daemon, url in zip(pair, urls, strict=True)]
    jobs = _finished(db, job_ids)
    assert {j["status"] for j in jobs} == {"done"}, [j.get("errors") for j in jobs]
    assert _daemon_of(jobs[0]) != _daemon_of(jobs[1])  # one crawl each: the two daemons ran at once
    hits = [e["time"] for e in fakeweb.requests_log() if e["time"] >= since and e["path"].startswith("/syn/")]
    assert len(hits) >= 2 * POSTS  # every post of both articles was fetched
    per_window = Counter(math.floor(t / WINDOW) for t in hits)
    assert max(per_window.values()) <= BUDGET, sorted(per_window.items())
    assert len(per_window) >= math.ceil(len(hits) / BUDGET)  # the budget, not the crawl, set the pace


def test_a_429_seen_by_one_daemon_pauses_the_host_for_both(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    pair = _two(daemons)
    db = receipts_env.db
    limited = unique_path("limited")
    url = fakeweb.add_page(limited, "slow down", "text/plain", 429, {"Retry-After": str(RETRY_AFTER)})
    first = _submit(pair[0], url)
    seen = wait_for(lambda: next((e for e in fakeweb.requests_log() if e["path"].endswith(limited)), None),
                    60, 0.05, "the 429")
    _finished(db, [first])

    paths = [unique_path(f"after-429-{n}") for n in range(2)]
    urls = [fakeweb.add_page(p, article_page(p, f"After {n}", "<p>Fine again.</p>")) for n, p in enumerate(paths)]
    job_ids = [_submit(daemon, u) for daemon, u in zip(pair, urls, strict=True)]
    jobs = _finished(db, job_ids)
    assert {j["status"] for j in jobs} == {"done"}, [j.get("errors") for j in jobs]
    assert _daemon_of(jobs[0]) != _daemon_of(jobs[1])  # the daemon that saw the 429, and the other one
    for job in jobs:  # both were under way while the host was paused: without the gate they would have gone on
        assert job["started_at"].timestamp() < seen["time"] + RETRY_AFTER - 3, job["started_at"]
    log = fakeweb.requests_log()
    for path in paths:
        arrived = min(e["time"] for e in log if e["path"].endswith(path))
        assert arrived >= seen["time"] + RETRY_AFTER - 0.2, (path, arrived - seen["time"])


def test_a_bad_budget_stops_the_daemon_at_start_with_one_line(receipts_env) -> None:
    from conftest import free_port

    proc = receipts_env.run("serve", "--port", str(free_port()), timeout=60,
                            extra_env={"RECEIPTS_HOST_BUDGETS": "cdn.syndication.twimg.com=lots/min"})
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "RECEIPTS_HOST_BUDGETS" in proc.stderr and "cdn.syndication.twimg.com=lots/min" in proc.stderr
