"""The browser may go nowhere the crawler may not (issue 10, item 1).

An "internal service" listens on a loopback port no origin map names and counts every connection
it gets; each attack — a 302, a meta refresh, a script navigation, a form POST, an image, a frame,
a WebSocket — must leave it at zero. Three levels: the egress proxy alone (with an injected
resolver for DNS rebinding), real Chromium behind the proxy with no routing at all (the production
set-up, no origin map), and a real crawl through the CLI with the origin map (the offline set-up).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from crawlers.browser import LAUNCH_ARGS, find_chromium
from crawlers.browser.egress import EgressPolicy, EgressProxy
from crawlers.browser.handler import guarded_launch_options

SECRET = "INTERNAL-SECRET-" + uuid.uuid4().hex


class Internal:
    """A loopback HTTP service that must never be reached; counts connections, not just requests."""

    def __init__(self) -> None:
        self.hits = 0  # connections
        self.requests = 0
        self.lock = threading.Lock()
        internal = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                with internal.lock:
                    internal.hits += 1
                super().setup()

            def do_GET(self) -> None:  # noqa: N802
                with internal.lock:
                    internal.requests += 1
                body = f"<html><body><h1>{SECRET}</h1></body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def internal() -> Iterator[Internal]:
    service = Internal()
    yield service
    service.server.shutdown()
    service.server.server_close()


def wait_until(condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def proxy_exchange(proxy: EgressProxy, request: bytes) -> bytes:
    """Send *request* to the proxy and read until it closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
                if b"\r\n\r\n" in b"".join(chunks) and request.startswith(b"CONNECT"):
                    break
        except TimeoutError:
            pass
    return b"".join(chunks)


# ------------------------------------------------------------------------------------------ the proxy alone


