"""The small interface every platform module implements.

A platform turns a post ID into an ordered list of fetch plans (routes: the cheapest, most
faithful first) and interprets each response into an outcome. The spider owns HTTP; the
platform owns formats. Adding Bluesky or Mastodon means adding one module with one client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from receipts.models import Post

OutcomeKind = Literal["post", "gone", "error"]


@dataclass(frozen=True)
class FetchPlan:
    route: str  # "syndication", "oembed", "browser", ...
    url: str  # the original (real-world) URL; RECEIPTS_ORIGIN_MAP is applied by the downloader
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchOutcome:
    """What one response says about a post.

    ``post``: the post was read (``post.status`` is "live"). ``gone``: the platform says it is
    deleted or unavailable (``status`` + ``reason``). ``error``: nothing can be concluded from
    this response (malformed body, 5xx, 429 …); the next route is tried and the post is never
    marked deleted because of it.
    """

    kind: OutcomeKind
    post: Post | None = None
    status: Literal["deleted", "unavailable"] | None = None
    reason: str | None = None
    error: str | None = None
    related_post_ids: list[str] = field(default_factory=list)


class PlatformClient(Protocol):
    name: str

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        """HTTP routes to try, in order (the browser route is added by the spider when enabled)."""
        ...

    def interpret(self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes) -> FetchOutcome:
        ...
