"""Article URL canonicalisation for deduplication (before the article's own canonical is known)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src", "ref_url",
    "cmpid", "smid", "smtyp", "ito", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee",
    "xtor", "_ga", "guccounter", "rss", "source", "outputtype",
})


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, default port and fragment dropped, tracking parameters removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port in (None, {"http": 80, "https": 443}.get(scheme)) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def variants(url: str) -> list[str]:
    """The canonical form and its trailing-slash twin (either may be an article's ``_id``)."""
    key = canonicalize(url)
    parts = urlsplit(key)
    path = parts.path
    if path != "/":
        twin = path[:-1] if path.endswith("/") else path + "/"
        return [key, urlunsplit((parts.scheme, parts.netloc, twin, parts.query, ""))]
    return [key]
