"""Issue 10 against ``receipts serve`` as a real process: the requests that hung it, slow sockets, foreign
Host headers, and SIGTERM still stopping it afterwards."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from daemon_support import daemons, wait_for  # noqa: F401


def test_serve_survives_the_hostile_requests_and_still_stops_on_sigterm(daemons) -> None:  # noqa: F811
    daemon = daemons("hostile", RECEIPTS_API_HEADER_TIMEOUT="1", RECEIPTS_WORKERS="0")

    def since_1969(_: int) -> int:
        with httpx.Client(base_url=daemon.base_url, timeout=30) as c:
            return c.get("/api/v1/events", params={"since": "1969-12-31T23:59:59Z"}).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:  # the review's 40 requests that hung every route
        assert set(pool.map(since_1969, range(40))) == {400}
    with daemon.client(auth=False) as c:
        assert c.get("/api/v1/health").status_code == 200
        refused = c.get("/api/v1/sources", headers={"Host": "rebind.attacker.example"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_host"
        docs = c.get("/docs")
        assert docs.status_code == 200 and "cdn." not in docs.text and "script-src 'self'" in docs.headers[
            "content-security-policy"]

    slow = socket.create_connection(("127.0.0.1", daemon.port), timeout=5)
    slow.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    def closed() -> bool:
        try:
            slow.send(b"X")
            slow.settimeout(0.2)
            return slow.recv(1) == b""
        except TimeoutError:
            return False
        except OSError:
            return True

    wait_for(closed, 45, 0.3, "the daemon to close a connection trickling its request head")
    slow.close()
    started = time.monotonic()
    assert daemon.terminate(timeout=60) == 0
    assert time.monotonic() - started < 60
