"""Deliver events to the webhook URL of each source they concern, off the crawl path.

An outbox: :func:`route_events` walks new events (a cursor in ``webhook_state``) and writes one
``webhook_deliveries`` document per (event, source) — ``_id`` ``"<event id> <source id>"``, so an
event is never delivered twice to one source. :func:`deliver_due` POSTs each pending delivery as
JSON, retrying with backoff until :data:`MAX_ATTEMPTS`. An event concerns a source when its
subject is an article the source led to, or a post such an article references.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from pymongo.errors import DuplicateKeyError

from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.exports.records import event_json
from receipts.models import utcnow
from receipts.origin import route
from receipts.settings import Settings, get_settings
from receipts.urlcheck import BadURL, check_user_url

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SETTLE_SECONDS = 2.0  # events younger than this may still be arriving out of id order
TIMEOUT = 10.0
BATCH = 200


def sources_for(archive: Archive, subject_id: str) -> list[str]:
    # $elemMatch: on nx-27017 0.8 a dotted query on the indexed ``references.post_id`` finds nothing
    article_ids = [subject_id]
    if ":" in subject_id and not subject_id.startswith("http"):
        bare = subject_id.split(":", 1)[1]
        article_ids = [d["_id"] for d in archive.articles.find({"references": {"$elemMatch": {"post_id": bare}}}, {"_id": 1})]
    links = archive.db["source_articles"]
    return sorted({d["source_id"] for d in links.find({"article_id": {"$in": article_ids}}, {"source_id": 1})})


def route_events(archive: Archive, now: datetime | None = None) -> int:
    """Create deliveries for events newer than the cursor; returns how many were created."""
    state = archive.db["webhook_state"]
    cursor_doc = state.find_one({"_id": "cursor"}) or {}
    after = cursor_doc.get("after", "")
    settle = (now or utcnow()) - timedelta(seconds=SETTLE_SECONDS)
    hooks = {d["_id"]: d["webhook_url"] for d in archive.sources.find({}, {"webhook_url": 1}) if d.get("webhook_url")}
    created = 0
    last = after
    for event in archive.events.find({"_id": {"$gt": after}}).sort([("_id", 1)]).limit(BATCH):
        created_at = as_utc(event.get("created_at"))
        if created_at is not None and created_at > settle:
            break
        last = event["_id"]
        if not hooks:
            continue
        for source_id in sources_for(archive, event.get("subject_id") or ""):
            if source_id not in hooks:
                continue
            try:
                archive.db["webhook_deliveries"].insert_one({
                    "_id": f"{event['_id']} {source_id}", "event_id": event["_id"], "source_id": source_id,
                    "url": hooks[source_id], "status": "pending", "attempts": 0, "created_at": utcnow(),
                    "next_attempt_at": utcnow(), "last_error": None})
                created += 1
            except DuplicateKeyError:
                pass
    if last != after:
        state.update_one({"_id": "cursor"}, {"$set": {"after": last, "updated_at": utcnow()}}, upsert=True)
    return created


def deliver_due(archive: Archive, settings: Settings | None = None, now: datetime | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    deliveries = archive.db["webhook_deliveries"]
    now = now or utcnow()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = [d for d in deliveries.find({"status": "pending"}).sort([("next_attempt_at", 1)]).limit(BATCH)
           if as_utc(d.get("next_attempt_at")) is None or as_utc(d.get("next_attempt_at")) <= now]
    if not due:
        return counts
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for delivery in due:
            event = archive.events.find_one({"_id": delivery["event_id"]})
            if event is None:
                deliveries.update_one({"_id": delivery["_id"]}, {"$set": {"status": "failed", "last_error": "event gone"}})
                continue
            error = _post(client, delivery["url"], {**event_json(event), "source_id": delivery["source_id"]}, settings)
            attempts = int(delivery.get("attempts", 0)) + 1
            if error is None:
                fields: dict[str, Any] = {"status": "delivered", "delivered_at": utcnow(), "attempts": attempts}
                counts["delivered"] += 1
            elif attempts >= MAX_ATTEMPTS:
                fields = {"status": "failed", "attempts": attempts, "last_error": error}
                counts["failed"] += 1
            else:
                wait = min(3600.0, max(1.0, settings.scheduler_tick) * 2 ** attempts)
                fields = {"attempts": attempts, "last_error": error, "next_attempt_at": utcnow() + timedelta(seconds=wait)}
                counts["retry"] += 1
            deliveries.update_one({"_id": delivery["_id"]}, {"$set": fields})
    return counts


def _post(client: httpx.Client, url: str, payload: dict[str, Any], settings: Settings) -> str | None:
    try:
        check_user_url(url)
        resp = client.post(route(url), json=payload, headers={"User-Agent": settings.user_agent,
                                                               "X-Receipts-Event": str(payload.get("type"))})
    except (httpx.HTTPError, BadURL) as exc:
        return str(exc) or exc.__class__.__name__
    if 200 <= resp.status_code < 300:
        return None
    return f"HTTP {resp.status_code}"


def run(archive: Archive, settings: Settings | None = None) -> dict[str, int]:
    route_events(archive)
    return deliver_due(archive, settings)
