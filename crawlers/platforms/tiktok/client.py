"""The TikTok platform: one oEmbed route, what each answer means, the embed frame for the browser.

Route ``oembed``: ``GET https://www.tiktok.com/oembed?url=https://www.tiktok.com/@user/video/ID``
(``/@/video/ID`` when the handle is unknown; public, no key).

| answer | outcome |
|---|---|
| 200 oEmbed JSON for the video | ``post`` (caption, author, cover) |
| 404 | ``gone``, deleted |
| TikTok's error JSON ``{"status_msg": "Something went wrong"[, "status_code": 10101]}`` (HTTP 400, or 200) | ``gone``, unavailable: TikTok gives this one answer for removed, private and unembeddable videos, so it cannot prove a deletion |
| 401 / 403 with TikTok's error JSON | ``gone``, unavailable |
| 401 / 403 without it (an edge's bot wall), 400 without it, 429, 5xx, other statuses, 200 that is not oEmbed JSON (HTML, cut JSON, an answer for another id) | ``error`` |

Only 404 marks a video deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lxml import etree

from crawlers.platforms.base import BrowserPage, FetchOutcome, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.hits import Hit
from crawlers.platforms.tiktok import embeds, urls
from crawlers.platforms.tiktok.normalise import NotAnOEmbed, error_message, normalise_oembed

JSON_HEADERS = {"Accept": "application/json"}
# No texts of the embed frame's error screen are known from a real page, so none are listed: a frame
# without the player says nothing about the video (never "deleted" on a guess).
MISSING_TEXTS: tuple[str, ...] = ()
LOGIN_TEXTS: tuple[str, ...] = ()


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotAnOEmbed("body is not JSON") from None


def _tiktok_error(body: bytes) -> str | None:
    try:
        return error_message(_json(body))
    except NotAnOEmbed:
        return None


def http_error(status: int, headers: Mapping[str, str], detail: str | None) -> FetchOutcome:
    """An answer that concludes nothing: ``error`` with the status, TikTok's message and Retry-After."""
    message = f"oembed HTTP {status}" + (f": {detail}" if detail else "")
    retry = header(headers, "retry-after")
    if retry and (status == 429 or status >= 500):
        message += f" (Retry-After: {retry.strip()})"
    return FetchOutcome(kind="error", error=message)


class TikTokPlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for TikTok videos."""

    name = "tiktok"
    label = "TikTok"

    # ------------------------------------------------------------------ URL rules

    def parse_url(self, url: str) -> PostRef | None:
        parsed = urls.parse_video_url(url)
        if parsed is None or parsed["id"] is None:
            return None
        return PostRef(platform=self.name, post_id=parsed["id"], handle=parsed["handle"], url=url.strip())

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return urls.canonical_url(post_id, handle)

    def parse_key(self, text: str) -> str | None:
        return urls.parse_key(text)

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return embeds.find_embeds(doc)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The ``embed/v2`` frame embed.js renders: the video with its caption and author, nothing else."""
        if not urls.is_video_id(post_id):
            return None
        return BrowserPage(
            url=urls.embed_url(post_id),
            ready_selector="video",
            screenshot_selector="body",
            missing_texts=MISSING_TEXTS,
            login_texts=LOGIN_TEXTS,
        )

    # ------------------------------------------------------------------ fetching

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        if not urls.is_video_id(post_id):
            return []
        return [FetchPlan("oembed", urls.oembed_url(post_id, handle), dict(JSON_HEADERS))]

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        if not urls.is_video_id(post_id):
            return FetchOutcome(kind="error", error=f"not a TikTok video id: {post_id!r}")
        if plan.route != "oembed":
            return FetchOutcome(
                kind="error", error=f"route {plan.route!r} is not handled by the TikTok client"
            )
        detail = _tiktok_error(body)
        if status == 404:
            reason = "TikTok oEmbed 404 Not Found" + (f": {detail}" if detail else "")
            return FetchOutcome(kind="gone", status="deleted", reason=reason)
        if detail is not None and status in (200, 400, 401, 403):
            return FetchOutcome(
                kind="gone",
                status="unavailable",
                reason=f"TikTok oEmbed HTTP {status}: {detail} (removed, private or not embeddable)",
            )
        if status != 200:
            return http_error(status, headers, detail)
        try:
            post = normalise_oembed(_json(body), post_id)
        except NotAnOEmbed as exc:
            return FetchOutcome(kind="error", error=f"oembed: {exc}")
        return FetchOutcome(kind="post", post=post)
