"""Archive-layer behaviour on a real nx-27017: natural ids, dates that stay dates, content addressing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo

from receipts.db.archive import Archive, set_fields
from receipts.models import Crawl, Post


def _archive(nx, name: str) -> Archive:
    archive = Archive(pymongo.MongoClient(nx.uri, tz_aware=True)[name])
    archive.ensure_indexes()
    archive.ensure_indexes()  # idempotent (nx-27017 refuses to create a text index twice)
    return archive


def test_set_fields_keeps_datetimes(nx):
    archive = _archive(nx, "t_archive_dates")
    archive.start_crawl(Crawl(id="cr1", url="https://example.com/a"))
    finished = datetime.now(UTC) + timedelta(seconds=3)
    archive.update_crawl("cr1", {"finished_at": finished, "status": "done"}, push_errors=[{"error": "x", "at": finished}])
    crawl = archive.crawls.find_one({"_id": "cr1"})
    assert isinstance(crawl["finished_at"], datetime)
    assert abs((crawl["finished_at"] - finished).total_seconds()) < 0.01
    assert isinstance(crawl["errors"][0]["at"], datetime)
    # a range query on the date finds it (a string would not match)
    assert archive.crawls.count_documents({"finished_at": {"$gte": finished - timedelta(seconds=1)}}) == 1
    set_fields(archive.crawls, "cr1", {"stats.requests": 3}, inc={"retries": 1})
    crawl = archive.crawls.find_one({"_id": "cr1"})
    assert crawl["stats"]["requests"] == 3 and crawl["retries"] == 1


def test_blobs_are_content_addressed(nx):
    archive = _archive(nx, "t_archive_blobs")
    first = archive.put_blob(b"same bytes")
    second = archive.put_blob(b"same bytes")
    assert first == second and archive.get_blob(first) == b"same bytes"
    assert sum(1 for _ in archive.bucket("bodies").find({"_id": first})) == 1


def test_failed_fetch_never_overwrites_archived_post(nx):
    archive = _archive(nx, "t_archive_posts")
    live = Post(id="x:1", post_id="1", url="https://x.com/a/status/1", text="hello", status="live")
    archive.save_post(live, "cap1")
    archive.save_post(Post(id="x:1", post_id="1", url="https://x.com/a/status/1", status="error",
                           status_reason="syndication: HTTP 503"), "cap2")
    doc = archive.posts.find_one({"_id": "x:1"})
    assert doc["status"] == "live" and doc["text"] == "hello" and doc["last_error"].endswith("503")
    archive.save_post(Post(id="x:1", post_id="1", url="https://x.com/a/status/1", status="deleted",
                           status_reason="This Post was deleted"), "cap3")
    doc = archive.posts.find_one({"_id": "x:1"})
    assert doc["status"] == "deleted" and doc["text"] == "hello"  # the archived text is kept


def test_an_upload_cut_off_by_a_kill_does_not_spoil_the_next(nx, monkeypatch):
    """GridFS writes chunks before the file document: a writer killed in between leaves chunks whose
    clash (a unique index) or duplicate (none) would lose or corrupt the next upload of the same bytes."""
    import hashlib

    from bson import ObjectId

    from receipts.db import blobs as archive_module
    from receipts.db.archive import BODY_BUCKET, ORPHAN_CHUNK_AGE_S

    # nx-27017 numbers chunks itself (no ObjectId to date them): there the chunks are watched that long
    monkeypatch.setattr(archive_module, "ORPHAN_CHUNK_AGE_S", 1.0)
    archive = _archive(nx, "orphans")
    data = b"evidence " * 40_000  # two chunks
    sha = hashlib.sha256(data).hexdigest()
    stale = datetime.now(UTC) - timedelta(seconds=ORPHAN_CHUNK_AGE_S + 60)
    chunks = archive.db[f"{BODY_BUCKET}.chunks"]
    chunks.insert_one({"_id": ObjectId.from_datetime(stale), "files_id": sha, "n": 0, "data": data[:1000]})
    assert not archive.has_blob(sha)  # no finished upload (nx-27017 shows an empty file document)

    assert archive.put_blob(data) == sha
    assert archive.get_blob(sha) == data
    assert [c["n"] for c in chunks.find({"files_id": sha}).sort("n", 1)] == [0, 1]
