"""Reading Meta's public embed pages: HTML parsing, visible text, login walls, HTTP failures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from lxml import etree, html

from crawlers.platforms.base import FetchOutcome

_BLOCKS = frozenset({"p", "div", "blockquote", "li", "h1", "h2", "h3", "h4", "h5", "h6"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name."""
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def parse_html(body: bytes) -> etree._Element | None:
    """The document of an HTML body, or None when it has no elements."""
    if not body or not body.strip():
        return None
    try:
        return html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None


def has_class(name: str) -> str:
    """An XPath predicate: the element's class list holds *name*."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def first(doc: etree._Element, xpath: str) -> etree._Element | None:
    found = doc.xpath(xpath)
    return found[0] if found and isinstance(found[0], etree._Element) else None


def meta_content(doc: etree._Element, prop: str) -> str | None:
    """The ``content`` of ``<meta property=prop>`` (or ``name=prop``), stripped, or None."""
    for el in doc.xpath(f"//meta[@property='{prop}' or @name='{prop}']"):
        value = (el.get("content") or "").strip()
        if value:
            return value
    return None


def visible_text(el: etree._Element, skip_classes: Iterable[str] = ()) -> str:
    """The text a reader sees in *el*: ``<br>`` → newline, blocks on their own lines, hidden parts dropped."""
    skip = set(skip_classes)
    clone = html.fromstring(etree.tostring(el, encoding="unicode"))
    for node in list(clone.iter()):
        if not isinstance(node.tag, str):
            node.drop_tree()
            continue
        classes = set((node.get("class") or "").split())
        if node is not clone and (classes & skip or node.tag in ("script", "style")):
            node.drop_tree()
        elif node.tag == "br":
            node.tail = "\n" + (node.tail or "")
        elif node is not clone and node.tag in _BLOCKS:
            node.tail = "\n" + (node.tail or "")
    text = clone.text_content().replace("\r\n", "\n").replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def best_src(img: etree._Element) -> str | None:
    """The widest candidate of an ``<img>``'s ``srcset`` (``url 640w, url 1080w``), else its ``src``."""
    best, width = None, -1
    for part in (img.get("srcset") or "").split(","):
        bits = part.strip().split()
        if len(bits) == 2 and bits[1].endswith("w") and bits[1][:-1].isdigit() and int(bits[1][:-1]) > width:
            best, width = bits[0], int(bits[1][:-1])
    src = best or img.get("src")
    return src if src and src.startswith(("https://", "http://")) else None


def from_epoch(value: str | None) -> datetime | None:
    if value and value.strip().isdigit():
        try:
            return datetime.fromtimestamp(int(value.strip()), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def login_redirect(status: int, headers: Mapping[str, str]) -> str | None:
    """The login page a 3xx points at (``/accounts/login/``, ``/login/``, ``/login.php``), or None."""
    location = header(headers, "location") or ""
    if 300 <= status < 400 and re.search(r"/(?:accounts/)?login(?:/|\.php|\?|$)", location):
        return location
    return None


def has_text(doc: etree._Element, texts: Iterable[str]) -> str | None:
    """The first of *texts* the page shows (title or body), or None."""
    content = " ".join(" ".join(doc.itertext()).split())
    return next((t for t in texts if t in content), None)


def page_failure(status: int, headers: Mapping[str, str], route: str) -> FetchOutcome:
    """A non-200 embed page: 404/410 → unavailable (Meta does not say deleted), 3xx to a login → unavailable,
    429/5xx and anything else → error."""
    login = login_redirect(status, headers)
    if login:
        return FetchOutcome(
            kind="gone", status="unavailable", reason=f"{route}: login wall (redirect to {login})"
        )
    if status in (404, 410):
        return FetchOutcome(
            kind="gone",
            status="unavailable",
            reason=f"{route}: HTTP {status} (deleted, private or not embeddable: Meta does not say which)",
        )
    message = f"{route}: HTTP {status}"
    retry = header(headers, "retry-after")
    if retry and status in (429, 503):
        message += f" (Retry-After: {retry.strip()})"
    return FetchOutcome(kind="error", error=message)
