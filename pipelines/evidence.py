"""Evidence extension (placeholder until WARC writing lands)."""

from __future__ import annotations

from scrapy.crawler import Crawler


class EvidenceExtension:
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> EvidenceExtension:
        return cls()
