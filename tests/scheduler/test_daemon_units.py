"""The daemon's parts in-process against nx-27017: job queue, re-check schedule, source parsing, webhooks."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fakeweb import news
from fakeweb.catalog import ARTICLE_URL
from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import (
    PRIORITY_ON_DEMAND,
    PRIORITY_RECHECK,
    PRIORITY_SOURCE,
    JobQueue,
    ensure_job_indexes,
)
from receipts.models import utcnow
from receipts.settings import get_settings, reset_settings
from receipts.urls import canonicalize
from scheduler import webhooks
from scheduler.rechecks import next_check
from scheduler.sources import extract


def _archive() -> Archive:
    archive = Archive(get_database())
    archive.ensure_indexes()
    ensure_job_indexes(archive)
    return archive


def test_claims_follow_priority_and_never_hand_one_job_to_two_workers(receipts_env) -> None:
    queue = JobQueue(_archive())
    recheck, _ = queue.enqueue("recheck_posts", post_ids=["x:1"], priority=PRIORITY_RECHECK, origin="recheck")
    source, _ = queue.enqueue("crawl", url="https://news.example/a", priority=PRIORITY_SOURCE, origin="source")
    demand, _ = queue.enqueue("crawl", url="https://news.example/b", priority=PRIORITY_ON_DEMAND)
    again, created = queue.enqueue("crawl", url="https://NEWS.example/b?utm_source=x#top", dedupe=True)
    assert not created and again["_id"] == demand["_id"]
    order = [queue.claim("w")["_id"] for _ in range(3)]
    assert order == [demand["_id"], source["_id"], recheck["_id"]]
    assert queue.claim("w") is None

    for i in range(24):
        queue.enqueue("crawl", url=f"https://news.example/many/{i}")
    claimed: list[str] = []

    def worker(n: int) -> None:
        q = JobQueue(Archive(get_database()))
        while (job := q.claim(f"w{n}")) is not None:
            claimed.append(job["_id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 24 and len(set(claimed)) == 24


def test_lease_expiry_backoff_and_hand_back(receipts_env) -> None:
    queue = JobQueue(_archive())
    job, _ = queue.enqueue("crawl", url="https://news.example/lease", max_attempts=2)
    held = queue.claim("w1", lease=60)
    assert held["_id"] == job["_id"] and held["attempts"] == 1
    assert queue.renew(job["_id"], held["claim"]) and not queue.renew(job["_id"], "not-my-claim")
    assert queue.reap_expired() == []  # lease still valid
    assert queue.reap_expired(now=utcnow() + timedelta(seconds=120)) == [job["_id"]]
    assert not queue.renew(job["_id"], held["claim"])  # the dead worker lost it for good
    assert queue.complete(job["_id"], held["claim"]) is None

    second = queue.claim("w2")
    assert second["attempts"] == 2
    failed = queue.fail(job["_id"], second["claim"], "boom")
    assert failed["status"] == "failed" and [e["error"] for e in failed["errors"]][-1] == "boom"  # out of attempts

    retry, _ = queue.enqueue("crawl", url="https://news.example/retry")
    held = queue.claim("w")
    back = queue.fail(retry["_id"], held["claim"], "503")
    assert back["status"] == "queued" and back["not_before"] > utcnow()
    assert queue.claim("w") is None  # backing off
    held = queue.claim("w", now=utcnow() + timedelta(hours=2))
    handed = queue.hand_back(retry["_id"], held["claim"])
    assert handed["status"] == "queued" and handed["attempts"] == 1 and handed["history"][-1]["event"] == "handed_back"


def test_a_job_whose_crawl_ended_before_its_worker_died_is_settled_not_run_again(receipts_env) -> None:
    from receipts.models import Crawl

    archive = _archive()
    queue = JobQueue(archive)
    for name, status in (("ended", "done"), ("cut", "running")):
        job, _ = queue.enqueue("crawl", url=f"https://news.example/reap-{name}")
        held = queue.claim("w1", lease=60)
        crawl_id = f"cr-reap-{name}"
        assert queue.add_crawl(job["_id"], held["claim"], crawl_id, worker_pid=1)
        archive.start_crawl(Crawl(id=crawl_id, kind="crawl", url=job["url"], status=status,
                                  finished_at=utcnow() if status == "done" else None))
    later = utcnow() + timedelta(seconds=120)
    assert len(queue.reap_expired(now=later)) == 2
    ended = queue.jobs.find_one({"url": "https://news.example/reap-ended"})
    cut = queue.jobs.find_one({"url": "https://news.example/reap-cut"})
    assert ended["status"] == "done" and ended["attempts"] == 1  # its crawl is done: not crawled twice
    assert cut["status"] == "queued"  # its crawl was cut off: another worker takes it over


def test_decaying_recheck_schedule() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    offsets = (3600.0, 6 * 3600.0, 86400.0)
    assert next_check(first, 0, offsets, 90 * 86400.0, first) == first + timedelta(hours=1)
    assert next_check(first, 1, offsets, 90 * 86400.0, first + timedelta(hours=1)) == first + timedelta(hours=6)
    # offsets already past (the daemon was down) are skipped, not replayed one by one
    late = first + timedelta(hours=7)
    assert next_check(first, 1, offsets, 90 * 86400.0, late) == first + timedelta(days=1)
    done = first + timedelta(days=2)
    assert next_check(first, 3, offsets, 90 * 86400.0, done) == done + timedelta(days=90)
    assert next_check(first, 3, offsets, None, done) is None


def test_source_extraction_from_feed_sitemap_and_section_page() -> None:
    rss = extract(news.rss_xml().encode(), "https://newrepublic.com/feed/rss", "application/rss+xml")
    assert rss.kind == "rss" and rss.urls == [ARTICLE_URL]
    sitemap = extract(news.sitemap_xml().encode(), "https://newrepublic.com/sitemap-news.xml", "application/xml")
    assert sitemap.kind == "sitemap" and sitemap.urls == rss.urls
    page = extract(news.section_html().encode(), "https://newrepublic.com/politics", "text/html")
    assert page.kind == "page" and page.urls == rss.urls
    atom = extract(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
                   b'<entry><title>a</title><link rel="alternate" href="/2026/01/02/story-one"/><id>urn:1</id></entry>'
                   b"</feed>", "https://news.example/atom.xml")
    assert atom.kind == "atom" and atom.urls == ["https://news.example/2026/01/02/story-one"]
    index = extract(b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    b"<sitemap><loc>https://news.example/sitemap-1.xml</loc></sitemap></sitemapindex>",
                    "https://news.example/sitemap.xml")
    assert index.kind == "sitemap_index" and index.child_sitemaps == ["https://news.example/sitemap-1.xml"]
    assert canonicalize("HTTPS://News.Example:443/a?utm_medium=x&id=3#frag") == "https://news.example/a?id=3"


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []
    fail_first = True

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        status = 500 if _Hook.fail_first else 204
        _Hook.fail_first = False
        _Hook.received.append({"status": status, **body})
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhooks_deliver_each_event_once_with_retries(receipts_env, monkeypatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin_map = {**get_settings().origin_map, "https://hooks.example": f"http://127.0.0.1:{server.server_port}"}
        monkeypatch.setenv("RECEIPTS_ORIGIN_MAP", json.dumps(origin_map))
        reset_settings()
        archive = _archive()
        archive.sources.insert_one({"_id": "srcA", "url": "https://news.example/feed", "webhook_url": "https://hooks.example/in"})
        archive.sources.insert_one({"_id": "srcB", "url": "https://news.example/other", "webhook_url": None})
        archive.db["source_articles"].insert_one({"_id": "srcA https://news.example/a", "source_id": "srcA",
                                                  "article_id": "https://news.example/a"})
        archive.articles.insert_one({"_id": "https://news.example/a", "references": [{"post_id": "42"}]})
        old = utcnow() - timedelta(seconds=30)
        mine = archive.add_event("post_deleted", "x:42", {"reason": "gone"}, at=old)
        archive.add_event("post_deleted", "x:99", {}, at=old)  # an article no source led to
        assert webhooks.route_events(archive) == 1 and webhooks.route_events(archive) == 0

        assert webhooks.deliver_due(archive) == {"delivered": 0, "retry": 1, "failed": 0}
        assert webhooks.deliver_due(archive) == {"delivered": 0, "retry": 0, "failed": 0}  # backing off
        later = utcnow() + timedelta(hours=1)
        assert webhooks.deliver_due(archive, now=later) == {"delivered": 1, "retry": 0, "failed": 0}
        assert webhooks.deliver_due(archive, now=later) == {"delivered": 0, "retry": 0, "failed": 0}
        assert [(r["status"], r["id"], r["type"], r["subject_id"]) for r in _Hook.received] == [
            (500, mine["_id"], "post_deleted", "x:42"), (204, mine["_id"], "post_deleted", "x:42")]
        assert _Hook.received[-1]["source_id"] == "srcA" and _Hook.received[-1]["data"]["reason"] == "gone"
    finally:
        server.shutdown()
        server.server_close()
