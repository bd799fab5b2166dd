"""MongoDB access: one client per process, the embedded server when no URI is configured."""

from __future__ import annotations

import threading

import pymongo
from pymongo.database import Database

from receipts.settings import Settings, get_settings

from .embedded import EmbeddedServer

_lock = threading.Lock()
_clients: dict[str, pymongo.MongoClient] = {}
_embedded: dict[str, EmbeddedServer] = {}


def mongodb_uri(settings: Settings | None = None) -> str:
    """The configured URI, or the embedded server's (started on first use)."""
    settings = settings or get_settings()
    if settings.mongodb_uri:
        return settings.mongodb_uri
    key = str(settings.data_dir)
    with _lock:
        server = _embedded.get(key)
        if server is None:
            server = _embedded[key] = EmbeddedServer(settings.data_dir)
        return server.uri or server.ensure()


def get_database(settings: Settings | None = None) -> Database:
    settings = settings or get_settings()
    uri = mongodb_uri(settings)
    with _lock:
        client = _clients.get(uri)
        if client is None:
            client = _clients[uri] = pymongo.MongoClient(
                uri, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000, tz_aware=True)
    return client[settings.db_name]


def close_all() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
        for server in _embedded.values():
            server.release()
        _embedded.clear()


def embedded_server(settings: Settings | None = None) -> EmbeddedServer | None:
    """This process's handle on the embedded server (None with ``RECEIPTS_MONGODB_URI`` set)."""
    settings = settings or get_settings()
    if settings.mongodb_uri:
        return None
    mongodb_uri(settings)
    with _lock:
        return _embedded.get(str(settings.data_dir))
