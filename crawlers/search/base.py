"""The small interface every search provider implements.

A provider plans HTTP calls for a quote (:class:`SearchCall`) and reads each answer
(:class:`SearchAnswer`); the spider owns HTTP, so searches go through the same downloader as
everything else (origin map, retries, captures with route ``search``). An answer may ask for
follow-up calls (the Wayback listing gives post IDs; their text comes from a second fetch) or
stop the provider for the rest of the crawl (refused token, rate limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from receipts.models import Article, Reference, utcnow

CallPurpose = Literal["search", "user", "post"]


@dataclass(frozen=True)
class QuoteTarget:
    """What we look for: the quoted text, who the article says wrote it, and when it can have been posted."""

    text: str
    handle: str | None
    name: str | None
    start: datetime
    end: datetime

    @classmethod
    def from_reference(cls, ref: Reference, article: Article, window_s: float,
                       now: datetime | None = None) -> QuoteTarget:
        """The window ends at the article's publication (its last update when known, plus an hour of slack)."""
        now = now or utcnow()
        published = article.modified_at or article.published_at
        if published is not None and published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        end = min(now, published + timedelta(hours=1)) if published else now
        return cls(text=ref.displayed_text or "", handle=(ref.handle or "").lstrip("@") or None,
                   name=ref.display_name, start=end - timedelta(seconds=window_s), end=end)


@dataclass(frozen=True)
class SearchCall:
    provider: str
    url: str
    query: str  # what the call searches for, as recorded in candidates and the resolution
    purpose: CallPurpose = "search"
    headers: dict[str, str] = field(default_factory=dict)
    post_id: str | None = None  # purpose "post": the candidate being read
    window: tuple[datetime, datetime] | None = None  # the time window the call covers, when the API cannot filter


@dataclass
class Found:
    """One post a provider returned, with what it told us about it."""

    post_id: str
    text: str | None = None
    handle: str | None = None
    name: str | None = None
    created_at: datetime | None = None


@dataclass
class SearchAnswer:
    found: list[Found] = field(default_factory=list)
    follow_ups: list[SearchCall] = field(default_factory=list)
    error: str | None = None  # this call gave nothing usable (why)
    stop: str | None = None  # the provider must not be called again in this crawl (why)
    user: Found | None = None  # purpose "user": the account (post_id empty)


class SearchProvider(Protocol):
    name: str

    def unavailable_reason(self, target: QuoteTarget) -> str | None:
        """Why this provider cannot search for *target* (missing token, no handle …), or None."""
        ...

    def plan(self, target: QuoteTarget) -> list[SearchCall]:
        """The calls to make, best first; the spider stops early once a candidate clears the threshold."""
        ...

    def parse(self, call: SearchCall, status: int, headers: dict[str, str], body: bytes) -> SearchAnswer:
        ...
