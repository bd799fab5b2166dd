"""Bluesky embeds in article markup: the official snippet and the iframe ``embed.js`` renders it into.

Snippet (embed.bsky.app / in-app "Embed post"): ``<blockquote class="bluesky-embed"
data-bluesky-uri="at://DID/app.bsky.feed.post/RKEY" data-bluesky-cid="…"><p lang="en">TEXT
[<br><br><a href="…">[image or embed]</a>]</p>&mdash; Name (<a href="…/profile/DID">@handle</a>)
<a href="…/post/RKEY?ref_src=embed">DATE</a></blockquote>`` (the oEmbed variant puts "Name
(@handle)" inside the profile link). Rendered: ``<div class="bluesky-embed"><iframe
data-bluesky-id="…" src="https://embed.bsky.app/embed/DID/app.bsky.feed.post/RKEY?id=…">``.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from crawlers.platforms.bluesky.urls import parse_at_uri, parse_post_url
from crawlers.platforms.hits import Hit

_CANDIDATES = etree.XPath(
    "//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' bluesky-embed ') or @data-bluesky-uri]"
    " | //iframe[starts-with(normalize-space(@src), 'https://embed.bsky.app/embed/')"
    " or starts-with(normalize-space(@data-src), 'https://embed.bsky.app/embed/')]"
)
MEDIA_PLACEHOLDER = "[image or embed]"
_AUTHOR = re.compile(r"^\s*[—–―-]{1,2}\s*(?P<name>.*?)\s*\(\s*@(?P<handle>[^\s()]+)\s*\)\s*$", re.S)
_SPACES = re.compile(r"[^\S\n]+")


def _tag(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _paragraph_text(p: etree._Element) -> str:
    """What the reader sees in the ``<p>``: ``<br>`` and source newlines as line breaks, the
    "[image or embed]" placeholder link (and the blank line before it) dropped."""
    pieces: list[str] = []

    def walk(node: etree._Element) -> None:
        if _tag(node) == "br":
            pieces.append("\n")
        elif _tag(node) == "a" and node.text_content().strip() == MEDIA_PLACEHOLDER:
            pass
        elif _tag(node) not in ("script", "style") and isinstance(node.tag, str):
            pieces.append(node.text or "")
            for child in node:
                walk(child)
        if node is not p:
            pieces.append(node.tail or "")

    walk(p)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(pieces).replace("\r", "").split("\n")]
    return "\n".join(lines).strip("\n")


def _footer_text(
    el: etree._Element, paragraph: etree._Element | None, date_link: etree._Element | None
) -> str:
    """The blockquote's text outside the ``<p>`` and the date link ("— Name (@handle)")."""
    pieces: list[str] = [el.text or ""]
    for child in el:
        if child is not paragraph and child is not date_link and isinstance(child.tag, str):
            pieces.append(child.text_content())
        pieces.append(child.tail or "")
    return _SPACES.sub(" ", "".join(pieces).replace("\n", " ")).strip()


def _blockquote(el: etree._Element) -> Hit | None:
    ref = parse_at_uri(el.get("data-bluesky-uri") or "")
    links = [a for a in el.iter("a") if parse_post_url((a.get("href") or "").strip())]
    paragraph = next((p for p in el.iter("p")), None)
    in_paragraph = set(paragraph.iter("a")) if paragraph is not None else set()
    date_link = next((a for a in reversed(links) if a not in in_paragraph), None)
    url = (date_link.get("href") or "").strip() if date_link is not None else None
    if ref is None and url:
        ref = parse_post_url(url)
    if ref is None:
        return None
    hit = Hit(
        kind="embed",
        platform="bluesky",
        post_id=ref.uri,
        element=el,
        variant="bluesky-blockquote",
        url=url or None,
    )
    if paragraph is not None:
        hit.displayed_text = _paragraph_text(paragraph) or None
        hit.media_url = next(
            (a.get("href") for a in in_paragraph if a.text_content().strip() == MEDIA_PLACEHOLDER), None
        )
    if date_link is not None:
        hit.displayed_date = " ".join(date_link.text_content().split()) or None
    match = _AUTHOR.match(_footer_text(el, paragraph, date_link))
    if match:
        hit.display_name = match.group("name").strip() or None
        hit.handle = match.group("handle").lower()
    if not ref.is_did:
        hit.handle = hit.handle or ref.authority
    return hit


def _iframe(el: etree._Element) -> Hit | None:
    src = (el.get("src") or el.get("data-src") or "").strip()
    ref = parse_post_url(src)
    if ref is None:
        return None
    container = el.getparent()
    element = (
        container
        if container is not None and "bluesky-embed" in (container.get("class") or "").split()
        else el
    )
    return Hit(
        kind="embed", platform="bluesky", post_id=ref.uri, element=element, variant="bluesky-iframe", url=src
    )


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every Bluesky embed in *doc*, in document order; an iframe inside a claimed embed is not repeated."""
    hits: list[Hit] = []
    claimed: list[etree._Element] = []
    for el in _CANDIDATES(doc):
        if any(el is c or el in c.iterdescendants() for c in claimed):
            continue
        hit = _blockquote(el) if _tag(el) == "blockquote" else _iframe(el)
        if hit is None:
            continue
        hit.platform = "bluesky"
        claimed.append(hit.element if hit.element is not None else el)
        hits.append(hit)
    return hits


# the rendered article: embed.js swaps each blockquote for an embed.bsky.app iframe (``/embed/<did>/<collection>/<rkey>``)
EMBED_TAG_JS = r"""(start) => {
  const out = [];
  let n = start;
  document.querySelectorAll("iframe").forEach((frame) => {
    const m = /^https?:\/\/embed\.bsky\.app\/embed\/(did:[^\/?#]+)\/app\.bsky\.feed\.post\/([^\/?#]+)/.exec(frame.src || "");
    if (!m) return;
    frame.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: "at://" + decodeURIComponent(m[1]) + "/app.bsky.feed.post/" + m[2], element: "iframe", text: ""});
  });
  document.querySelectorAll("blockquote.bluesky-embed[data-bluesky-uri]").forEach((bq) => {
    const uri = bq.getAttribute("data-bluesky-uri") || "";
    if (!/^at:\/\/did:[^\/]+\/app\.bsky\.feed\.post\/[^\/]+$/.test(uri)) return;
    bq.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: uri, element: "blockquote", text: bq.innerText});
  });
  return out;
}"""
EMBEDS_PENDING_JS = "() => !document.querySelector('blockquote.bluesky-embed[data-bluesky-uri]')"
