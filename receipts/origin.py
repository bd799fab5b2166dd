"""``RECEIPTS_ORIGIN_MAP``: where requests for an origin really go.

Every outbound request (crawler, media downloader, browser, API clients) is routed through
:func:`route`; records always keep the original URL. ``{"https://t.co": "http://127.0.0.1:8765/tco"}``
sends ``https://t.co/abc?x=1`` to ``http://127.0.0.1:8765/tco/abc?x=1``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from receipts.settings import get_settings


def origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host.lower() if port in (None, default) else f"{host.lower()}:{port}"
    return f"{parts.scheme.lower()}://{netloc}"


def route(url: str, origin_map: dict[str, str] | None = None) -> str:
    """The URL to actually fetch for *url* (unchanged when its origin is not mapped)."""
    mapping = get_settings().origin_map if origin_map is None else origin_map
    if not mapping:
        return url
    origin = origin_of(url)
    if origin is None:
        return url
    base = mapping.get(origin)
    if base is None and origin.startswith("http://"):
        base = mapping.get("https://" + origin[7:])
    if base is None:
        return url
    parts = urlsplit(url)
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    return base.rstrip("/") + rest


def is_mapped(url: str, origin_map: dict[str, str] | None = None) -> bool:
    return route(url, origin_map) != url


def mapped_targets(origin_map: dict[str, str] | None = None) -> set[str]:
    """Origins of the map's targets: operator-trusted even when private (SSRF rule)."""
    mapping = get_settings().origin_map if origin_map is None else origin_map
    return {o for o in (origin_of(v) for v in mapping.values()) if o}
