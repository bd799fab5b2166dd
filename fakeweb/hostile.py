"""Hostile and broken servers for the hardening tests, under ``https://news.example/_hostile/…``.

``trickle`` and ``reset`` need the socket itself, so they are returned as a behaviour the
server's handler carries out; the rest are ordinary (if nasty) responses.
"""

from __future__ import annotations

import gzip
from functools import cache

from .respond import HTML_TYPE, Response, html_response, not_found

TCO_SELF_LOOP = "L00pL00p00"  # t.co/L00pL00p00 → itself
TRICKLE_SECONDS = 60  # the trickle stops by itself
# ``redirect-to/<name>``: a 302 to a URL no crawler may follow (local files, other protocols)
UNFOLLOWABLE = {
    "file": "file:///etc/passwd",
    "gopher": "gopher://127.0.0.1:6379/_INFO",
    "ftp": "ftp://127.0.0.1/pub/",
    "data": "data:text/html,<title>smuggled</title>",
}


@cache
def gzip_bomb(megabytes: int) -> bytes:
    """A small gzip body that inflates to *megabytes* of HTML-ish zeros."""
    return gzip.compress(b"<p>" + b"0" * (megabytes * 1024 * 1024), compresslevel=9)


@cache
def big_page(megabytes: int) -> bytes:
    para = b"<p>" + b"lorem ipsum dolor sit amet " * 36 + b"</p>\n"
    head = b"<!doctype html><html><head><title>Huge</title></head><body><article>"
    count = megabytes * 1024 * 1024 // len(para) + 1
    return head + para * count + b"</article></body></html>"


def hostile(path: str, query: dict[str, str]) -> Response:
    name, _, arg = path.strip("/").partition("/")
    if name == "trickle":
        return Response(200, b"<html>" + b" " * TRICKLE_SECONDS, HTML_TYPE, behavior="trickle")
    if name == "reset":
        return Response(200, b"", HTML_TYPE, behavior="reset")
    if name == "gzip-bomb":
        return Response(200, gzip_bomb(int(arg or 200)), HTML_TYPE, [("Content-Encoding", "gzip")])
    if name == "big":
        return Response(200, big_page(int(arg or 50)), HTML_TYPE)
    if name == "loop":
        return Response(302, b"", None, [("Location", "https://news.example/_hostile/loop")])
    if name == "redirect-to" and arg in UNFOLLOWABLE:
        return Response(302, b"", None, [("Location", UNFOLLOWABLE[arg])])
    if name == "chain":
        hops = int(arg or 0)
        if hops <= 0:
            return html_response("<!doctype html><html><head><title>End of the chain</title></head><body>"
                                 "<article><p>You followed every hop of the chain to the end.</p></article></body></html>")
        return Response(302, b"", None, [("Location", f"https://news.example/_hostile/chain/{hops - 1}")])
    if name == "truncated":
        return html_response('<!doctype html><html><head><title>Cut off</title></head><body><article><p>Start '
                             '<blockquote class="twitter-tweet"><p lang="en">Half an embed &mdash; Someone '
                             '(@someone) <a href="https://twitter.com/someone/status/16292622557445')
    return not_found()
