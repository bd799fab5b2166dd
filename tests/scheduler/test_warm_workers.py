"""Warm crawl processes (scheduler.warm): an idle daemon keeps one pre-imported ``worker_main --warm``
child, hands it the next job, and replaces it; ``RECEIPTS_WARM_WORKERS=0`` starts every crawl cold."""

from __future__ import annotations

import psutil
from daemon_support import article_page, daemons, embed, unique_path, wait_for  # noqa: F401

from fakeweb.catalog import VIETOR_ID


def warm_children(daemon_pid: int) -> list[int]:
    try:
        children = psutil.Process(daemon_pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for child in children:
        try:
            if "--warm" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                out.append(child.pid)
        except psutil.Error:
            pass
    return out


def test_the_next_crawl_runs_in_the_warm_process_and_a_new_one_is_kept(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    path = unique_path("warm")
    url = fakeweb.add_page(path, article_page(path, "Warm", embed(VIETOR_ID, "TVietor08", "A post")))
    daemon = daemons("warm", RECEIPTS_WORKERS="1")
    [spare] = wait_for(lambda: warm_children(daemon.pid), 60, 0.1, "a warm crawl process")
    with daemon.client() as client:
        job = client.post("/api/v1/crawls", json={"url": url}).json()
        done = wait_for(lambda: (j := client.get(f"/api/v1/crawls/{job['id']}").json())["status"] in ("done", "failed")
                        and j, 120, 0.1, "the crawl")
    assert done["status"] == "done", done
    started = [line for line in daemon.log().splitlines() if "job started" in line and job["id"] in line]
    assert started and f'"worker_pid": {spare}' in started[0], daemon.log()[-3000:]  # the waiting process ran it
    assert receipts_env.db.posts.find_one({"_id": f"x:{VIETOR_ID}"})["status"] == "live"
    log = (receipts_env.data_dir / "logs" / "jobs").glob(f"{job['id']}-*.log")
    assert list(log), "the warm process writes to the job's own log"
    again = wait_for(lambda: [p for p in warm_children(daemon.pid) if p != spare], 60, 0.1, "a new warm process")
    assert spare not in again
    assert daemon.terminate() == 0
    wait_for(lambda: not psutil.pid_exists(again[0]) or psutil.Process(again[0]).status() == psutil.STATUS_ZOMBIE,
             20, 0.1, "the spare to stop with the daemon")


def test_warm_workers_off_starts_crawls_cold(daemons, receipts_env, fakeweb) -> None:  # noqa: F811
    path = unique_path("cold")
    url = fakeweb.add_page(path, article_page(path, "Cold", embed(VIETOR_ID, "TVietor08", "A post")))
    daemon = daemons("cold", RECEIPTS_WORKERS="1", RECEIPTS_WARM_WORKERS="0")
    with daemon.client() as client:
        job = client.post("/api/v1/crawls", json={"url": url}).json()
        done = wait_for(lambda: (j := client.get(f"/api/v1/crawls/{job['id']}").json())["status"] in ("done", "failed")
                        and j, 120, 0.1, "the crawl")
    assert done["status"] == "done", done
    assert warm_children(daemon.pid) == []
