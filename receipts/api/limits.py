"""Request body cap and body deadline for the API (pure ASGI, so it also covers chunked uploads).

The whole body is read before the app sees the request, within *body_timeout* seconds: a client
that trickles its body is answered 408 and disconnected, not waited on.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # crawl and source requests are a URL and a few options
BODY_TIMEOUT = 30.0


class BodyLimitMiddleware:
    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._reject(send, 413, "too_large", f"request body over {self.max_bytes} bytes")
            return
        # read the (small) body up front, counting, then hand it to the app
        chunks: list[bytes] = []
        seen = 0
        deadline = time.monotonic() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await self._reject(send, 408, "timeout", f"request body not received within {self.body_timeout:g}s")
                return
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await self._reject(send, 413, "too_large", f"request body over {self.max_bytes} bytes")
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Any, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        # close: the rest of the body is never read, so the connection cannot carry another request
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
