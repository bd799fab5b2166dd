"""The Bluesky client: which routes to fetch for a post and what each response means.

Routes (public, no login): the AppView's ``getPostThread`` first (full fidelity), the embed
service's oEmbed as fallback (text and author only). A post named by handle is first resolved to
its DID with ``com.atproto.identity.resolveHandle`` (outcome ``moved``). XRPC errors are JSON
``{"error": NAME, "message": TEXT}``; the AppView answers a missing post with HTTP 400
``NotFound``. Only answers that say so mark a post gone: 5xx, 429, bodies that are not JSON or not
of a known shape are ``error`` (FORMATS.md §7).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

import lxml.html
from lxml import etree

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.bluesky.normalise import (
    PostFormatError,
    normalise_post_view,
    parse_time,
    post_ref,
    visibility_reason,
)
from crawlers.platforms.bluesky.urls import PostUri, canonical_post_url, is_did, parse_at_uri
from crawlers.platforms.payload import bson_safe
from receipts.models import Author, Post, post_key

APPVIEW = "https://public.api.bsky.app"
OEMBED_ENDPOINT = "https://embed.bsky.app/oembed"
JSON_HEADERS = {"Accept": "application/json"}
OEMBED_REASON = "read from oEmbed: text, author and time only (no media, counts or facets)"


def thread_url(uri: str) -> str:
    """``…/xrpc/app.bsky.feed.getPostThread?uri=<at-uri>&depth=0&parentHeight=0`` (the post alone)."""
    return f"{APPVIEW}/xrpc/app.bsky.feed.getPostThread?uri={quote(uri, safe='')}&depth=0&parentHeight=0"


def resolve_handle_url(handle: str) -> str:
    return f"{APPVIEW}/xrpc/com.atproto.identity.resolveHandle?handle={quote(handle, safe='')}"


def oembed_url(uri: str) -> str:
    return f"{OEMBED_ENDPOINT}?url={quote(uri, safe='')}"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PostFormatError("body is not JSON") from None


def _xrpc_error(body: bytes) -> tuple[str | None, str | None]:
    """(error name, message) of an XRPC error body; (None, None) when the body is not one."""
    try:
        data = _json(body)
    except PostFormatError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    name, message = data.get("error"), data.get("message")
    return (name if isinstance(name, str) else None), (message if isinstance(message, str) else None)


def _http_error(route: str, status: int, body: bytes) -> FetchOutcome:
    name, message = _xrpc_error(body)
    detail = ": ".join(x for x in (name, message) if x)
    return FetchOutcome(kind="error", error=f"{route} HTTP {status}" + (f" ({detail})" if detail else ""))


def _unresolvable(message: str | None) -> bool:
    return "resolve handle" in (message or "").lower()


# ---------------------------------------------------------------- resolveHandle


def classify_resolve(ref: PostUri, status: int, body: bytes) -> FetchOutcome:
    """200 ``{"did": …}`` → ``moved`` to the DID-form URI; 400 "Unable to resolve handle" → gone/unavailable."""
    if status == 200:
        try:
            data = _json(body)
        except PostFormatError as exc:
            return FetchOutcome(kind="error", error=f"resolveHandle: {exc}")
        did = data.get("did") if isinstance(data, dict) else None
        if not isinstance(did, str) or not is_did(did):
            return FetchOutcome(kind="error", error="resolveHandle body without a valid did")
        return FetchOutcome(kind="moved", moved_to=ref.with_did(did).uri)
    name, message = _xrpc_error(body)
    if status == 400 and name == "InvalidRequest" and _unresolvable(message):
        return FetchOutcome(
            kind="gone", status="unavailable", reason=f"handle @{ref.authority} does not resolve ({message})"
        )
    return _http_error("resolveHandle", status, body)


# ---------------------------------------------------------------- getPostThread


def classify_thread(
    ref: PostUri, status: int, body: bytes, *, fetched_at: datetime | None = None
) -> FetchOutcome:
    """What one ``getPostThread`` answer says about the post *ref*.

    200 ``threadViewPost`` → ``post`` (or ``moved`` when *ref* names a handle), unless the logged-out
    web would hide it (author's ``!no-unauthenticated``, ``!hide``/``!takedown``) → gone/unavailable;
    ``notFoundPost`` and 400 ``NotFound`` → gone/deleted; ``blockedPost`` → gone/unavailable; a 400
    for a handle that does not resolve → gone/unavailable. ``NotFound`` for a handle-form URI is ``error``
    (the AppView says it for unresolvable handles too). Everything else → ``error``.
    """
    if status == 400:
        name, message = _xrpc_error(body)
        if name == "NotFound" and not ref.is_did:
            # the AppView answers NotFound for a handle it cannot resolve too: not proof of deletion
            return FetchOutcome(
                kind="error", error=f"getPostThread: not found under handle @{ref.authority} ({message})"
            )
        if name == "NotFound":
            return FetchOutcome(
                kind="gone", status="deleted", reason=message or "post not found (HTTP 400 NotFound)"
            )
        if name == "InvalidRequest" and not ref.is_did and _unresolvable(message):
            return FetchOutcome(
                kind="gone",
                status="unavailable",
                reason=f"handle @{ref.authority} does not resolve ({message})",
            )
        return _http_error("getPostThread", status, body)
    if status != 200:
        return _http_error("getPostThread", status, body)
    try:
        data = _json(body)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=f"getPostThread: {exc}")
    thread = data.get("thread") if isinstance(data, dict) else None
    if not isinstance(thread, dict):
        return FetchOutcome(kind="error", error="getPostThread body without a thread object")
    kind = thread.get("$type")
    if kind == "app.bsky.feed.defs#notFoundPost":
        return FetchOutcome(kind="gone", status="deleted", reason="post not found (notFoundPost)")
    if kind == "app.bsky.feed.defs#blockedPost":
        return FetchOutcome(
            kind="gone", status="unavailable", reason="the author blocks this viewer (blockedPost)"
        )
    if kind != "app.bsky.feed.defs#threadViewPost":
        return FetchOutcome(kind="error", error=f"getPostThread: unexpected thread type {kind!r}")
    view = thread.get("post")
    if not isinstance(view, dict):
        return FetchOutcome(kind="error", error="getPostThread: threadViewPost without a post")
    got = post_ref(view)
    if (
        got is None
        or not got.is_did
        or got.rkey != ref.rkey
        or (ref.is_did and got.authority != ref.authority)
    ):
        return FetchOutcome(
            kind="error", error=f"getPostThread returned {view.get('uri')!r}, asked for {ref.uri}"
        )
    if not ref.is_did:
        return FetchOutcome(kind="moved", moved_to=got.uri)
    hidden = visibility_reason(view)
    if hidden:
        return FetchOutcome(kind="gone", status="unavailable", reason=hidden)
    try:
        post = normalise_post_view(view, raw=data, fetched_at=fetched_at)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=f"unusable post view: {exc}")
    return FetchOutcome(
        kind="post", post=post, related_post_ids=[post.quoted_post_id] if post.quoted_post_id else []
    )


# ---------------------------------------------------------------- oEmbed


def _paragraph_text(p: Any) -> str:
    """Text of the snippet's ``<p>``: ``<br>`` → newline, the trailing "[image or embed]" link dropped."""
    links = [a for a in p.iter("a") if (a.text_content() or "").strip() == "[image or embed]"]
    for a in links:
        a.drop_tree()
    for br in p.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return "".join(p.itertext()).rstrip("\n") if links else "".join(p.itertext())


def parse_oembed(ref: PostUri, body: bytes) -> Post:
    """An oEmbed body → :class:`Post` (route ``oembed``); :class:`PostFormatError` if unusable."""
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("html"), str) or not data["html"].strip():
        raise PostFormatError("oEmbed body without html")
    try:
        root = lxml.html.fragment_fromstring(data["html"], create_parent="div")
    except (etree.LxmlError, ValueError) as exc:
        raise PostFormatError(f"oEmbed html does not parse: {exc}") from None
    quote_el = next((q for q in root.iter("blockquote") if q.get("data-bluesky-uri")), None)
    if quote_el is None:
        raise PostFormatError("oEmbed html without a bluesky-embed blockquote")
    named = parse_at_uri(quote_el.get("data-bluesky-uri", ""))
    if named is None or named.uri != ref.uri:
        raise PostFormatError(f"oEmbed is for {quote_el.get('data-bluesky-uri')!r}, not {ref.uri}")
    paragraph = next(iter(quote_el.iter("p")), None)
    text = _paragraph_text(paragraph) if paragraph is not None else None
    links = [a for a in quote_el.iter("a") if paragraph is None or a not in set(paragraph.iter("a"))]
    date_text = links[-1].text_content().strip() if links else None
    name, handle = None, None
    author_name = data.get("author_name") if isinstance(data.get("author_name"), str) else ""
    if author_name.endswith(")") and " (@" in author_name:
        name, _, handle = author_name[:-1].rpartition(" (@")
    elif author_name.startswith("@"):
        handle = author_name[1:]
    return Post(
        id=post_key("bluesky", ref.uri),
        platform="bluesky",
        post_id=ref.uri,
        url=canonical_post_url(ref),
        author=Author(id=ref.authority, handle=handle or None, name=name or None),
        text=text,
        lang=(paragraph.get("lang") or None) if paragraph is not None else None,
        created_at=parse_time(date_text),
        status="live",
        status_reason=OEMBED_REASON,
        route="oembed",
        raw=bson_safe(data),
    )


