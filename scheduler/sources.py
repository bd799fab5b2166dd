"""Polling the sources a newsroom follows — RSS/Atom feeds, (news) sitemaps, section pages.

Their rows and interval rules are :mod:`receipts.db.sources`.

A poll is one conditional GET (``If-None-Match`` / ``If-Modified-Since``), so an unchanged feed
costs a 304. Article URLs found in it are queued as crawls unless already archived (``articles``
``_id``), already queued or running, or seen by an earlier poll (``source_seen``, keyed by the
canonical URL). Every fetch goes through ``RECEIPTS_ORIGIN_MAP``; links resolve against the
original URL, and every URL (the source's, each redirect hop, each article) passes the user-URL
checks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree, html

from receipts.db.archive import Archive
from receipts.db.jobs import PRIORITY_SOURCE, JobQueue
from receipts.db.sources import article_known, get_source, mark_link_seen, seen_link, update_source
from receipts.models import utcnow
from receipts.origin import route
from receipts.settings import Settings, get_settings
from receipts.urlcheck import BadURL, check_user_url
from receipts.urls import canonicalize, variants

log = logging.getLogger(__name__)

MAX_NEW_PER_POLL = 100
MAX_REDIRECTS = 5
MAX_CHILD_SITEMAPS = 3
MAX_SOURCE_BYTES = 10 * 1024 * 1024


# -- extraction -------------------------------------------------------------------------------
SKIP_PATH = re.compile(r"/(tag|tags|topic|topics|category|categories|author|authors|about|contact|search|"
                       r"subscribe|newsletter|newsletters|login|account|privacy|terms|feed|rss|video|videos|"
                       r"podcasts?|page)(/|$)", re.I)
SKIP_EXT = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|mp[34]|xml|rss|css|js|ico|zip)$", re.I)


@dataclass
class Extracted:
    kind: str
    urls: list[str] = field(default_factory=list)
    child_sitemaps: list[str] = field(default_factory=list)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def extract(body: bytes, base_url: str, content_type: str = "") -> Extracted:
    """Article URLs from a feed, sitemap or HTML section page (absolute, in document order)."""
    head = body[:2048].lstrip().lower()
    looks_xml = head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head or b"<urlset" in head \
        or b"<sitemapindex" in head or "xml" in content_type
    if looks_xml and b"<html" not in head:
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                                  recover=True, huge_tree=False))
        except etree.XMLSyntaxError:
            root = None
        if root is not None:
            name = _local(root.tag)
            if name == "urlset":
                locs = [el.text.strip() for el in root.iter() if _local(el.tag) == "loc" and el.text
                        and _local(el.getparent().tag) == "url"]
                return Extracted("sitemap", _absolute(locs, base_url))
            if name == "sitemapindex":
                locs = [el.text.strip() for el in root.iter() if _local(el.tag) == "loc" and el.text]
                return Extracted("sitemap_index", [], _absolute(locs, base_url))
            if name in ("rss", "feed", "rdf"):
                return Extracted("atom" if name == "feed" else "rss", _feed_links(body, base_url))
    return Extracted("page", _page_links(body, base_url))


def _feed_links(body: bytes, base_url: str) -> list[str]:
    import feedparser

    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    out: list[str] = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            for alt in entry.get("links", []):
                if alt.get("rel", "alternate") == "alternate" and alt.get("href"):
                    link = alt["href"]
                    break
        if not link and str(entry.get("id", "")).startswith("http"):
            link = entry["id"]
        if link:
            out.append(link)
    return _absolute(out, base_url)


def _page_links(body: bytes, base_url: str) -> list[str]:
    """Links on a section page that look like articles: same site, a slug or dated path."""
    try:
        doc = html.fromstring(body)
    except (etree.ParserError, ValueError):
        return []
    base_host = (urlsplit(base_url).hostname or "").lower().removeprefix("www.")
    base_path = urlsplit(base_url).path.rstrip("/")
    out: list[str] = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(base_url, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        if (parts.hostname or "").lower().removeprefix("www.") != base_host:
            continue
        path = parts.path.rstrip("/")
        if not path or path == base_path or SKIP_PATH.search(path + "/") or SKIP_EXT.search(path):
            continue
        segments = [s for s in path.split("/") if s]
        last = segments[-1] if segments else ""
        if re.search(r"\d", path) or last.count("-") >= 2 or (len(segments) >= 2 and len(last) >= 12):
            out.append(url.split("#", 1)[0])
    return _absolute(out, base_url)


def _absolute(urls: list[str], base_url: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for u in urls:
        absolute = urljoin(base_url, u.strip())
        key = canonicalize(absolute)
        if key not in seen:
            seen.add(key)
            out.append(absolute)
    return out


# -- fetching ---------------------------------------------------------------------------------
@dataclass
class Fetched:
    status: int
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def fetch(url: str, headers: dict[str, str] | None = None, settings: Settings | None = None,
          client: httpx.Client | None = None) -> Fetched:
    """GET *url* (routed through the origin map), following redirects by hand so each hop is checked."""
    settings = settings or get_settings()
    own = client is None
    client = client or httpx.Client(timeout=settings.download_timeout, follow_redirects=False)
    try:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_user_url(current)
            request_headers = {"User-Agent": settings.user_agent, "Accept": "*/*", **(headers or {})}
            with client.stream("GET", route(current), headers=request_headers) as resp:
                if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                    current = urljoin(current, resp.headers["location"])
                    continue
                body = b""
                if resp.status_code == 200:
                    chunks: list[bytes] = []
                    size = 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > MAX_SOURCE_BYTES:
                            raise BadURL(f"source body larger than {MAX_SOURCE_BYTES} bytes")
                        chunks.append(chunk)
                    body = b"".join(chunks)
                return Fetched(resp.status_code, current, body, {k.lower(): v for k, v in resp.headers.items()})
        raise BadURL(f"more than {MAX_REDIRECTS} redirects")
    finally:
        if own:
            client.close()


def already_known(archive: Archive, queue: JobQueue, url: str) -> bool:
    if article_known(archive, list(variants(url))):
        return True
    return queue.active_for_url(canonicalize(url)) is not None


def poll(archive: Archive, source_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """Poll one source now; returns a summary (also stored on the source)."""
    settings = settings or get_settings()
    source = get_source(archive, source_id)
    if source is None:
        return {"status": "missing"}
    queue = JobQueue(archive, settings)
    headers: dict[str, str] = {}
    if source.get("etag"):
        headers["If-None-Match"] = source["etag"]
    if source.get("last_modified"):
        headers["If-Modified-Since"] = source["last_modified"]
    now = utcnow()
    summary: dict[str, Any] = {"status": None, "found": 0, "queued": 0, "kind": source.get("kind")}
    fields: dict[str, Any] = {"last_polled_at": now}
    inc: dict[str, int] = {"polls": 1}
    try:
        with httpx.Client(timeout=settings.download_timeout, follow_redirects=False) as client:
            got = fetch(source["url"], headers, settings, client)
            summary["status"] = got.status
            if got.status == 304:
                inc["not_modified"] = 1
                fields["last_error"] = None
            elif got.status != 200:
                fields["last_error"] = f"HTTP {got.status}"
            else:
                found = extract(got.body, got.url, got.headers.get("content-type", ""))
                urls = list(found.urls)
                for child in found.child_sitemaps[:MAX_CHILD_SITEMAPS]:
                    try:
                        sub = fetch(child, None, settings, client)
                    except (httpx.HTTPError, BadURL) as exc:
                        log.warning("child sitemap failed", extra={"source_id": source_id, "url": child, "error": str(exc)})
                        continue
                    if sub.status == 200:
                        urls.extend(extract(sub.body, sub.url, sub.headers.get("content-type", "")).urls)
                summary["kind"] = fields["kind"] = found.kind
                summary["found"] = len(urls)
                summary["queued"] = queue_new(archive, queue, source, urls)
                inc["queued"] = summary["queued"]
                fields.update({"etag": got.headers.get("etag"), "last_modified": got.headers.get("last-modified"),
                               "last_error": None})
    except (httpx.HTTPError, BadURL) as exc:
        fields["last_error"] = str(exc) or exc.__class__.__name__
        summary["error"] = fields["last_error"]
    fields["last_status"] = summary["status"]
    update_source(archive, source_id, fields, inc)
    log.info("source polled", extra={"source_id": source_id, **summary})
    return summary


def queue_new(archive: Archive, queue: JobQueue, source: dict[str, Any], urls: list[str]) -> int:
    queued = 0
    for url in urls:
        if queued >= MAX_NEW_PER_POLL:
            break
        key = canonicalize(url)
        if seen_link(archive, key):
            continue
        try:
            check_user_url(url)
        except BadURL as exc:
            log.info("source link refused", extra={"source_id": source["_id"], "url": url, "error": str(exc)})
            continue
        if not already_known(archive, queue, url):
            queue.enqueue("crawl", url=url, priority=PRIORITY_SOURCE, origin="source", source_id=source["_id"],
                          dedupe=True)
            queued += 1
        mark_link_seen(archive, key, source["_id"], url)
    return queued
