"""Three ``receipts serve`` processes on one database: one queue worked by all, one leader firing schedules."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psutil
from daemon_support import DaemonProc, article_page, daemons, unique_path, wait_for  # noqa: F401

CRAWLS = int(os.environ.get("RECEIPTS_TEST_CRAWLS", "60"))
FEED_URL = "https://newrepublic.com/feed/rss"
LEASE = "3"  # RECEIPTS_LEADER_LEASE in these tests (seconds)


def _cluster(daemon: DaemonProc) -> dict[str, Any]:
    return httpx.get(daemon.base_url + "/api/v1/health", timeout=5).json()["checks"]["cluster"]


def _settled(group: list[DaemonProc], alive: int) -> str | None:
    """The leader id once every daemon of *group* sees the same one and *alive* heartbeats, else None."""
    views = [_cluster(d) for d in group]
    leaders = {v["leader"] for v in views}
    if len(leaders) != 1 or None in leaders or any(v["daemons_alive"] != alive for v in views):
        return None
    if sum(v["is_leader"] for v in views) != 1:
        return None
    return leaders.pop()


def _leader_of(group: list[DaemonProc], leader_id: str) -> DaemonProc:
    return next(d for d in group if _cluster(d)["daemon"] == leader_id)


def _three(daemons, **env: str) -> list[DaemonProc]:  # noqa: F811
    return [daemons(name, RECEIPTS_LEADER_LEASE=LEASE, **env) for name in ("one", "two", "three")]


def test_sixty_crawls_each_done_once_across_three_daemons_one_killed(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    group = _three(daemons)
    db = receipts_env.db
    leader_id = wait_for(lambda: _settled(group, 3), 30, 0.2, "the three daemons to agree on a leader")
    urls = []
    for n in range(CRAWLS):
        path = unique_path(f"many-{n}")
        urls.append(fakeweb.add_page(path, article_page(path, f"Many {n}", f"<p>Paragraph {n}.</p>")))
    job_ids = []
    for n, url in enumerate(urls):  # submitted through all three front doors
        with group[n % 3].client() as client:
            resp = client.post("/api/v1/crawls", json={"url": url})
            assert resp.status_code in (200, 201, 202), resp.text
            job_ids.append(resp.json()["id"])
    assert len(set(job_ids)) == CRAWLS

    victim = group[2]  # SIGKILL one daemon while it runs a crawl
    victim_ident = f":{victim.pid}"
    running = wait_for(lambda: next((j for j in db.jobs.find({"status": "running"})
                                     if victim_ident + "/" in (j.get("worker") or "") and j.get("worker_pid")), None),
                       60, 0.05, "the victim to run a crawl")
    orphan = running["worker_pid"]
    victim.kill()
    try:
        psutil.Process(orphan).wait(10)  # its crawl subprocess notices and stops
    except psutil.NoSuchProcess:
        pass
    survivors = group[:2]
    wait_for(lambda: _settled(survivors, 2), 30, 0.2, "the survivors to agree on a leader and two heartbeats")

    def all_done() -> bool:
        return db.jobs.count_documents({"status": {"$in": ["done", "failed"]}}) == CRAWLS

    wait_for(all_done, 240, 0.5, "all sixty crawls to finish")
    jobs = list(db.jobs.find({}))
    assert len(jobs) == CRAWLS and {j["status"] for j in jobs} == {"done"}, Counter(j["status"] for j in jobs)
    taken_over = db.jobs.find_one({"_id": running["_id"]})
    assert "lease expired" in taken_over["errors"][0]["error"]
    if taken_over["attempts"] == 1:  # the victim's crawl had ended just before the kill: settled, not re-run
        assert [db.crawls.find_one({"_id": c})["status"] for c in taken_over["crawl_ids"]] in (["done"],
                                                                                               ["done_with_errors"])
    else:
        assert taken_over["attempts"] == 2
        assert victim_ident + "/" not in taken_over["worker"] + "/"  # finished by a survivor
    all_crawl_ids = [c for j in jobs for c in j["crawl_ids"]]
    assert len(all_crawl_ids) == len(set(all_crawl_ids))  # no crawl id twice
    for job in jobs:
        crawls = [db.crawls.find_one({"_id": c}) for c in job["crawl_ids"]]
        finished = [c for c in crawls if c and c["status"] in ("done", "done_with_errors")]
        assert len(finished) == 1, (job["_id"], [(c or {}).get("status") for c in crawls])  # done exactly once
        claims = [h for h in job["history"] if h.get("event") == "claimed"]
        assert len(claims) == job["attempts"]  # each attempt claimed by one worker
    assert db.articles.count_documents({"_id": {"$in": urls}}) == CRAWLS
    workers = Counter(j["worker"].split("/")[0] for j in jobs)
    assert len(workers) >= 2, workers  # the queue was shared
    if _cluster(survivors[0])["leader"] != leader_id:  # the victim led: the lead moved within the lease
        assert leader_id.split(":")[1] == str(victim.pid)


def test_polls_fire_once_per_due_time_and_the_lead_moves_when_the_leader_dies(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    group = _three(daemons, RECEIPTS_WORKERS="0")
    db = receipts_env.db
    leader_id = wait_for(lambda: _settled(group, 3), 30, 0.2, "the three daemons to agree on a leader")
    leader = _leader_of(group, leader_id)
    followers = [d for d in group if d is not leader]
    with followers[0].client() as client:
        metrics = client.get("/metrics").text
    assert "receipts_daemons_alive 3.0" in metrics and "receipts_daemon_is_leader 0.0" in metrics
    assert f'receipts_leader{{daemon="{leader_id}"}} 1.0' in metrics

    def feed_fetches() -> int:
        return sum(1 for e in fakeweb.requests_log() if e["path"].split("?")[0].endswith("/feed/rss"))

    def sweeps() -> float:
        return float(db.apscheduler_jobs.find_one({"_id": "recheck-sweep"})["next_run_time"])

    def quiet(passes: int = 6) -> None:
        """Let the leader's scheduler make several more passes (its sweep moves on each tick)."""
        start = sweeps()
        wait_for(lambda: sweeps() >= start + passes * 0.3 - 0.01, 20, 0.05, "more scheduler passes")

    fetched = feed_fetches()
    with followers[1].client() as client:  # added through a follower: the leader schedules it
        source = client.post("/api/v1/sources", json={"url": FEED_URL, "every": "1h"}).json()
    sid = source["id"]

    def polls() -> int:
        return int(db.sources.find_one({"_id": sid}).get("polls") or 0)

    wait_for(lambda: polls() == 1, 20, 0.1, "the first poll")
    quiet()
    assert polls() == 1 and feed_fetches() == fetched + 1  # due once, fired once, by one of three

    for n, daemon in enumerate(group, start=2):  # "poll now" through each front door: one poll each
        with daemon.client() as client:
            assert client.post(f"/api/v1/sources/{sid}/poll").status_code == 202
        wait_for(lambda n=n: polls() >= n, 20, 0.1, f"poll {n}")
        quiet()
        assert polls() == n and feed_fetches() == fetched + n

    _rechecks_queued_once(db, "before", quiet)

    leader.kill()
    killed = time.monotonic()
    wait_for(lambda: any(_cluster(d)["is_leader"] for d in followers), 3 * float(LEASE) + 10, 0.05, "a follower to lead")
    handover = time.monotonic() - killed
    assert handover < float(LEASE) + 2.0, handover  # within one lease (plus the time to notice on a busy machine)
    new_leader = wait_for(lambda: _settled(followers, 2), 3 * float(LEASE) + 10, 0.1, "a new leader")
    assert new_leader != leader_id and new_leader in {_cluster(d)["daemon"] for d in followers}
    with followers[0].client() as client:
        assert client.post(f"/api/v1/sources/{sid}/poll").status_code == 202
    wait_for(lambda: polls() >= 5, 20, 0.1, "the poll after the handover")
    quiet()
    assert polls() == 5 and feed_fetches() == fetched + 5
    assert db.leases.find_one({"_id": "leader"})["holder"] == new_leader
    _rechecks_queued_once(db, "after", quiet)


def _rechecks_queued_once(db: Any, batch: str, quiet: Any, count: int = 20) -> None:
    """Posts whose re-check fell due are queued once each (the leader's sweep), not once per daemon."""
    now = datetime.now(UTC)
    ids = [f"x:{batch}{n}" for n in range(count)]
    db.posts.insert_many([{"_id": i, "first_seen_at": now - timedelta(days=2), "check_count": 1,
                           "next_check_at": now - timedelta(minutes=1)} for i in ids])

    def queued() -> Counter:
        return Counter(p for j in db.jobs.find({"kind": "recheck_posts"}) for p in j["post_ids"] if p in ids)

    wait_for(lambda: len(queued()) == count, 20, 0.1, f"the re-checks of batch {batch}")
    quiet()
    assert set(queued().values()) == {1}, queued()
