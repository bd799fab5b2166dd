"""A bounded time for every request: the handler must start its response within ``RECEIPTS_API_REQUEST_TIMEOUT``.

Past the deadline the client gets ``503 {"error": {"code": "timeout"}}`` and the connection is
closed; the handler's task is cancelled and left behind. A synchronous handler runs in the
threadpool, and Python cannot stop a thread, so the thread finishes (or not) on its own — the
point is that the client, the event loop and every other route are not held by it — and every
database call it makes carries the same deadline (:class:`DeadlineRoute`), so a handler stuck on a
database that stopped answering ends too. Bounded time
for the inputs themselves (the request head, the body) is :mod:`receipts.api.server` and
:class:`receipts.api.limits.BodyLimitMiddleware`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pymongo
from fastapi import Request, Response
from fastapi.routing import APIRoute

from receipts.settings import get_settings

log = logging.getLogger("receipts.api")


class RequestTimeoutMiddleware:
    def __init__(self, app: Any, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.timeout <= 0:
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()
        timed_out = False

        async def guarded_send(message: dict) -> None:
            if timed_out:  # the client was answered already: drop what the late handler says
                raise RuntimeError("response abandoned after the request timeout")
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        waiter = asyncio.ensure_future(started.wait())
        try:
            await asyncio.wait({task, waiter}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done() or started.is_set():
            await task  # finished, or streaming its body: no deadline on a download in progress
            return
        timed_out = True
        task.cancel()
        task.add_done_callback(_forget)
        log.warning("request timed out after %.0fs: %s %s", self.timeout, scope.get("method"), scope.get("path"))
        body = json.dumps({"error": {"code": "timeout", "message": f"the request took longer than "
                                                                   f"{self.timeout:g}s; try a narrower one"}}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"), (b"retry-after", b"5")]})
        await send({"type": "http.response.body", "body": body})



def _forget(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("abandoned request ended with %r", task.exception())


class DeadlineRoute(APIRoute):
    """Every database operation of a handler (and of its dependencies) shares one deadline.

    ``pymongo.timeout`` sets a context variable that the threadpool copies into the sync handler's
    thread, so a handler blocked on a database that stopped answering fails with a timeout instead of
    holding its thread forever. The deadline ends when the handler returns its response: streaming a
    long download afterwards is not cut.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            seconds = get_settings().api_request_timeout
            with pymongo.timeout(seconds if seconds > 0 else None):
                return await handler(request)

        return bounded
