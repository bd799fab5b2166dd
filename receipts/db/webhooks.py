"""The webhook outbox's collections: ``webhook_state`` (the event cursor), ``webhook_deliveries``
(``_id`` ``"<event id> <source id>"``) and the reads that find which sources an event concerns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo.errors import DuplicateKeyError

from receipts.db.archive import Archive
from receipts.models import utcnow


def sources_for(archive: Archive, subject_id: str) -> list[str]:
    """The sources that led to the article *subject_id*, or to an article referencing the post *subject_id*."""
    # $elemMatch: on nx-27017 0.8 a dotted query on the indexed ``references.post_id`` finds nothing
    article_ids = [subject_id]
    if ":" in subject_id and not subject_id.startswith("http"):
        bare = subject_id.split(":", 1)[1]
        article_ids = [d["_id"] for d in archive.articles.find({"references": {"$elemMatch": {"post_id": bare}}}, {"_id": 1})]
    links = archive.db["source_articles"]
    return sorted({d["source_id"] for d in links.find({"article_id": {"$in": article_ids}}, {"source_id": 1})})


def event_cursor(archive: Archive) -> str:
    """The id of the last event routed ("" before the first)."""
    return (archive.db["webhook_state"].find_one({"_id": "cursor"}) or {}).get("after", "")


def set_event_cursor(archive: Archive, after: str) -> None:
    archive.db["webhook_state"].update_one({"_id": "cursor"}, {"$set": {"after": after, "updated_at": utcnow()}},
                                          upsert=True)


def webhook_urls(archive: Archive) -> dict[str, str]:
    """Source id → webhook URL, for the sources that have one."""
    return {d["_id"]: d["webhook_url"] for d in archive.sources.find({}, {"webhook_url": 1}) if d.get("webhook_url")}


def events_after(archive: Archive, after: str, limit: int) -> Iterator[dict[str, Any]]:
    """Events with ids after *after*, oldest first (ids sort by time)."""
    return archive.events.find({"_id": {"$gt": after}}).sort([("_id", 1)]).limit(limit)


def get_event(archive: Archive, event_id: str) -> dict[str, Any] | None:
    return archive.events.find_one({"_id": event_id})


def add_delivery(archive: Archive, event_id: str, source_id: str, url: str) -> bool:
    """A pending delivery of the event to the source; False if it already exists (never twice)."""
    now = utcnow()
    try:
        archive.db["webhook_deliveries"].insert_one({
            "_id": f"{event_id} {source_id}", "event_id": event_id, "source_id": source_id, "url": url,
            "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now, "last_error": None})
    except DuplicateKeyError:
        return False
    return True


def pending_deliveries(archive: Archive, limit: int) -> list[dict[str, Any]]:
    """Pending deliveries, the soonest due first."""
    return list(archive.db["webhook_deliveries"].find({"status": "pending"}).sort([("next_attempt_at", 1)]).limit(limit))


def update_delivery(archive: Archive, delivery_id: str, fields: dict[str, Any]) -> None:
    archive.db["webhook_deliveries"].update_one({"_id": delivery_id}, {"$set": fields})
