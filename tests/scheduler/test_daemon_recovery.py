"""Crashes and restarts: no job is lost, none runs twice at once, schedules survive."""

from __future__ import annotations

import os
import signal

import psutil
from daemon_support import article_page, daemons, embed, unique_path, wait_for  # noqa: F401

from fakeweb.catalog import ARTICLE_URL, VIETOR_ID

FEED_URL = "https://newrepublic.com/feed/rss"


def _page(fakeweb, name: str) -> str:
    path = unique_path(name)
    return fakeweb.add_page(path, article_page(path, name, embed(VIETOR_ID, "TVietor08", "Quoted")))


def _running_with_worker(db, job_id: str) -> dict:
    return wait_for(lambda: (j := db.jobs.find_one({"_id": job_id})) and j["status"] == "running"
                    and j.get("worker_pid") and j, 30, 0.02, "the job to be running in a worker")


def test_worker_killed_mid_crawl_has_its_job_completed_by_another(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    daemon = daemons("sigkill")
    db = receipts_env.db
    with daemon.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": _page(fakeweb, "killed-worker")}).json()["id"]
    running = _running_with_worker(db, job_id)
    os.kill(running["worker_pid"], signal.SIGKILL)
    done = wait_for(lambda: (j := db.jobs.find_one({"_id": job_id}))["status"] in ("done", "failed") and j, 60, 0.1,
                    "the job to finish")
    assert done["status"] == "done", done
    assert done["attempts"] == 2 and "SIGKILL" in done["errors"][0]["error"]
    first, second = done["crawl_ids"]
    assert db.crawls.find_one({"_id": first})["status"] == "failed"
    assert db.crawls.find_one({"_id": second})["status"] in ("done", "done_with_errors")
    assert db.articles.find_one({"_id": done["article_id"]}) is not None


def test_dead_daemon_job_is_taken_over_after_its_lease(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    first = daemons("first")
    db = receipts_env.db
    with first.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": _page(fakeweb, "dead-daemon")}).json()["id"]
    running = _running_with_worker(db, job_id)
    orphan = psutil.Process(running["worker_pid"])
    first.kill()  # SIGKILL: no drain, the lease is left to expire
    orphan.wait(10)  # the worker notices its daemon is gone and stops

    second = daemons("second")
    done = wait_for(lambda: (j := db.jobs.find_one({"_id": job_id}))["status"] in ("done", "failed") and j, 60, 0.1,
                    "the other daemon to finish the job")
    assert done["status"] == "done", done
    assert "lease expired" in done["errors"][0]["error"]
    crawls = [db.crawls.find_one({"_id": c}) for c in done["crawl_ids"]]
    if done["attempts"] == 1:  # the crawl had ended before its daemon died: settled, never crawled twice
        assert [c["status"] for c in crawls] in (["done"], ["done_with_errors"])
    else:
        assert done["worker"].split("/")[0].endswith(f":{second.pid}")
        assert done["attempts"] == 2
        assert crawls[0]["status"] != "running"  # closed: failed, or finished just before the worker noticed
        assert crawls[1]["status"] in ("done", "done_with_errors")


def test_restarted_daemon_keeps_schedules_and_queued_jobs(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    db = receipts_env.db
    idle = daemons("idle", RECEIPTS_WORKERS="0")
    with idle.client() as client:
        source = client.post("/api/v1/sources", json={"url": FEED_URL, "every": "1h"}).json()
        on_demand = client.post("/api/v1/crawls", json={"url": _page(fakeweb, "restart")}).json()
        polled = wait_for(lambda: (s := client.get(f"/api/v1/sources/{source['id']}").json())["polls"] == 1 and s,
                          20, 0.1, "the first poll")
    assert polled["queued"] == 1
    scheduled = wait_for(lambda: db.apscheduler_jobs.find_one({"_id": f"source:{source['id']}"}), 10, 0.1, "the poll job")
    assert {j["status"] for j in db.jobs.find({})} == {"queued"} and db.jobs.count_documents({}) == 2
    assert idle.terminate() == 0

    busy = daemons("busy")
    wait_for(lambda: {j["status"] for j in db.jobs.find({})} == {"done"}, 60, 0.2, "both queued jobs to run")
    assert db.articles.find_one({"_id": ARTICLE_URL}) is not None
    assert db.jobs.find_one({"_id": on_demand["id"]})["article_id"]
    again = db.apscheduler_jobs.find_one({"_id": f"source:{source['id']}"})
    assert again["next_run_time"] == scheduled["next_run_time"]  # resumed, not re-polled or re-timed
    with busy.client() as client:
        assert client.get(f"/api/v1/sources/{source['id']}").json()["polls"] == 1
        stats = client.get("/api/v1/stats").json()
    assert stats["queue"] == {"queued": 0, "running": 0, "done": 2, "failed": 0}


def test_sigterm_drains_a_running_crawl(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    daemon = daemons("drain")
    db = receipts_env.db
    with daemon.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": _page(fakeweb, "drain")}).json()["id"]
    _running_with_worker(db, job_id)
    assert daemon.terminate() == 0
    job = db.jobs.find_one({"_id": job_id})
    # finished within the grace period, or handed back for the next daemon: never left "running"
    assert job["status"] in ("done", "queued"), job
    if job["status"] == "queued":
        assert job["history"][-1]["event"] == "handed_back" and job["attempts"] == 0
