"""Time-sortable unique ids for crawls, captures, events and jobs (no database needed to make one).

An id is ``<prefix><9 base-36 digits: ms since epoch><4: counter><8: random>`` (21 characters after
the prefix, lower-case letters and digits, so it reads well in a URL). The counter is per process,
starts at a random value and steps by one, so one process's ids sort in creation order within a
millisecond; the 8 random digits (41 bits from ``os.urandom``) make two processes — on one machine or
many, whatever their pid — collide only if they draw the same counter and random value in the same ms.
"""

from __future__ import annotations

import itertools
import os
import threading
import time

COUNTER_DIGITS = 4
RANDOM_DIGITS = 8
_COUNTER_SPAN = 36**COUNTER_DIGITS
_RANDOM_SPAN = 36**RANDOM_DIGITS
ID_LENGTH = 9 + COUNTER_DIGITS + RANDOM_DIGITS  # without the prefix

_lock = threading.Lock()
_seq: itertools.count[int] | None = None
_seq_pid: int | None = None


def _next_count() -> int:
    """The process's counter, seeded randomly (again in a forked child, which must not repeat its parent)."""
    global _seq, _seq_pid
    pid = os.getpid()
    with _lock:
        if _seq is None or _seq_pid != pid:
            _seq = itertools.count(int.from_bytes(os.urandom(4), "big") % _COUNTER_SPAN)
            _seq_pid = pid
        return next(_seq) % _COUNTER_SPAN


def new_id(prefix: str = "") -> str:
    """Time-sortable id unique across processes and machines (see the module docstring)."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(6), "big") % _RANDOM_SPAN
    return f"{prefix}{id_time_prefix(ms)}{_pad(_next_count(), COUNTER_DIGITS)}{_pad(rand, RANDOM_DIGITS)}"


ID_TIME_LIMIT_MS = 36**9  # nine base-36 digits: ids sort by time until the year 5188


def id_time_prefix(ms: int) -> str:
    """The time part of :func:`new_id` for a moment in ms: ids sort by it.

    Raises ValueError outside ``0 <= ms < ID_TIME_LIMIT_MS`` (before 1970, or too long to sort).
    """
    if not 0 <= ms < ID_TIME_LIMIT_MS:
        raise ValueError(f"{ms} ms is outside the id time range (1970 to year 5188)")
    return _pad(ms, 9)


def _pad(n: int, width: int) -> str:
    return _b36(n).rjust(width, "0")


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
