"""Screenshot embeds: a picture of a post instead of the post, on any platform.

A picture counts when the article ties it to one post: the picture is the whole content of a link to
the post (``<a href=post><img></a>``), or it sits in a ``<figure>`` whose caption links to or names the
post and whose picture or caption says it shows a post. The picture's alt text is what the article
displayed. A photo whose caption credits a post ("Photo: @user/X") is a link, not a screenshot.
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import element_lines, tag_of

from .placeholders import PostAnchor, inside

__all__ = ["find_screenshot_embeds"]

_IMAGES = ("img", "amp-img", "picture")
# "Twitter post by @user: …", "Screenshot of a tweet from Name: …", "X post by …" (the text follows)
_ALT_PREFIX = re.compile(
    r"^\s*(?:an?\s+)?(?:screenshot|screen\s*grab|capture|image)?\s*(?:of\s+)?(?:an?\s+)?"
    r"(?:twitter|x|bluesky|mastodon|instagram|threads|facebook|tiktok)?\s*(?:post|tweet|toot|skeet)s?"
    r"\s+(?:by|from)\s+[^:]{1,80}:\s*", re.IGNORECASE)
# the picture says it shows a post (its alt, title or file name, or the caption)
_SHOWS_POST = re.compile(
    r"(?:\b|_)(?:tweets?|screenshots?|screen[\s_-]*grabs?|screen[\s_-]*shots?|toots?|skeets?"
    r"|(?:twitter|x|bluesky|mastodon|instagram|threads|facebook)[\s_-]+posts?)(?:\b|_)", re.IGNORECASE)
_CREDIT = re.compile(r"^\s*(?:photo|image|picture|foto|bild|credit|source|quelle|fuente|crédit)s?\b",
                     re.IGNORECASE)


def _alt(img: etree._Element) -> str | None:
    for el in (img, *img.iterdescendants()):
        alt = (el.get("alt") or el.get("title") or "").strip()
        if alt:
            return alt
    return None


def _displayed(alt: str | None) -> str | None:
    if not alt:
        return None
    text = _ALT_PREFIX.sub("", alt, count=1).strip()
    return text if len(text.split()) >= 3 else None


def _only_images(a: etree._Element) -> etree._Element | None:
    if " ".join(a.text_content().split()):
        return None
    images = [el for el in a.iterdescendants() if tag_of(el) in _IMAGES]
    return images[0] if images else None


def find_screenshot_embeds(anchors: list[PostAnchor], claimed: set[etree._Element]) -> list[Hit]:
    hits: list[Hit] = []
    taken: set[etree._Element] = set()
    for a, found in anchors:
        if inside(a, claimed, taken):
            continue
        img = _only_images(a)
        figure = next((p for p in a.iterancestors() if tag_of(p) == "figure"), None)
        if img is not None and not _shows_post(img, figure):
            continue  # a photo linked to the post it came from is a link
        if img is None and figure is not None:
            img = _captioned_picture(figure, a)
        if img is None:
            continue
        platform, post_id, handle = found
        holder = figure if figure is not None else a
        hits.append(Hit(kind="embed", platform=platform, post_id=post_id, handle=handle,
                        url=(a.get("href") or "").strip(), element=holder, variant="screenshot",
                        displayed_text=_displayed(_alt(img))))
        taken.add(holder)
    return hits


def _captioned_picture(figure: etree._Element, a: etree._Element) -> etree._Element | None:
    """The figure's picture when the link is in its caption and the figure says it shows a post."""
    caption = next((p for p in a.iterancestors() if tag_of(p) == "figcaption"), None)
    if caption is None:
        return None
    images = [el for el in figure.iterdescendants() if tag_of(el) in _IMAGES]
    if not images:
        return None
    text = element_lines(caption)
    if _CREDIT.match(text):
        return None
    return images[0] if _shows_post(images[0], figure) else None


def _shows_post(img: etree._Element, figure: etree._Element | None) -> bool:
    pictures = [img, *img.iterdescendants()]
    said = " ".join(" ".join((p.get("alt") or "", p.get("title") or "", (p.get("src") or "").rsplit("/", 1)[-1]))
                    for p in pictures)
    if figure is not None:
        said += " " + " ".join(element_lines(c) for c in figure.iter("figcaption"))
    return bool(_SHOWS_POST.search(said))
