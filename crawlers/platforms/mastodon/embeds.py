"""Mastodon embeds in article markup (FORMATS.md §7; real snippets in tests/fixtures/mastodon/).

- ≥4.3: ``<blockquote class="mastodon-embed" data-embed-url="https://HOST/@user/ID/embed">`` holding a
  link to the status and "Post by @user@instance", then ``<script src="https://HOST/embed.js">``.
- <4.3 (and what embed.js renders): ``<iframe class="mastodon-embed" src="https://HOST/@user/ID/embed">``.
- Any other iframe whose src is a ``/@user/ID/embed`` page, when a sibling script loads ``/embed.js``
  (markup pasted without the class).
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import claim_embeds
from crawlers.platforms.mastodon.urls import canonical_url, parse_status_url


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_CANDIDATES = etree.XPath(
    f"//blockquote[{_cls('mastodon-embed')}] | //iframe[{_cls('mastodon-embed')}]"
    " | //iframe[contains(@src, '/embed') or contains(@data-src, '/embed')]"
)
_POST_BY = re.compile(r"Post by @(?P<user>[A-Za-z0-9_.\-]+)@(?P<domain>[A-Za-z0-9.\-]+\.[A-Za-z0-9\-]+)")


def _is_embed_script(el: etree._Element | None) -> bool:
    return (
        el is not None
        and isinstance(el.tag, str)
        and el.tag.lower() == "script"
        and (el.get("src") or "").split("?", 1)[0].endswith("/embed.js")
    )


def _has_embed_script_sibling(el: etree._Element) -> bool:
    parent = el.getparent()
    if parent is None:
        return False
    return any(_is_embed_script(sibling) for sibling in parent if sibling is not el)


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _hit(el: etree._Element, src: str | None, variant: str) -> Hit | None:
    parsed = parse_status_url(src or "")
    if parsed is None:
        return None
    handle = parsed["handle"]
    if variant == "mastodon-blockquote":
        match = _POST_BY.search(_text(el))
        if match:
            handle = f"{match['user']}@{match['domain'].lower()}"
    return Hit(
        kind="embed",
        platform="mastodon",
        post_id=parsed["post_id"],
        element=el,
        handle=handle,
        url=canonical_url(parsed["post_id"], handle or parsed["handle"]),
        variant=variant,
    )


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every Mastodon embed in *doc*, in document order; an element inside a found embed is not another."""
    return claim_embeds(_CANDIDATES(doc), _read)


def _read(el: etree._Element) -> Hit | None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag == "blockquote":
        hit = _hit(el, el.get("data-embed-url"), "mastodon-blockquote")
        if hit is None:  # an older snippet may lack data-embed-url: the status link inside it
            hit = next((h for a in el.iter("a") if (h := _hit(el, a.get("href"), "mastodon-blockquote"))), None)
        return hit
    if tag == "iframe":
        src = el.get("src") or el.get("data-src")
        if "mastodon-embed" in (el.get("class") or "").split() or _has_embed_script_sibling(el):
            parsed = parse_status_url(src or "")
            if parsed is not None and parsed["embed"]:
                return _hit(el, src, "mastodon-iframe")
    return None


# the rendered article: embed.js swaps the ≥4.3 blockquote for an iframe of ``https://HOST/@user/ID/embed``
EMBED_TAG_JS = r"""(start) => {
  const out = [];
  let n = start;
  const key = (url) => { const m = /^https?:\/\/([^\/?#]+)\/@[^\/?#]+\/(\d{1,20})\/embed/.exec(url || ""); return m ? m[1].toLowerCase() + "/" + m[2] : null; };
  document.querySelectorAll("iframe.mastodon-embed, iframe[src*='/embed']").forEach((frame) => {
    const id = key(frame.src);
    if (!id) return;
    frame.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: id, element: "iframe", text: ""});
  });
  document.querySelectorAll("blockquote.mastodon-embed[data-embed-url]").forEach((bq) => {
    const id = key(bq.getAttribute("data-embed-url"));
    if (!id) return;
    bq.setAttribute("data-receipts-embed", String(n));
    out.push({n: n++, id: id, element: "blockquote", text: bq.innerText});
  });
  return out;
}"""
EMBEDS_PENDING_JS = "() => !document.querySelector('blockquote.mastodon-embed[data-embed-url]')"
