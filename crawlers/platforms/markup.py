"""DOM helpers every embed detector shares (platform packages and discovery): tags, classes, displayed text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree

from crawlers.platforms.hits import Hit

SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "button",
    "select", "option", "textarea", "input", "head", "title", "meta", "link", "canvas", "video", "audio",
    "picture", "source", "img", "amp-img",
})
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "dl", "dt", "dd", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "pre",
    "hr", "br", "header", "footer", "main", "aside", "nav", "address", "details", "summary", "form",
    "fieldset", "center", "iframe", "amp-twitter", "caption", "body", "html",
})


def has_class_xpath(name: str) -> str:
    """An XPath predicate: the element's ``class`` attribute has the token *name*."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def tag_of(el: object) -> str:
    tag = getattr(el, "tag", None)
    return tag.lower() if isinstance(tag, str) else ""


def class_tokens(el: etree._Element) -> list[str]:
    return (el.get("class") or "").split()


def has_class(el: etree._Element, *names: str) -> bool:
    tokens = class_tokens(el)
    return any(name in tokens for name in names)


def element_lines(el: etree._Element, skip: set[etree._Element] | None = None) -> str:
    """Displayed text of *el*: ``<br>`` → newline, block boundaries → newline, whitespace collapsed.

    Consecutive ``<br>`` are kept (``<br><br>`` → blank line), as the reader saw them.
    """
    out: list[str] = []
    stack: list[tuple[etree._Element, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = tag_of(node)
        if closing:
            if tag in BLOCK_TAGS and tag != "br":
                out.append("\n\x00")
            if node is not el and node.tail:
                out.append(_ws(node.tail))
            continue
        if (skip and node in skip and node is not el) or not tag or tag in SKIP_TAGS:
            if node is not el and node.tail:
                out.append(_ws(node.tail))
            continue
        if tag == "br":
            out.append("\n")
            if node.tail:
                out.append(_ws(node.tail))
            continue
        if tag in BLOCK_TAGS and node is not el:
            out.append("\n\x00")
        if node.text:
            out.append(_ws(node.text))
        stack.append((node, True))
        for child in reversed(node):
            stack.append((child, False))
    return _tidy_lines("".join(out))


_SPACES = re.compile(r"[^\S\n]+")


def _ws(text: str) -> str:
    return text.replace("\n", " ").replace("\r", " ").replace("\x00", "")


def _tidy_lines(text: str) -> str:
    # "\n\x00" marks a soft block boundary (collapsible), "\n" alone a hard <br>.
    lines: list[tuple[str, bool]] = []
    for raw in _SPACES.sub(" ", text).split("\n"):
        soft = raw.startswith("\x00")
        line = raw.replace("\x00", "").strip()
        if soft and not line:
            continue
        if soft and lines and lines[-1] == ("", False):
            lines.pop()  # a <br> right before a block boundary renders nothing
        lines.append((line, soft))
    result = [line for line, _ in lines]
    while result and not result[0]:
        result.pop(0)
    while result and not result[-1]:
        result.pop()
    return "\n".join(result)


_TEXT_TOKEN = re.compile(r"(?:^|[-_])(?:text|body|content|message|status)(?:$|[-_])", re.IGNORECASE)
_NOT_TEXT_TOKEN = re.compile(r"header|author|name|handle|meta|footer|date|user|avatar|count", re.IGNORECASE)
_COUNTS = re.compile(r"^[\d.,]+\s*[KkMm]?\s*\w{0,12}$|^\d[\d.,]*\s*[KkMm]?$")


def card_text(card: etree._Element, handle: str | None) -> str | None:
    """The post's text in a card a site rendered itself: its ``…-text``/``…-body`` box, else the first line
    that is not the author, the date or the counts."""
    for el in card.iterdescendants():
        tokens = class_tokens(el)
        if (any(_TEXT_TOKEN.search(t) for t in tokens) and not any(_NOT_TEXT_TOKEN.search(t) for t in tokens)
                and tag_of(el) not in ("img", "a")):
            text = element_lines(el)
            if text:
                return text
    at = f"@{handle.lower()}" if handle else None
    for line in element_lines(card).split("\n"):
        words = line.split()
        if len(words) < 3 or _COUNTS.match(line) or (at and at in line.lower() and len(words) <= 6):
            continue
        return line
    return None


def claim_embeds(candidates: Iterable[etree._Element], read: Callable[[etree._Element], Hit | None]) -> list[Hit]:
    """Each candidate (in document order) that *read* turns into a hit; a found embed claims its subtree,
    so nothing inside it (the iframe a widget script put in a blockquote …) is another embed."""
    hits: list[Hit] = []
    claimed: set[etree._Element] = set()
    for el in candidates:
        if el in claimed or any(ancestor in claimed for ancestor in el.iterancestors()):
            continue
        hit = read(el)
        if hit is not None:
            hits.append(hit)
            claimed.add(el)
            claimed.update(el.iterdescendants())
    return hits
