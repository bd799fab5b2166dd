"""``/api/v1/events``: what changed since — for watchers polling the archive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from receipts.api.auth import require_read
from receipts.api.common import ApiError, paginate_listing
from receipts.api.timeouts import DeadlineRoute
from receipts.exports.records import event_json
from receipts.queries import EVENT_TYPES, QueryError, event_listing, since_bound

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/events", tags=["events"])


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
    try:
        bound = since_bound(since) if since else None
    except QueryError as exc:
        raise ApiError(400, "bad_since", str(exc)) from exc
    # recording order (ids are time-sortable): a watcher resuming from its last id misses nothing
    listing = event_listing(types, bound, subject_id)
    return paginate_listing(request.app.state.archive.events, listing, event_json, limit=limit, cursor=cursor)
