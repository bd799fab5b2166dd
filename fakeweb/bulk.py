"""A deterministic range of generated posts, for benchmarks that need hundreds of distinct posts.

Off by default (``Store.bulk_count == 0``): then every ID outside the catalogue stays 404. With
``python -m fakeweb --bulk N`` (or ``FakeWeb.store.bulk_count = N``) the IDs
``bulk_id(0) … bulk_id(N - 1)`` are live text posts built by ``catalog.build_post`` in the real
syndication shape, so the oEmbed answer, x.com page and API view follow as for any catalogue post.
An ID is recognised from its bits alone (a fixed snowflake sequence and a whole-second offset from a
fixed base time), so no table is kept and a body is built only when asked for.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from fakeweb.catalog import (
    BRIEFINGS,
    BRUSSELS,
    EURODEF,
    NEWSROOM,
    TWEPOCH_MS,
    WONK,
    Body,
    build_post,
    snowflake_at,
    snowflake_ms,
)

BASE_ID = int(snowflake_at("2025-03-01T00:00:00Z"))
BASE_MS = snowflake_ms(BASE_ID)
SEQUENCE = 0xB5  # the low 12 bits of every bulk ID
STEP_MS = 1000
AUTHORS = (NEWSROOM, BRUSSELS, EURODEF, BRIEFINGS, WONK)
TOPICS = ("defence ministers", "the budget vote", "the port strike", "the flood response", "the trade talks",
          "the court ruling", "the energy summit", "the rail closure")


def bulk_id(index: int) -> str:
    """The ID of bulk post number ``index`` (0-based)."""
    return str(((BASE_MS + index * STEP_MS - TWEPOCH_MS) << 22) | SEQUENCE)


def bulk_index(post_id: str | int) -> int | None:
    """The index of a bulk ID, or None when the ID is not one."""
    try:
        value = int(post_id)
    except (TypeError, ValueError):
        return None
    if value & 0xFFF != SEQUENCE or (value >> 12) & 0x3FF:
        return None
    offset = snowflake_ms(value) - BASE_MS
    if offset < 0 or offset % STEP_MS:
        return None
    return offset // STEP_MS


def bulk_handle(index: int) -> str:
    return AUTHORS[index % len(AUTHORS)].screen_name


@lru_cache(maxsize=4096)
def _body(index: int) -> Body:
    user = AUTHORS[index % len(AUTHORS)]
    topic = TOPICS[index % len(TOPICS)]
    text = f"Update {index} on {topic}: statement number {index} from the briefing, as delivered this morning."
    return build_post(post_id=bulk_id(index), user=user, text=text, favorite_count=index % 97,
                      conversation_count=index % 13)


def bulk_body(post_id: str, count: int) -> Body | None:
    """A fresh body for a bulk ID below ``count``; None for anything else. Callers may mutate it."""
    index = bulk_index(post_id) if count > 0 else None
    if index is None or index >= count:
        return None
    return copy.deepcopy(_body(index))
