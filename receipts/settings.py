"""Receipts settings, read from ``RECEIPTS_*`` environment variables.

One place for every knob: the CLI, the Scrapy project, the daemon and the API all call
:func:`get_settings`. Values are parsed once per process; tests call :func:`reset_settings`
after changing the environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


class SettingsError(ValueError):
    """A RECEIPTS_* variable holds a value that cannot be used."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _positive_int(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def _bool(name: str, default: bool = False) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def parse_duration(text: str) -> float:
    """``"90s"``, ``"15m"``, ``"6h"``, ``"1d"``, ``"2w"`` or plain seconds → seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    try:
        if text and text[-1] in units:
            return float(text[:-1]) * units[text[-1]]
        return float(text)
    except ValueError as exc:
        raise SettingsError(f"not a duration: {text!r} (use e.g. 30s, 15m, 6h, 1d)") from exc


def _durations(name: str, default: str) -> tuple[float, ...]:
    raw = _env(name, default) or default
    return tuple(parse_duration(part) for part in raw.split(",") if part.strip())


def _origin_map() -> dict[str, str]:
    raw = _env("RECEIPTS_ORIGIN_MAP")
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"RECEIPTS_ORIGIN_MAP is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise SettingsError("RECEIPTS_ORIGIN_MAP must be a JSON object of origin -> base URL strings")
    return {k.rstrip("/").lower(): v.rstrip("/") for k, v in data.items()}


DEFAULT_TSA_URLS = ("https://freetsa.org/tsr", "http://timestamp.digicert.com")


def _tsa_urls() -> tuple[str, ...]:
    """``RECEIPTS_TSA_URLS``: unset gives the public default pair; set but empty disables timestamps."""
    raw = os.environ.get("RECEIPTS_TSA_URLS")
    if raw is None:
        return DEFAULT_TSA_URLS
    return tuple(u.strip() for u in raw.split(",") if u.strip())


@dataclass(frozen=True)
class Settings:
    mongodb_uri: str | None
    db_name: str
    data_dir: Path
    origin_map: dict[str, str] = field(default_factory=dict)
    user_agent: str = "Receipts/0.1 (+https://github.com/receipts-archive/receipts)"
    max_page_bytes: int = 20 * 1024 * 1024
    max_media_bytes: int = 512 * 1024 * 1024
    allow_private: bool = False
    download_timeout: float = 30.0
    retry_times: int = 3
    retry_max_wait: float = 60.0
    concurrency: int = 16
    per_host_concurrency: int = 8
    robots_policy: str = "ignore"
    browser_enabled: bool = True
    browser_path: str | None = None
    browser_concurrency: int = 4
    browser_timeout: float = 30.0
    api_host: str = "127.0.0.1"
    api_port: int = 8600
    api_url: str | None = None
    api_token: str | None = None
    api_read_token_required: bool = False
    workers: int = 2
    warm_workers: bool = True  # keep one pre-imported crawl process per worker (scheduler.warm)
    job_timeout: float = 900.0
    job_lease: float = 60.0
    post_recheck: tuple[float, ...] = ()
    post_recheck_every: float = 90 * 86400.0
    article_recheck: tuple[float, ...] = ()
    scheduler_tick: float = 5.0
    x_bearer_token: str | None = None
    meta_token: str | None = None  # Meta's oEmbed (Instagram, Threads, Facebook); else their public embed pages
    quote_match_threshold: float = 0.8
    search_providers: tuple[str, ...] = ("xapi", "wayback")
    search_window: float = 30 * 86400.0
    log_level: str = "ERROR"
    spool_wait: float = 120.0
    download_delay: float = 0.0
    # crawl limits (issue 10)
    max_posts_per_article: int = 2000
    # re-crawls (issue 17): posts of an unchanged article checked this recently are not fetched again; 0: always
    recrawl_fresh: float = 3600.0
    # -- HTTP API hardening (issue 10) --
    api_allowed_hosts: tuple[str, ...] = ()  # empty: the bound host, loopback names and addresses
    api_request_timeout: float = 120.0  # seconds a handler may take before its response starts
    api_header_timeout: float = 10.0  # seconds for a request's head to arrive whole
    api_body_timeout: float = 30.0  # seconds for a request's body to arrive whole
    api_max_connections: int = 256  # open connections (and running requests) before 503s
    # -- evidence that holds up (issue 14) --
    tsa_urls: tuple[str, ...] = DEFAULT_TSA_URLS  # RFC 3161 authorities asked in turn; empty: none
    tsa_ca_file: Path | None = None  # PEM roots trusted for TSA tokens; None: the system's store
    tsa_timeout: float = 10.0  # seconds per TSA request
    tsa_retry: float = 300.0  # first wait before a pending timestamp is asked for again (doubles, ≤ 6h)
    signing_key: str | None = None  # WACZ signing key: PEM text or a PEM file path; None: generated
    # -- many daemons on one database (issue 15) --
    leader_lease: float = 15.0  # seconds a leader's lease lasts; a dead leader is replaced within it
    host_budgets: str = ""  # "host=60/min,other.host=10/s": requests per window, for all daemons together

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def api_base_url(self) -> str:
        return self.api_url or f"http://{self.api_host}:{self.api_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        mongodb_uri=_env("RECEIPTS_MONGODB_URI"),
        db_name=_env("RECEIPTS_DB_NAME", "receipts") or "receipts",
        data_dir=Path(_env("RECEIPTS_DATA_DIR", "./var") or "./var").resolve(),
        origin_map=_origin_map(),
        user_agent=_env("RECEIPTS_USER_AGENT", Settings.user_agent) or Settings.user_agent,
        max_page_bytes=_int("RECEIPTS_MAX_PAGE_BYTES", Settings.max_page_bytes),
        max_media_bytes=_int("RECEIPTS_MAX_MEDIA_BYTES", Settings.max_media_bytes),
        allow_private=_bool("RECEIPTS_ALLOW_PRIVATE"),
        download_timeout=_float("RECEIPTS_DOWNLOAD_TIMEOUT", Settings.download_timeout),
        retry_times=_int("RECEIPTS_RETRY_TIMES", Settings.retry_times),
        retry_max_wait=_float("RECEIPTS_RETRY_MAX_WAIT", Settings.retry_max_wait),
        concurrency=_int("RECEIPTS_CONCURRENCY", Settings.concurrency),
        per_host_concurrency=_int("RECEIPTS_PER_HOST_CONCURRENCY", Settings.per_host_concurrency),
        robots_policy=_env("RECEIPTS_ROBOTS", Settings.robots_policy) or Settings.robots_policy,
        browser_enabled=_bool("RECEIPTS_BROWSER", True),
        browser_path=_env("RECEIPTS_BROWSER_PATH"),
        browser_concurrency=_int("RECEIPTS_BROWSER_CONCURRENCY", Settings.browser_concurrency),
        browser_timeout=_float("RECEIPTS_BROWSER_TIMEOUT", Settings.browser_timeout),
        api_host=_env("RECEIPTS_API_HOST", Settings.api_host) or Settings.api_host,
        api_port=_int("RECEIPTS_API_PORT", Settings.api_port),
        api_url=_env("RECEIPTS_API_URL"),
        api_token=_env("RECEIPTS_API_TOKEN"),
        api_read_token_required=_bool("RECEIPTS_API_READ_TOKEN_REQUIRED"),
        workers=_int("RECEIPTS_WORKERS", Settings.workers),
        warm_workers=_bool("RECEIPTS_WARM_WORKERS", Settings.warm_workers),
        job_timeout=_float("RECEIPTS_JOB_TIMEOUT", Settings.job_timeout),
        job_lease=_float("RECEIPTS_JOB_LEASE", Settings.job_lease),
        post_recheck=_durations("RECEIPTS_POST_RECHECK", "1h,6h,1d,7d,30d"),
        post_recheck_every=parse_duration(_env("RECEIPTS_POST_RECHECK_EVERY", "90d") or "90d"),
        article_recheck=_durations("RECEIPTS_ARTICLE_RECHECK", "1d,7d,30d"),
        scheduler_tick=_float("RECEIPTS_SCHEDULER_TICK", Settings.scheduler_tick),
        x_bearer_token=_env("RECEIPTS_X_BEARER_TOKEN"),
        meta_token=_env("RECEIPTS_META_TOKEN"),
        quote_match_threshold=_float("RECEIPTS_QUOTE_MATCH_THRESHOLD", Settings.quote_match_threshold),
        search_providers=tuple(p.strip().lower() for p in (_env("RECEIPTS_SEARCH_PROVIDERS", "xapi,wayback")
                                                           or "").split(",") if p.strip()),
        search_window=parse_duration(_env("RECEIPTS_SEARCH_WINDOW", "30d") or "30d"),
        log_level=(_env("RECEIPTS_LOG_LEVEL", "ERROR") or "ERROR").upper(),
        spool_wait=_float("RECEIPTS_SPOOL_WAIT", Settings.spool_wait),
        download_delay=_float("RECEIPTS_DOWNLOAD_DELAY", Settings.download_delay),
        # crawl limits (issue 10)
        max_posts_per_article=_positive_int("RECEIPTS_MAX_POSTS_PER_ARTICLE", Settings.max_posts_per_article),
        recrawl_fresh=parse_duration(_env("RECEIPTS_RECRAWL_FRESH", "1h") or "0"),
        # -- HTTP API hardening (issue 10) --
        api_allowed_hosts=tuple(h.strip().lower() for h in (_env("RECEIPTS_API_ALLOWED_HOSTS", "") or "").split(",")
                                if h.strip()),
        api_request_timeout=_float("RECEIPTS_API_REQUEST_TIMEOUT", Settings.api_request_timeout),
        api_header_timeout=_float("RECEIPTS_API_HEADER_TIMEOUT", Settings.api_header_timeout),
        api_body_timeout=_float("RECEIPTS_API_BODY_TIMEOUT", Settings.api_body_timeout),
        api_max_connections=_int("RECEIPTS_API_MAX_CONNECTIONS", Settings.api_max_connections),
        # -- evidence that holds up (issue 14) --
        tsa_urls=_tsa_urls(),
        tsa_ca_file=Path(ca).expanduser() if (ca := _env("RECEIPTS_TSA_CA_FILE")) else None,
        tsa_timeout=_float("RECEIPTS_TSA_TIMEOUT", Settings.tsa_timeout),
        tsa_retry=parse_duration(_env("RECEIPTS_TSA_RETRY", "5m") or "5m"),
        signing_key=_env("RECEIPTS_SIGNING_KEY"),
        # -- many daemons on one database (issue 15) --
        leader_lease=_float("RECEIPTS_LEADER_LEASE", Settings.leader_lease),
        host_budgets=_env("RECEIPTS_HOST_BUDGETS", "") or "",
    )


def reset_settings() -> None:
    get_settings.cache_clear()
