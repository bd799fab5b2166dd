"""Checks on URLs that come from users (CLI, API, sources): scheme, shape and SSRF.

A user-supplied URL may not reach loopback, private, link-local, multicast, reserved or
cloud-metadata addresses (checked on the resolved addresses), unless its origin is routed
by ``RECEIPTS_ORIGIN_MAP`` (operator-trusted) or ``RECEIPTS_ALLOW_PRIVATE=1``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from receipts.origin import is_mapped
from receipts.settings import get_settings

MAX_URL_LENGTH = 4096
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class BadURL(ValueError):
    """A user-supplied URL that Receipts will not fetch; the message is one line for the user."""


def blocked_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or str(ip) in {"169.254.169.254", "100.100.100.200", "fd00:ec2::254"}
            or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")))


def host_problem(host: str) -> str | None:
    """Why *host* may not be fetched whatever it resolves to (no host, a cloud metadata name)."""
    if not host:
        return "URL has no host"
    if host.lower().rstrip(".") in METADATA_HOSTS:
        return f"refusing to fetch {host}: cloud metadata host"
    return None


def address_problem(host: str, addresses: Iterable[str]) -> str | None:
    """The one rule for resolved addresses (crawler, browser proxy, user URLs): every one must be public."""
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if blocked_ip(ip):
            return f"refusing to fetch {host}: it resolves to a non-public address ({ip})"
    return None


def check_public_host(host: str, port: int | None = None) -> None:
    """Raise :class:`BadURL` when *host* resolves to an address users may not reach."""
    if get_settings().allow_private:
        return
    if problem := host_problem(host):
        raise BadURL(problem)
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadURL(f"cannot resolve host {host!r}: {exc}") from exc
    if problem := address_problem(host, (info[4][0] for info in infos)):
        raise BadURL(f"{problem}; set RECEIPTS_ALLOW_PRIVATE=1 to allow")


def check_user_url(url: str, *, resolve: bool = True) -> str:
    """Validate a user-supplied article/source URL and return it stripped."""
    url = (url or "").strip()
    if not url:
        raise BadURL("empty URL")
    if len(url) > MAX_URL_LENGTH:
        raise BadURL(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() for ch in url) or any(ord(ch) < 32 for ch in url):
        raise BadURL("URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"malformed URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURL(f"not an http(s) URL: {url[:80]}")
    if not host:
        raise BadURL(f"URL has no host: {url[:80]}")
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise BadURL(f"invalid host name {host!r}") from exc
    if resolve and not is_mapped(url):
        check_public_host(host, port)
    return url
