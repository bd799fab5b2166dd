"""Parsing and small DOM helpers shared by the discovery modules.

Parsing never raises: any input (bytes in any encoding, NUL bytes, truncated markup, an XML
declaration inside a ``str``) becomes an lxml HTML tree, possibly an empty ``<html>``.
"""

from __future__ import annotations

import re

from lxml import etree, html

from crawlers.platforms.markup import (
    BLOCK_TAGS,
    SKIP_TAGS,
    class_tokens,
    element_lines,
    has_class,
    has_class_xpath,
    tag_of,
)

__all__ = ["BLOCK_TAGS", "SKIP_TAGS", "class_tokens", "element_lines", "has_class", "has_class_xpath", "tag_of"]

BOILERPLATE_TAGS = frozenset({"aside", "nav", "footer", "header"})
# class/id tokens of modules that are not the article's own content
_BOILERPLATE_TOKEN = re.compile(
    r"^(?:related|related[-_].*|.*[-_]related|sidebar|side-bar|sidebar[-_].*|widget|widget[-_]area|widget_.*"
    r"|comments?|comment[-_](?:list|section|area|respond)|disqus_thread|respond|webmentions?|webmention[-_].*|mentions"
    r"|footer|site[-_]footer|nav|navbar"
    r"|navigation|menu|breadcrumbs?|share|sharing|share[-_].*|social[-_]share|newsletter|promo|promos"
    r"|recommended|recommendations?|more[-_]stories|read[-_]more|trending|most[-_]popular|popular"
    r"|outbrain|taboola|OUTBRAIN|advert|advertisement|ad[-_]slot|subscribe|paywall|author[-_]bio)$",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def decode(data: str | bytes | None) -> str:
    """Bytes → str using the BOM, a ``<meta charset>`` in the first 4 KB, else UTF-8 (errors replaced)."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if not isinstance(data, bytes | bytearray | memoryview):
        return str(data)
    raw = bytes(data)
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(enc, "replace")
    m = _META_CHARSET.search(raw[:4096])
    if m:
        try:
            text = raw.decode(m.group(1).decode("ascii", "replace"), "replace")
            return text
        except (LookupError, ValueError):
            pass
    return raw.decode("utf-8", "replace")


def parse_html(data: str | bytes | None) -> html.HtmlElement:
    text = decode(data)
    text = _XML_DECL.sub("", text, count=1)
    text = _CONTROL.sub("", text)
    payload = text.encode("utf-8", "replace")
    parser = html.HTMLParser(encoding="utf-8", huge_tree=True, remove_blank_text=False)
    if payload.strip():
        try:
            root = html.document_fromstring(payload, parser=parser)
            if root is not None:
                return root
        except (etree.ParserError, ValueError, etree.XMLSyntaxError):
            pass
    return html.document_fromstring(b"<html><body></body></html>", parser=parser)


def is_boilerplate(el: etree._Element) -> bool:
    """Sidebars, related-content modules, comments, nav, share bars, footers, asides."""
    tag = tag_of(el)
    if tag in BOILERPLATE_TAGS:
        return True
    role = (el.get("role") or "").lower()
    if role in ("navigation", "complementary", "contentinfo", "banner"):
        return True
    for token in class_tokens(el):
        if _BOILERPLATE_TOKEN.match(token):
            return True
    ident = el.get("id")
    return bool(ident and _BOILERPLATE_TOKEN.match(ident))


class CssPaths:
    """``body > article > div:nth-of-type(2) > blockquote`` paths, with per-parent caching (linear total)."""

    def __init__(self) -> None:
        self._index: dict[etree._Element, dict[etree._Element, tuple[int, int]]] = {}

    def _step(self, el: etree._Element) -> str:
        tag = tag_of(el)
        parent = el.getparent()
        if parent is None:
            return tag
        table = self._index.get(parent)
        if table is None:
            counts: dict[str, int] = {}
            table = {}
            for child in parent:
                ctag = tag_of(child)
                if not ctag:
                    continue
                counts[ctag] = counts.get(ctag, 0) + 1
                table[child] = (counts[ctag], 0)
            for child, (nth, _) in list(table.items()):
                table[child] = (nth, counts[tag_of(child)])
            self._index[parent] = table
        nth, total = table.get(el, (1, 1))
        return f"{tag}:nth-of-type({nth})" if total > 1 else tag

    def path(self, el: etree._Element | None) -> str | None:
        if el is None or not tag_of(el):
            return None
        steps: list[str] = []
        node: etree._Element | None = el
        while node is not None and tag_of(node) not in ("html", ""):
            steps.append(self._step(node))
            node = node.getparent()
        return " > ".join(reversed(steps)) or None