def classify_oembed(ref: PostUri, status: int, body: bytes) -> FetchOutcome:
    """200 → ``post`` (partial); 403 "not publicly accessible" → gone/unavailable; anything else → ``error``.

    A 404 is not taken as deleted: the embed service answers 404 for *any* failed AppView lookup.
    """
    if status == 403:
        text = body[:200].decode("utf-8", "replace").strip()
        return FetchOutcome(
            kind="gone", status="unavailable", reason=text or "post is not publicly accessible"
        )
    if status != 200:
        text = body[:120].decode("utf-8", "replace").strip()
        return FetchOutcome(kind="error", error=f"oEmbed HTTP {status}" + (f" ({text})" if text else ""))
    try:
        post = parse_oembed(ref, body)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=f"unusable oEmbed body: {exc}")
    return FetchOutcome(kind="post", post=post)


# ---------------------------------------------------------------- the client


class BlueskyClient:
    """:class:`~crawlers.platforms.base.PlatformClient` for Bluesky (public AppView, then oEmbed)."""

    name = "bluesky"

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        ref = parse_at_uri(post_id)
        if ref is None:
            return []
        if not ref.is_did:
            # resolve first; the AppView also accepts a handle-form URI and says which DID it is
            return [
                FetchPlan("resolve_handle", resolve_handle_url(ref.authority), dict(JSON_HEADERS)),
                FetchPlan("appview", thread_url(ref.uri), dict(JSON_HEADERS)),
            ]
        return [
            FetchPlan("appview", thread_url(ref.uri), dict(JSON_HEADERS)),
            FetchPlan("oembed", oembed_url(ref.uri), dict(JSON_HEADERS)),
        ]

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        ref = parse_at_uri(post_id)
        if ref is None:
            return FetchOutcome(kind="error", error=f"not a Bluesky post id: {post_id!r}")
        if plan.route == "resolve_handle":
            if ref.is_did:
                return FetchOutcome(kind="error", error="resolve_handle asked for a DID-form id")
            return classify_resolve(ref, status, body)
        if plan.route == "appview":
            return classify_thread(ref, status, body)
        if plan.route == "oembed":
            if not ref.is_did:
                return FetchOutcome(kind="error", error="oembed needs a DID-form id")
            return classify_oembed(ref, status, body)
        return FetchOutcome(kind="error", error=f"route {plan.route!r} is not handled by the Bluesky client")