def test_proxy_refuses_loopback_private_and_metadata(internal: Internal) -> None:
    proxy = EgressProxy(EgressPolicy()).start()
    try:
        answer = proxy_exchange(proxy, f"CONNECT 127.0.0.1:{internal.port} HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403")
        answer = proxy_exchange(proxy, f"GET {internal.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert answer == b""  # closed unanswered: a navigation fails, nothing is rendered
        for target in ("169.254.169.254:80", "10.1.2.3:443", "[::1]:443", "metadata.google.internal:80",
                       "192.168.0.1:8080", "100.100.100.200:80"):
            assert proxy_exchange(proxy, f"CONNECT {target} HTTP/1.1\r\n\r\n".encode()).startswith(b"HTTP/1.1 403")
        assert internal.hits == 0
        assert proxy.reason_for("127.0.0.1", internal.port) and "non-public address" in \
            proxy.reason_for("127.0.0.1", internal.port)
        assert "metadata" in (proxy.reason_for("metadata.google.internal", 80) or "")
    finally:
        proxy.stop()


def test_proxy_passes_origin_map_targets(fakeweb) -> None:
    policy = EgressPolicy.from_origin_map(fakeweb.origin_map())
    proxy = EgressProxy(policy).start()
    try:
        answer = proxy_exchange(proxy, f"GET {fakeweb.base_url}/site/_cloak HTTP/1.1\r\nHost: x\r\n"
                                       "Proxy-Connection: keep-alive\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.") and b" 200 " in answer.split(b"\r\n")[0]
        assert b"A cloaked story" in answer
        assert proxy.blocked == []
    finally:
        proxy.stop()


def test_proxy_dials_the_address_it_checked_dns_rebinding(internal: Internal) -> None:
    """A name that answers public first and loopback afterwards: the proxy resolves once and dials
    the vetted address itself, so a second (rebound) answer is never used. Nothing here sends a
    packet to a public address: the connector records the dial and refuses it."""
    calls: list[str] = []
    dialled: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["93.184.215.14"] if len(calls) == 1 else ["127.0.0.1"]

    async def refusing(address: str, port: int):
        dialled.append(address)
        raise ConnectionRefusedError(address)

    proxy = EgressProxy(EgressPolicy(), resolver=rebinding, connector=refusing).start()
    try:
        answer = proxy_exchange(proxy, f"CONNECT rebind.example:{internal.port} HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 502")
        assert calls == ["rebind.example"] and dialled == ["93.184.215.14"]
    finally:
        proxy.stop()


def test_proxy_checks_the_peer_it_actually_reached(internal: Internal) -> None:
    """Whatever a resolver or the network does, a socket whose peer is loopback relays nothing."""
    requests_before = internal.hits

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    async def lands_inside(address: str, port: int):
        return await asyncio.open_connection("127.0.0.1", internal.port)

    proxy = EgressProxy(EgressPolicy(), resolver=public, connector=lands_inside).start()
    try:
        answer = proxy_exchange(proxy, f"GET http://innocent.example:{internal.port}/secret HTTP/1.1\r\n"
                                       "Host: innocent.example\r\n\r\n".encode())
        assert answer == b""
        assert "non-public address (127.0.0.1)" in (proxy.reason_for("innocent.example", internal.port) or "")
    finally:
        proxy.stop()
    wait_until(lambda: internal.hits > requests_before, what="the connection the test forced")
    assert internal.requests == 0  # connected, but not one request byte was relayed


# ------------------------------------------------------------------------------------------ Chromium, no routing


MODES = ("redirect", "meta", "script", "form", "subresources")


@pytest.fixture(scope="module")
def browser_behind_proxy(fakeweb):
    """Real Chromium launched as the crawler launches it, behind a proxy that trusts only the fake web."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium on this machine")
    proxy = EgressProxy(EgressPolicy.from_origin_map({"https://news.example": f"{fakeweb.base_url}/site"})).start()
    launch = guarded_launch_options({"headless": True, "args": list(LAUNCH_ARGS), "executable_path": executable},
                                    proxy.url)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(**launch)
        yield browser, proxy
        browser.close()
    proxy.stop()


@pytest.mark.parametrize("mode", MODES)
def test_chromium_without_origin_map_cannot_reach_internal(browser_behind_proxy, fakeweb, internal, mode) -> None:
    browser, proxy = browser_behind_proxy
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    url = f"{fakeweb.base_url}/site/_cloak?mode={mode}&to={quote(internal.url, safe='')}"
    try:
        try:
            page.goto(url, wait_until="load", timeout=30000)
        except Exception as exc:  # the redirect: the navigation itself fails
            assert mode == "redirect", exc
        wait_until(lambda: proxy.reason_for("127.0.0.1", internal.port) is not None, what="the proxy to refuse")
        if mode != "subresources":  # the page ends on the browser's error page (the render's failure)
            deadline = time.monotonic() + 30
            while not page.url.startswith("chrome-error://"):
                assert time.monotonic() < deadline, f"still on {page.url}"
                page.wait_for_timeout(50)  # lets Playwright's sync API take in the page's events
        assert SECRET not in page.content()
    finally:
        context.close()
    assert internal.hits == 0
    assert any(u.startswith(f"http://127.0.0.1:{internal.port}") or u.startswith(f"ws://127.0.0.1:{internal.port}")
               for u in failed)


def test_chromium_cannot_reach_cloud_metadata(browser_behind_proxy, fakeweb) -> None:
    browser, proxy = browser_behind_proxy
    context = browser.new_context()
    page = context.new_page()
    try:
        target = quote("http://169.254.169.254/latest/meta-data/", safe="")
        with pytest.raises(Exception, match="ERR_"):
            page.goto(f"{fakeweb.base_url}/site/_cloak?mode=redirect&to={target}", timeout=30000)
    finally:
        context.close()
    assert "169.254.169.254" in (proxy.reason_for("169.254.169.254", 80) or "")


# ------------------------------------------------------------------------------------------ a real crawl


def crawl(receipts_env, url: str) -> dict:
    proc = receipts_env.run("crawl", url, "--json", extra_env={"RECEIPTS_BROWSER": "1"}, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def warc_text(receipts_env, report: dict) -> str:
    crawl_doc = receipts_env.db.crawls.find_one({"_id": report["crawl"]["id"]})
    warc_dir = Path(receipts_env.data_dir) / "warc"
    return "".join(gzip.open(warc_dir / name).read().decode("latin-1") for name in crawl_doc["warc_files"])


@pytest.mark.parametrize("mode", ("redirect", "meta"))
def test_crawl_render_redirected_inside_is_a_failed_render(receipts_env, fakeweb, internal, mode) -> None:
    url = f"https://news.example/_cloak?mode={mode}&to={quote(internal.url, safe='')}"
    report = crawl(receipts_env, url)
    assert internal.hits == 0
    # no WARC record for a body the browser never received whole (item 8): the evidence verifies
    proc = receipts_env.run("verify")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    db = receipts_env.db
    # nothing from inside is evidence: no capture, no stored body, no WARC record carries it
    renders = list(db.captures.find({"route": "embed_render"}))
    assert renders, "the article was rendered"
    for render in renders:
        assert render["outcome"] == "error", render
        assert render.get("body_sha256") is None
    blocked = [b for r in renders for b in r["meta"].get("blocked_requests", [])]
    assert any(b["url"].startswith(f"http://127.0.0.1:{internal.port}") for b in blocked), renders
    assert SECRET not in warc_text(receipts_env, report)
    assert not list(db.captures.find({"target_type": "screenshot", "meta.kind": "embed_screenshot"}))
    errors = json.dumps(report["crawl"]["errors"])
    assert "blocked" in errors or "render failed" in errors, report["crawl"]["errors"]
    # the post itself was still archived through its own routes
    assert any(p["status"] == "live" for p in report["posts"])
