"""The browser's only way out: a forward proxy that applies the crawler's address rules to Chromium.

Chromium is launched with this proxy (and ``<-loopback>``, so loopback is proxied too), which makes
every connection the browser opens — navigations and their redirect hops, meta refreshes, script
navigations, form posts, frames, subresources, WebSockets, workers, the origin router's own fetches —
a ``CONNECT host:port`` or an absolute-form ``GET http://…`` here. For each one the proxy resolves the
host once, refuses it when any address breaks :func:`receipts.urlcheck.address_problem` (loopback,
private, link-local, multicast, reserved, cloud metadata), connects to exactly the address it
checked, and checks the peer of the socket it got before relaying a byte. A DNS answer that changes
between check and connect (rebinding) therefore cannot move the browser inside. Origins that
``RECEIPTS_ORIGIN_MAP`` routes to are operator-trusted, as on the Scrapy path.

A refused ``CONNECT`` answers 403 (Chromium: ``ERR_TUNNEL_CONNECTION_FAILED``); a refused plain-HTTP
request has its connection closed unanswered (``ERR_EMPTY_RESPONSE``), so a navigation fails instead
of rendering a proxy page as if the site had sent it. Each refusal is kept in :attr:`blocked`.

Why not mitmproxy or proxy.py: both are far larger than a filter (TLS interception, plugins,
processes), and neither dials the address it vetted. This is a tunnel, not an HTTP implementation:
plain-HTTP requests are forwarded with ``Connection: close``, one request per connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from receipts.origin import mapped_targets
from receipts.urlcheck import address_problem, host_problem

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
Connector = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
HEAD_LIMIT = 64 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0
CHUNK = 64 * 1024
_HOP_HEADERS = {b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"}


class Refused(Exception):
    """The proxy will not open this connection; the message says why."""


@dataclass(frozen=True)
class Blocked:
    host: str
    port: int
    reason: str
    at: float


@dataclass
class EgressPolicy:
    """Which (host, port) the browser may reach: public addresses, plus the origin map's targets."""

    trusted: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def from_origin_map(cls, origin_map: dict[str, str]) -> EgressPolicy:
        trusted = set()
        for origin in mapped_targets(origin_map):
            parts = urlsplit(origin)
            if parts.hostname:
                trusted.add((parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)))
        return cls(frozenset(trusted))

    def is_trusted(self, host: str, port: int) -> bool:
        return (host.lower().strip("[]"), port) in self.trusted


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def tcp_connector(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(address, port, limit=CHUNK)


def split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """``host:port`` / ``[v6]:port`` / ``host`` → (host, port); ValueError when malformed."""
    parts = urlsplit("//" + authority)
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in {authority!r}")
    return host, parts.port or default_port


@dataclass
class EgressProxy:
    """The filtering proxy, on its own thread and event loop, so it serves whatever the reactor does."""

    policy: EgressPolicy = field(default_factory=EgressPolicy)
    resolver: Resolver = system_resolver
    connector: Connector = tcp_connector
    blocked: list[Blocked] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EgressProxy:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="browser-egress", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT), loop).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return
        self._loop = self._server = None

        async def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        except Exception:  # a loop already gone: nothing left to stop
            log.debug("egress proxy shutdown", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def reason_for(self, host: str, port: int) -> str | None:
        """Why the proxy refused (host, port), if it did."""
        host = host.lower().strip("[]")
        with self._lock:
            for entry in reversed(self.blocked):
                if entry.host == host and entry.port == port:
                    return entry.reason
        return None

    # -- connections --------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_S)
            line, _, header_block = head.partition(b"\r\n")
            method, target, version = line.decode("latin-1").split(" ", 2)
            if method.upper() == "CONNECT":
                host, port = split_authority(target, 443)
                first = b""
            else:
                parts = urlsplit(target)
                if parts.scheme.lower() != "http" or not parts.hostname:
                    raise Refused(f"not an absolute http:// request: {target[:200]!r}")
                host, port = parts.hostname, parts.port or 80
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                first = self._origin_form(method, path, version, header_block)
            try:
                up_reader, upstream = await self._open(host, port)
            except Refused as exc:
                self._record(host, port, str(exc))
                if method.upper() == "CONNECT":
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            except (OSError, TimeoutError) as exc:
                writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                log.debug("egress: %s:%s unreachable: %s", host, port, exc)
                return
            if method.upper() == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                upstream.write(first)
            await self._relay(reader, writer, up_reader, upstream)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError, Refused,
                ConnectionError, UnicodeDecodeError) as exc:
            log.debug("egress: dropped a request: %s", exc)
        finally:
            for w in (upstream, writer):
                if w is not None:
                    w.close()

    @staticmethod
    def _origin_form(method: str, path: str, version: str, header_block: bytes) -> bytes:
        lines = [f"{method} {path} {version}".encode("latin-1")]
        for raw in header_block.split(b"\r\n"):
            name = raw.partition(b":")[0].strip().lower()
            if raw and name not in _HOP_HEADERS:
                lines.append(raw)
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Vet (host, port), then connect to the vetted address and vet the socket's real peer."""
        trusted = self.policy.is_trusted(host, port)
        if not trusted and (problem := host_problem(host)):
            raise Refused(problem)
        try:
            addresses = await asyncio.wait_for(self.resolver(host, port), CONNECT_TIMEOUT_S)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise Refused(f"cannot resolve {host}")
        if not trusted and (problem := address_problem(host, addresses)):
            raise Refused(problem)
        up_reader, up_writer = await asyncio.wait_for(self.connector(addresses[0], port), CONNECT_TIMEOUT_S)
        peer = up_writer.get_extra_info("peername")
        if not trusted and (problem := address_problem(host, [peer[0]] if peer else ["0.0.0.0"])):
            up_writer.close()
            raise Refused(problem)
        return up_reader, up_writer

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     up_reader: asyncio.StreamReader, upstream: asyncio.StreamWriter) -> None:
        """Copy both ways until the upstream side ends (the client's EOF is passed on as a half-close)."""
        outbound = asyncio.ensure_future(_pipe(reader, upstream))
        try:
            await _pipe(up_reader, writer)
        finally:
            outbound.cancel()

    def _record(self, host: str, port: int, reason: str) -> None:
        log.info("browser egress refused %s:%s: %s", host, port, reason)
        with self._lock:
            self.blocked.append(Blocked(host.lower().strip("[]"), port, reason, time.time()))
            del self.blocked[:-1000]


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(CHUNK):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()
    except (ConnectionError, OSError):
        pass
