"""What the evidence code and the media store read and write: ``media`` documents, the captures of
one article, crawls left ``running``, and the ``warcs`` index (one document per WARC file, ``_id`` =
file name: its sha256 once closed, and the resources archived into it).

Writes filter on ``_id`` only (nx-27017: any other update filter is a full scan).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from receipts.db.archive import Archive

WARCS = "warcs"
CaptureKey = Literal["_id", "target_id", "requested_url"]


# -- media --------------------------------------------------------------------------------------
def media_doc(archive: Archive, sha256: str) -> dict[str, Any] | None:
    return archive.media.find_one({"_id": sha256})


def record_media(archive: Archive, sha256: str, source_url: str, on_insert: dict[str, Any],
                 extra: dict[str, Any] | None = None) -> None:
    """Upsert the ``media`` document of *sha256*: *on_insert* fields when new (except those in *extra*),
    *extra* always, *source_url* added to ``source_urls`` and ``last_seen_at`` set to now.

    ``last_seen_at`` comes from ``$currentDate``: nx-27017 stores a datetime given to ``$set`` on an
    existing document as a string.
    """
    update: dict[str, Any] = {"$currentDate": {"last_seen_at": True}, "$addToSet": {"source_urls": source_url}}
    if extra:
        update["$set"] = dict(extra)
    update["$setOnInsert"] = {k: v for k, v in on_insert.items() if k not in (extra or {})}
    archive.media.update_one({"_id": sha256}, update, upsert=True)


# -- captures and crawls ------------------------------------------------------------------------
def captures_in(archive: Archive, key: CaptureKey, values: Iterable[str]) -> list[dict[str, Any]]:
    """Captures whose *key* is one of *values* ([] without a query when there are none)."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    return list(archive.captures.find({key: {"$in": wanted}}))


def running_crawls(archive: Archive) -> Iterator[dict[str, Any]]:
    """Crawls still marked ``running`` (their ``_id`` and ``warc_files`` only), streamed."""
    yield from archive.crawls.find({"status": "running"}, {"_id": 1, "warc_files": 1})


# -- the WARC index -----------------------------------------------------------------------------
def warc_doc(archive: Archive, name: str) -> dict[str, Any] | None:
    """The index document of the WARC file *name*."""
    return archive.db[WARCS].find_one({"_id": name})


def warc_docs(archive: Archive, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The index documents of the WARC files *names* (every one, by name, when None)."""
    if names is None:
        return list(archive.db[WARCS].find({}).sort("_id", 1))
    return list(archive.db[WARCS].find({"_id": {"$in": sorted(names)}}))


def put_warc_doc(archive: Archive, doc: dict[str, Any]) -> None:
    """Write (insert or replace) a WARC index document by its ``_id``."""
    archive.db[WARCS].replace_one({"_id": doc["_id"]}, doc, upsert=True)
