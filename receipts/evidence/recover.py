"""Recover the WARC files of crawls whose process died (SIGKILL, power loss).

A crawl holds an exclusive ``flock`` on its WARC while writing. A file of a ``running`` crawl that
can be locked has no writer left: it is cut back to its last complete gzip member (captures are
only inserted after their records are flushed, so no capture points past that), its sha256 is
recorded, and the crawl is marked ``interrupted``. The next run then finds no truncated WARC referenced.
"""

from __future__ import annotations

import fcntl
import zlib
from pathlib import Path

from receipts.db.archive import Archive
from receipts.db.evidence import put_warc_doc, running_crawls, warc_doc
from receipts.evidence.timestamps import queue
from receipts.evidence.tsa import TsaConfig
from receipts.evidence.warc import file_sha256, warc_name
from receipts.models import utcnow
from receipts.settings import get_settings


def complete_length(path: Path) -> int:
    """Bytes of *path* covered by complete gzip members."""
    good = 0
    with path.open("rb") as fh:
        data = fh.read()
    offset = 0
    while offset < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            d.decompress(data[offset:])
        except zlib.error:
            break
        if not d.eof:
            break  # the member never ended: cut here
        offset = len(data) - len(d.unused_data)
        good = offset
    return good


def try_lock(path: Path):  # noqa: ANN201 - an open file or None
    fh = path.open("r+b")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def recover_interrupted(archive: Archive, warc_dir: Path) -> list[str]:
    """Close out every dead ``running`` crawl's WARC; returns the recovered crawl ids."""
    recovered = []
    for crawl in running_crawls(archive):
        fields = recover_warc(archive, crawl, warc_dir)
        if fields is None:
            continue
        archive.update_crawl(crawl["_id"], {"status": "interrupted", "finished_at": utcnow(), **fields})
        recovered.append(crawl["_id"])
    return recovered


def recover_warc(archive: Archive, crawl: dict, warc_dir: Path) -> dict | None:
    """Cut a dead crawl's WARC back to its last complete record and record it.

    Returns the crawl fields to set (``warc_files``), or None when the crawl has no WARC or its
    writer is still alive.
    """
    path = warc_dir / warc_name(crawl["_id"])
    if not path.exists():
        return None
    fh = try_lock(path)
    if fh is None:
        return None  # its crawl is alive and writing
    try:
        size = path.stat().st_size
        keep = complete_length(path)
        if keep < size:
            fh.truncate(keep)
            fh.flush()
    finally:
        fh.close()
    sha256, length = file_sha256(path)
    previous = warc_doc(archive, path.name) or {}
    put_warc_doc(archive, {
        **previous, "_id": path.name, "crawl_id": crawl["_id"], "sha256": sha256, "bytes": length,
        "closed_at": utcnow(), "recovered": True, "truncated_bytes": size - keep,
        "resources": previous.get("resources", [])})
    queue(archive, sha256, {"kind": "warc", "name": path.name, "crawl_id": crawl["_id"]},
          TsaConfig.from_settings(get_settings()))  # the daemon's retry stamps it
    files = list(crawl.get("warc_files") or [])
    return {"warc_files": files if path.name in files else [*files, path.name]}
