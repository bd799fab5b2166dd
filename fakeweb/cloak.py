"""A cloaking article host for the browser SSRF tests, under ``https://news.example/_cloak?mode=…&to=URL``.

A crawler (any agent without ``Chrome/``) gets an ordinary article embedding an X post, so the crawl
goes on to render it; a browser gets the attack: a 302 to *to* (``redirect``), a meta refresh
(``meta``), a script navigation (``script``), an auto-submitted form POST (``form``), or the article
with *to* as an image, a frame and a WebSocket (``subresources``).
"""

from __future__ import annotations

from html import escape

from .catalog import RUPAR_ID
from .respond import Response, html_response

EMBED = ('<blockquote class="twitter-tweet"><p lang="en">Cloaked page &mdash; Aaron Rupar (@atrupar) '
         f'<a href="https://twitter.com/atrupar/status/{RUPAR_ID}">February 13, 2025</a></p></blockquote>')


def _page(title: str, head: str = "", body: str = "") -> Response:
    return html_response(f"<!DOCTYPE html><html lang=\"en\"><head><title>{title}</title>{head}</head><body>"
                         f"<article><h1>{title}</h1><p>An ordinary story.</p>{EMBED}{body}</article></body></html>")


def cloaked(query: dict[str, str], user_agent: str) -> Response:
    mode, to = query.get("mode", "redirect"), query.get("to", "")
    if "Chrome/" not in user_agent:
        return _page("A cloaked story")
    target = escape(to, quote=True)
    if mode == "redirect":
        return Response(302, b"", None, [("Location", to)])
    if mode == "meta":
        return _page("Refreshing", head=f'<meta http-equiv="refresh" content="0;url={target}">')
    if mode == "script":
        return _page("Navigating", body=f"<script>location.href = {to!r};</script>")
    if mode == "form":
        return _page("Posting", body=f'<form id="f" method="post" action="{target}"><input name="a" value="1">'
                                     '</form><script>document.getElementById("f").submit();</script>')
    ws = "ws" + to[4:] if to.startswith("http") else to
    return _page("Subresources", body=f'<img src="{target}" alt=""><iframe src="{target}"></iframe>'
                                      f"<script>try {{ new WebSocket({ws!r}); }} catch (e) {{}}</script>")
