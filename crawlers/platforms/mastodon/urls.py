"""Mastodon URL shapes: which URLs name a status, the stored post id (``<host>/<status id>``), API URLs.

Mastodon is federated: any host may be a Mastodon server, so a URL cannot prove it. The rules are
strict on the path instead (``/@user/<digits>``, ``/users/user/statuses/<digits>`` …) and the fetch
decides (a host whose ``/api/v1/statuses/<id>`` is not Mastodon's answer yields ``not_a_post``).
Hosts of other known platforms that share the ``/@user/…`` shape are refused outright.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from crawlers.platforms.weburl import split_web_url

# Platforms whose own URLs look like /@user/<something>: never Mastodon servers (subdomains included).
DENY_HOSTS = frozenset(
    {
        "x.com",
        "twitter.com",
        "bsky.app",
        "threads.net",
        "threads.com",
        "instagram.com",
        "tiktok.com",
        "youtube.com",
        "youtu.be",
        "facebook.com",
        "medium.com",
        "substack.com",
        "linkedin.com",
    }
)

_USER = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}"
_DOMAIN = r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_ID = r"[0-9]{1,20}"
# /@user/ID, /@user@domain/ID, optional /embed; the old web UI's /web/@user/ID and /web/statuses/ID;
# the ActivityPub-style /users/user/statuses/ID (redirects to /@user/ID).
_PATHS = (
    re.compile(
        rf"^(?:/web)?/@(?P<user>{_USER})(?:@(?P<domain>{_DOMAIN}))?/(?P<id>{_ID})(?P<embed>/embed)?/?$",
        re.ASCII,
    ),
    re.compile(rf"^/users/(?P<user>{_USER})/statuses/(?P<id>{_ID})(?P<embed>/embed|/activity)?/?$", re.ASCII),
    re.compile(rf"^/web/statuses/(?P<id>{_ID})/?$", re.ASCII),
)
_LABEL = re.compile(r"^(?!-)[a-z0-9\-]{1,63}(?<!-)$", re.ASCII)
_KEY = re.compile(rf"^(?P<host>[^/\s]+)/(?P<id>{_ID})$", re.ASCII)


def normalise_host(host: str) -> str | None:
    """A lower-case ASCII (IDNA) host name with at least one dot, or None when it is not one."""
    host = host.strip().rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None  # a bare name or an IPv4 address: not a server of the federation
    return host


def is_denied(host: str) -> bool:
    """Whether *host* (or a parent domain of it) belongs to a platform that is not Mastodon."""
    parts = host.split(".")
    return any(".".join(parts[i:]) in DENY_HOSTS for i in range(len(parts) - 1))


def _clean_id(raw: str) -> str | None:
    status_id = raw.lstrip("0")
    return status_id if status_id and len(status_id) <= 20 else None


def parse_status_url(url: str) -> dict[str, str | None] | None:
    """``{"host", "id", "post_id", "handle", "embed"}`` when *url* has a Mastodon status path, else None.

    ``post_id`` is ``<host>/<id>`` for the host that serves the page (a remote post shown as
    ``/@user@otherhost/<id>`` is the local copy on that host). ``handle`` is ``user@host``.
    """
    split = split_web_url(url)
    if split is None:
        return None
    parts = split[1]
    host = normalise_host(parts.hostname or "")
    if host is None or is_denied(host):
        return None
    for pattern in _PATHS:
        match = pattern.match(parts.path)
        if match is None:
            continue
        status_id = _clean_id(match["id"])
        if status_id is None:
            return None
        groups = match.groupdict()
        user = groups.get("user")
        domain = normalise_host(groups["domain"]) if groups.get("domain") else host
        if domain is None:
            return None
        return {
            "host": host,
            "id": status_id,
            "post_id": f"{host}/{status_id}",
            "handle": f"{user}@{domain}" if user else None,
            "embed": "1" if groups.get("embed") == "/embed" else None,
        }
    return None


def split_post_id(post_id: str) -> tuple[str, str]:
    """``mastodon.social/113…`` → (``mastodon.social``, ``113…``); ValueError when malformed."""
    match = _KEY.match(post_id or "")
    host = normalise_host(match["host"]) if match else None
    if match is None or host is None or host != match["host"] or _clean_id(match["id"]) != match["id"]:
        raise ValueError(f"not a Mastodon post id: {post_id!r}")
    return host, match["id"]


def parse_key(text: str) -> str | None:
    """A user-typed id (``host/digits`` or a status URL) → the stored post id, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if "://" in text or text.startswith("//"):
        parsed = parse_status_url(text)
        return parsed["post_id"] if parsed else None
    match = _KEY.match(text)
    if match is None:
        return None
    host = normalise_host(match["host"])
    status_id = _clean_id(match["id"])
    if host is None or status_id is None or is_denied(host):
        return None
    return f"{host}/{status_id}"


def normalise_handle(acct: str | None, host: str) -> str | None:
    """``Gargron`` (local acct on *host*) → ``Gargron@host``; ``alice@other.host`` kept; ``@`` stripped."""
    if not acct or not isinstance(acct, str):
        return None
    acct = acct.strip().lstrip("@")
    user, _, domain = acct.partition("@")
    if not user:
        return None
    domain = normalise_host(domain) if domain else host
    return f"{user}@{domain or host}"


def profile_path(handle: str | None, host: str) -> str | None:
    """``/@user`` for an account of *host*, ``/@user@domain`` for a remote one (as Mastodon's web UI)."""
    if not handle:
        return None
    user, _, domain = handle.lstrip("@").partition("@")
    if not user:
        return None
    user = quote(user, safe="_.-")
    return f"/@{user}" if not domain or domain.lower() == host else f"/@{user}@{domain.lower()}"


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """``https://HOST/@user/ID`` (``/@user@domain/ID`` for a remote author), ``https://HOST/statuses/ID`` without a handle.

    Mastodon's web app serves ``/statuses/ID`` and shows the status there; ``/users/u/statuses/ID``
    redirects to ``/@u/ID``.
    """
    host, status_id = split_post_id(post_id)
    path = profile_path(handle, host)
    return f"https://{host}{path}/{status_id}" if path else f"https://{host}/statuses/{status_id}"


def embed_url(post_id: str, handle: str | None = None) -> str | None:
    """The status's embed page (what the ≥4.3 blockquote and the legacy iframe load), or None.

    Mastodon serves ``/@user/ID/embed`` only for its own accounts' statuses (the controller looks
    the account up locally), so a remote author's or an unknown handle gives None.
    """
    host, status_id = split_post_id(post_id)
    path = profile_path(handle, host)
    if path is None or "@" in path[2:]:
        return None
    return f"https://{host}{path}/{status_id}/embed"


def api_status_url(post_id: str) -> str:
    host, status_id = split_post_id(post_id)
    return f"https://{host}/api/v1/statuses/{status_id}"


def api_history_url(post_id: str) -> str:
    host, status_id = split_post_id(post_id)
    return f"https://{host}/api/v1/statuses/{status_id}/history"


def oembed_url(post_id: str, handle: str | None = None) -> str:
    host, _ = split_post_id(post_id)
    return f"https://{host}/api/oembed?url={quote(canonical_url(post_id, handle), safe='')}"
