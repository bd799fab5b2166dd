"""Consent and two-click placeholders: embed markup a page keeps out of the DOM until the reader consents.

Consent managers hold the official embed markup as text (``<textarea>``, ``<script type="text/template">``,
an HTML-escaped, percent-encoded or base64 ``data-*`` attribute) or as inert elements (``<noscript>``,
``<template>``); "embed in an iframe" generators put it in a ``data:text/html`` frame or ``srcdoc``; some
CMSs store it percent-encoded inside a shortcode in the text (``[social_embed:content:%3Cblockquote…]``).
Before the platforms look for embeds, :func:`unwrap_placeholders` puts that markup into the tree as a
``<div data-receipts-unwrapped="…">`` where the reader would see it after consenting, so every platform's
detector, the body text and the offsets treat it like an embed that was loaded.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

from lxml import etree, html

from crawlers.platforms.markup import tag_of

__all__ = ["UNWRAPPED_ATTR", "unwrap_placeholders"]

UNWRAPPED_ATTR = "data-receipts-unwrapped"
# what embed markup looks like in text: an official embed's container or frame
_MARKUP = re.compile(r"<\s*(?:blockquote|iframe|amp-twitter|div[^>]*\bclass\s*=\s*[\"'][^\"']*(?:embed|tweet|post))",
                     re.IGNORECASE)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]{40,}$")
_JS_TYPES = frozenset({"", "text/javascript", "application/javascript", "module", "application/ld+json",
                       "application/json", "text/ecmascript", "importmap", "speculationrules"})
_INERT_TAGS = ("noscript", "template")
_TEXT_TAGS = ("textarea", "script", "xmp")
_ATTR_MARKUP = etree.XPath("//*[@*[starts-with(name(), 'data-') and contains(., '<') and contains(., '>')]]")
_MAX_CHARS = 200_000
_FRAMES = ("iframe", "frame", "embed", "object")
_ENCODED_TEXT = etree.XPath("//text()[contains(., '%3Cblockquote') or contains(., '%3cblockquote')"
                            " or contains(., '%3Ciframe') or contains(., '%3ciframe')]")
_ENCODED_RUN = re.compile(r"%3C(?:blockquote|iframe)[^\s\]\[\"']*", re.IGNORECASE)
_BROKEN_SCHEME = re.compile(r"\b(https?)%//")  # a CMS that encoded "://" as "%//" (seen on tn.com.ar)
_RAW_ENCODED = re.compile(rb"%3C(?:blockquote|iframe)", re.IGNORECASE)
_RAW_ATTR_MARKUP = re.compile(rb"&lt;|&#0*60;|&#x0*3c;|=\s*[\"']\s*<", re.IGNORECASE)
_JS_ESCAPE = re.compile(r"(?:%u[0-9A-Fa-f]{4})+")


def source_hints(source: str | bytes | None) -> tuple[bool, bool]:
    """Whether the page source can hold percent-encoded markup in text, and markup in an attribute: two
    scans of the raw bytes that spare the tree-wide XPaths on the pages that have neither."""
    if source is None:
        return True, True
    raw = source.encode("utf-8", "replace") if isinstance(source, str) else bytes(source)
    return bool(_RAW_ENCODED.search(raw)), bool(_RAW_ATTR_MARKUP.search(raw))


def unwrap_placeholders(doc: etree._Element, source: str | bytes | None = None) -> int:
    """Make held-back embed markup part of *doc* (in place); returns how many holders were opened.

    *source* is the page as fetched (see :func:`source_hints`); without it every pass runs."""
    encoded, attr_markup = source_hints(source)
    opened = 0
    for node in list(doc.iter(*_INERT_TAGS)):
        if _has_embed_elements(node) and tag_of(node.getparent()) not in ("head", ""):
            node.set(UNWRAPPED_ATTR, tag_of(node))
            node.tag = "div"
            opened += 1
    for node in list(doc.iter(*_TEXT_TAGS)):
        if tag_of(node) == "script" and (node.get("type") or "").strip().lower() in _JS_TYPES:
            continue
        markup = _markup_of(node.text or "")
        if markup and _insert(node, markup, tag_of(node), after=True):
            opened += 1
    for node in list(doc.iter(*_FRAMES)):
        markup = _frame_markup(node)
        if markup and _insert(node, markup, tag_of(node) + "[data:]", after=True):
            opened += 1
    for text in _ENCODED_TEXT(doc) if encoded else ():
        holder = text.getparent()
        run = _ENCODED_RUN.search(str(text))
        markup = _markup_of(_percent_decode(run.group(0))) if run else None
        if holder is not None and markup and _insert(holder, markup, "percent-encoded", after=True):
            opened += 1
    for node in _ATTR_MARKUP(doc) if attr_markup else ():
        for name, value in node.attrib.items():
            if name.startswith("data-") and name != UNWRAPPED_ATTR:
                markup = _markup_of(value)
                if markup and _insert(node, markup, name, after=False):
                    opened += 1
                    break
    return opened


def _frame_markup(frame: etree._Element) -> str | None:
    """The markup a frame shows inline: its ``srcdoc``, or a ``data:text/html`` source."""
    srcdoc = frame.get("srcdoc")
    if srcdoc:
        return _markup_of(srcdoc)
    for attr in ("src", "data-src", "data"):
        value = (frame.get(attr) or "").strip()
        if not value.lower().startswith("data:text/html"):
            continue
        meta, _, payload = value.partition(",")
        if ";base64" in meta.lower():
            return _markup_of(payload)
        return _markup_of(_percent_decode(payload))
    return None


def _percent_decode(text: str) -> str:
    """Percent-decoding as browsers do for ``data:`` URLs, including JavaScript ``escape()`` output
    (``%uXXXX`` with surrogate pairs, single-byte ``%B0``)."""
    def utf16(m: re.Match[str]) -> str:
        units = bytes.fromhex("".join(m.group(0)[i + 2:i + 6] for i in range(0, len(m.group(0)), 6)))
        return units.decode("utf-16-be", "replace")

    text = _JS_ESCAPE.sub(utf16, text)
    try:
        decoded = unquote(text, errors="strict")
    except UnicodeDecodeError:
        decoded = unquote(text, encoding="latin-1")
    return _BROKEN_SCHEME.sub(r"\1://", decoded)


def _has_embed_elements(node: etree._Element) -> bool:
    return any(tag_of(el) in ("blockquote", "iframe", "amp-twitter") for el in node.iterdescendants())


def _markup_of(text: str) -> str | None:
    """*text* when it holds embed markup, else its base64 decoding when that does, else None."""
    text = text.strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    if "<" in text and _MARKUP.search(text):
        return text
    if text[:3].upper() == "%3C":
        decoded = _percent_decode(text)
        return decoded if _MARKUP.search(decoded) else None
    if _BASE64.match(text):
        try:
            decoded = base64.b64decode(re.sub(r"\s+", "", text), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if _MARKUP.search(decoded):
            return decoded
    return None


def _insert(holder: etree._Element, markup: str, source: str, *, after: bool) -> bool:
    try:
        fragment = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return False
    if not len(fragment):
        return False
    fragment.set(UNWRAPPED_ATTR, source)
    if after:
        parent = holder.getparent()
        if parent is None or tag_of(parent) == "head":
            return False
        fragment.tail, holder.tail = holder.tail, None
        holder.addnext(fragment)
    else:
        holder.append(fragment)
    return True
