"""Server-rendered post cards: CMSs that print the post themselves instead of the platform's embed.

Substack's static tweet cards, newsletter and blog "static tweet" components, react-tweet, Ghost cards:
a small box with avatar, name, handle, text and date, linked to the post. The box counts as an embed of
the post when it links to exactly one post and says it is one (a post class such as ``tweet``,
``twitter-card``, ``toot``, ``bluesky-post``, or the author's avatar next to the post's ``@handle``).
A quotation the site typeset itself, ``<figure><blockquote>…</blockquote><figcaption>`` with the post linked
in the caption, is one too. Its text is what the article displayed. A post link in a photo credit or a
footnote stays a link.
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import card_text, class_tokens, element_lines, tag_of

from .placeholders import PostAnchor, inside, post_of

__all__ = ["find_card_embeds"]

_CARD_TOKEN = re.compile(
    r"tweet|twitter|toot|skeet|bluesky|mastodon|x-post|xpost|threads-post|social-(?:embed|post|card)"
    r"|embed-(?:card|post)|post-embed|embedded-post|static-post", re.IGNORECASE)
_NOT_CARD_TOKEN = re.compile(r"share|follow|timeline|intent|button|icon|logo|feed|widget", re.IGNORECASE)
_AVATAR = re.compile(r"avatar|profile_images|profile-image|profile_pic", re.IGNORECASE)
_MAX_CARD_CHARS = 2500
_MAX_LEVELS = 5
_CONTAINERS = frozenset({"div", "figure", "section", "article", "aside", "li", "a", "span", "blockquote"})


def _is_card_box(el: etree._Element) -> bool:
    tokens = class_tokens(el) + ([el.get("data-component-name", "")] if el.get("data-component-name") else [])
    return any(_CARD_TOKEN.search(t) and not _NOT_CARD_TOKEN.search(t) for t in tokens)


def _has_avatar(el: etree._Element) -> bool:
    return any(_AVATAR.search((img.get("alt") or "") + " " + (img.get("src") or "") + " " + (img.get("class") or ""))
               for img in el.iter("img"))


def _posts_in(el: etree._Element) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for a in el.iter("a"):
        post = post_of(a.get("href") or "")
        if post:
            found.add((post[0], post[1]))
    return found


def find_card_embeds(anchors: list[PostAnchor], claimed: set[etree._Element]) -> list[Hit]:
    hits: list[Hit] = []
    taken: set[etree._Element] = set()
    for a, post in anchors:
        if inside(a, claimed, taken):
            continue
        card = _card_around(a, post)
        if card is None:
            continue
        platform, post_id, handle = post
        quote = next((c for c in card if tag_of(c) == "blockquote"), None) if tag_of(card) == "figure" else None
        shown = element_lines(quote) if quote is not None else card_text(card, handle)
        hits.append(Hit(kind="embed", platform=platform, post_id=post_id, handle=handle,
                        url=(a.get("href") or "").strip(), element=card, variant=f"card.{tag_of(card)}",
                        displayed_text=shown or None))
        taken.add(card)
    return hits


def _quote_figure(a: etree._Element) -> etree._Element | None:
    """``<figure><blockquote>post text</blockquote><figcaption>… <a href=post></figcaption></figure>``."""
    caption = next((p for p in a.iterancestors() if tag_of(p) == "figcaption"), None)
    figure = caption.getparent() if caption is not None else None
    if figure is None or tag_of(figure) != "figure":
        return None
    return figure if any(tag_of(c) == "blockquote" for c in figure) else None


def _card_around(a: etree._Element, post: tuple[str, str, str | None]) -> etree._Element | None:
    figure = _quote_figure(a)
    if figure is not None:
        return figure if _posts_in(figure) == {(post[0], post[1])} else None
    node: etree._Element | None = a
    for _ in range(_MAX_LEVELS):
        if node is None or tag_of(node) in ("body", "html", "main", "article") and node is not a:
            return None
        if tag_of(node) in _CONTAINERS and (_is_card_box(node) or _avatar_card(node, post[2])):
            text = node.text_content()
            if len(text) > _MAX_CARD_CHARS or _posts_in(node) != {(post[0], post[1])}:
                return None
            return node
        node = node.getparent()
    return None


def _avatar_card(el: etree._Element, handle: str | None) -> bool:
    """A box with the author's avatar and their ``@handle`` (a card with no telling class)."""
    if not handle or tag_of(el) == "a":
        return False
    return _has_avatar(el) and f"@{handle.lower()}" in el.text_content().lower()
