"""Time-sortable unique ids for crawls, captures, events and jobs (no database needed to make one)."""

from __future__ import annotations

import itertools
import os
import time

_seq = itertools.count()


def new_id(prefix: str = "") -> str:
    """Time-sortable unique id: ``<ms since epoch, base36><pid><counter>``."""
    ms = int(time.time() * 1000)
    return f"{prefix}{id_time_prefix(ms)}{_b36(os.getpid() % 46656):>3}{_b36(next(_seq) % 1679616):>4}".replace(" ", "0")


ID_TIME_LIMIT_MS = 36**9  # nine base-36 digits: ids sort by time until the year 5188


def id_time_prefix(ms: int) -> str:
    """The time part of :func:`new_id` for a moment in ms: ids sort by it.

    Raises ValueError outside ``0 <= ms < ID_TIME_LIMIT_MS`` (before 1970, or too long to sort).
    """
    if not 0 <= ms < ID_TIME_LIMIT_MS:
        raise ValueError(f"{ms} ms is outside the id time range (1970 to year 5188)")
    return f"{_b36(ms):>9}".replace(" ", "0")


def _b36(n: int) -> str:
    if n < 0:  # divmod of a negative number never reaches 0
        raise ValueError("base 36 of a negative number")
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if n == 0:
            return out
