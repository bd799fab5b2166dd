"""Mutable server state: post bodies and states, edit aliases, per-ID request counters, added pages."""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fakeweb.bulk import bulk_body
from fakeweb.catalog import Body, catalog_bodies, initial_states, snowflake_ms

STATES = frozenset({
    "live", "deleted", "suspended", "protected", "age_restricted", "empty", "notfound",
    "error503", "error429", "flaky503", "login_required", "browser_only", "oembed_only", "malformed",
})
FLAKY_FAILURES = 2  # flaky503: the first N requests of an ID (per endpoint) fail with 503


@dataclass
class Page:
    body: bytes
    content_type: str
    status: int
    headers: dict[str, str]
    last_modified: float


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.bulk_count = 0  # generated posts served (bulk.py); survives reset()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.bodies: dict[str, Body] = catalog_bodies()
            self.states: dict[str, str] = initial_states()
            self.aliases: dict[str, str] = {}  # edit ID → original ID
            self.hits: Counter[tuple[str, str]] = Counter()
            self.pages: dict[str, Page] = {}
            self.log: list[dict[str, Any]] = []
            self.rate_limited = False
            self.api_calls: Counter[str] = Counter()
            self.now: float | None = None

    def clock(self) -> float:
        return self.now if self.now is not None else time.time()

    # ---------------------------------------------------------------------------------------- posts

    def lookup(self, post_id: str) -> tuple[str, Body] | None:
        """(state, body) for an ID (edit IDs resolve to the edited post, with their own ``id_str``)."""
        with self.lock:
            original = self.aliases.get(post_id, post_id)
            body = self.bodies.get(original) or bulk_body(original, self.bulk_count)
            if body is None:
                return None
            body = copy.deepcopy(body)
            if original != post_id:
                body["id_str"] = post_id
            return self.states.get(original, "live"), body

    def hit(self, endpoint: str, post_id: str) -> int:
        """Count a request for (endpoint, ID) and return how many there have been, this one included."""
        with self.lock:
            self.hits[(endpoint, post_id)] += 1
            return self.hits[(endpoint, post_id)]

    def set_state(self, post_id: str, state: str, **changes: Any) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; one of {sorted(STATES)}")
        with self.lock:
            original = self.aliases.get(post_id, post_id)
            if original not in self.bodies:
                generated = bulk_body(original, self.bulk_count)
                if generated is None:
                    raise KeyError(post_id)
                self.bodies[original] = generated
            self.states[original] = state
            self.hits = Counter({k: v for k, v in self.hits.items() if k[1] != original})
            body = self.bodies[original]
            text = changes.pop("text", None)
            if text is not None and text != _display_text(body):
                new_id = _edit(body, text)
                self.aliases[new_id] = original
            for key, value in changes.items():
                body[key] = value

    def live_posts(self) -> list[Body]:
        """Bodies of every post whose state lets the API and search see it."""
        with self.lock:
            return [copy.deepcopy(b) for pid, b in self.bodies.items()
                    if self.states.get(pid) not in ("deleted", "notfound", "suspended")]

    def all_posts(self) -> list[tuple[str, Body]]:
        with self.lock:
            return [(self.states.get(pid, "live"), copy.deepcopy(b)) for pid, b in self.bodies.items()]


def _display_text(body: Body) -> str:
    start, end = body.get("display_text_range", [0, len(body["text"])])
    return body["text"][:end]


def _edit(body: Body, new_text: str) -> str:
    """Rewrite the text (keeping the media t.co at the end), re-index entities, append a new edit ID."""
    media = body.get("entities", {}).get("media") or []
    tco = media[0]["url"] if media else None
    full = new_text if not tco or tco in new_text else f"{new_text} {tco}"
    display_end = full.index(tco) - 1 if tco and full.endswith(tco) and full.index(tco) > 0 else len(full)
    start = body.get("display_text_range", [0, 0])[0]
    body["text"] = full
    body["display_text_range"] = [min(start, display_end), display_end]
    entities = body.get("entities", {})
    for kind, needle in (("hashtags", lambda e: "#" + e["text"]), ("urls", lambda e: e["url"]),
                         ("user_mentions", lambda e: "@" + e["screen_name"]), ("media", lambda e: e["url"])):
        kept = []
        for entity in entities.get(kind, []):
            at = full.find(needle(entity))
            if at >= 0:
                entity["indices"] = [at, at + len(needle(entity))]
                kept.append(entity)
        if kind in entities:
            entities[kind] = kept
    for detail in body.get("mediaDetails", []):
        at = full.find(detail["url"])
        detail["indices"] = [at, at + len(detail["url"])]
    control = body.setdefault("edit_control", {"edit_tweet_ids": [body["id_str"]], "edits_remaining": "5"})
    ids = control.setdefault("edit_tweet_ids", [body["id_str"]])
    latest_ms = snowflake_ms(ids[-1]) + 60_000
    new_id = str(((latest_ms - 1288834974657) << 22) | 7)
    ids.append(new_id)
    control["edits_remaining"] = str(max(0, int(control.get("edits_remaining", "5")) - 1))
    body["isEdited"] = True
    return new_id
