"""Outages and restarts lose nothing (issue 7): MongoDB down mid-crawl, SIGKILL mid-crawl."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
from conftest import NxServer, bulk_article
from warcio.archiveiterator import ArchiveIterator

from fakeweb.bulk import bulk_id

BIN = Path(sys.executable).parent
POSTS = 40


def _env(receipts_env, nx: NxServer, **extra: str) -> dict[str, str]:
    return {**receipts_env.env, "RECEIPTS_MONGODB_URI": nx.uri, **extra}


def test_mongodb_down_for_30s_mid_crawl_loses_nothing(receipts_env, fakeweb, bulk, own_nx):
    url = bulk_article(fakeweb, "/outage/bulk", POSTS)
    env = _env(receipts_env, own_nx, RECEIPTS_DOWNLOAD_DELAY="0.5", RECEIPTS_CONCURRENCY="1",
               RECEIPTS_PER_HOST_CONCURRENCY="1", RECEIPTS_SPOOL_WAIT="90")
    crawl = subprocess.Popen([str(BIN / "receipts"), "crawl", url, "--json"], env=env, cwd=receipts_env.data_dir,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = pymongo.MongoClient(own_nx.uri, tz_aware=True)[receipts_env.db_name]
    deadline = time.monotonic() + 60
    while db.posts.count_documents({}) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert db.posts.count_documents({}) >= 3, "the crawl should be under way"
    own_nx.stop()  # MongoDB goes away mid-crawl …
    time.sleep(30)
    assert crawl.poll() is None, "the crawl must survive the outage"
    spooled = list((receipts_env.data_dir / "spool").glob("*.pkl"))
    assert spooled, "items written during the outage go to RECEIPTS_DATA_DIR/spool"
    own_nx.start()  # … and comes back on the same port with the same files
    out, err = crawl.communicate(timeout=240)
    assert crawl.returncode == 0, err
    report = json.loads(out)
    assert report["crawl"]["status"] == "degraded"
    db = pymongo.MongoClient(own_nx.uri, tz_aware=True)[receipts_env.db_name]
    ids = {f"x:{bulk_id(i)}" for i in range(POSTS)}
    assert {d["_id"] for d in db.posts.find({}, {"_id": 1})} >= ids  # every item, once
    assert db.posts.count_documents({}) == POSTS
    article = db.articles.find_one({"_id": url})
    assert len(article["references"]) == POSTS
    assert all(r["status"] == "archived" for r in article["references"])
    crawl_doc = db.crawls.find_one({"_id": report["crawl"]["id"]})
    assert crawl_doc["degraded"] is True and crawl_doc["spooled"] > 0
    assert not list((receipts_env.data_dir / "spool").glob("*.pkl"))  # replayed and removed
    # every post fetch is a capture, none lost in the outage
    assert db.captures.count_documents({"crawl_id": report["crawl"]["id"], "route": "syndication"}) == POSTS


def test_sigkill_mid_crawl_then_rerun_is_complete(receipts_env, fakeweb, bulk):
    url = bulk_article(fakeweb, "/outage/killed", POSTS)
    env = {**receipts_env.env, "RECEIPTS_DOWNLOAD_DELAY": "0.2", "RECEIPTS_CONCURRENCY": "1",
           "RECEIPTS_PER_HOST_CONCURRENCY": "1"}
    crawl = subprocess.Popen([str(BIN / "receipts"), "crawl", url, "--json"], env=env, cwd=receipts_env.data_dir,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    db = receipts_env.db
    deadline = time.monotonic() + 60
    while db.posts.count_documents({}) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(crawl.pid, signal.SIGKILL)
    crawl.wait()
    partial = db.posts.count_documents({})
    assert 0 < partial < POSTS
    report = receipts_env.crawl_json(url)  # the re-run
    assert report["crawl"]["status"] == "done"
    assert db.posts.count_documents({}) == POSTS  # complete, no duplicates
    assert db.articles.count_documents({"_id": url}) == 1
    assert len(db.articles.find_one({"_id": url})["references"]) == POSTS
    # nothing partial left referenced: no temp media, every referenced WARC file reads to the end
    assert not list((receipts_env.data_dir / "tmp").glob("*.part"))
    for media in db.media.find({}, {"_id": 1, "bytes": 1}):
        blob = receipts_env.db["mediafiles.files"].find_one({"_id": media["_id"]})
        assert blob is not None and blob["length"] == media["bytes"]
    killed = [c for c in db.crawls.find({"status": "interrupted"})]
    assert len(killed) == 1, "the re-run closes out the killed crawl"
    assert db.warcs.find_one({"_id": killed[0]["warc_files"][0]})["recovered"] is True
    referenced = {c["warc_file"] for c in db.captures.find({"warc_file": {"$ne": None}}, {"warc_file": 1})}
    assert len(referenced) == 2
    for name in referenced:
        path = receipts_env.data_dir / "warc" / name
        with open(path, "rb") as fh:
            assert sum(1 for _ in ArchiveIterator(fh)) > 0
        gzip.decompress(path.read_bytes())  # the whole file inflates: not truncated
    assert receipts_env.run("verify").returncode == 0


def test_truncated_warc_member_is_cut_back(tmp_path):
    from receipts.evidence.recover import complete_length, try_lock

    whole = gzip.compress(b"WARC/1.1 first") + gzip.compress(b"WARC/1.1 second")
    path = tmp_path / "x.warc.gz"
    path.write_bytes(whole + gzip.compress(b"WARC/1.1 third, cut by SIGKILL")[:17])
    assert complete_length(path) == len(whole)
    with open(path, "ab") as writer:  # a live writer holds the lock: recovery keeps off
        import fcntl

        fcntl.flock(writer, fcntl.LOCK_EX)
        assert try_lock(path) is None
    fh = try_lock(path)
    assert fh is not None
    fh.close()
