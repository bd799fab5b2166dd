"""Datetimes read back from MongoDB, whatever form they were stored in.

nx-27017 0.8 stores a top-level datetime written with ``$set`` as a string
(``"2026-01-01 00:00:00.000000"``, UTC) and ``$push``-ed documents as JSON text, while inserted and
replaced documents keep real dates. Code here therefore writes its own collections with whole-document
replaces, and reads every date through :func:`as_utc`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_NX_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00:00)?$")


def as_utc(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a stored value (datetime or nx date string), else None."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str) and _NX_DATE.match(value):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def is_date_string(value: Any) -> bool:
    return isinstance(value, str) and bool(_NX_DATE.match(value))


def pushed_items(values: Any) -> list[Any]:
    """A list written with ``$push``: JSON-text items (nx-27017) decoded back to documents."""
    import json

    out: list[Any] = []
    for value in values or []:
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out.append(_undate(value))
    return out


def _undate(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"} and isinstance(value["$date"], str):
            return as_utc(value["$date"]) or value["$date"]
        return {k: _undate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_undate(v) for v in value]
    return as_utc(value) if is_date_string(value) else value


def utc_label(value: Any, *, seconds: bool = False) -> str:
    """A stored date or ISO string as ``YYYY-MM-DD HH:MM[:SS] UTC`` for people (unparseable text unchanged)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    moment = as_utc(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC") if moment else ""
