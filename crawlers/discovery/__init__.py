"""Reference discovery: which X posts an article embeds, links or quotes, plus its metadata.

``extract_article(html, url)`` never raises. Offsets of references point into ``body_text``
(the article's main-content text); references outside the main content (sidebars, related
modules, comments, footers) have ``in_body=False`` and no offsets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.registry import PLATFORMS, post_ref
from crawlers.platforms.x.urls import is_x_host
from receipts.models import Article, Reference, sha256_hex

from . import body as body_mod
from .attribution import footer_attributions, quote_attributions
from .cards import find_card_embeds
from .dom import CssPaths, has_class_xpath, parse_html, tag_of
from .links import find_bare_urls, find_links
from .merge import merge_hits
from .metadata import Metadata, extract_metadata
from .placeholders import find_placeholder_embeds, inside, post_anchors
from .screenshots import find_screenshot_embeds
from .state import StateEmbed, find_state_embeds
from .unwrap import unwrap_placeholders

__all__ = ["ArticleExtract", "extract_article"]

log = logging.getLogger(__name__)

# social networks' embed markup, registered platforms or not: never a post of another platform, and the
# "— Name (@handle) date" footer inside one is that embed's own (its spans count as embed spans)
SOCIAL_EMBED_MARKUP = etree.XPath(" | ".join(
    f"//*[{has_class_xpath(name)}]" for name in (
        "bluesky-embed", "instagram-media", "tiktok-embed", "text-post-media", "mastodon-embed", "fb-post",
        "fb-video", "reddit-embed-bq", "threads-embed", "linkedin-embed")))


@dataclass
class ArticleExtract:
    url: str
    canonical_url: str
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    body_text: str = ""
    references: list[Reference] = field(default_factory=list)

    def to_article(self) -> Article:
        canonical = self.canonical_url or self.url
        try:
            host = (urlsplit(canonical).hostname or "").lower()
        except ValueError:
            host = ""
        return Article(
            id=canonical, url=self.url, canonical_url=canonical,
            domain=host.removeprefix("www.") or None,
            title=self.title, byline=self.byline, published_at=self.published_at,
            modified_at=self.modified_at, language=self.language, body_text=self.body_text,
            body_sha256=sha256_hex(self.body_text.encode("utf-8", "replace")),
            references=[ref.model_copy(deep=True) for ref in self.references],
        )


def extract_article(html: str | bytes, url: str) -> ArticleExtract:
    url = url if isinstance(url, str) else str(url or "")
    try:
        return _extract(html, url)
    except Exception:  # noqa: BLE001 — the contract is "never raise"; keep what is safe to return
        log.exception("extract_article failed for %s", url)
        return ArticleExtract(url=url, canonical_url=url)


def _extract(html: str | bytes, url: str) -> ArticleExtract:
    doc = parse_html(html)
    try:
        meta = extract_metadata(doc, url)
    except Exception:  # noqa: BLE001
        log.exception("metadata extraction failed for %s", url)
        meta = Metadata(canonical_url=url)
    unwrap_placeholders(doc, html)
    root = body_mod.find_content_root(doc)

    embeds, state_embeds = find_platform_embeds(doc)
    claimed = {h.element for h in embeds if h.element is not None}
    anchors = post_anchors(doc)
    for detector in (partial(find_card_embeds, anchors), partial(find_screenshot_embeds, anchors),
                     partial(find_placeholder_embeds, doc)):  # each skips what the ones before claimed
        found = detector(claimed)
        embeds.extend(found)
        claimed |= {h.element for h in found if h.element is not None}
    links = find_links(doc, claimed)
    foreign = [el for el in SOCIAL_EMBED_MARKUP(doc) if isinstance(el.tag, str)]
    foreign_links = [a for a in root.iter("a") if _foreign_href(a.get("href"))]
    links.extend(platform_links(foreign_links, claimed))
    wanted = claimed | {h.element for h in links if h.element is not None} | set(foreign) | set(foreign_links)
    body = body_mod.build_body(root, wanted)
    text = body.text

    order = {el: i for i, el in enumerate(doc.iter())}
    paths = CssPaths()
    for hit in (*embeds, *links):
        _place_element_hit(hit, body, root, order, paths)

    dom_ids = {(h.platform, h.post_id) for h in embeds if h.post_id}
    for found in _state_embeds(doc, url, meta.canonical_url, state_embeds):
        hit = found.hit
        if (hit.platform, hit.post_id) in dom_ids:
            continue
        _place_element_hit(hit, body, root, order, paths)
        hit.in_body = found.ownership != "foreign"  # another article's state is page chrome
        hit.offsets = _find_text(text, hit.displayed_text) if hit.in_body else None
        if hit.offsets:
            hit.paragraph_index = body.paragraph_index(hit.offsets[0])
        embeds.append(hit)

    embed_spans = [h.offsets for h in embeds if h.offsets and h.offsets[1] > h.offsets[0]]
    embed_spans += [body.spans[el] for el in foreign if el in body.spans]
    link_spans = [h.offsets for h in links if h.offsets]
    text_hits: list[Hit] = find_bare_urls(text, embed_spans + link_spans)
    footers = footer_attributions(body, embed_spans, [body.spans[a] for a in foreign_links if a in body.spans])
    footer_spans = [h.offsets for h in footers if h.offsets]
    footers = _absorb_footer_links(footers, links)
    quotes = quote_attributions(body, embed_spans + footer_spans)
    text_hits.extend(footers)
    text_hits.extend(quotes)
    for hit in text_hits:
        _place_text_hit(hit, body, order, paths)

    references = merge_hits([*embeds, *links, *text_hits])
    return ArticleExtract(
        url=url, canonical_url=meta.canonical_url or url, title=meta.title, byline=meta.byline,
        published_at=meta.published_at, modified_at=meta.modified_at, language=meta.language,
        body_text=text, references=references,
    )


def _state_embeds(doc: etree._Element, url: str, canonical: str | None, scanned: list[Hit]) -> list[StateEmbed]:
    """The JSON state's embeds with their owner; those only the platforms' text scans found (state that is
    not strict JSON) are of unknown owner."""
    found = find_state_embeds(doc, url, canonical)
    keys = {(s.hit.platform, s.hit.post_id) for s in found}
    found.extend(StateEmbed(h, "unknown") for h in scanned if (h.platform, h.post_id) not in keys)
    return found


def _place_element_hit(hit: Hit, body: body_mod.BodyText, root: etree._Element,
                       order: dict[etree._Element, int], paths: CssPaths) -> None:
    el = hit.element
    if el is None:
        return
    hit.order = float(order.get(el, len(order)))
    hit.css_path = paths.path(el)
    hit.in_body = body_mod.in_body(el, root)
    span = body.spans.get(el) if hit.in_body else None
    hit.offsets = span
    hit.paragraph_index = body.paragraph_index(span[0]) if span else None


def _place_text_hit(hit: Hit, body: body_mod.BodyText, order: dict[etree._Element, int],
                    paths: CssPaths) -> None:
    if hit.offsets is None:
        return
    index = body.paragraph_index(hit.offsets[0])
    hit.paragraph_index = index
    para = body.paragraphs[index] if body.paragraphs else None
    el = hit.element if hit.element is not None else (para.element if para else None)
    hit.element = el
    hit.css_path = paths.path(el) if el is not None else None
    base = order.get(el, len(order)) if el is not None else len(order)
    hit.order = base + 0.5 + hit.offsets[0] / (10 * (len(body.text) + 1))
    hit.in_body = True


def find_platform_embeds(doc: etree._Element) -> tuple[list[Hit], list[Hit]]:
    """Every registered platform's embeds, in registry order: those in the DOM, and those found only
    in a page's inline JSON state (a ``<script>``; placed by the text they displayed)."""
    in_dom: list[Hit] = []
    in_state: list[Hit] = []
    claimed: set[etree._Element] = set()
    for platform in PLATFORMS.values():
        for hit in platform.find_embeds(doc):
            if tag_of(hit.element) == "script":
                in_state.append(hit)
            elif hit.element is None or hit.element not in claimed:  # one element is one platform's embed
                in_dom.append(hit)
        claimed |= {h.element for h in in_dom if h.element is not None}
    return in_dom, in_state


