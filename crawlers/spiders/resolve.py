"""Spider mix-in: find the posts behind quotes printed without a link (``attribution`` references).

For each such reference the configured providers (``RECEIPTS_SEARCH_PROVIDERS``) plan their
calls; the calls run one at a time as ordinary Scrapy requests (route ``search``: origin map,
captures, evidence), every post found is scored, and the searching stops as soon as a candidate
clears ``RECEIPTS_QUOTE_MATCH_THRESHOLD``. The outcome is a :class:`QuoteResolvedItem`; a linked
post is then fetched like any other post. A provider that is refused or rate-limited is stopped
for the rest of the crawl and the reason ends up on the references it could not serve.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.config import CrawlConfig, crawl_config
from crawlers.items import QuoteResolvedItem
from crawlers.search.base import Found, QuoteTarget, SearchCall, SearchProvider
from crawlers.search.scoring import score
from crawlers.search.wayback import WaybackProvider
from crawlers.search.xapi import XApiProvider
from receipts.models import Article, Candidate, Reference, Resolution

log = logging.getLogger(__name__)
MAX_CANDIDATES = 10
SERVER_RETRIES = 1  # X API calls are not retried by the retry middleware (429 must not be hammered)


def build_providers(settings: CrawlConfig) -> tuple[list[SearchProvider], list[str]]:
    """The providers named in the settings, in order, and notes about unknown names."""
    providers: list[SearchProvider] = []
    notes: list[str] = []
    for name in settings.search_providers:
        if name == "xapi":
            providers.append(XApiProvider(settings.x_bearer_token))
        elif name == "wayback":
            providers.append(WaybackProvider())
        elif name not in ("none", "off"):
            notes.append(f"unknown search provider {name!r} in RECEIPTS_SEARCH_PROVIDERS")
    return providers, notes


@dataclass
class QuoteSearch:
    """The searches for one quote: calls still to make, candidates so far, notes on what was skipped."""

    article_id: str
    key: str
    target: QuoteTarget
    threshold: float
    calls: deque[SearchCall] = field(default_factory=deque)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    made: int = 0

    def add(self, found: Found, call: SearchCall) -> None:
        total, parts = score(self.target, found)
        old = self.candidates.get(found.post_id)
        if old is not None and old.score >= total:
            return
        self.candidates[found.post_id] = Candidate(
            post_id=found.post_id, provider=call.provider, query=call.query, score=total, text=found.text,
            handle=found.handle, created_at=found.created_at, scores=parts)

    def best(self) -> Candidate | None:
        return max(self.candidates.values(), key=lambda c: (c.score, c.created_at is not None), default=None)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class ResolveMixin:
    """Mixed into the article spider, which provides ``fetch_post`` and ``url``."""

    fetch_post: Callable[..., Iterator[Any]]
    take_slot: Callable[[str], bool]
    claim_post: Callable[..., bool]

    # quote key → the reference an earlier crawl linked to a post (the runner passes them in, read
    # before the article is saved again): a re-crawl re-checks that link instead of searching again
    earlier_quotes: dict[str, Reference]

    def _search_context(self) -> tuple[dict[str, SearchProvider], list[str], dict[str, str]]:
        if not hasattr(self, "_search_providers"):
            providers, notes = build_providers(crawl_config(self.settings))
            self._search_providers = {p.name: p for p in providers}
            self._search_notes = notes
            self._search_blocked: dict[str, str] = {}
        return self._search_providers, self._search_notes, self._search_blocked

    def resolve_attributions(self, article: Article) -> Iterator[Any]:
        """Search for every attribution reference of *article* that has text and no post yet."""
        settings = crawl_config(self.settings)
        providers, config_notes, blocked = self._search_context()
        for ref in article.references:
            if ref.kind != "attribution" or ref.post_id or not (ref.displayed_text or "").strip():
                continue
            earlier = self.earlier_quotes.get(ref.key)
            if earlier is not None and earlier.post_id:
                yield QuoteResolvedItem(article.id, ref.key, earlier.post_id, earlier.resolution, earlier.candidates)
                yield from self.fetch_post(earlier.platform, earlier.post_id, handle=earlier.handle)
                continue
            if not self.take_slot(ref.key):
                continue  # over the article's cap: recorded as skipped
            target = QuoteTarget.from_reference(ref, article, settings.search_window)
            search = QuoteSearch(article.id, ref.key, target, settings.quote_match_threshold)
            for note in config_notes:
                search.note(note)
            if not providers:
                search.note("no search provider configured (RECEIPTS_SEARCH_PROVIDERS)")
            for provider in providers.values():
                reason = blocked.get(provider.name) or provider.unavailable_reason(target)
                if reason:
                    search.note(f"{provider.name}: {reason}")
                else:
                    search.calls.extend(provider.plan(target))
            yield from self._next_search_call(search)

    def _next_search_call(self, search: QuoteSearch) -> Iterator[Any]:
        _, _, blocked = self._search_context()
        while search.calls:
            call = search.calls[0]
            best = search.best()
            if call.purpose != "post" and best is not None and best.score >= search.threshold:
                break  # a good enough candidate: no further queries
            search.calls.popleft()
            if call.provider in blocked:
                search.note(f"{call.provider}: {blocked[call.provider]}")
                continue
            search.made += 1
            meta = {"route": "search", "target_type": "link", "target_id": f"{search.article_id}#{search.key[:120]}",
                    "requested_url": call.url, "quote_search": search, "search_call": call, "server_retries": 0}
            if call.provider == "xapi":
                meta["dont_retry"] = True
            yield scrapy.Request(call.url, headers=call.headers, callback=self.parse_search,
                                 errback=self.search_failed, meta=meta, dont_filter=True)
            return
        yield from self._finish_search(search)

    def parse_search(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        search: QuoteSearch = meta["quote_search"]
        call: SearchCall = meta["search_call"]
        providers, _, blocked = self._search_context()
        if response.status >= 500 and meta.get("dont_retry") and meta["server_retries"] < SERVER_RETRIES:
            yield response.request.replace(meta={**meta, "server_retries": meta["server_retries"] + 1},
                                           dont_filter=True)
            return
        answer = providers[call.provider].parse(call, response.status, _headers(response), response.body)
        if answer.stop:
            blocked.setdefault(call.provider, answer.stop)
            search.note(f"{call.provider}: {answer.stop}")
        if answer.error:
            search.note(f"{call.provider}: {answer.error}")
        for found in answer.found:
            search.add(found, call)
        search.calls.extendleft(reversed(answer.follow_ups))
        yield from self._next_search_call(search)

    def search_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        search: QuoteSearch = meta["quote_search"]
        call: SearchCall = meta["search_call"]
        search.note(f"{call.provider}: request failed ({failure.getErrorMessage()[:200]})")
        yield from self._next_search_call(search)

    def _finish_search(self, search: QuoteSearch) -> Iterator[Any]:
        ranked = sorted(search.candidates.values(), key=lambda c: c.score, reverse=True)[:MAX_CANDIDATES]
        best = ranked[0] if ranked else None
        if best is not None and best.score >= search.threshold:
            resolution = Resolution(provider=best.provider, query=best.query, score=best.score)
            yield QuoteResolvedItem(search.article_id, search.key, best.post_id, resolution, ranked)
            if self.claim_post(f"x:{best.post_id}", capped=False):  # the search had its slot
                yield from self.fetch_post("x", best.post_id, handle=best.handle, claimed=True)
            return
        if search.made == 0:
            reason = "no search provider available: " + "; ".join(search.notes)
        elif best is not None:
            reason = (f"best candidate {best.post_id} scored {best.score:.2f}, below the threshold "
                      f"{search.threshold:.2f}")
            reason += f" ({'; '.join(search.notes)})" if search.notes else ""
        else:
            reason = "no candidate found" + (f" ({'; '.join(search.notes)})" if search.notes else "")
        yield QuoteResolvedItem(search.article_id, search.key, None, None, ranked, reason[:1000])
