"""TikTok embed detection on the real markup (fakeweb/data/tiktok/, see SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html

from crawlers.platforms.tiktok import PLATFORM
from fakeweb.tiktok import DATA

ROOT = Path(__file__).resolve().parents[4]
# shared/ lies beside the checkout (CI) or beside the worktrees' folder
SHARED = next(
    (
        p / "shared" / "formats" / "other_platforms"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT / "shared-missing",
)
VID = "7348705314746699054"
BLOCKQUOTE = (DATA / f"embed_blockquote_{VID}.html").read_text(encoding="utf-8")
CAPTION = (
    "Andre 3000 performing at Luna Luna was such an incredible night. I will never forget this night. "
    "#losangeles #andre3000 #fyp #foryou #foryoupage"
)


def article(*parts: str) -> html.HtmlElement:
    body = "".join(f"<p>Paragraph {i}.</p>{part}" for i, part in enumerate(parts))
    return html.document_fromstring(f"<html><body><article>{body}<p>The end.</p></article></body></html>")


def test_the_data_files_are_the_shared_ones() -> None:
    if not SHARED.exists():
        pytest.skip("shared/formats not laid beside the worktree")
    assert BLOCKQUOTE == (SHARED / "tiktok_blockquote_tiktok-embed_from_oembed.html").read_text(
        encoding="utf-8"
    )
    assert (DATA / f"oembed_{VID}.json").read_bytes() == (
        SHARED / "json" / "tiktok_oembed_response.json"
    ).read_bytes()


def test_real_blockquote_markup() -> None:
    (hit,) = PLATFORM.find_embeds(article(BLOCKQUOTE))
    assert (hit.kind, hit.platform, hit.variant, hit.post_id) == ("embed", "tiktok", "tiktok-blockquote", VID)
    assert hit.handle == "atribecalledval"
    assert hit.url == f"https://www.tiktok.com/@atribecalledval/video/{VID}"
    assert hit.displayed_text == CAPTION  # the caption <p>, hashtags included, not the sound link
    assert hit.element is not None and hit.element.tag == "blockquote"


def test_the_oembed_html_is_the_same_embed() -> None:
    snippet = json.loads((DATA / f"oembed_{VID}.json").read_text(encoding="utf-8"))["html"]
    (hit,) = PLATFORM.find_embeds(article(snippet))
    assert (hit.post_id, hit.handle, hit.displayed_text) == (VID, "atribecalledval", CAPTION)


def test_rendered_blockquote_is_one_embed() -> None:
    """embed.js puts the embed/v2 iframe inside the blockquote: still one embed."""
    rendered = BLOCKQUOTE.replace(
        "<section>", f'<iframe src="https://www.tiktok.com/embed/v2/{VID}?lang=en-US"></iframe><section>', 1
    )
    (hit,) = PLATFORM.find_embeds(article(rendered))
    assert hit.variant == "tiktok-blockquote"


def test_data_video_id_wins_and_cite_alone_works() -> None:
    other = "7000000000000000001"
    mismatched = BLOCKQUOTE.replace(f'data-video-id="{VID}"', f'data-video-id="{other}"')
    (hit,) = PLATFORM.find_embeds(article(mismatched))
    assert hit.post_id == other and hit.handle == "atribecalledval"  # the handle from the @user link
    cite_only = BLOCKQUOTE.replace(f' data-video-id="{VID}"', "")
    (hit,) = PLATFORM.find_embeds(article(cite_only))
    assert hit.post_id == VID
    neither = cite_only.replace(f"/video/{VID}", "")
    assert PLATFORM.find_embeds(article(neither)) == []


def test_iframes_and_document_order() -> None:
    frames = [
        f'<iframe src="https://www.tiktok.com/embed/v2/{VID}"></iframe>',
        '<iframe data-src="https://www.tiktok.com/player/v1/7000000000000000002?autoplay=0"></iframe>',
        '<iframe src="https://www.tiktok.com/embed/7000000000000000003"></iframe>',
    ]
    hits = PLATFORM.find_embeds(article(frames[0], BLOCKQUOTE, frames[1], frames[2]))
    assert [(h.variant, h.post_id) for h in hits] == [
        ("tiktok-iframe", VID),
        ("tiktok-blockquote", VID),
        ("tiktok-iframe", "7000000000000000002"),
        ("tiktok-iframe", "7000000000000000003"),
    ]
    assert hits[0].url == f"https://www.tiktok.com/@/video/{VID}" and hits[0].handle is None


@pytest.mark.parametrize(
    "markup",
    [
        f'<iframe src="https://www.tiktok.com/@atribecalledval/video/{VID}"></iframe>',  # a page, not a player
        '<iframe src="https://www.tiktok.com/embed/@atribecalledval"></iframe>',  # a creator embed
        f'<a href="https://www.tiktok.com/@atribecalledval/video/{VID}">a link</a>',
        f'<blockquote cite="https://www.tiktok.com/@a/video/{VID}">a quote citing TikTok</blockquote>',
    ],
)
def test_not_embeds(markup: str) -> None:
    assert PLATFORM.find_embeds(article(markup)) == []
