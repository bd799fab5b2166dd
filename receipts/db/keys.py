"""Indexed sort keys stored on documents, one per listing (see docs/schema.md, "Listing keys").

nx-27017 uses an index for equality and for ranges and sorts on an indexed top-level *string*
field whose value does not look like a date or a number (it coerces those), never for a range on
a datetime, a dotted path, ``$or`` or a range on ``_id``. So each listing the API and the UI offer
sorts and pages on one such string: ``"<filter value> <time key> <_id>"``. A filter, a date range
and a cursor are then one range on one index, read with a limit; the same indexes serve a real
MongoDB.

A time key is ``t`` + 18 digits of microseconds since 0001-01-01 UTC (so it sorts as the time
does, for any year); a missing time is ``s`` + zeros, which sorts before every real time and lies
outside every date range.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from receipts.db.dates import as_utc

EPOCH = datetime(1, 1, 1, tzinfo=UTC)
NO_TIME = "s" + "0" * 18
SEP = " "
END = "!"  # the character right after SEP: ``prefix + SEP`` … ``prefix + END`` holds every key of a prefix

# (field, sort key) per listing; the sort key field is indexed (Archive.INDEXES)
POST_KEYS = ("recent_key", "handle_key", "status_key", "edited_key", "media_key", "platform_key")
ARTICLE_KEYS = ("url_key", "published_key", "domain_key", "language_key", "cites_deleted_key", "cites_edited_key")
CAPTURE_KEYS = ("capture_key",)
EVENT_KEYS = ("event_key", "type_key")
KEY_VERSION = 1  # bump to make ensure_indexes backfill the keys again


def time_key(value: Any) -> str:
    """``t`` + microseconds since 0001-01-01 UTC, 18 digits; :data:`NO_TIME` for none."""
    moment = as_utc(value) if value is not None else None
    if moment is None:
        return NO_TIME
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"t{micros:018d}"


def keyed(prefix: str | None, tail: str) -> str:
    return tail if prefix is None else f"{prefix}{SEP}{tail}"


def prefix_range(prefix: str | None) -> dict[str, str] | None:
    """The bounds holding every key that starts with *prefix* (None: no bounds)."""
    return None if prefix is None else {"$gt": prefix + SEP, "$lt": prefix + END}


def post_keys(doc: dict[str, Any]) -> dict[str, Any]:
    """The listing keys of a stored post document (created_at order, newest first in listings)."""
    recent = f"{time_key(doc.get('created_at'))}{SEP}{doc['_id']}"
    handle = doc.get("handle_lc") or ((doc.get("author") or {}).get("handle") or "").lower() or None
    keys: dict[str, Any] = {
        "recent_key": recent,
        "handle_key": keyed(handle, recent) if handle else None,
        "status_key": keyed(str(doc.get("status") or "live"), recent),
        "edited_key": keyed("edited", recent) if doc.get("edited") else None,
        "media_key": keyed("1" if doc.get("has_media") else "0", recent),
        "platform_key": keyed(str(doc.get("platform") or "x"), recent),
    }
    return keys


def article_keys(doc: dict[str, Any]) -> dict[str, Any]:
    """The listing keys of a stored article document (canonical-URL order; published order for dates)."""
    url = "u" + str(doc["_id"])
    return {
        "url_key": url,
        "published_key": f"{time_key(doc.get('published_at'))}{SEP}{doc['_id']}",
        "domain_key": keyed(doc["domain"], url) if doc.get("domain") else None,
        "language_key": keyed(doc["language"], url) if doc.get("language") else None,
        "cites_deleted_key": keyed("1", url) if doc.get("cites_deleted") else None,
        "cites_edited_key": keyed("1", url) if doc.get("cites_edited") else None,
    }


def capture_keys(doc: dict[str, Any]) -> dict[str, Any]:
    """A capture's key in its target's history: ``<target_id> <time key> <_id>`` (oldest first)."""
    return {"capture_key": f"{doc.get('target_id')}{SEP}{time_key(doc.get('fetched_at'))}{SEP}{doc['_id']}"}


def event_keys(doc: dict[str, Any]) -> dict[str, Any]:
    """Events in recording order (ids are time-sortable): ``e<_id>``, and per type ``<type> e<_id>``."""
    key = "e" + str(doc["_id"])
    return {"event_key": key, "type_key": keyed(str(doc.get("type")), key)}


def with_keys(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """*doc* with its listing keys set (``kind``: posts, articles, captures, events); unset keys removed."""
    keys = {"posts": post_keys, "articles": article_keys, "captures": capture_keys, "events": event_keys}[kind](doc)
    for name, value in keys.items():
        if value is None:
            doc.pop(name, None)
        else:
            doc[name] = value
    return doc


# the stored fields each collection's keys are made of: a change to one rewrites the keys (set_fields)
KEY_INPUTS: dict[str, frozenset[str]] = {
    "posts": frozenset({"created_at", "handle_lc", "author", "status", "edited", "has_media", "platform"}),
    "articles": frozenset({"published_at", "domain", "language", "cites_deleted", "cites_edited"}),
}
