"""Issue 10, item 17: killed crawls read ``interrupted``, ``browser: true`` is refused when off, files are private."""

from __future__ import annotations

import os
import stat

import httpx
import psutil
from daemon_support import (  # noqa: F401
    article_page,
    crawl_under_way,
    daemons,
    embed,
    kill_embedded,
    slow_article,
    unique_path,
    wait_for,
)

from fakeweb.catalog import VIETOR_ID
from receipts.db.dates import pushed_items

SLOW = {"RECEIPTS_DOWNLOAD_DELAY": "0.3", "RECEIPTS_CONCURRENCY": "1", "RECEIPTS_PER_HOST_CONCURRENCY": "1"}


def test_a_crawl_killed_with_its_daemon_reads_interrupted(daemons, receipts_env, fakeweb, bulk) -> None:  # noqa: F811
    first = daemons("doomed", **SLOW)
    db = receipts_env.db
    with first.client() as client:
        job_id = client.post("/api/v1/crawls", json={"url": slow_article(fakeweb, "killed-daemon")}).json()["id"]
    running = crawl_under_way(db, job_id)
    crawl_id = running["crawl_ids"][-1]
    orphan = psutil.Process(running["worker_pid"])
    first.kill()  # SIGKILL: no drain; the worker notices its daemon is gone and stops
    orphan.wait(15)
    assert db.crawls.find_one({"_id": crawl_id})["status"] == "running"  # cut off mid-crawl

    daemons("heir")  # takes the job over once the lease expired
    done = wait_for(lambda: (j := db.jobs.find_one({"_id": job_id}))["status"] in ("done", "failed") and j, 120, 0.2,
                    "the other daemon to finish the job")
    assert done["status"] == "done", done
    assert done["crawl_ids"][0] == crawl_id and "lease expired" in done["errors"][0]["error"]
    killed = db.crawls.find_one({"_id": crawl_id})
    assert killed["status"] == "interrupted", killed["status"]
    assert killed["finished_at"] is not None
    errors = [e for e in pushed_items(killed["errors"]) if isinstance(e, dict)]
    assert any("lease expired" in e["error"] for e in errors), errors
    assert killed["stats"]["item_errors"] == len(errors) >= 1
    assert killed["stats"]["captures"] == db.captures.count_documents({"crawl_id": crawl_id}) >= 2
    warc = db.warcs.find_one({"crawl_id": crawl_id})
    assert warc is not None and warc["recovered"] is True  # its WARC was cut back to whole records
    assert receipts_env.run("verify").returncode == 0


def test_browser_true_is_refused_when_the_daemon_has_it_off(daemons, receipts_env) -> None:  # noqa: F811
    daemon = daemons("nobrowser", RECEIPTS_WORKERS="0", RECEIPTS_BROWSER="0")
    with daemon.client() as client:
        resp = client.post("/api/v1/crawls", json={"url": "https://news.example/browser-on", "browser": True})
        assert resp.status_code == 400, resp.text
        error = resp.json()["error"]
        assert error["code"] == "browser_disabled" and "RECEIPTS_BROWSER" in error["message"]
        assert receipts_env.db.jobs.count_documents({}) == 0
        ok = client.post("/api/v1/crawls", json={"url": "https://news.example/browser-off", "browser": False})
        assert ok.status_code == 202 and receipts_env.db.jobs.find_one({"_id": ok.json()["id"]})["options"] == {
            "browser": False}


def _open_to_others(root) -> list[str]:
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            want = 0o700 if os.path.isdir(path) else 0o600
            if mode & 0o077 or (os.path.isdir(path) and mode != want):
                bad.append(f"{os.path.relpath(path, root)} {oct(mode)}")
    return bad


def test_data_directory_and_database_files_are_private(daemons, receipts_env, fakeweb, tmp_path) -> None:  # noqa: F811
    data_dir = tmp_path / "fresh" / "var"  # created by Receipts itself
    daemon = daemons("private", start=False, RECEIPTS_MONGODB_URI="", RECEIPTS_DATA_DIR=str(data_dir))
    try:
        daemon.start()
        token = (data_dir / "api-token").read_text().strip()
        path = unique_path("private")
        url = fakeweb.add_page(path, article_page(path, "private", embed(VIETOR_ID, "TVietor08", "Quoted")))
        with httpx.Client(base_url=daemon.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
            job = c.post("/api/v1/crawls", json={"url": url}).json()
            wait_for(lambda: c.get(f"/api/v1/crawls/{job['id']}").json()["status"] in ("done", "failed"), 120, 0.2,
                     "the crawl")
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        sqlite = [p for p in (data_dir / "db" / "data").iterdir() if p.name.endswith(".db")]
        assert sqlite and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in sqlite)
        assert list((data_dir / "warc").iterdir()) and list((data_dir / "logs" / "jobs").iterdir())
        assert _open_to_others(data_dir) == []
        assert daemon.terminate() == 0
    finally:
        kill_embedded(data_dir)


def test_an_existing_open_data_directory_is_made_private(daemons, receipts_env) -> None:  # noqa: F811
    os.chmod(receipts_env.data_dir, 0o755)
    daemons("tighten", RECEIPTS_WORKERS="0")
    assert stat.S_IMODE(receipts_env.data_dir.stat().st_mode) == 0o700
