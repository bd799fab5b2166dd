"""The ``sources`` a newsroom follows: their polling interval, read the same way whether typed or stored.

Polling itself (fetching, extracting, queueing) is the scheduler's (:mod:`scheduler.sources`).
"""

from __future__ import annotations

import math
from typing import Any

from receipts.settings import parse_duration

MIN_EVERY = 60.0  # one poll a minute
MAX_EVERY = 366 * 86400.0  # a year (a leap one)


class SourceError(ValueError):
    """A source that cannot be added (bad URL, bad interval)."""


def parse_every(every: Any) -> float:
    """A polling interval (``"15m"``, ``"1h"``, ``"1d"`` or seconds) as seconds, checked.

    The one place intervals are read, whether typed by a user or stored: finite, between
    :data:`MIN_EVERY` and :data:`MAX_EVERY`; anything else is a :class:`SourceError`.
    """
    if isinstance(every, bool) or not isinstance(every, int | float | str):
        raise SourceError(f"polling interval must be a duration like 15m or a number of seconds, got {every!r}")
    try:
        seconds = float(every) if isinstance(every, int | float) else parse_duration(every)
    except (ValueError, OverflowError) as exc:
        raise SourceError(f"polling interval {str(every)[:40]!r} is not a duration (use e.g. 15m, 1h, 1d)") from exc
    if not math.isfinite(seconds):
        raise SourceError(f"polling interval must be a finite duration, got {str(every)[:40]!r}")
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise SourceError(f"polling interval must be between {MIN_EVERY:.0f}s and {MAX_EVERY / 86400:.0f}d, "
                          f"got {str(every)[:40]!r}")
    return seconds


def every_seconds(doc: dict[str, Any]) -> float | None:
    """A stored source's interval, or None when the stored value is unusable (see :func:`parse_every`)."""
    try:
        return parse_every(doc.get("every"))
    except SourceError:
        return None
