"""Signed, strictly typed pagination cursors.

A cursor is ``<base64url JSON>.<base64url HMAC-SHA256>``: the JSON holds the listing it belongs to
(collection and sort fields) and the sort-key values of the last item returned. The MAC key is a
per-archive secret (:func:`receipts.db.secrets.archive_secret`), so the API, the web UI and
``receipts query --cursor`` all verify each other's cursors, and a client cannot forge one. Even a
verified cursor is decoded strictly: only strings, numbers, booleans, null and dates come back, so
no operator (``{"$ne": ...}``, ``{"$where": ...}``) can reach a query through it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo.database import Database

from receipts.api.common import ApiError
from receipts.db.secrets import archive_secret

SECRET_NAME = "cursor-hmac"
MAC_BYTES = 16
MAX_STRING = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(db: Database, payload: bytes) -> bytes:
    return hmac.new(archive_secret(db, SECRET_NAME), payload, hashlib.sha256).digest()[:MAC_BYTES]


def listing_of(collection_name: str, sort: Sequence[tuple[str, int]]) -> str:
    return collection_name + ":" + ",".join(f"{f}{'+' if d > 0 else '-'}" for f, d in sort)


def encode_cursor(db: Database, listing: str, values: Sequence[Any]) -> str:
    data = [{"$date": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    payload = json.dumps({"l": listing, "v": data}, separators=(",", ":"), ensure_ascii=False).encode()
    return f"{_b64(payload)}.{_b64(_mac(db, payload))}"


def _bad(message: str = "cursor is not valid; start again without it") -> ApiError:
    return ApiError(400, "bad_cursor", message)


def _value(item: Any) -> Any:
    """One sort-key value, strictly: scalars and ``{"$date": iso}`` only."""
    if item is None or isinstance(item, bool | int):
        return item
    if isinstance(item, float):
        if not math.isfinite(item):
            raise _bad()
        return item
    if isinstance(item, str):
        if len(item) > MAX_STRING:
            raise _bad()
        return item
    if isinstance(item, dict) and set(item) == {"$date"} and isinstance(item["$date"], str):
        try:
            return datetime.fromisoformat(item["$date"])
        except ValueError as exc:
            raise _bad() from exc
    raise _bad("cursor holds a value of a kind no listing sorts on; start again without it")


def decode_cursor(db: Database, listing: str, token: str) -> list[Any]:
    """The sort-key values in *token*, after checking its signature and that it belongs to *listing*."""
    body, dot, sig = token.partition(".")
    if not dot or not body or not sig:
        raise _bad()
    try:
        payload, given = _unb64(body), _unb64(sig)
    except (ValueError, binascii.Error) as exc:
        raise _bad() from exc
    if _b64(given) != sig or not hmac.compare_digest(given, _mac(db, payload)):  # one spelling per cursor
        raise _bad("cursor signature does not match (altered, or from another archive); start again without it")
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise _bad() from exc
    if not isinstance(data, dict) or not isinstance(data.get("v"), list):
        raise _bad()
    if data.get("l") != listing:
        raise _bad("cursor does not match this listing")
    return [_value(v) for v in data["v"]]
