"""The read side of the app in one call, so ``create_app()`` wires it with one line."""

from __future__ import annotations

from fastapi import FastAPI

from receipts.api import routes_archive, routes_exports, routes_media, routes_memento
from receipts.web import desk, feed, login, outlets
from receipts.web import routes as web_routes


def include(app: FastAPI) -> None:
    """Add the archive API, similar media, Memento TimeMaps, exports, the UI login and the web UI to *app*."""
    for module in (routes_archive, routes_media, routes_memento, routes_exports):
        app.include_router(module.router)
    login.install(app)
    for module in (desk, feed, outlets):  # the desk: submit, jobs, changes, outlets, legend
        app.include_router(module.router)
    app.include_router(web_routes.router)
