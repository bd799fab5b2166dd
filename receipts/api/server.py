"""The uvicorn server for ``receipts serve``, with a deadline on every request head.

uvicorn's ``timeout_keep_alive`` only closes connections idle *between* requests, and its first
byte cancels even that: a client that opens a socket and trickles a header a byte a second holds
it forever. :class:`HeaderTimeoutH11Protocol` arms a timer when a connection opens and after each
response; unless a whole request head has arrived when it fires, the connection is closed. Bodies
have their own deadline (:mod:`receipts.api.limits`), handlers theirs (:mod:`receipts.api.timeouts`),
and ``limit_concurrency`` answers 503 beyond ``RECEIPTS_API_MAX_CONNECTIONS`` open connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from receipts.settings import Settings, get_settings

DEFAULT_HEADER_TIMEOUT = 10.0


class HeaderTimeoutH11Protocol(H11Protocol):
    """h11 protocol that closes a connection whose request head is not complete in time."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        if self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _waiting_for_head(self) -> bool:
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.logger.debug("request head not received within %.1fs: closing", self.header_timeout)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting_for_head():
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._waiting_for_head():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)


def protocol_class(header_timeout: float) -> type[HeaderTimeoutH11Protocol]:
    return type("ReceiptsH11Protocol", (HeaderTimeoutH11Protocol,), {"header_timeout": header_timeout})


def make_server(app: Any, host: str, port: int, settings: Settings | None = None, **overrides: Any) -> uvicorn.Server:
    """A uvicorn server for *app* with the API's connection limits (the daemon and tests use this)."""
    settings = settings or get_settings()
    options: dict[str, Any] = {
        "host": host, "port": port, "log_config": None, "access_log": False, "lifespan": "off",
        "timeout_graceful_shutdown": 5, "http": protocol_class(settings.api_header_timeout),
        "timeout_keep_alive": 5, "limit_concurrency": settings.api_max_connections or None,
        "h11_max_incomplete_event_size": 64 * 1024,
    }
    options.update(overrides)
    return uvicorn.Server(uvicorn.Config(app, **options))
