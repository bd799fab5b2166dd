"""Main-content detection and the article's body text with element → offset spans.

The body text is the visible text of the content root, one line per block (``<p>``, heading, list
item, embed paragraph, ``<br>`` line), joined by ``"\\n"``, whitespace collapsed. Boilerplate
subtrees (asides, related modules, share bars, comments) and non-text elements are left out.
While writing it, the walker records the span of every element the caller asks about, so
references can point into the text.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from lxml import etree

from .dom import BLOCK_TAGS, SKIP_TAGS, is_boilerplate, tag_of

_ROOT_XPATHS = (
    "//*[@itemprop='articleBody']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' entry-content ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' post-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article-body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article__body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' story-body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' post-body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' body-text ')]",
    "//article",
    "//main | //*[@role='main']",
)
_MIN_ROOT_TEXT = 80


def _text_len(el: etree._Element) -> int:
    try:
        return int(el.xpath("string-length(normalize-space(.))"))
    except (etree.XPathError, ValueError, TypeError):
        return 0


def _inside_boilerplate(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if is_boilerplate(node):
            return True
        node = node.getparent()
    return False


def find_content_root(doc: etree._Element) -> etree._Element:
    """The element holding the article's own content (falls back to the densest block, then body)."""
    body = doc.find("body")
    if body is None:
        body = doc
    for xpath in _ROOT_XPATHS:
        try:
            found = [el for el in doc.xpath(xpath) if isinstance(el.tag, str)]
        except etree.XPathError:
            continue
        found = [el for el in found if not _inside_boilerplate(el)]
        if not found:
            continue
        # outermost matches only (nested articleBody/article pairs count once)
        best = max(found, key=_text_len)
        if _text_len(best) >= _MIN_ROOT_TEXT or len(found) == 1:
            return best
    # densest block: the parent of the most paragraph text
    scores: dict[etree._Element, int] = {}
    for p in doc.iter("p"):
        parent = p.getparent()
        if parent is None or _inside_boilerplate(parent):
            continue
        scores[parent] = scores.get(parent, 0) + len(p.text_content().strip())
    if scores:
        best = max(scores, key=lambda el: scores[el])
        if scores[best] >= 200:
            return best
    return body


class SpanSet:
    """Union of ``[start, end)`` spans with O(log n) membership tests."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(s for s in spans if s[1] > s[0]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def __contains__(self, pos: int) -> bool:
        i = bisect_right(self._starts, pos) - 1
        return i >= 0 and pos < self._ends[i]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start) - 1
        if i >= 0 and self._ends[i] > start:
            return True
        return i + 1 < len(self._starts) and self._starts[i + 1] < end


@dataclass
class Paragraph:
    start: int
    end: int
    element: etree._Element | None  # innermost block element the line started in


@dataclass
class BodyText:
    text: str
    spans: dict[etree._Element, tuple[int, int]] = field(default_factory=dict)
    paragraphs: list[Paragraph] = field(default_factory=list)

    _starts: list[int] | None = None

    def paragraph_index(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [p.start for p in self.paragraphs]
        return max(0, bisect_right(self._starts, offset) - 1)


class _Writer:
    def __init__(self, wanted: set[etree._Element]) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.space = False
        self.brk = False
        self.wanted = wanted
        self.pending: list[etree._Element] = []
        self.starts: dict[etree._Element, int] = {}
        self.spans: dict[etree._Element, tuple[int, int]] = {}
        self.paragraphs: list[Paragraph] = []
        self.blocks: list[etree._Element] = []

    def open(self, el: etree._Element) -> None:
        if el in self.wanted:
            self.pending.append(el)

    def close(self, el: etree._Element) -> None:
        if el not in self.wanted:
            return
        start = self.starts.pop(el, None)
        if start is None:
            if el in self.pending:
                self.pending.remove(el)
            start = self.length
        self.spans[el] = (start, self.length)

    def block(self) -> None:
        if self.length:
            self.brk = True
            self.space = False

    def emit(self, s: str) -> None:
        if not s:
            return
        words = s.split()
        if not words:
            self.space = True
            return
        new_line = False
        if not self.length:
            sep = ""
            new_line = True
        elif self.brk:
            sep = "\n"
            new_line = True
        elif self.space or s[0].isspace():
            sep = " "
        else:
            sep = ""
        if new_line:
            if self.paragraphs:
                self.paragraphs[-1].end = self.length
            self.paragraphs.append(Paragraph(self.length + len(sep), self.length + len(sep),
                                             self.blocks[-1] if self.blocks else None))
        pos = self.length + len(sep)
        for el in self.pending:
            self.starts[el] = pos
        self.pending.clear()
        chunk = sep + " ".join(words)
        self.parts.append(chunk)
        self.length += len(chunk)
        self.paragraphs[-1].end = self.length
        self.brk = False
        self.space = s[-1].isspace()


def build_body(root: etree._Element, wanted: set[etree._Element]) -> BodyText:
    """Walk *root* (iteratively: arbitrarily deep garbage must not hit the recursion limit)."""
    w = _Writer(wanted)
    stack: list[tuple[etree._Element, bool]] = [(root, False)]
    while stack:
        el, closing = stack.pop()
        tag = tag_of(el)
        if closing:
            w.close(el)
            if tag in BLOCK_TAGS:
                w.block()
                if w.blocks and w.blocks[-1] is el:
                    w.blocks.pop()
            if el is not root and el.tail:
                w.emit(el.tail)
            continue
        if not tag:  # comment / processing instruction: only its tail is text
            if el.tail:
                w.emit(el.tail)
            continue
        if el is not root and is_boilerplate(el):
            if el.tail:
                w.emit(el.tail)
            continue
        w.open(el)
        if tag == "br":
            w.block()
            w.close(el)
            if el.tail:
                w.emit(el.tail)
            continue
        if tag in BLOCK_TAGS:
            w.block()
            w.blocks.append(el)
        stack.append((el, True))
        if tag in SKIP_TAGS or el.get("hidden") is not None:
            continue
        if el.text:
            w.emit(el.text)
        for child in reversed(el):
            stack.append((child, False))
    text = "".join(w.parts)
    return BodyText(text=text, spans=w.spans, paragraphs=w.paragraphs)


def in_body(el: etree._Element, root: etree._Element) -> bool:
    """True when *el* sits inside the content root and outside any boilerplate module."""
    node: etree._Element | None = el
    while node is not None:
        if node is root:
            return True
        if is_boilerplate(node):
            return False
        node = node.getparent()
    return False
