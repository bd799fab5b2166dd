"""The FastAPI application: ``create_app()`` wires the routers, error handlers and the archive."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from receipts.api import docs, routes_crawls, routes_events, routes_ops, routes_sources
from receipts.api.common import install_error_handlers
from receipts.api.hosts import AllowedHostsMiddleware, allowed_hosts
from receipts.api.limits import BodyLimitMiddleware
from receipts.api.params import check_query
from receipts.api.timeouts import DeadlineRoute, RequestTimeoutMiddleware
from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.settings import get_settings
from receipts.web import app_routes


def create_app(daemon: Any = None, archive: Archive | None = None, host: str | None = None) -> FastAPI:
    """The API app; *daemon* (optional) gives it the scheduler and worker pool to report on and wake.

    *host* is the address served (default ``RECEIPTS_API_HOST``): with loopback, the one name the
    ``Host:`` header may carry unless ``RECEIPTS_API_ALLOWED_HOSTS`` says otherwise.
    """
    settings = get_settings()
    app = FastAPI(title="Receipts", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(check_query)])
    app.state.archive = archive or Archive(get_database())
    app.state.daemon = daemon
    app.state.pool = getattr(daemon, "pool", None)
    app.state.started_at = time.monotonic()
    install_error_handlers(app)
    # outermost last: Host check, then the handler deadline, then the body (read whole, in time, capped)
    app.add_middleware(BodyLimitMiddleware, body_timeout=settings.api_body_timeout)
    app.add_middleware(RequestTimeoutMiddleware, timeout=settings.api_request_timeout)
    app.add_middleware(AllowedHostsMiddleware, hosts=allowed_hosts(settings, host or getattr(daemon, "host", None)))
    for module in (routes_crawls, routes_sources, routes_events, routes_ops):
        app.include_router(module.router)
    docs.install(app)
    app_routes.include(app)  # archive, memento, exports, web UI
    loose = [r.path for r in app.routes if isinstance(r, APIRoute) and not isinstance(r, DeadlineRoute)]
    assert not loose, f"routes without the database deadline (use APIRouter(route_class=DeadlineRoute)): {loose}"
    return app