def platform_links(anchors: list[etree._Element], claimed: set[etree._Element]) -> list[Hit]:
    """Links to posts of the registered platforms other than X's (X links: :func:`find_links`)."""
    hits: list[Hit] = []
    for a in anchors:
        if inside(a, claimed):
            continue  # part of an embed: the embed speaks for the post
        ref = post_ref(a.get("href", "").strip())
        if ref is not None:
            hits.append(Hit(kind="link", platform=ref.platform, post_id=ref.post_id, url=ref.url, element=a,
                            handle=ref.handle, variant="a[href]"))
    return hits


def _foreign_href(href: str | None) -> bool:
    """An absolute link to a host that is not X (a footer dated by such a link is not an X post)."""
    if not href or not href.strip().lower().startswith(("http:", "https:", "//")):
        return False
    try:
        host = (urlsplit(href.strip()).hostname or "").lower()
    except ValueError:
        return False
    return bool(host) and not is_x_host("https://" + host) and host not in ("t.co", "pic.twitter.com", "pic.x.com")


def _find_text(text: str, displayed: str | None) -> tuple[int, int] | None:
    if not displayed or not text:
        return None
    first = displayed.split("\n", 1)[0].strip()[:80]
    if len(first) < 12:
        return None
    i = text.find(first)
    return (i, i + len(first)) if i >= 0 else None


def _absorb_footer_links(footers: list[Hit], links: list[Hit]) -> list[Hit]:
    """A flattened footer whose date is still a status link is that post's embed, shown flattened.

    Short links inside the flattened text belong to it too (like t.co links inside an embed).
    """
    kept: list[Hit] = []
    for footer in footers:
        start, end = footer.offsets or (0, -1)
        inside = [h for h in links if h.offsets and start <= h.offsets[0] and h.offsets[1] <= end]
        status = [h for h in inside if h.kind == "link" and h.post_id]
        for media in (h for h in inside if h.kind == "media_link"):
            links.remove(media)
            footer.media_url = media.url  # the t.co URL the spider can resolve
        if status:
            link = status[-1]
            link.kind = "embed"
            link.variant = "flattened"
            link.handle = footer.handle or link.handle
            link.display_name = footer.display_name
            link.displayed_date = footer.displayed_date
            link.displayed_text = footer.displayed_text
            link.media_url = footer.media_url
            link.offsets, link.paragraph_index = footer.offsets, footer.paragraph_index
            continue
        kept.append(footer)
    return kept
