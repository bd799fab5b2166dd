"""Bounded and honest crawls (issue 10, item 7): a per-article post cap whose overflow is recorded as
``skipped``, and a crawl stopped by SIGTERM is ``interrupted`` with its real error count."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import bulk_article

from fakeweb.bulk import bulk_id

BIN = Path(sys.executable).parent
CAP_ENV = "RECEIPTS_MAX_POSTS_PER_ARTICLE"


def test_posts_over_the_cap_are_skipped_with_the_reason(receipts_env, fakeweb, bulk):
    url = bulk_article(fakeweb, "/limits/capped", 12)
    proc = receipts_env.run("crawl", url, "--json", extra_env={CAP_ENV: "5"}, check=True)
    report = json.loads(proc.stdout)
    db = receipts_env.db
    refs = report["article"]["references"]
    assert len(refs) == 12  # every reference is kept, none silently dropped
    assert [r["status"] for r in refs] == ["archived"] * 5 + ["skipped"] * 7  # the first five, in article order
    assert {r["post_id"] for r in refs[:5]} == {bulk_id(i) for i in range(5)}
    for ref in refs[5:]:
        assert CAP_ENV in ref["skipped_reason"] and "limit of 5 posts" in ref["skipped_reason"]
        assert ref["error"] is None
    assert db.posts.count_documents({}) == 5
    crawl_id = report["crawl"]["id"]
    assert db.captures.count_documents({"crawl_id": crawl_id, "route": "syndication"}) == 5  # exactly cap fetched
    assert report["crawl"]["status"] == "done" and report["crawl"]["skipped"] == 7
    crawl = db.crawls.find_one({"_id": crawl_id})
    assert sorted(crawl["skipped"]) == sorted(f"x:{bulk_id(i)}" for i in range(5, 12))
    stored = db.articles.find_one({"_id": url})["references"]
    assert [r["status"] for r in stored].count("skipped") == 7


def test_sigterm_mid_crawl_is_interrupted_with_its_errors(receipts_env, fakeweb, bulk):
    posts = 40
    url = bulk_article(fakeweb, "/limits/stopped", posts)
    env = {**receipts_env.env, "RECEIPTS_DOWNLOAD_DELAY": "0.3", "RECEIPTS_CONCURRENCY": "1",
           "RECEIPTS_PER_HOST_CONCURRENCY": "1"}
    crawl = subprocess.Popen([str(BIN / "receipts"), "crawl", url, "--json"], env=env, cwd=receipts_env.data_dir,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = receipts_env.db
    deadline = time.monotonic() + 90
    while db.posts.count_documents({}) < 3 and crawl.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert crawl.poll() is None and db.posts.count_documents({}) >= 3, "the crawl should be under way"
    crawl.send_signal(signal.SIGTERM)  # what `kill`, systemd or the daemon's job timeout send
    out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: crawl interrupted"), err
    report = json.loads(out)
    archived = db.posts.count_documents({})
    assert 0 < archived < posts
    summary = report["crawl"]
    assert summary["status"] == "interrupted"
    assert summary["unfinished"] == posts - archived
    assert summary["error_count"] >= summary["unfinished"] > 0  # never "done" with 0 errors
    refs = report["article"]["references"]
    assert len(refs) == posts
    assert sum(r["status"] == "archived" for r in refs) == archived
    unfinished = [r for r in refs if r["status"] == "error"]
    assert len(unfinished) == posts - archived
    assert all("interrupted" in r["error"] for r in unfinished)
    doc = db.crawls.find_one({"_id": summary["id"]})
    assert doc["status"] == "interrupted" and doc["stats"]["errors"] == summary["error_count"]
    assert f"{posts - archived} reference(s) not fetched" in doc["errors"][-1]["error"]
