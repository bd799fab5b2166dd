"""The Mastodon platform: routes for a status, what each answer means, the browser page.

One route: the public REST API ``GET https://HOST/api/v1/statuses/<id>`` (public statuses need no
token since 2.7.0). oEmbed is not a route: it sits behind the same API rate limit and visibility
rules and carries no text, only an iframe; :func:`oembed_plan` exists for callers that only need
to know whether a status still exists. An edited status (``edited_at`` set) adds a follow-up for
``/api/v1/statuses/<id>/history``, whose answer yields the revisions as ``versions``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from crawlers.platforms.base import (
    BrowserPage,
    EmbedRender,
    FetchOutcome,
    FetchPlan,
    PlatformDefaults,
    PostRef,
)
from crawlers.platforms.hits import Hit
from crawlers.platforms.mastodon import embeds, urls
from crawlers.platforms.mastodon.embeds import EMBED_TAG_JS, EMBEDS_PENDING_JS
from crawlers.platforms.mastodon.normalise import (
    NotAStatus,
    is_status,
    normalise_history,
    normalise_status,
)
from crawlers.platforms.mastodon.urls import normalise_handle
from receipts.models import Author, Post, post_key

API_HEADERS = {"Accept": "application/json"}
# Mastodon's error page texts (config/locales/en.yml errors.404 / errors.410 / errors.403)
MISSING_TEXTS = (
    "The page you are looking for isn't here.",
    "The page you were looking for doesn't exist here anymore.",
)
LOGIN_TEXTS = ("You don't have permission to view this page.",)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _json(body: bytes) -> Any:
    """The decoded JSON body; ValueError when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None


def _looks_html(headers: Mapping[str, str], body: bytes) -> bool:
    ctype = (_header(headers, "content-type") or "").lower()
    head = body[:512].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<"))


def _is_json_type(headers: Mapping[str, str]) -> bool:
    ctype = (_header(headers, "content-type") or "").lower()
    return "json" in ctype


def _error_text(body: bytes) -> str | None:
    """The ``error`` of a Mastodon error body (``{"error": "Record not found"}``), or None."""
    try:
        data = _json(body)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), str) and data["error"].strip():
        return data["error"].strip()
    return None


def oembed_plan(post_id: str, handle: str | None = None) -> FetchPlan:
    """``GET https://HOST/api/oembed?url=<status URL>`` (an existence check, not a text source).

    Mastodon's oEmbed recognises ``/@user/ID`` URLs only, so without the handle the plan asks for
    ``/statuses/ID`` and the server answers 404: pass the handle.
    """
    return FetchPlan("oembed", urls.oembed_url(post_id, handle), dict(API_HEADERS))


class MastodonPlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for Mastodon (and servers speaking its API)."""

    name = "mastodon"
    label = "Mastodon"
    embed_render = EmbedRender(EMBED_TAG_JS, EMBEDS_PENDING_JS)

    # ------------------------------------------------------------------ URL rules

    def parse_url(self, url: str) -> PostRef | None:
        parsed = urls.parse_status_url(url)
        if parsed is None or parsed["post_id"] is None:
            return None
        return PostRef(
            platform=self.name, post_id=parsed["post_id"], handle=parsed["handle"], url=url.strip()
        )

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return urls.canonical_url(post_id, handle)

    def parse_key(self, text: str) -> str | None:
        return urls.parse_key(text)

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return embeds.find_embeds(doc)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The embed page for a local author's status, else the web app's status page.

        Both render ``.detailed-status`` (the ≥4.3 embed is ``.embed > .detailed-status``, the older
        server-rendered one ``.activity-stream .entry > .detailed-status``).
        """
        try:
            url = urls.embed_url(post_id, handle) or urls.canonical_url(post_id, handle)
        except ValueError:
            return None
        return BrowserPage(
            url=url,
            ready_selector=".detailed-status",
            screenshot_selector=".detailed-status",
            missing_texts=MISSING_TEXTS,
            login_texts=LOGIN_TEXTS,
        )

    # ------------------------------------------------------------------ fetching

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        """The REST API's status (none for a malformed id)."""
        try:
            return [FetchPlan("api", urls.api_status_url(post_id), dict(API_HEADERS))]
        except ValueError:
            return []

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        try:
            urls.split_post_id(post_id)
        except ValueError as exc:
            return FetchOutcome(kind="error", error=str(exc))
        if plan.route == "api":
            return self._status(post_id, status, headers, body)
        if plan.route == "history":
            return self._history(post_id, status, headers, body)
        if plan.route == "oembed":
            return self._oembed(post_id, status, headers, body)
        return FetchOutcome(kind="error", error=f"route {plan.route!r} is not handled by the Mastodon client")

    def _status(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        host, status_id = urls.split_post_id(post_id)
        data = _read_json(host, "a Mastodon Status", status, headers, body)
        if isinstance(data, FetchOutcome):
            return data
        if not is_status(data):
            return FetchOutcome(
                kind="not_a_post", reason=f"{host} answered JSON that is not a Mastodon Status"
            )
        reblog = data.get("reblog")
        if isinstance(reblog, dict):
            original = is_status(reblog) and str(reblog.get("id")).lstrip("0")
            if not original:
                return FetchOutcome(kind="error", error="a boost whose reblogged status is unusable")
            return FetchOutcome(
                kind="moved", moved_to=f"{host}/{original}", reason=f"a boost of {host}/{original}"
            )
        try:
            post = normalise_status(data, host, fetched_at=datetime.now(UTC))
        except NotAStatus as exc:
            return FetchOutcome(kind="error", error=f"unusable Status body: {exc}")
        if post.post_id != post_id:
            return FetchOutcome(
                kind="error", error=f"the API returned status {post.post_id}, asked for {post_id}"
            )
        related = [pid for pid in (post.reply_to_post_id, post.quoted_post_id) if pid]
        follow_ups = []
        if post.is_edited:
            follow_ups.append(FetchPlan("history", urls.api_history_url(post_id), dict(API_HEADERS)))
        return FetchOutcome(kind="post", post=post, related_post_ids=related, follow_ups=follow_ups)

    def _history(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        """A follow-up: ``versions`` on success (``post`` stays None), else ``error`` (never ``gone``)."""
        if status != 200:
            detail = _error_text(body)
            return FetchOutcome(
                kind="error", error=f"history: HTTP {status}" + (f": {detail}" if detail else "")
            )
        try:
            versions = normalise_history(_json(body), post_id, fetched_at=datetime.now(UTC))
        except (ValueError, NotAStatus) as exc:
            return FetchOutcome(kind="error", error=f"history: {exc}")
        return FetchOutcome(kind="post", versions=versions)

    def _oembed(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        """oEmbed: 404 → deleted; 200 → a Post with the author only (no text); the rest as the API."""
        host, _ = urls.split_post_id(post_id)
        data = _read_json(host, "Mastodon oEmbed", status, headers, body)
        if isinstance(data, FetchOutcome):
            return data
        if not isinstance(data, dict) or not isinstance(data.get("html"), str):
            return FetchOutcome(kind="not_a_post", reason=f"{host} answered JSON that is not Mastodon oEmbed")
        author_url = data.get("author_url") if isinstance(data.get("author_url"), str) else ""
        acct = author_url.rstrip("/").rsplit("/@", 1)[-1] if "/@" in author_url else None
        handle = normalise_handle(acct, host)
        post = Post(
            id=post_key(self.name, post_id),
            platform=self.name,
            post_id=post_id,
            url=urls.canonical_url(post_id, handle),
            author=Author(
                handle=handle,
                name=data.get("author_name") if isinstance(data.get("author_name"), str) else None,
            ),
            status="live",
            status_reason="oEmbed only: no text or media",
            route="oembed",
            raw=data,
        )
        return FetchOutcome(kind="post", post=post)


def _failure(status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
    """A non-200 answer of the API: Mastodon's JSON errors are conclusive, anything else is not."""
    detail = _error_text(body)
    if status == 404:
        if detail:
            return FetchOutcome(kind="gone", status="deleted", reason=detail)
        return FetchOutcome(
            kind="not_a_post", reason="HTTP 404 without a Mastodon error body (not a Mastodon server)"
        )
    if status == 410:
        return FetchOutcome(kind="gone", status="deleted", reason=detail or "HTTP 410 Gone")
    if status in (401, 403) and detail:
        return FetchOutcome(kind="gone", status="unavailable", reason=detail)
    message = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429 or status in (503, 502, 504):
        retry = _header(headers, "retry-after")
        if retry:
            message += f" (Retry-After: {retry.strip()})"
    return FetchOutcome(kind="error", error=message)


def _read_json(host: str, what: str, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """The decoded body of a 200 answer, else the outcome it means: a failure status as the API's
    errors say, an HTML page from a host that is no Mastodon server ``not_a_post``, broken JSON ``error``."""
    if status != 200:
        return _failure(status, headers, body)
    try:
        return _json(body)
    except ValueError:
        if _looks_html(headers, body) and not _is_json_type(headers):
            return FetchOutcome(kind="not_a_post", reason=f"{host} answered HTML, not {what}")
        return FetchOutcome(kind="error", error="body is not JSON")
