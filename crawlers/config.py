"""What the Scrapy components read, typed, from ``crawler.settings`` alone.

``crawlers.settings.build_settings`` writes every ``RECEIPTS_*`` key below from the environment
(:mod:`receipts.settings`) once; components read them back through :func:`crawl_config`, so a
``scrapy crawl article -s RECEIPTS_SPOOL_WAIT=5`` override reaches each of them (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.settings import BaseSettings

from receipts.settings import Settings


@dataclass(frozen=True)
class CrawlConfig:
    mongodb_uri: str | None  # None: the embedded server under data_dir
    db_name: str
    data_dir: Path
    warc_dir: Path
    spool_dir: Path
    spool_wait: float
    max_media_bytes: int
    search_providers: tuple[str, ...]
    search_window: float
    quote_match_threshold: float
    x_bearer_token: str | None

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def database_settings(self) -> Settings:
        """What :func:`receipts.db.get_database` needs to reach this crawl's archive."""
        return Settings(mongodb_uri=self.mongodb_uri, db_name=self.db_name, data_dir=self.data_dir)


def settings_keys(s: Settings) -> dict[str, Any]:
    """The ``RECEIPTS_*`` Scrapy settings the components read, from the process settings."""
    return {
        "RECEIPTS_MONGODB_URI": s.mongodb_uri,
        "RECEIPTS_DB_NAME": s.db_name,
        "RECEIPTS_DATA_DIR": str(s.data_dir),
        "RECEIPTS_SPOOL_WAIT": s.spool_wait,
        "RECEIPTS_MAX_MEDIA_BYTES": s.max_media_bytes,
        "RECEIPTS_SEARCH_PROVIDERS": list(s.search_providers),
        "RECEIPTS_SEARCH_WINDOW": s.search_window,
        "RECEIPTS_QUOTE_MATCH_THRESHOLD": s.quote_match_threshold,
        "RECEIPTS_X_BEARER_TOKEN": s.x_bearer_token,
        "RECEIPTS_META_TOKEN": s.meta_token,  # read by the Meta platforms' ``configured``
        "RECEIPTS_TSA_URLS": ",".join(s.tsa_urls),  # read by the evidence extension (RFC 3161 tokens)
        "RECEIPTS_TSA_TIMEOUT": s.tsa_timeout,
        "RECEIPTS_TSA_RETRY": s.tsa_retry,
        "RECEIPTS_RECRAWL_FRESH": s.recrawl_fresh,  # read by the article spider (re-crawls of unchanged articles)
    }


def crawl_config(settings: BaseSettings) -> CrawlConfig:
    """The components' view of *settings* (a crawler's).

    ``RECEIPTS_WARC_DIR`` and ``RECEIPTS_SPOOL_DIR`` are optional: unset, they follow ``RECEIPTS_DATA_DIR``
    (so one ``-s RECEIPTS_DATA_DIR=…`` moves all three, as the environment variable does).
    """
    data_dir = Path(settings.get("RECEIPTS_DATA_DIR") or "var")
    return CrawlConfig(
        mongodb_uri=settings.get("RECEIPTS_MONGODB_URI") or None,
        db_name=settings.get("RECEIPTS_DB_NAME") or "receipts",
        data_dir=data_dir,
        warc_dir=Path(settings.get("RECEIPTS_WARC_DIR") or data_dir / "warc"),
        spool_dir=Path(settings.get("RECEIPTS_SPOOL_DIR") or data_dir / "spool"),
        spool_wait=settings.getfloat("RECEIPTS_SPOOL_WAIT", 120.0),
        max_media_bytes=settings.getint("RECEIPTS_MAX_MEDIA_BYTES", 512 * 1024 * 1024),
        search_providers=tuple(str(p).strip() for p in settings.getlist("RECEIPTS_SEARCH_PROVIDERS") if str(p).strip()),
        search_window=settings.getfloat("RECEIPTS_SEARCH_WINDOW", 30 * 86400.0),
        quote_match_threshold=settings.getfloat("RECEIPTS_QUOTE_MATCH_THRESHOLD", 0.8),
        x_bearer_token=settings.get("RECEIPTS_X_BEARER_TOKEN") or None,
    )
