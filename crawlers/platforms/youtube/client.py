"""The YouTube platform: one oEmbed route, what each answer means, the player page for the browser.

Route ``oembed``: ``GET https://www.youtube.com/oembed?url=https://www.youtube.com/watch?v=ID&format=json``
(public, no key). YouTube answers errors with a bare text body and no JSON:

| answer | outcome |
|---|---|
| 200 oEmbed JSON for the video | ``post`` (title, channel, thumbnail) |
| 404 ``Not Found`` | ``gone``, deleted (removed, or an id that never existed) |
| 401 ``Unauthorized`` (text, not HTML) | ``gone``, unavailable (private, or its owner disabled embedding: it may still play on youtube.com) |
| 403 ``Forbidden`` (text, not HTML) | ``gone``, unavailable (private) |
| 400 ``Bad Request`` | ``error`` (the request was malformed: nothing is known about the video) |
| 401 / 403 with an HTML page (a wall in front of YouTube), 429, 5xx, other statuses, 200 that is not oEmbed JSON (HTML, ``Forbidden`` text, cut JSON) | ``error`` |

Only 404 marks a video deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lxml import etree

from crawlers.platforms.base import BrowserPage, FetchOutcome, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.hits import Hit
from crawlers.platforms.youtube import embeds, urls
from crawlers.platforms.youtube.normalise import NotAnOEmbed, normalise_oembed

JSON_HEADERS = {"Accept": "application/json"}
GONE: dict[int, tuple[str, str]] = {
    404: ("deleted", "YouTube oEmbed 404 Not Found: the video was removed or never existed"),
    401: (
        "unavailable",
        "YouTube oEmbed 401 Unauthorized: the video is private or its owner disabled embedding",
    ),
    403: ("unavailable", "YouTube oEmbed 403 Forbidden: the video is private"),
}
# texts of the embed player's error screen: only the ones that say the video is gone for good
MISSING_TEXTS = (
    "This video has been removed by the uploader",
    "This video is no longer available because the YouTube account associated with this video has been terminated.",
)
LOGIN_TEXTS = ("This video is private", "Sign in to confirm your age")


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def short_text(body: bytes) -> str | None:
    """A short plain-text body (``Not Found``), or None for anything longer or binary."""
    try:
        text = " ".join(body.decode("utf-8").split())
    except UnicodeDecodeError:
        return None
    return text if text and len(text) <= 80 and "<" not in text else None


def looks_html(body: bytes) -> bool:
    return body[:512].lstrip().lower().startswith((b"<!doctype", b"<html", b"<head", b"<body"))


def http_error(status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
    """An answer that concludes nothing: ``error`` with the status, body text and Retry-After."""
    detail = short_text(body)
    message = f"oembed HTTP {status}" + (f": {detail}" if detail else "")
    retry = header(headers, "retry-after")
    if retry and (status == 429 or status >= 500):
        message += f" (Retry-After: {retry.strip()})"
    return FetchOutcome(kind="error", error=message)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotAnOEmbed("body is not JSON") from None


class YouTubePlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for YouTube videos."""

    name = "youtube"
    label = "YouTube"

    # ------------------------------------------------------------------ URL rules

    def parse_url(self, url: str) -> PostRef | None:
        parsed = urls.parse_video_url(url)
        if parsed is None:
            return None
        return PostRef(platform=self.name, post_id=parsed["id"], url=url.strip())

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return urls.canonical_url(post_id)

    def parse_key(self, text: str) -> str | None:
        return urls.parse_key(text)

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return embeds.find_embeds(doc)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The player page ``/embed/ID``: one video, no comments or recommendations; ``#movie_player`` is the player."""
        if not urls.is_video_id(post_id):
            return None
        return BrowserPage(
            url=urls.embed_url(post_id),
            ready_selector="#movie_player",
            screenshot_selector="#movie_player",
            missing_texts=MISSING_TEXTS,
            login_texts=LOGIN_TEXTS,
        )

    # ------------------------------------------------------------------ fetching

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        if not urls.is_video_id(post_id):
            return []
        return [FetchPlan("oembed", urls.oembed_url(post_id), dict(JSON_HEADERS))]

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        if not urls.is_video_id(post_id):
            return FetchOutcome(kind="error", error=f"not a YouTube video id: {post_id!r}")
        if plan.route != "oembed":
            return FetchOutcome(
                kind="error", error=f"route {plan.route!r} is not handled by the YouTube client"
            )
        if status in GONE and not (
            status != 404 and looks_html(body)
        ):  # an HTML 401/403 is a wall, not YouTube
            state, reason = GONE[status]
            return FetchOutcome(kind="gone", status=state, reason=reason)  # type: ignore[arg-type]
        if status != 200:
            return http_error(status, headers, body)
        try:
            post = normalise_oembed(_json(body), post_id)
        except NotAnOEmbed as exc:
            detail = short_text(body)
            return FetchOutcome(
                kind="error",
                error=f"oembed: {exc}" + (f" ({detail!r})" if detail and "JSON" in str(exc) else ""),
            )
        return FetchOutcome(kind="post", post=post)
