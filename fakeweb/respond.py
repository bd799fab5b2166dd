"""The response value every fake endpoint returns; the server adds Date, Server and Content-Length."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = HTML_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    behavior: str | None = None  # "trickle" | "reset": carried out on the socket by the server

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def compact_json(value: Any, ensure_ascii: bool = False) -> bytes:
    return json.dumps(value, ensure_ascii=ensure_ascii, separators=(",", ":")).encode()


def json_response(value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, compact_json(value), JSON_TYPE, list(headers or []))


def html_response(text: str, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, text.encode(), HTML_TYPE, list(headers or []))


def not_found() -> Response:
    return html_response("<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
                         "<body><h1>Not Found</h1></body></html>", 404)


SERVICE_UNAVAILABLE_HTML = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"
)


def unavailable() -> Response:
    return html_response(SERVICE_UNAVAILABLE_HTML, 503)


def too_many_requests() -> Response:
    return Response(429, compact_json({"errors": [{"message": "Rate limit exceeded", "code": 88}]}), JSON_TYPE,
                    [("Retry-After", "1")])
