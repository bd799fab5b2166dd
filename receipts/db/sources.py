"""The ``sources`` a newsroom follows: their rows (keyed by the canonical URL's hash) and their polling
interval, read the same way whether typed or stored.

Polling itself (fetching, extracting, queueing) is the scheduler's (:mod:`scheduler.sources`).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from pymongo.errors import DuplicateKeyError

from receipts.db.archive import Archive
from receipts.models import utcnow
from receipts.settings import parse_duration
from receipts.urlcheck import BadURL, check_user_url
from receipts.urls import canonicalize

MIN_EVERY = 60.0  # one poll a minute
MAX_EVERY = 366 * 86400.0  # a year (a leap one)


class SourceError(ValueError):
    """A source that cannot be added (bad URL, bad interval)."""


def parse_every(every: Any) -> float:
    """A polling interval (``"15m"``, ``"1h"``, ``"1d"`` or seconds) as seconds, checked.

    The one place intervals are read, whether typed by a user or stored: finite, between
    :data:`MIN_EVERY` and :data:`MAX_EVERY`; anything else is a :class:`SourceError`.
    """
    if isinstance(every, bool) or not isinstance(every, int | float | str):
        raise SourceError(f"polling interval must be a duration like 15m or a number of seconds, got {every!r}")
    try:
        seconds = float(every) if isinstance(every, int | float) else parse_duration(every)
    except (ValueError, OverflowError) as exc:
        raise SourceError(f"polling interval {str(every)[:40]!r} is not a duration (use e.g. 15m, 1h, 1d)") from exc
    if not math.isfinite(seconds):
        raise SourceError(f"polling interval must be a finite duration, got {str(every)[:40]!r}")
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise SourceError(f"polling interval must be between {MIN_EVERY:.0f}s and {MAX_EVERY / 86400:.0f}d, "
                          f"got {str(every)[:40]!r}")
    return seconds


def every_seconds(doc: dict[str, Any]) -> float | None:
    """A stored source's interval, or None when the stored value is unusable (see :func:`parse_every`)."""
    try:
        return parse_every(doc.get("every"))
    except SourceError:
        return None


def source_id_for(url: str) -> str:
    return "src" + hashlib.sha256(canonicalize(url).encode()).hexdigest()[:16]


# -- CRUD -------------------------------------------------------------------------------------
def add_source(archive: Archive, url: str, every: str | float = "15m", webhook_url: str | None = None,
               name: str | None = None) -> tuple[dict[str, Any], bool]:
    """Create (or update the interval/webhook of) a source; returns ``(source, created)``."""
    try:
        url = check_user_url(url)
        if webhook_url:
            webhook_url = check_user_url(webhook_url)
    except BadURL as exc:
        raise SourceError(str(exc)) from exc
    seconds = parse_every(every)
    sid = source_id_for(url)
    now = utcnow()
    existing = archive.sources.find_one({"_id": sid})
    if existing is not None:
        fields = {"every": seconds, "webhook_url": webhook_url, "updated_at": now}
        if name is not None:
            fields["name"] = name
        archive.sources.update_one({"_id": sid}, {"$set": fields})
        return {**existing, **fields}, False
    doc = {"_id": sid, "url": url, "name": name, "every": seconds, "webhook_url": webhook_url, "kind": None,
           "created_at": now, "updated_at": now, "last_polled_at": None, "last_status": None, "last_error": None,
           "etag": None, "last_modified": None, "polls": 0, "not_modified": 0, "queued": 0}
    try:
        archive.sources.insert_one(doc)
    except DuplicateKeyError:
        return archive.sources.find_one({"_id": sid}) or doc, False
    return doc, True


def find_source(archive: Archive, id_or_url: str) -> dict[str, Any] | None:
    doc = archive.sources.find_one({"_id": id_or_url})
    if doc is None and "://" in id_or_url:
        doc = archive.sources.find_one({"_id": source_id_for(id_or_url)})
    return doc


def remove_source(archive: Archive, id_or_url: str) -> dict[str, Any] | None:
    doc = find_source(archive, id_or_url)
    if doc is not None:
        archive.sources.delete_one({"_id": doc["_id"]})
    return doc


def list_sources(archive: Archive) -> list[dict[str, Any]]:
    return list(archive.sources.find({}).sort([("_id", 1)]))


def source_schedules(archive: Archive) -> list[dict[str, Any]]:
    """Every source's ``every`` and ``last_error`` (what the daemon schedules from)."""
    return list(archive.sources.find({}, {"every": 1, "last_error": 1}))


def update_source(archive: Archive, source_id: str, fields: dict[str, Any], inc: dict[str, int] | None = None) -> None:
    change: dict[str, Any] = {"$set": fields}
    if inc:
        change["$inc"] = inc
    archive.sources.update_one({"_id": source_id}, change)


def article_known(archive: Archive, keys: list[str]) -> bool:
    """Is an article stored under any of *keys* (URL variants)?"""
    return any(archive.articles.find_one({"_id": key}, {"_id": 1}) is not None for key in keys)


def seen_link(archive: Archive, key: str) -> bool:
    """Has a source already led to the article link *key* (canonical URL)?"""
    return archive.db["source_seen"].find_one({"_id": key}, {"_id": 1}) is not None


def mark_link_seen(archive: Archive, key: str, source_id: str, url: str) -> None:
    try:
        archive.db["source_seen"].insert_one({"_id": key, "source_id": source_id, "url": url, "seen_at": utcnow()})
    except DuplicateKeyError:
        pass  # another poll saw it first


def get_source(archive: Archive, source_id: str) -> dict[str, Any] | None:
    return archive.sources.find_one({"_id": source_id})


def link_source_article(archive: Archive, source_id: str, article_id: str) -> None:
    """Remember that the source led to the article (webhooks deliver the article's events to it)."""
    archive.db["source_articles"].update_one(
        {"_id": f"{source_id} {article_id}"},
        {"$setOnInsert": {"source_id": source_id, "article_id": article_id, "created_at": utcnow()}}, upsert=True)
