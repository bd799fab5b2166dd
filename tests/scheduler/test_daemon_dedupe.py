"""Deduplicated enqueues are atomic: one active job per canonical URL, whatever the concurrency (issue 10, item 9)."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta

import httpx
from daemon_support import daemons  # noqa: F401

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import ACTIVE, JobQueue, canonical_key
from receipts.models import utcnow

URLS = [f"https://news.example/dedupe/story-{n}" for n in range(20)]
REQUESTS = 100


def test_100_concurrent_submissions_over_20_urls_make_one_job_each(daemons, receipts_env) -> None:  # noqa: F811
    daemon = daemons("dedupe", RECEIPTS_WORKERS="0")  # nothing runs: every job stays active
    barrier = threading.Barrier(REQUESTS)
    answers: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def fire(n: int) -> None:
        url = URLS[n % len(URLS)]
        if n % 3 == 1:
            url += "?utm_source=feed"  # the same canonical URL
        with httpx.Client(base_url=daemon.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {daemon.token()}"}) as client:
            barrier.wait(30)
            resp = client.post("/api/v1/crawls", json={"url": url})
        with lock:
            answers.append((canonical_key(url), resp.status_code, resp.json()))

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(answers) == REQUESTS
    assert {status for _, status, _ in answers} == {202}, answers[:3]
    ids: dict[str, set[str]] = defaultdict(set)
    for key, _, body in answers:
        ids[key].add(body["id"])
    assert {k: len(v) for k, v in ids.items()} == {canonical_key(u): 1 for u in URLS}  # one job id per URL
    assert sum(not body["deduplicated"] for _, _, body in answers) == len(URLS)
    per_url: dict[str, int] = defaultdict(int)
    for job in receipts_env.db.jobs.find({}, {"url_key": 1, "status": 1}):
        assert job["status"] in ACTIVE
        per_url[job["url_key"]] += 1
    assert per_url == {canonical_key(u): 1 for u in URLS}


def test_the_lock_is_released_when_the_job_ends_and_stale_locks_are_reclaimed(receipts_env) -> None:
    queue = JobQueue(Archive(get_database()))
    url = "https://news.example/dedupe/lock"
    key = canonical_key(url)
    job, created = queue.enqueue("crawl", url=url, dedupe=True)
    again, created_again = queue.enqueue("crawl", url=url, dedupe=True)
    assert created and not created_again and again["_id"] == job["_id"]
    claimed = queue.claim("test/w0")
    assert claimed["_id"] == job["_id"]
    assert queue.complete(job["_id"], claimed["claim"]) is not None
    assert queue.locks.find_one({"_id": key}) is None  # released with the job
    second, created = queue.enqueue("crawl", url=url, dedupe=True)
    assert created and second["_id"] != job["_id"]

    # a crash left the lock of a job that since finished (release lost): reclaimed
    queue.jobs.replace_one({"_id": second["_id"]}, {**second, "status": "done"})
    third, created = queue.enqueue("crawl", url=url, dedupe=True)
    assert created and third["_id"] not in (job["_id"], second["_id"])
    # a crash between lock and job: the lock names a job that never was written
    queue.jobs.delete_one({"_id": third["_id"]})
    queue.locks.replace_one({"_id": key}, {"_id": key, "job_id": third["_id"],
                                           "created_at": utcnow() - timedelta(minutes=5)})
    fourth, created = queue.enqueue("crawl", url=url, dedupe=True)
    assert created and queue.locks.find_one({"_id": key})["job_id"] == fourth["_id"]
    assert [j["_id"] for j in queue.jobs.find({"url_key": key, "status": "queued"})] == [fourth["_id"]]
