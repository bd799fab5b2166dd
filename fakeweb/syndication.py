"""``cdn.syndication.twimg.com/tweet-result``: the body per post state (FORMATS §2)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache

from fakeweb.catalog import DATA_DIR, Body
from fakeweb.respond import (
    JSON_TYPE,
    Response,
    compact_json,
    json_response,
    too_many_requests,
    unavailable,
)
from fakeweb.store import FLAKY_FAILURES, Store

SUSPENDED_TEXT = "This Post is from a suspended account. Learn more"
PROTECTED_TEXT = ("You’re unable to view this Post because this account owner limits who can view their Posts. "
                  "Learn more")


@cache
def deleted_tombstone() -> Body:
    """The real tombstone body (data/tombstone_deleted.json)."""
    return json.loads((DATA_DIR / "tombstone_deleted.json").read_text(encoding="utf-8"))


def tombstone(text: str) -> Body:
    """A tombstone shaped like the real one, the "Learn more" link indexed in ``text``."""
    start = text.rindex("Learn more")
    body = json.loads(json.dumps(deleted_tombstone()))
    body["tombstone"]["text"]["text"] = text
    body["tombstone"]["text"]["entities"][0].update({"from_index": start, "to_index": start + len("Learn more")})
    return body


def tweet_result(store: Store, query: Mapping[str, str]) -> Response:
    post_id = query.get("id", "")
    if not query.get("token"):
        return json_response({})
    found = store.lookup(post_id) if post_id.isdigit() else None
    if found is None:
        return Response(404, b"", JSON_TYPE)
    state, body = found
    if state == "flaky503":
        state = "error503" if store.hit("syndication", post_id) <= FLAKY_FAILURES else "live"
    if state == "live":
        return Response(200, compact_json(body), JSON_TYPE)
    if state == "deleted":
        return Response(200, compact_json(deleted_tombstone()), JSON_TYPE)
    if state == "suspended":
        return json_response(tombstone(SUSPENDED_TEXT))
    if state == "protected":
        return json_response(tombstone(PROTECTED_TEXT))
    if state == "age_restricted":
        return json_response({"__typename": "TweetTombstone"})
    if state == "empty":
        return json_response({})
    if state in ("notfound", "login_required"):
        return Response(404, b"", JSON_TYPE)
    if state == "error429":
        return too_many_requests()
    if state == "malformed":  # wrong types, missing fields, a number no int64 holds
        return json_response({"__typename": "Tweet", "id_str": post_id, "text": ["not", "text"], "user": "nobody",
                              "created_at": 12345, "favorite_count": 10**30, "entities": "none",
                              "mediaDetails": {"type": "photo"}, "edit_control": 7})
    return unavailable()  # error503, browser_only, oembed_only (syndication down, oEmbed up)
