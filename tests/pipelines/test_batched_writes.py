"""The crawl's writes in batches, on a real nx-27017: writes that queue up behind a busy writer go to
MongoDB as one batch per kind, in order, and every body is stored once, whole, readable by GridFS."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from pathlib import Path

import pymongo
from pymongo import monitoring

from pipelines.writer import ArchiveWriter
from receipts.db.archive import BODY_BUCKET, Archive
from receipts.db.blobs import CHUNK_SIZE
from receipts.models import Capture, Post


class _Commands(monitoring.CommandListener):
    """Counts the commands sent per (command, collection)."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.seen[(event.command_name, str(event.command.get(event.command_name)))] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _archive(nx, name: str, listener: _Commands | None = None) -> Archive:
    client = pymongo.MongoClient(nx.uri, tz_aware=True, event_listeners=[listener] if listener else [])
    archive = Archive(client[name])
    archive.ensure_indexes()
    return archive


def _capture(i: int) -> Capture:
    return Capture(id=f"cp_batch_{i}", crawl_id="cr_batch", target_type="post", target_id=f"x:{i}",
                   route="syndication", requested_url=f"https://cdn.syndication.twimg.com/tweet-result?id={i}",
                   http_status=200, content_type="application/json")


def test_writes_queued_behind_a_busy_writer_go_as_one_batch(nx, tmp_path: Path):
    listener = _Commands()
    archive = _archive(nx, "t_batched_writer", listener)
    writer = ArchiveWriter(archive, "cr_batch", tmp_path / "spool")
    release = threading.Event()
    order: list[str] = []
    writer.submit(lambda: release.wait(30))  # the writer is busy: what follows queues up
    bodies = {i: f'{{"id_str": "{i}", "text": "post {i}"}}'.encode() for i in range(40)}

    def posts(items: list[int]) -> None:
        order.append(f"posts {items[0]}..{items[-1]}")

    for i, body in bodies.items():
        writer.add_capture(_capture(i), body)
        writer.submit_many("post", i, posts)
    writer.submit(lambda: order.append("barrier"))
    writer.add_capture(_capture(99), b'{"late": true}')
    listener.seen.clear()
    release.set()
    writer.flush()

    assert order == ["posts 0..39", "barrier"]  # one batch of the 40, before the write submitted after them
    assert listener.seen[("insert", "captures")] == 2  # the 40 together, then the one after the barrier
    assert listener.seen[("insert", f"{BODY_BUCKET}.chunks")] == 2
    stored = {c["_id"]: c for c in archive.captures.find({"crawl_id": "cr_batch"})}
    assert len(stored) == 41
    for i, body in bodies.items():
        doc = stored[f"cp_batch_{i}"]
        assert doc["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert archive.get_blob(doc["body_sha256"]) == body  # whole, through GridFS itself


def test_bodies_are_stored_once_whole_whatever_their_size_or_a_cut_off_upload(nx):
    archive = _archive(nx, "t_batched_blobs")
    small = b'{"a": 1}'
    large = b"evidence " * (CHUNK_SIZE // 4)  # more than one chunk
    cut_off = b"a body whose earlier upload was cut off"
    cut_sha = hashlib.sha256(cut_off).hexdigest()
    chunks = archive.db[f"{BODY_BUCKET}.chunks"]
    chunks.insert_one({"files_id": cut_sha, "n": 0, "data": b"partial"})  # a writer killed before its file
    blobs = {hashlib.sha256(b).hexdigest(): (b, "text/plain") for b in (small, large, cut_off)}

    from receipts.db import blobs as blobs_module

    blobs_module.ORPHAN_CHUNK_AGE_S, saved = 0.5, blobs_module.ORPHAN_CHUNK_AGE_S
    try:
        archive.put_blobs(blobs)
        archive.put_blobs(blobs)  # again: nothing is stored twice
    finally:
        blobs_module.ORPHAN_CHUNK_AGE_S = saved
    for sha, (data, _) in blobs.items():
        assert archive.get_blob(sha) == data
        assert archive.has_blob(sha)
        assert len(list(archive.db[f"{BODY_BUCKET}.files"].find({"_id": sha}))) == 1
    assert [c["n"] for c in chunks.find({"files_id": cut_sha})] == [0]
    assert sorted(c["n"] for c in chunks.find({"files_id": hashlib.sha256(large).hexdigest()})) == [0, 1, 2]


def test_a_post_twice_in_one_batch_keeps_both_versions(nx):
    archive = _archive(nx, "t_batched_posts")
    first = Post(id="x:1", post_id="1", url="https://x.com/a/status/1", status="live", text="first text")
    second = Post(id="x:1", post_id="1", url="https://x.com/a/status/1", status="live", text="edited text")
    other = Post(id="x:2", post_id="2", url="https://x.com/a/status/2", status="live", text="other")
    saved = archive.save_posts([(first, "cp1"), (other, "cp2"), (second, "cp3")])

    assert [previous is None for _, previous in saved] == [True, True, False]
    stored = archive.get_post("x:1")
    assert stored is not None
    assert [v["text"] for v in stored.versions] == ["first text", "edited text"]
    assert stored.last_capture_id == "cp3"
    assert set(archive.get_posts(["x:1", "x:2", "x:3"])) == {"x:1", "x:2"}
