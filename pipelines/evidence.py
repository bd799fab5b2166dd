"""Evidence extension: one WARC 1.1 file per crawl, fed by the writer's capture and resource hooks.

On ``spider_opened`` it opens ``RECEIPTS_DATA_DIR/warc/<crawl_id>.warc.gz`` and hooks into the
crawl's :class:`~pipelines.writer.ArchiveWriter`; every capture gets its records (and its
``warc_file`` / ``warc_record_id``) before it is stored. On ``spider_closed`` the file is closed,
its sha256 recorded in the ``warcs`` collection and its name added to the crawl's ``warc_files``;
then every TSA in ``RECEIPTS_TSA_URLS`` is asked for an RFC 3161 token over it (an unreachable one
leaves the timestamp ``pending`` for the daemon to retry; the crawl is not held up or failed).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from crawlers.config import crawl_config
from pipelines.writer import get_writer
from receipts.evidence.timestamps import stamp_file
from receipts.evidence.tsa import TsaConfig
from receipts.evidence.warc import CrawlWarc, warc_name
from receipts.models import Capture
from receipts.settings import DEFAULT_TSA_URLS, Settings

log = logging.getLogger(__name__)


def tsa_config(settings: BaseSettings) -> TsaConfig:
    """The TSA settings from the crawler's settings (``crawlers.config.settings_keys`` writes them; unset,
    the documented defaults)."""
    raw = settings.get("RECEIPTS_TSA_URLS")
    if raw is None:
        urls = DEFAULT_TSA_URLS
    elif isinstance(raw, str):
        urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    else:
        urls = tuple(str(u).strip() for u in raw if str(u).strip())
    return TsaConfig(urls=urls, origin_map=dict(settings.getdict("RECEIPTS_ORIGIN_MAP")),
                     allow_private=settings.getbool("RECEIPTS_ALLOW_PRIVATE"),
                     user_agent=settings.get("USER_AGENT") or "receipts",
                     timeout=settings.getfloat("RECEIPTS_TSA_TIMEOUT", Settings.tsa_timeout),
                     retry=settings.getfloat("RECEIPTS_TSA_RETRY", Settings.tsa_retry))


class EvidenceExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.warc: CrawlWarc | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidenceExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        writer = get_writer(self.crawler)
        crawl_id = writer.crawl_id or getattr(spider, "crawl_id", None)
        if not crawl_id:
            log.warning("no crawl id: WARC writing disabled")
            return
        crawl = writer.archive.get_crawl(crawl_id)
        provenance = crawl.provenance if crawl else {}
        self.warc = CrawlWarc(crawl_config(self.crawler.settings).warc_dir / warc_name(crawl_id), crawl_id, provenance).open()
        writer.capture_hooks.append(self.on_capture)
        writer.resource_hooks.append(self.on_resource)

    def on_capture(self, capture: Capture, body: bytes | None, request: Any, response: Any) -> None:
        """Runs before the capture is inserted (captures are append-only), so it is annotated here."""
        if self.warc is None:
            return
        span = self.warc.write_capture(capture, body, response)
        capture.warc_file = self.warc.name
        capture.warc_record_id = span.record_id
        capture.meta["warc"] = {"offset": span.offset, "length": span.length}

    def on_resource(self, uri: str, content_type: str, data: bytes, meta: dict[str, Any] | None) -> str | None:
        if self.warc is None:
            return None
        return self.warc.write_resource(uri, content_type, data, meta)

    def spider_closed(self, spider: Spider) -> None:
        if self.warc is None:
            return
        writer = get_writer(self.crawler)
        try:
            writer.flush()  # captures still queued write their WARC records first
        except Exception:  # a failed write is the storage pipeline's to report
            log.exception("writes pending at spider close failed")
        warc, self.warc = self.warc, None
        sha256, size = warc.close()
        archive = writer.archive
        archive.record_warc(warc.name, warc.crawl_id, sha256, size, warc.records,
                            [r.to_doc() for r in warc.resources])
        crawl = archive.get_crawl(warc.crawl_id)
        if crawl is not None and warc.name not in crawl.warc_files:
            archive.update_crawl(warc.crawl_id, {"warc_files": [*crawl.warc_files, warc.name]})
        try:
            stamp_file(archive, warc.path, {"kind": "warc", "name": warc.name, "crawl_id": warc.crawl_id},
                       tsa_config(self.crawler.settings))
        except Exception:  # a timestamp never fails the crawl (the daemon's retry finds no document, though)
            log.exception("timestamping %s failed", warc.name)
