"""The database dies under a running daemon and comes back: the daemon recovers by itself (issue 10, item 3)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator

import httpx
import pymongo
import pytest
from daemon_support import (  # noqa: F401
    article_page,
    crawl_under_way,
    daemons,
    embed,
    gone,
    kill_embedded,
    slow_article,
    unique_path,
    wait_for,
)

from fakeweb.catalog import VIETOR_ID
from receipts.db.embedded import _alive

# a crawl slow enough to be cut by the outage; a short spool wait, so that it ends while the database is down
SLOW = {"RECEIPTS_DOWNLOAD_DELAY": "0.3", "RECEIPTS_CONCURRENCY": "1", "RECEIPTS_PER_HOST_CONCURRENCY": "1",
        "RECEIPTS_SPOOL_WAIT": "1", "RECEIPTS_WORKERS": "1"}


@pytest.fixture
def embedded_cleanup(receipts_env) -> Iterator[None]:
    """Stop the embedded server a SIGKILL-ed test daemon leaves behind (set up first, torn down last)."""
    yield
    kill_embedded(receipts_env.data_dir)


def quick_article(fakeweb, name: str) -> str:
    path = unique_path(name)
    return fakeweb.add_page(path, article_page(path, name, embed(VIETOR_ID, "TVietor08", "Quoted")))


def health(client: httpx.Client) -> tuple[int, dict]:
    try:
        resp = client.get("/api/v1/health", timeout=15)
    except httpx.HTTPError:
        return 0, {}
    return resp.status_code, resp.json()


def finished(client: httpx.Client, job_id: str) -> dict | None:
    try:
        job = client.get(f"/api/v1/crawls/{job_id}").json()
    except (httpx.HTTPError, ValueError):
        return None
    return job if job.get("status") in ("done", "failed") else None


def test_embedded_database_killed_mid_crawl_is_restarted_and_the_daemon_recovers(
        embedded_cleanup, daemons, receipts_env, fakeweb, bulk) -> None:  # noqa: F811
    daemon = daemons("embedded", RECEIPTS_MONGODB_URI="", **SLOW)
    state_file = receipts_env.data_dir / "db" / "server.json"
    first = json.loads(state_file.read_text())
    db = pymongo.MongoClient(first["uri"], tz_aware=True, serverSelectionTimeoutMS=3000)[receipts_env.db_name]
    with daemon.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": slow_article(fakeweb, "embedded-outage")}).json()["id"]
        crawl_under_way(db, job_id)
        os.kill(int(first["pid"]), signal.SIGKILL)  # the database dies mid-crawl
        wait_for(lambda: not _alive(int(first["pid"])), 10, 0.05, "the embedded server to die")

        status, body = wait_for(lambda: (h := health(client))[0] == 200 and h, 90, 0.2, "health to be 200 again")
        assert body["checks"]["database"] == "ok" and body["checks"]["workers"] == "ok", body
        now = wait_for(lambda: (st := json.loads(state_file.read_text()))["pid"] != first["pid"] and st, 30, 0.05,
                       "the restarted server to be recorded")
        assert _alive(int(now["pid"]))
        assert now["uri"] == first["uri"]  # restarted on its port: every client's address stays valid

        done = wait_for(lambda: finished(client, job_id), 180, 0.3, "the interrupted job to finish")
        assert done["status"] == "done", done
        again = client.post("/api/v1/crawls", json={"url": quick_article(fakeweb, "after-embedded-outage")}).json()
        after = wait_for(lambda: finished(client, again["id"]), 120, 0.3, "a crawl submitted after the outage")
        assert after["status"] == "done", after
        assert health(client)[0] == 200


def test_external_mongodb_gone_and_back_the_daemon_recovers(
        own_nx, daemons, receipts_env, fakeweb, bulk) -> None:  # noqa: F811
    daemon = daemons("external", RECEIPTS_MONGODB_URI=own_nx.uri, **SLOW)
    db = pymongo.MongoClient(own_nx.uri, tz_aware=True, serverSelectionTimeoutMS=3000)[receipts_env.db_name]
    with daemon.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": slow_article(fakeweb, "external-outage")}).json()["id"]
        worker_pid = int(crawl_under_way(db, job_id)["worker_pid"])
        own_nx.stop()  # MongoDB goes away mid-crawl …
        wait_for(lambda: health(client)[0] == 503, 60, 0.2, "health to report the outage")
        # … and stays away until the crawl has ended: its worker thread meets the outage when settling the job
        wait_for(lambda: gone(worker_pid), 120, 0.2, "the crawl subprocess to end during the outage")
        # the worker thread tried to record the outcome and met the outage (it retries; it used to die here)
        wait_for(lambda: any(f"job {job_id}: {what}" in line for line in daemon.log().splitlines()
                             for what in ("recording the outcome", "worker error")), 60, 0.2,
                 "the worker thread to meet the outage")
        wait_for(lambda: health(client)[0] == 503, 60, 0.2, "health to still report the outage")
        own_nx.start()  # … and comes back on the same port

        status, body = wait_for(lambda: (h := health(client))[0] == 200 and h, 90, 0.2, "health to be 200 again")
        assert body["checks"]["workers"] == "ok", body
        done = wait_for(lambda: finished(client, job_id), 180, 0.3, "the interrupted job to finish")
        assert done["status"] == "done", done
        again = client.post("/api/v1/crawls", json={"url": quick_article(fakeweb, "after-external-outage")}).json()
        after = wait_for(lambda: finished(client, again["id"]), 120, 0.3, "a crawl submitted after the outage")
        assert after["status"] == "done", after
