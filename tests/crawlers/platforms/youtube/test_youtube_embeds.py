"""YouTube embed detection on the real markup (fakeweb/data/youtube/, see SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html

from crawlers.platforms.youtube import PLATFORM
from fakeweb.youtube import DATA

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
IFRAME = (DATA / "embed_iframe_LtOGa5M8AuU.html").read_text(encoding="utf-8")
OEMBED_HTML = json.loads((DATA / "oembed_dQw4w9WgXcQ.json").read_text(encoding="utf-8"))["html"]


def article(*parts: str) -> html.HtmlElement:
    body = "".join(f"<p>Paragraph {i}.</p>{part}" for i, part in enumerate(parts))
    return html.document_fromstring(f"<html><body><article>{body}<p>The end.</p></article></body></html>")


def test_the_data_files_are_the_shared_ones() -> None:
    if not SHARED.exists():
        pytest.skip("shared/formats not laid beside the worktree")
    assert IFRAME == (SHARED / "youtube_iframe_embed.html").read_text(encoding="utf-8")
    assert (DATA / "oembed_dQw4w9WgXcQ.json").read_bytes() == (
        SHARED / "json" / "youtube_oembed_response.json"
    ).read_bytes()


def test_real_iframe_markup() -> None:
    (hit,) = PLATFORM.find_embeds(article(IFRAME))
    assert (hit.kind, hit.platform, hit.variant, hit.post_id) == (
        "embed",
        "youtube",
        "youtube-iframe",
        "LtOGa5M8AuU",
    )
    assert hit.url == "https://www.youtube.com/watch?v=LtOGa5M8AuU"
    assert hit.element is not None and hit.element.tag == "iframe"
    assert hit.displayed_text is None  # no title attribute


def test_oembed_iframe_keeps_its_title() -> None:
    (hit,) = PLATFORM.find_embeds(article(OEMBED_HTML))
    assert hit.post_id == "dQw4w9WgXcQ"  # src=…/embed/dQw4w9WgXcQ?feature=oembed
    assert hit.displayed_text == "Rick Astley - Never Gonna Give You Up (Official Music Video)"


def test_generic_share_dialog_title_is_not_text() -> None:
    snippet = OEMBED_HTML.replace(
        'title="Rick Astley - Never Gonna Give You Up (Official Music Video)"', 'title="YouTube video player"'
    )
    assert 'title="YouTube video player"' in snippet
    (hit,) = PLATFORM.find_embeds(article(snippet))
    assert hit.displayed_text is None


def test_nocookie_lazy_and_document_order() -> None:
    nocookie = IFRAME.replace(
        "www.youtube.com/embed/LtOGa5M8AuU", "www.youtube-nocookie.com/embed/aaaaaaaaaaa"
    )
    lazy = IFRAME.replace(
        'src="https://www.youtube.com/embed/LtOGa5M8AuU"',
        'src="about:blank" data-src="https://www.youtube.com/embed/bbbbbbbbbbb?si=x"',
    )
    lazier = IFRAME.replace("src=", "data-lazy-src=").replace("LtOGa5M8AuU", "ccccccccccc")
    hits = PLATFORM.find_embeds(article(IFRAME, nocookie, lazy, lazier))
    assert [h.post_id for h in hits] == ["LtOGa5M8AuU", "aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"]
    assert all(h.variant == "youtube-iframe" and h.platform == "youtube" for h in hits)


@pytest.mark.parametrize(
    "src",
    [
        "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        "https://www.youtube.com/embed/live_stream?channel=UC4R8DWoMoI7CAwX8_LjQHig",
        "https://www.youtube.com/watch?v=LtOGa5M8AuU",  # a page in an iframe is no player embed
        "https://www.youtube.com/subscribe_embed?channelid=UC4R8DWoMoI7CAwX8_LjQHig",
        "https://player.vimeo.com/video/76979871?youtube=1",
        "https://youtube.example/embed/LtOGa5M8AuU",
    ],
)
def test_iframes_that_are_not_video_embeds(src: str) -> None:
    assert PLATFORM.find_embeds(article(f'<iframe src="{src}"></iframe>')) == []


def test_links_are_not_embeds() -> None:
    doc = article('<a href="https://www.youtube.com/watch?v=LtOGa5M8AuU">a video</a>')
    assert PLATFORM.find_embeds(doc) == []
