"""Defensive readers for platform JSON (a field of the wrong type reads as empty, never raises), and
what makes a platform's raw body storable in MongoDB."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None

_INT64_MAX = 2**63 - 1


class PostFormatError(ValueError):
    """The body is not a usable post (wrong shape, missing ID or text, tombstone …)."""


_MAX_RAW_DEPTH = 80  # MongoDB refuses documents nested deeper than 100 levels; raw sits inside the Post


def _utf8_safe(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, from JSON escapes such as \\ud800
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def bson_safe(value: Any, depth: int = 0) -> Any:
    """*value* storable in MongoDB.

    Ints outside int64 become strings, lone surrogates become ``?``, NUL in keys becomes U+FFFD;
    nesting deeper than MongoDB allows raises :class:`PostFormatError`.
    """
    if depth > _MAX_RAW_DEPTH:
        raise PostFormatError("body nested too deeply")
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, str):
        return _utf8_safe(value)
    if isinstance(value, int):
        return value if -_INT64_MAX - 1 <= value <= _INT64_MAX else str(value)
    if isinstance(value, dict):
        return {_utf8_safe(str(k)).replace("\x00", "\ufffd"): bson_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bson_safe(v, depth + 1) for v in value]
    return str(value)
