"""Scrapy settings for the Receipts crawlers, derived from :mod:`receipts.settings`.

``scrapy crawl article -a url=…`` reads this module; the CLI calls :func:`build_settings`
with the same values plus per-run overrides.
"""

from __future__ import annotations

from typing import Any

from crawlers.browser import browser_settings
from crawlers.config import settings_keys
from receipts.settings import Settings, get_settings

BOT_NAME = "receipts"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"


def build_settings(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    s = settings or get_settings()
    values: dict[str, Any] = {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "NEWSPIDER_MODULE": NEWSPIDER_MODULE,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": s.user_agent,
        "ROBOTSTXT_OBEY": s.robots_policy == "obey",
        "CONCURRENT_REQUESTS": s.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": s.per_host_concurrency,
        "DOWNLOAD_TIMEOUT": s.download_timeout,
        "DOWNLOAD_MAXSIZE": s.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": s.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RETRY_MAX_WAIT": s.retry_max_wait,
        "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",  # recorded on the capture and the crawl instead
        "REDIRECT_MAX_TIMES": 10,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 0.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(s.per_host_concurrency),
        "DOWNLOAD_DELAY": s.download_delay,
        "COOKIES_ENABLED": False,
        # outputs of one response handled at once: a post callback yields one or two, the article its
        # requests (scheduled at once); Scrapy starts this many tasks per response (default 100)
        "CONCURRENT_ITEMS": 16,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": s.log_level,
        "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.middlewares.retry.RetryAfterMiddleware": 550,
            "crawlers.middlewares.capture.CaptureMiddleware": 560,
            "crawlers.middlewares.ssrf.SSRFMiddleware": 940,
            "crawlers.middlewares.host_gate.HostGateMiddleware": 945,
            "crawlers.middlewares.origin_map.OriginMapMiddleware": 950,
        },
        "ITEM_PIPELINES": {
            "pipelines.media.MediaPipeline": 300,
            "pipelines.storage.StoragePipeline": 800,
        },
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "pipelines.writer.WriterExtension": 400,
            "pipelines.evidence.EvidenceExtension": 500,
        },
        "RECEIPTS_ORIGIN_MAP": s.origin_map,
        "RECEIPTS_ALLOW_PRIVATE": s.allow_private,
        "RECEIPTS_MAX_POSTS_PER_ARTICLE": s.max_posts_per_article,
        **settings_keys(s),
    }
    values.update(browser_settings(s, enabled=overrides.pop("RECEIPTS_BROWSER", s.browser_enabled)))
    values.update(overrides)
    return values


globals().update({k: v for k, v in build_settings().items() if k.isupper()})
