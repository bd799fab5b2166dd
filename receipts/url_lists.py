"""Lists of article URLs for ``receipts import``: one URL a line, CSV with a ``url`` column, or a sitemap.

A sitemap is read from a file or fetched (by the caller's *fetch*, which routes and checks URLs); a
sitemap index is followed to its first :data:`MAX_CHILD_SITEMAPS` children. Duplicates are dropped,
order is kept.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

from lxml import etree

MAX_CHILD_SITEMAPS = 20
MAX_URLS = 100_000

Fetch = Callable[[str], bytes]


class UrlListError(ValueError):
    """The list cannot be read (missing file, CSV without a url column, unreadable sitemap)."""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _is_xml(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith(b"<?xml") or b"<urlset" in head or b"<sitemapindex" in head


def sitemap_locs(data: bytes) -> tuple[list[str], list[str]]:
    """``(page URLs, child sitemap URLs)`` of a sitemap or sitemap index (entities never resolved)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise UrlListError(f"not a sitemap: {exc}") from exc
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        raise UrlListError("not a sitemap (no <urlset> or <sitemapindex>)")
    locs = [el.text.strip() for el in root.iter() if _local(el.tag) == "loc" and el.text and el.text.strip()]
    return (locs, []) if _local(root.tag) == "urlset" else ([], locs)


def _from_sitemap(data: bytes, fetch: Fetch | None) -> list[str]:
    urls, children = sitemap_locs(data)
    for child in children[:MAX_CHILD_SITEMAPS]:
        if fetch is None:
            raise UrlListError("a sitemap index in a file: import its child sitemaps by URL")
        try:
            urls += sitemap_locs(fetch(child))[0]
        except OSError as exc:
            raise UrlListError(f"cannot fetch the child sitemap {child}: {exc}") from exc
    return urls


def _from_text(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    first = lines[0] if lines else ""
    if first and not first.startswith(("http://", "https://")) and ("," in first or first.lower() == "url"):
        reader = csv.DictReader(io.StringIO(text))
        fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        if "url" not in fields:
            raise UrlListError("CSV without a url column (header: " + ", ".join(reader.fieldnames or []) + ")")
        return [(row.get(fields["url"]) or "").strip() for row in reader if (row.get(fields["url"]) or "").strip()]
    return lines


def read_url_list(source: str, fetch: Fetch | None = None) -> list[str]:
    """The URLs *source* names: a file path, ``-`` (stdin) or an http(s) sitemap URL (fetched with *fetch*)."""
    if source.startswith(("http://", "https://")):
        if fetch is None:
            raise UrlListError("cannot fetch URLs here")
        try:
            data = fetch(source)
        except OSError as exc:
            raise UrlListError(f"cannot fetch {source}: {exc}") from exc
    elif source == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UrlListError(f"cannot read {source}: {exc.strerror or exc}") from exc
    if _is_xml(data):
        urls = _from_sitemap(data, fetch)
    else:
        urls = _from_text(data.decode("utf-8-sig", "replace"))
    unique = list(dict.fromkeys(urls))
    if len(unique) > MAX_URLS:
        raise UrlListError(f"{len(unique)} URLs: import at most {MAX_URLS} at a time")
    return unique
