"""TikTok embeds in article markup (FORMATS.md §7; real snippet from TikTok's oEmbed ``html``).

- ``<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@user/video/ID" data-video-id="ID">``
  holding ``<section>`` with the ``@user`` link, the caption ``<p>`` (hashtags as links) and the
  sound link; then ``<script src="https://www.tiktok.com/embed.js">``, which renders it as an
  ``embed/v2`` iframe inside the blockquote. Variant ``tiktok-blockquote``; the caption is the
  displayed text, the ``@user`` link the handle. ``data-video-id`` is what embed.js plays, so it
  wins over the ``cite`` URL; a snippet without it falls back to the ``cite``.
- An iframe whose ``src`` (or ``data-src``) is ``tiktok.com/embed/v2/ID``, ``/embed/ID`` or
  ``/player/v1/ID``: variant ``tiktok-iframe``.
"""

from __future__ import annotations

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import claim_embeds
from crawlers.platforms.tiktok.urls import (
    canonical_url,
    handle_from_url,
    is_video_id,
    normalise_handle,
    parse_video_url,
)


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_CANDIDATES = etree.XPath(
    f"//blockquote[{_cls('tiktok-embed')}]"
    " | //iframe[contains(@src, 'tiktok.com') or contains(@data-src, 'tiktok.com')]"
)


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _blockquote(el: etree._Element) -> Hit | None:
    cited = parse_video_url(el.get("cite") or "")
    video_id = (el.get("data-video-id") or "").strip()
    if not is_video_id(video_id):
        video_id = cited["id"] if cited else ""
    if not video_id:
        return None
    handle = cited["handle"] if cited and cited["id"] == video_id else None
    caption = None
    for child in el.iter("a", "p"):
        if child.tag == "a" and handle is None:
            handle = handle_from_url(child.get("href")) or (
                normalise_handle(_text(child)) if _text(child).startswith("@") else None
            )
        elif child.tag == "p" and caption is None:
            caption = _text(child) or None
    return Hit(
        kind="embed",
        platform="tiktok",
        post_id=video_id,
        element=el,
        handle=handle,
        url=canonical_url(video_id, handle),
        variant="tiktok-blockquote",
        displayed_text=caption,
    )


def _iframe(el: etree._Element) -> Hit | None:
    for attribute in ("src", "data-src"):
        parsed = parse_video_url(el.get(attribute) or "")
        if parsed is not None and parsed["kind"] in ("embed", "player") and parsed["id"]:
            return Hit(
                kind="embed",
                platform="tiktok",
                post_id=parsed["id"],
                element=el,
                url=canonical_url(parsed["id"]),
                variant="tiktok-iframe",
            )
    return None


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every TikTok embed in *doc*, in document order; the iframe embed.js puts inside a blockquote is not another."""
    return claim_embeds(_CANDIDATES(doc), lambda el: _blockquote(el) if el.tag == "blockquote" else _iframe(el))
