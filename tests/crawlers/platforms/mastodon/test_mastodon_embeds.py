"""Mastodon embed detection on the real markup (tests/fixtures/mastodon/, see SOURCES.md there)."""

from __future__ import annotations

from pathlib import Path

from lxml import html

from crawlers.platforms.mastodon import PLATFORM

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "mastodon"
BLOCKQUOTE = (FIXTURES / "mastodon_blockquote_mastodon-embed_4x.html").read_text(encoding="utf-8")
LEGACY = (FIXTURES / "mastodon_iframe_embed_legacy.html").read_text(encoding="utf-8")


def article(*parts: str) -> html.HtmlElement:
    body = "".join(f"<p>Paragraph {i}.</p>{part}" for i, part in enumerate(parts))
    return html.document_fromstring(f"<html><body><article>{body}<p>The end.</p></article></body></html>")


def test_blockquote_4x_real_markup() -> None:
    doc = article(BLOCKQUOTE)
    (hit,) = PLATFORM.find_embeds(doc)
    assert (hit.kind, hit.platform, hit.variant) == ("embed", "mastodon", "mastodon-blockquote")
    assert hit.post_id == "mastodon.social/116652868576843132"
    assert hit.handle == "bagrounds@mastodon.social"  # from "Post by @bagrounds@mastodon.social"
    assert hit.url == "https://mastodon.social/@bagrounds/116652868576843132"
    assert hit.element is not None and hit.element.tag == "blockquote"
    assert "mastodon-embed" in hit.element.get("class")


def test_legacy_iframe_real_markup() -> None:
    (hit,) = PLATFORM.find_embeds(article(LEGACY))
    assert hit.variant == "mastodon-iframe" and hit.element is not None and hit.element.tag == "iframe"
    assert (hit.post_id, hit.handle) == ("mastodon.social/113079171241665414", "popey@mastodon.social")
    assert hit.url == "https://mastodon.social/@popey/113079171241665414"


def test_both_forms_in_document_order_with_a_remote_author() -> None:
    remote = BLOCKQUOTE.replace("Post by @bagrounds@mastodon.social", "Post by @editor@journa.host").replace(
        "/@bagrounds/", "/@editor@journa.host/"
    )
    hits = PLATFORM.find_embeds(article(LEGACY, remote))
    assert [h.variant for h in hits] == ["mastodon-iframe", "mastodon-blockquote"]
    assert hits[1].post_id == "mastodon.social/116652868576843132" and hits[1].handle == "editor@journa.host"
    assert hits[1].url == "https://mastodon.social/@editor@journa.host/116652868576843132"


def test_iframe_without_class_needs_the_embed_script() -> None:
    bare = '<iframe src="https://journa.host/@editor/112233445566778899/embed" width="400"></iframe>'
    with_script = f'<div>{bare}<script src="https://journa.host/embed.js" async="async"></script></div>'
    (hit,) = PLATFORM.find_embeds(article(with_script))
    assert (hit.post_id, hit.variant) == ("journa.host/112233445566778899", "mastodon-iframe")
    assert PLATFORM.find_embeds(article(f"<div>{bare}</div>")) == []
    # a script named otherwise, or an embed of another kind of page, is not one
    other = f'<div>{bare}<script src="https://journa.host/app.js"></script></div>'
    assert PLATFORM.find_embeds(article(other)) == []


def test_lazy_iframe_data_src_and_class_without_embed_path() -> None:
    lazy = '<iframe class="mastodon-embed" data-src="https://mastodon.social/@dana/113456789012345678/embed"></iframe>'
    (hit,) = PLATFORM.find_embeds(article(lazy))
    assert hit.post_id == "mastodon.social/113456789012345678"
    not_embed = (
        '<iframe class="mastodon-embed" src="https://mastodon.social/@dana/113456789012345678"></iframe>'
    )
    assert PLATFORM.find_embeds(article(not_embed)) == []


def test_rendered_embed_js_output_counts_once() -> None:
    """embed.js replaces the blockquote by an iframe; a page saved half-way holds both nested."""
    nested = (
        '<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@dana/113456789012345678/embed">'
        '<iframe class="mastodon-embed" src="https://mastodon.social/@dana/113456789012345678/embed"></iframe>'
        "</blockquote>"
    )
    (hit,) = PLATFORM.find_embeds(article(nested))
    assert hit.variant == "mastodon-blockquote"


def test_not_mastodon_markup() -> None:
    others = (
        '<blockquote class="twitter-tweet"><a href="https://twitter.com/jack/status/20">x</a></blockquote>'
        '<iframe src="https://www.youtube.com/embed/abc"></iframe>'
        '<iframe src="https://medium.com/@writer/123/embed"></iframe><script src="https://medium.com/embed.js"></script>'
        '<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/about"></blockquote>'
        "<blockquote><p>Post by @someone@mastodon.social</p></blockquote>"
    )
    assert PLATFORM.find_embeds(article(others)) == []
