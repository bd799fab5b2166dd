"""Issue 10, items 2 and 16: no request holds the server. Real uvicorn (``make_server``, as ``receipts serve``
runs it) on a loopback port, real sockets that trickle their head or body, and a handler that never ends."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import free_port

from receipts.settings import reset_settings

DEADLINE = 45.0  # generous: the server's own limits below are 1-2 s


@contextlib.contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[tuple[str, int, threading.Event]]:
    """``receipts serve``'s HTTP server over the test archive, plus a ``/test/stuck`` handler that spins
    until the yielded event is set (a sync handler in the threadpool, like every read route)."""
    from receipts.api.app import create_app
    from receipts.api.server import make_server

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    release = threading.Event()
    app = create_app(host="127.0.0.1")

    def stuck() -> dict:
        while not release.is_set():
            time.sleep(0.02)
        return {"released": True}

    app.add_api_route("/test/stuck", stuck)
    port = free_port()
    server = make_server(app, "127.0.0.1", port, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", port, release
    finally:
        release.set()
        server.should_exit = True
        thread.join(15)


def open_sockets(port: int, n: int, first: bytes) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        if first:
            s.sendall(first)
        socks.append(s)
    return socks


def trickle_until_closed(socks: list[socket.socket], byte: bytes = b"a", every: float = 0.25) -> tuple[set, bytes]:
    """Send one byte per socket every *every* s until the server closes each (or DEADLINE passes).
    Returns the sockets still open and everything the server sent."""
    open_ = set(socks)
    received = b""
    deadline = time.monotonic() + DEADLINE
    while open_ and time.monotonic() < deadline:
        for s in list(open_):
            try:
                s.send(byte)
            except OSError:  # reset / broken pipe: closed by the server
                open_.discard(s)
        readable, _, _ = select.select(list(open_), [], [], every)
        for s in readable:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            received += data
            if not data:
                open_.discard(s)
    for s in socks:
        s.close()
    return open_, received


def test_trickled_request_heads_are_closed(receipts_env, monkeypatch) -> None:
    with serving(monkeypatch, RECEIPTS_API_HEADER_TIMEOUT="1") as (base, port, _):
        socks = open_sockets(port, 60, b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        silent = open_sockets(port, 20, b"")  # connect and say nothing
        with httpx.Client(base_url=base, timeout=10) as client:  # the server still answers others meanwhile
            assert client.get("/api/v1/health").status_code == 200
        still_open, _ = trickle_until_closed(socks + silent)
        assert not still_open, f"{len(still_open)} of 80 slow connections still open after {DEADLINE:.0f}s"


def test_keep_alive_connection_that_trickles_its_next_request_is_closed(receipts_env, monkeypatch) -> None:
    with serving(monkeypatch, RECEIPTS_API_HEADER_TIMEOUT="1") as (_, port, _release):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first:
            first += s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\n")  # the next request, then a byte at a time
        still_open, _ = trickle_until_closed([s], b"X")
        assert not still_open


def test_trickled_body_is_answered_408_and_closed(receipts_env, monkeypatch) -> None:
    with serving(monkeypatch, RECEIPTS_API_BODY_TIMEOUT="1", RECEIPTS_API_TOKEN="t") as (_, port, _release):
        head = (b"POST /api/v1/crawls HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n"
                b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
        socks = open_sockets(port, 30, head)
        still_open, received = trickle_until_closed(socks, b" ")
        assert not still_open, f"{len(still_open)} of 30 trickling bodies still open after {DEADLINE:.0f}s"
        # (a reset can eat a response the trickler kept writing over; one quiet client reads it whole)
        assert b"HTTP/1.1 408" in received
        quiet = open_sockets(port, 1, head)[0]
        quiet.settimeout(DEADLINE)
        answer = b""
        while chunk := quiet.recv(65536):
            answer += chunk
        quiet.close()
        assert answer.startswith(b"HTTP/1.1 408") and b'"code": "timeout"' in answer


def test_a_handler_that_never_returns_is_answered_and_holds_nothing(receipts_env, monkeypatch) -> None:
    with serving(monkeypatch, RECEIPTS_API_REQUEST_TIMEOUT="1") as (base, _port, release):
        results: list[httpx.Response] = []

        def call() -> None:
            with httpx.Client(base_url=base, timeout=DEADLINE) as c:
                results.append(c.get("/test/stuck"))

        callers = [threading.Thread(target=call) for _ in range(5)]
        for t in callers:
            t.start()
        for t in callers:
            t.join(DEADLINE + 5)
        assert len(results) == 5
        for resp in results:
            assert resp.status_code == 503 and resp.json()["error"]["code"] == "timeout", resp.text
        with httpx.Client(base_url=base, timeout=10) as c:  # every other route still answers
            assert c.get("/api/v1/health").status_code == 200
            assert c.get("/api/v1/events").status_code == 200
        release.set()


def test_connections_beyond_the_limit_get_503(receipts_env, monkeypatch) -> None:
    with serving(monkeypatch, RECEIPTS_API_MAX_CONNECTIONS="10", RECEIPTS_API_HEADER_TIMEOUT="60") as (base, port, _r):
        idle = open_sockets(port, 10, b"")
        try:
            with httpx.Client(base_url=base, timeout=10) as c:
                resp = c.get("/api/v1/health")
            assert resp.status_code == 503
        finally:
            for s in idle:
                s.close()
        with httpx.Client(base_url=base, timeout=10) as c:
            deadline = time.monotonic() + DEADLINE  # the server notices the closed sockets, then serves again
            while (status := c.get("/api/v1/health").status_code) != 200 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert status == 200


def handler_threads_in_pymongo() -> list[str]:
    """Threads running an API handler that is inside a pymongo call right now."""
    import sys
    import traceback

    stuck = []
    for ident, frame in sys._current_frames().items():
        files = [f.filename for f in traceback.extract_stack(frame)]
        if any("/pymongo/" in f for f in files) and any("/receipts/api/routes_" in f for f in files):
            stuck.append(str(ident))
    return stuck


def test_a_handler_stuck_on_a_frozen_database_ends_by_itself(receipts_env, monkeypatch, tmp_path) -> None:
    """nx-27017 SIGSTOPped mid-service: the client gets a 503 and the handler's thread is freed, not held."""
    import signal

    import pymongo
    from conftest import NxServer

    from receipts.api.app import create_app
    from receipts.api.server import make_server
    from receipts.db.archive import Archive

    (tmp_path / "data").mkdir()
    port = free_port()
    nx = NxServer(uri=f"mongodb://127.0.0.1:{port}/", port=port, data_dir=tmp_path)
    nx.start()
    assert nx.proc is not None
    monkeypatch.setenv("RECEIPTS_API_REQUEST_TIMEOUT", "2")
    reset_settings()
    # a slow monitor (60 s connect timeout): without the request deadline the handler waits that long or more
    client: pymongo.MongoClient = pymongo.MongoClient(nx.uri, tz_aware=True, serverSelectionTimeoutMS=5000,
                                                      connectTimeoutMS=60000)
    app = create_app(archive=Archive(client["frozen"]), host="127.0.0.1")
    api_port = free_port()
    server = make_server(app, "127.0.0.1", api_port, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=DEADLINE) as http:
            assert http.get("/api/v1/articles").status_code == 200  # connected
            nx.proc.send_signal(signal.SIGSTOP)
            resp = http.get("/api/v1/articles")
            assert resp.status_code == 503 and resp.json()["error"]["code"] == "timeout", resp.text
            end = time.monotonic() + 25  # the database is still frozen: the handler's thread must end anyway
            while handler_threads_in_pymongo() and time.monotonic() < end:
                time.sleep(0.1)
            assert not handler_threads_in_pymongo(), "a handler thread is still blocked on the frozen database"
    finally:
        nx.proc.send_signal(signal.SIGCONT)
        server.should_exit = True
        thread.join(15)
        client.close()
        nx.stop()
