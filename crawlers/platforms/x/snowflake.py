"""Tweet ID ↔ time: X post IDs since Nov 2010 are snowflakes carrying their creation millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

TWITTER_EPOCH_MS = 1288834974657
# Pre-snowflake (sequential) IDs stayed below ~3e10; a snowflake this small would be within the first
# seconds of the Twitter epoch, so anything under this bound is treated as not a snowflake.
_MIN_SNOWFLAKE = 100_000_000_000
_MAX_ID = 2**63 - 1


def snowflake_time(post_id: str | int) -> datetime | None:
    """Creation time (UTC, millisecond precision) encoded in a snowflake ID; None when not a snowflake."""
    try:
        value = int(str(post_id).strip())
    except ValueError:
        return None
    if not _MIN_SNOWFLAKE <= value <= _MAX_ID:
        return None
    ms = (value >> 22) + TWITTER_EPOCH_MS
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except OverflowError:
        return None
