"""``/api/v1/events``: what changed since — for watchers polling the archive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from receipts.api.auth import require_read
from receipts.api.common import ApiError, paginate_listing
from receipts.api.timeouts import DeadlineRoute
from receipts.db.pages import Listing
from receipts.exports.records import event_json
from receipts.ids import id_time_prefix
from receipts.queries import EVENT_ID_RE, QueryError, parse_datetime

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/events", tags=["events"])

EVENT_TYPES = ("post_deleted", "post_unavailable", "post_restored", "post_edited", "media_changed",
               "article_changed", "embed_removed", "embed_added", "quote_changed")


def since_bound(value: str) -> str:
    """The smallest event id after *value*: an event id, or an ISO 8601 time.

    Event ids start with their recording time in ms (``new_id``), so a time becomes an id bound:
    exact to the millisecond, where nx-27017 compares stored dates only to the second.
    """
    if value.startswith("ev"):
        if not EVENT_ID_RE.fullmatch(value):
            raise ApiError(400, "bad_since", "since: not an event id (ev + base-36 digits)")
        return value
    try:  # a "+" in a query string arrives as a space: 2025-01-01T00:00:00 00:00
        moment = parse_datetime(value.replace(" ", "+"), "since")
        return "ev" + id_time_prefix(int(moment.timestamp() * 1000)) + "~"
    except QueryError as exc:
        raise ApiError(400, "bad_since", f"since must be an event id or an ISO 8601 time; {exc}") from exc
    except ValueError as exc:  # before 1970 or past what event ids can order
        raise ApiError(400, "bad_since", f"since: {value!r} is out of range (event times start in 1970)") from exc


def event_listing(types: list[str], since: str | None, subject_id: str | None) -> Listing:
    """Events after the id *since*, oldest first: one range of ``type_key`` (one type) or ``event_key``."""
    if len(types) == 1:
        key, prefix = "type_key", types[0] + " "
        low, high = prefix + ("e" + since if since else ""), types[0] + "!"
        where: dict[str, Any] = {}
    else:
        key, low, high = "event_key", ("e" + since) if since else None, None
        where = {"type": {"$in": types}} if types else {}
    if subject_id:
        where["subject_id"] = subject_id
    check = None
    if where:
        check = lambda d: (not types or d.get("type") in types) and (not subject_id or d.get("subject_id") == subject_id)  # noqa: E731
    return Listing(collection="events", key=key, direction=1, low=low, high=high, where=where, check=check)


@router.get("", dependencies=[Depends(require_read)])
def list_events(request: Request, since: str | None = None, type: str | None = None,  # noqa: A002
                subject_id: str | None = None, cursor: str | None = None,
                limit: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    """Events oldest first; follow ``next_cursor``, or pass the last id seen as ``since`` next time.

    ``since`` is an event id or an ISO 8601 time: events recorded after it.
    """
    types: list[str] = []
    if type:
        types = [t.strip() for t in type.split(",") if t.strip()]
        unknown = [t for t in types if t not in EVENT_TYPES]
        if unknown:
            raise ApiError(400, "bad_type", f"unknown event type {unknown[0]!r}; one of {', '.join(EVENT_TYPES)}")
    bound = since_bound(since) if since else None
    # recording order (ids are time-sortable): a watcher resuming from its last id misses nothing
    listing = event_listing(types, bound, subject_id)
    return paginate_listing(request.app.state.archive.events, listing, event_json, limit=limit, cursor=cursor)
