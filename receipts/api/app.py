"""The FastAPI application: ``create_app()`` wires the routers, error handlers and the archive."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI

from receipts.api import routes_crawls, routes_events, routes_ops, routes_sources
from receipts.api.common import install_error_handlers
from receipts.api.limits import BodyLimitMiddleware
from receipts.db import get_database
from receipts.db.archive import Archive


def create_app(daemon: Any = None, archive: Archive | None = None) -> FastAPI:
    """The API app; *daemon* (optional) gives it the scheduler and worker pool to report on and wake."""
    app = FastAPI(title="Receipts", version="1", docs_url="/docs", openapi_url="/api/v1/openapi.json",
                  redoc_url=None)
    app.state.archive = archive or Archive(get_database())
    app.state.daemon = daemon
    app.state.pool = getattr(daemon, "pool", None)
    app.state.started_at = time.monotonic()
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    for module in (routes_crawls, routes_sources, routes_events, routes_ops):
        app.include_router(module.router)
    __import__("receipts.web.app_routes", fromlist=["include"]).include(app)  # archive, memento, exports, web UI
    return app
