"""Query-string rules for every route, applied once as an app-wide dependency.

A parameter a route does not declare (a misspelling, or a bracketed ``status[$ne]=live``) is a 400,
never a silently wider answer; no value may carry control characters such as NUL. Routes whose
query string is data (the TimeMap's URL) opt out with :func:`any_query`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.routing import APIRoute

from receipts.api.common import ApiError

F = TypeVar("F", bound=Callable[..., Any])
_ANY = "__receipts_any_query__"
_CACHE = "_receipts_query_names"


def any_query(func: F) -> F:
    """Mark a route whose query string is part of its data, not parameters."""
    setattr(func, _ANY, True)
    return func


def allowed_parameters(route: Any) -> frozenset[str] | None:
    """The query parameter names *route* declares (its dependencies' too); None: anything goes."""
    if getattr(getattr(route, "endpoint", None), _ANY, False):
        return None
    cached = getattr(route, _CACHE, None)
    if cached is None:
        names: set[str] = set()
        if isinstance(route, APIRoute):
            stack = [route.dependant]
            while stack:  # the route's own parameters and those of its dependencies (filters, paging)
                dependant = stack.pop()
                names.update(field.alias for field in dependant.query_params)
                stack.extend(dependant.dependencies)
        cached = frozenset(names)
        if route is not None:
            setattr(route, _CACHE, cached)
    return cached


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def check_query(request: Request) -> None:
    """FastAPI dependency on the app: unknown parameters and control characters are 400s."""
    allowed = allowed_parameters(request.scope.get("route"))
    if allowed is None:
        return
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        listed = ", ".join(sorted(allowed)) or "none"
        raise ApiError(400, "unknown_parameter", f"unknown parameter {unknown[0]!r}; allowed: {listed}")
    for name, value in request.query_params.multi_items():
        if _has_control(value):
            raise ApiError(400, "bad_parameter", f"{name}: control characters (such as NUL) are not allowed")
