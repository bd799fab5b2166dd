"""Bluesky embed detection on the real snippets (tests/fixtures/bluesky), the oEmbed form and the rendered iframe."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from crawlers.platforms.bluesky import PLATFORM
from receipts.origin import route

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "bluesky"


def page(body: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(
        f"<html><body><article><p>Before.</p>{body}<p>After.</p></article></body></html>"
    )


def test_official_snippet() -> None:
    doc = page((FIXTURES / "bluesky_blockquote_bluesky-embed_official.html").read_text(encoding="utf-8"))
    (hit,) = PLATFORM.find_embeds(doc)
    assert (hit.kind, hit.platform, hit.variant) == ("embed", "bluesky", "bluesky-blockquote")
    assert hit.post_id == "at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3la4vfasktq27"
    assert hit.displayed_text == "I like to think that Yoshi gets the zoomies"
    assert (hit.display_name, hit.handle) == ("David Harting", "davidharting.com")
    assert hit.displayed_date == "November 4, 2024 at 9:09 AM"
    assert (
        hit.url
        == "https://bsky.app/profile/did:plc:pqeikn4fnyts5seuh5bazj7b/post/3la4vfasktq27?ref_src=embed"
    )
    assert hit.element is not None and hit.element.tag == "blockquote"
    assert hit.media_url is None


def test_snippet_with_media_placeholder_keeps_lines() -> None:
    doc = page(
        (FIXTURES / "bluesky_blockquote_bluesky-embed_with_media_placeholder.html").read_text(
            encoding="utf-8"
        )
    )
    (hit,) = PLATFORM.find_embeds(doc)
    assert hit.post_id == "at://did:plc:fll26nbvvyfm6ion7tj2sbjc/app.bsky.feed.post/3ljsyvltpvk2e"
    assert hit.displayed_text == (
        "what goes into edge detection:\n1. depth\n2. normals\n3. depth edges & normal edges\n4. thickening"
        "\n\n#3D #3dgraphics #ThreeJS #webgl"
    )
    assert "[image or embed]" not in (hit.displayed_text or "")
    assert hit.media_url and hit.media_url.endswith("/post/3ljsyvltpvk2e?ref_src=embed")
    assert (hit.display_name, hit.handle, hit.displayed_date) == (
        "Nicolas Mattia",
        "nmattia.bsky.social",
        "7 March 2025 at 22:57",
    )


def test_rendered_iframe_and_container_claimed_once() -> None:
    # what embed.js leaves in the page (bskyembed snippet/embed.ts): a div.bluesky-embed around the frame
    src = (
        "https://embed.bsky.app/embed/did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3la4vfasktq27"
        "?id=8237194&ref_url=https%253A%252F%252Fnews.example%252Fa&colorMode=system"
    )
    doc = page(
        f'<div class="bluesky-embed" style="max-width: 600px"><iframe data-bluesky-id="8237194" src="{src}" '
        'width="100%" frameborder="0" scrolling="no"></iframe></div>'
    )
    (hit,) = PLATFORM.find_embeds(doc)
    assert (hit.variant, hit.url) == ("bluesky-iframe", src)
    assert hit.post_id == "at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/3la4vfasktq27"
    assert hit.element is not None and hit.element.tag == "div" and hit.displayed_text is None


def test_several_embeds_in_document_order_and_other_markup_ignored() -> None:
    official = (FIXTURES / "bluesky_blockquote_bluesky-embed_official.html").read_text(encoding="utf-8")
    media = (FIXTURES / "bluesky_blockquote_bluesky-embed_with_media_placeholder.html").read_text(
        encoding="utf-8"
    )
    doc = page(
        media
        + '<blockquote class="twitter-tweet"><p>x</p><a href="https://twitter.com/a/status/20">d</a></blockquote>'
        + '<iframe src="https://www.youtube.com/embed/abc"></iframe>'
        + '<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.like/3la">'
        + "<p>not a post</p></blockquote>"
        + official
    )
    hits = PLATFORM.find_embeds(doc)
    assert [h.post_id.rsplit("/", 1)[1] for h in hits if h.post_id] == ["3ljsyvltpvk2e", "3la4vfasktq27"]


def test_snippet_without_uri_uses_the_date_link_and_handle_urls() -> None:
    doc = page(
        '<blockquote class="bluesky-embed"><p lang="en">Hello</p>&mdash; Ann (<a href="https://bsky.app/profile/ann.example.com">'
        '@ann.example.com</a>) <a href="https://bsky.app/profile/ann.example.com/post/3lx2abcdefg2a">May 1, 2025</a>'
        "</blockquote>"
    )
    (hit,) = PLATFORM.find_embeds(doc)
    assert hit.post_id == "at://ann.example.com/app.bsky.feed.post/3lx2abcdefg2a"
    assert (hit.handle, hit.display_name, hit.displayed_text) == ("ann.example.com", "Ann", "Hello")


@pytest.mark.parametrize(
    "uri",
    [
        "at://did:plc:fll26nbvvyfm6ion7tj2sbjc/app.bsky.feed.post/3ljsyvltpvk2e",
        "at://did:plc:ab5inzxnpw4j2zvzlxupr5ut/app.bsky.feed.post/3lhnuqw5cms2h",
    ],
)
def test_oembed_snippet_from_the_fake_embed_service(fakeweb, uri: str) -> None:
    """The oEmbed html (embedr's template: "Name (@handle)" inside the profile link) reads the same."""
    url = route(f"https://embed.bsky.app/oembed?url={uri}", fakeweb.origin_map())
    with urllib.request.urlopen(url, timeout=10) as response:
        data = json.loads(response.read())
    thread = f"https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri={uri}"
    with urllib.request.urlopen(route(thread, fakeweb.origin_map()), timeout=10) as response:
        view = json.loads(response.read())["thread"]["post"]
    (hit,) = PLATFORM.find_embeds(page(data["html"]))
    assert hit.post_id == uri and hit.variant == "bluesky-blockquote"
    assert hit.displayed_text == view["record"]["text"]
    assert (hit.display_name, hit.handle) == (view["author"]["displayName"], view["author"]["handle"])
    assert hit.displayed_date in (view["record"]["createdAt"], view["indexedAt"])
