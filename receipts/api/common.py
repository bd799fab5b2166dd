"""Shared API plumbing: one error body shape and cursor pagination.

Every error is ``{"error": {"code": ..., "message": ...}}`` (plus ``details`` for validation
errors). Lists are ``{"items": [...], "next_cursor": ...}``; a cursor is an opaque signed token
(:mod:`receipts.api.cursors`) that encodes the sort key of the last item returned, so pages stay
stable while documents are added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.collection import Collection
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from receipts.db.pages import Listing, listing_page, page_docs

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    """Raise from a route to answer ``{"error": {"code", "message"}}`` with *status*."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return JSONResponse(error_body(_HTTP_CODES.get(exc.status_code, "error"), message),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"location": ".".join(str(p) for p in err.get("loc", ())), "message": err.get("msg", "")}
                   for err in exc.errors()]
        first = details[0] if details else {"location": "", "message": "invalid request"}
        message = f"{first['location']}: {first['message']}" if first["location"] else first["message"]
        return JSONResponse(error_body("invalid_request", message, details=details), status_code=422)

    @app.exception_handler(PyMongoError)
    async def _database_error(request: Request, exc: PyMongoError) -> JSONResponse:
        import logging

        if getattr(exc, "timeout", False):  # the request's deadline (pymongo.timeout) or the server's
            return JSONResponse(error_body("timeout", "the database did not answer in time; try again"),
                                status_code=503, headers={"Retry-After": "5"})
        logging.getLogger("receipts.api").exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("unavailable", "database error"), status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("receipts.api").exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "internal server error"), status_code=500)


# -- pagination -----------------------------------------------------------------------------
def page_size(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if limit < 1:
        raise ApiError(400, "bad_limit", "limit must be at least 1")
    return min(limit, MAX_PAGE_SIZE)


def _after(sort: Sequence[tuple[str, int]], values: Sequence[Any]) -> dict[str, Any]:
    """The filter for documents strictly after *values* in *sort* order (keyset pagination)."""
    clauses: list[dict[str, Any]] = []
    for i, (field, direction) in enumerate(sort):
        clause: dict[str, Any] = {f: values[j] for j, (f, _) in enumerate(sort[:i])}
        clause[field] = {"$gt" if direction > 0 else "$lt": values[i]}
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def paginate(collection: Collection, query: dict[str, Any], sort: Sequence[tuple[str, int]],
             to_item: Callable[[dict[str, Any]], dict[str, Any]], *, limit: int | None = None,
             cursor: str | None = None, projection: dict[str, Any] | None = None) -> dict[str, Any]:
    """One page of *collection* in *sort* order (which must end with ``_id`` for a total order)."""
    if not sort or sort[-1][0] != "_id":
        sort = [*sort, ("_id", 1)]
    from receipts.api.cursors import decode_cursor, encode_cursor, listing_of

    size = page_size(limit)
    listing = listing_of(collection.name, sort)
    if cursor:
        values = decode_cursor(collection.database, listing, cursor)
        if len(values) != len(sort):
            raise ApiError(400, "bad_cursor", "cursor does not match this listing")
        query = {"$and": [query, _after(sort, values)]} if query else _after(sort, values)
    docs = page_docs(collection, query, sort, size + 1, projection)
    more = len(docs) > size
    docs = docs[:size]
    next_cursor = None
    if more and docs:
        last = docs[-1]
        next_cursor = encode_cursor(collection.database, listing, [_get(last, field) for field, _ in sort])
    return {"items": [to_item(d) for d in docs], "next_cursor": next_cursor}


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def paginate_listing(collection: Collection, listing: Listing, to_item: Callable[[dict[str, Any]], dict[str, Any]], *,
                     limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
    """One page of a keyed *listing* (``receipts.db.pages``); the cursor holds the last item's sort key."""
    from receipts.api.cursors import decode_cursor, encode_cursor, listing_of

    size = page_size(limit)
    name = listing_of(collection.name, [(listing.key, listing.direction)])
    after = None
    if cursor:
        values = decode_cursor(collection.database, name, cursor)
        if len(values) != 1 or not isinstance(values[0], str):
            raise ApiError(400, "bad_cursor", "cursor does not match this listing")
        after = values[0]
    docs = listing_page(collection, listing, after, size + 1)
    more = len(docs) > size
    docs = docs[:size]
    next_cursor = encode_cursor(collection.database, name, [docs[-1][listing.key]]) if more and docs else None
    return {"items": [to_item(d) for d in docs], "next_cursor": next_cursor}
