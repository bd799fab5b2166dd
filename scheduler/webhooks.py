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

from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.db.webhooks import (
    add_delivery,
    event_cursor,
    events_after,
    get_event,
    pending_deliveries,
    set_event_cursor,
    sources_for,
    update_delivery,
    webhook_urls,
)
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


def route_events(archive: Archive, now: datetime | None = None) -> int:
    """Create deliveries for events newer than the cursor; returns how many were created."""
    after = event_cursor(archive)
    settle = (now or utcnow()) - timedelta(seconds=SETTLE_SECONDS)
    hooks = webhook_urls(archive)
    created = 0
    last = after
    for event in events_after(archive, after, BATCH):
        created_at = as_utc(event.get("created_at"))
        if created_at is not None and created_at > settle:
            break
        last = event["_id"]
        if not hooks:
            continue
        for source_id in sources_for(archive, event.get("subject_id") or ""):
            if source_id in hooks and add_delivery(archive, event["_id"], source_id, hooks[source_id]):
                created += 1
    if last != after:
        set_event_cursor(archive, last)
    return created


def deliver_due(archive: Archive, settings: Settings | None = None, now: datetime | None = None) -> dict[str, int]:
    settings = settings or get_settings()
    now = now or utcnow()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = [d for d in pending_deliveries(archive, BATCH)
           if as_utc(d.get("next_attempt_at")) is None or as_utc(d.get("next_attempt_at")) <= now]
    if not due:
        return counts
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        for delivery in due:
            event = get_event(archive, delivery["event_id"])
            if event is None:
                update_delivery(archive, delivery["_id"], {"status": "failed", "last_error": "event gone"})
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
            update_delivery(archive, delivery["_id"], fields)
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
