"""The one place a platform splits a candidate post URL: http(s) only, no credentials, a normal port.

Every platform's ``urls.py`` starts its URL parsing here, so a scheme-relative ``//host/…`` link, a
malformed port, ``user:pass@`` or an odd port are treated alike on every platform.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, urlsplit


def split_web_url(url: object) -> tuple[str, SplitResult] | None:
    """``(host, parts)`` for an http(s) URL (``//host/…`` counts as https), else None.

    The host is lower-cased without a trailing dot. URLs with credentials or a port other than
    80/443 are refused: no platform links its posts that way.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    if text.startswith("//"):
        text = "https:" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password:
        return None
    if port not in (None, 80, 443):
        return None
    return (parts.hostname or "").lower().rstrip("."), parts


def key_or_url(text: object, parse_post_url: Callable[[str], dict[str, Any] | None], key: re.Pattern[str]) -> str | None:
    """A typed post key (matching *key*) or a post URL (anything with a ``/``) → the stored post id, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if "/" in text:
        parsed = parse_post_url(text)
        return parsed["post_id"] if parsed else None
    return text if key.match(text) else None
