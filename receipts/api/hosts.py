"""Allowed ``Host:`` names (DNS-rebinding defence), on Starlette's ``TrustedHostMiddleware``.

A web page the operator visits can point its own host name at 127.0.0.1 and then read the API as
same-origin; the browser still sends that name in ``Host:``, so only names this server is meant to be
reached by are served: ``RECEIPTS_API_ALLOWED_HOSTS`` (comma-separated, ``*.example.org`` wildcards),
by default the bound host, the host of ``RECEIPTS_API_URL``, and the loopback names and addresses
(plus this machine's names when bound to every interface). Others get a 400 in the API's error shape.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

from starlette.middleware.trustedhost import TrustedHostMiddleware

from receipts.settings import Settings

LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "localhost.localdomain", "ip6-localhost")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def _name(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts(settings: Settings, bound_host: str | None = None) -> list[str]:
    if settings.api_allowed_hosts:
        return [_name(h) if h != "*" else h for h in settings.api_allowed_hosts]
    names = set(LOOPBACK)
    bound = (bound_host if bound_host is not None else settings.api_host) or ""
    if bound in WILDCARD_BINDS:
        for name in (socket.gethostname(), socket.getfqdn()):
            if name:
                names.add(_name(name))
    else:
        names.add(_name(bound))
    if settings.api_url and urlsplit(settings.api_url).hostname:
        names.add(_name(urlsplit(settings.api_url).hostname or ""))
    return sorted(names)


class AllowedHostsMiddleware:
    """``TrustedHostMiddleware`` whose refusal is ``{"error": {"code": "bad_host", ...}}``."""

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.inner = TrustedHostMiddleware(self._through, allowed_hosts=hosts, www_redirect=False)

    async def _through(self, scope: dict, receive: Any, send: Any) -> None:
        scope["receipts.host_ok"] = True
        await self.app(scope, receive, send)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_refusal(message: dict) -> None:
            if scope.get("receipts.host_ok"):
                await send(message)
                return
            if message["type"] == "http.response.start":
                body = json.dumps({"error": {"code": "bad_host", "message": "Host header not allowed (set "
                                             "RECEIPTS_API_ALLOWED_HOSTS to serve this name)"}}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})

        await self.inner(scope, receive, send_refusal)
