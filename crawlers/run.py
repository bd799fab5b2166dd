"""Run one article crawl in this process (a fresh Twisted reactor per process).

The runner opens the crawl document and starts Scrapy; it does not import the pipelines (they are
wired by dotted path in :mod:`crawlers.settings`): the storage pipeline replays leftover spool
entries of earlier runs itself when the spider opens.
"""

from __future__ import annotations

import getpass
import logging
import platform
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from typing import Any

from pymongo.errors import PyMongoError

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.hostgate import HostGate
from receipts.db.recrawl import recrawl_state
from receipts.ids import new_id
from receipts.models import Crawl, Reference
from receipts.quotes.article import previous_resolutions
from receipts.settings import get_settings

log = logging.getLogger(__name__)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=4)
def chromium_version(path: str | None = None) -> str | None:
    """``Chromium 156.0…`` from ``<browser> --version`` (2 s limit, cached); None when absent."""
    exe = path or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=2, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0].strip() if out.strip() else None


def provenance(options: dict[str, Any]) -> dict[str, Any]:
    """Who fetched, with what: stored on every crawl."""
    s = get_settings()
    return {
        "software": "Receipts", "receipts_version": _version("receipts"),
        "python": sys.version.split()[0], "scrapy": _version("scrapy"), "playwright": _version("playwright"),
        "scrapy_playwright": _version("scrapy-playwright"), "warcio": _version("warcio"),
        "pymongo": _version("pymongo"), "platform": platform.platform(),
        "user_agent": s.user_agent, "hostname": socket.gethostname(), "user": getpass.getuser(),
        "chromium": chromium_version(s.browser_path) if s.browser_enabled and options.get("browser", True) else None,
        "options": options,
    }


def earlier_quotes(archive: Archive, url: str | None) -> dict[str, Reference]:
    """Quotes an earlier crawl of *url* linked to posts (by quote key); empty if none or unreadable."""
    if not url:
        return {}
    try:
        return previous_resolutions(archive.find_article(url))
    except PyMongoError:  # an unreadable archive must not stop the crawl; the quotes are searched again
        log.warning("could not read earlier resolutions for %s", url, exc_info=True)
        return {}


def previous_crawl(archive: Archive, url: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """What an earlier crawl of *url* left for a re-crawl (validators, post checks, stored media);
    empty for a first crawl, with ``options["full"]`` (a researcher's full re-fetch), or if unreadable."""
    if not url or options.get("full"):
        return {}
    try:
        return recrawl_state(archive, url)
    except PyMongoError:  # an unreadable archive must not stop the crawl: it fetches everything again
        log.warning("could not read the earlier crawl of %s", url, exc_info=True)
        return {}


def preload() -> None:
    """Import everything a crawl loads, before there is one: a warm worker process (scheduler.warm) calls
    this so a job's time starts at its first request. Scrapy loads its download handlers, middlewares,
    pipelines and extensions by dotted path when a crawler starts; that is most of a small crawl's time."""
    from scrapy.crawler import CrawlerProcess  # noqa: F401
    from scrapy.utils.misc import load_object

    from crawlers.settings import build_settings
    from crawlers.spiders.article import ArticleSpider  # noqa: F401
    from receipts.evidence.recover import recover_interrupted  # noqa: F401

    settings = build_settings()
    paths = [p for key in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS")
             for p, order in (settings.get(key) or {}).items() if order is not None]
    paths += [p for p in (settings.get("DOWNLOAD_HANDLERS") or {}).values() if p]
    paths += ["scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
              "scrapy.core.downloader.handlers.http2.H2DownloadHandler"]
    for path in paths:
        try:
            load_object(path)
        except (ImportError, NameError, AttributeError, ValueError):  # a crawl reports its own import errors
            log.debug("preload: could not load %s", path)


def run_crawl(url: str | None, *, post_ids: list[str] | None = None, crawl_id: str | None = None,
              kind: str = "crawl", options: dict[str, Any] | None = None,
              scrapy_overrides: dict[str, Any] | None = None,
              on_progress: Callable[[dict[str, int]], None] | None = None) -> str:
    """Crawl *url* (and/or re-fetch *post_ids* like ``x:123``) to completion; returns the crawl id.

    *on_progress* is called with running counts (``responses``, ``posts``) as the crawl goes.
    """
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.items import PostItem
    from crawlers.settings import build_settings
    from crawlers.spiders.article import ArticleSpider
    from receipts.evidence.recover import recover_interrupted

    options = dict(options or {})
    archive = Archive(get_database())
    archive.ensure_indexes()
    recover_interrupted(archive, get_settings().warc_dir)
    crawl_id = crawl_id or new_id("cr")
    archive.start_crawl(Crawl(id=crawl_id, kind=kind, url=url, options=options, provenance=provenance(options)))
    overrides = dict(scrapy_overrides or {})
    overrides.setdefault("RECEIPTS_HOST_GATE", HostGate(archive.db, get_settings().host_budgets))
    if "browser" in options:
        overrides["RECEIPTS_BROWSER"] = bool(options["browser"]) and get_settings().browser_enabled
    process = CrawlerProcess(build_settings(LOG_INSTALL_ROOT_HANDLER=False, **overrides))
    crawler = process.create_crawler(ArticleSpider)
    if on_progress is not None:
        counts = {"responses": 0, "posts": 0}

        def responded(**_: Any) -> None:
            counts["responses"] += 1
            on_progress(counts)

        def scraped(item: Any, **_: Any) -> None:
            if isinstance(item, PostItem):
                counts["posts"] += 1
                on_progress(counts)

        crawler.signals.connect(responded, signal=signals.response_received)
        crawler.signals.connect(scraped, signal=signals.item_scraped)
    process.crawl(crawler, url=url, posts=list(post_ids or []), crawl_id=crawl_id, options=options,
                  earlier_quotes=earlier_quotes(archive, url), previous=previous_crawl(archive, url, options))
    process.start()
    return crawl_id
