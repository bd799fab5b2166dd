"""Instagram URL rules and embed detection on the real markup (FORMATS.md §7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import html

from crawlers.platforms.instagram import PLATFORM

REAL = Path("/work/shared/formats/other_platforms/instagram_blockquote_instagram-media.html")


@pytest.mark.parametrize(
    ("url", "code", "handle"),
    [
        ("https://www.instagram.com/p/Bw-eOMwAiNU/", "Bw-eOMwAiNU", None),
        ("https://instagram.com/p/Bw-eOMwAiNU", "Bw-eOMwAiNU", None),
        ("https://www.instagram.com/reel/C1a2b3c4d5e/?igsh=MWQ1ZGUxMzBkMA==", "C1a2b3c4d5e", None),
        ("https://www.instagram.com/reels/C1a2b3c4d5e/", "C1a2b3c4d5e", None),
        ("https://www.instagram.com/tv/B_x-y_Z1234/?utm_source=ig_embed", "B_x-y_Z1234", None),
        ("https://www.instagram.com/nasa/p/Bw-eOMwAiNU/", "Bw-eOMwAiNU", "nasa"),
        ("https://www.instagram.com/p/Bw-eOMwAiNU/embed/captioned/?cr=1&v=14", "Bw-eOMwAiNU", None),
        ("//www.instagram.com/p/Bw-eOMwAiNU/embed", "Bw-eOMwAiNU", None),
        ("https://instagr.am/p/Bw-eOMwAiNU/", "Bw-eOMwAiNU", None),
    ],
)
def test_post_urls(url: str, code: str, handle: str | None) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref is not None and (ref.platform, ref.post_id, ref.handle) == ("instagram", code, handle)
    assert PLATFORM.canonical_url(code) == f"https://www.instagram.com/p/{code}/"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.instagram.com/nasa/",
        "https://www.instagram.com/explore/tags/space/",
        "https://www.instagram.com/stories/nasa/3123/",
        "https://www.instagram.com/p/abc/",  # too short for a shortcode
        "https://evil.example/p/Bw-eOMwAiNU/",
        "https://www.instagram.com.evil.example/p/Bw-eOMwAiNU/",
        "ftp://www.instagram.com/p/Bw-eOMwAiNU/",
        "",
    ],
)
def test_not_post_urls(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_parse_key() -> None:
    assert PLATFORM.parse_key(" Bw-eOMwAiNU ") == "Bw-eOMwAiNU"
    assert PLATFORM.parse_key("https://www.instagram.com/reel/C1a2b3c4d5e/") == "C1a2b3c4d5e"
    assert PLATFORM.parse_key("not a code!") is None and PLATFORM.parse_key("ab") is None


def test_real_blockquote() -> None:
    doc = html.fromstring(REAL.read_text(encoding="utf-8"))
    (hit,) = PLATFORM.find_embeds(doc)
    assert (hit.platform, hit.post_id, hit.variant) == ("instagram", "Bw-eOMwAiNU", "instagram-blockquote")
    assert hit.handle == "bumblebff" and hit.display_name == "Bumble, For Friendship"
    assert hit.displayed_text == "Our favorite wall in our hometown. (📸 @AustinTourCo)"
    assert hit.displayed_date == "2019-05-02T22:00:10+00:00"
    assert hit.element is not None and hit.element.tag == "blockquote"


def test_iframe_and_nesting() -> None:
    doc = html.fromstring(
        "<div><iframe class='instagram-media instagram-media-rendered' "
        "src='https://www.instagram.com/p/BsOGulcndj-/embed/captioned/?cr=1&amp;v=14'></iframe>"
        "<iframe src='https://www.instagram.com/p/BsOGulcndj-/'></iframe>"  # not an embed page
        "<blockquote class='instagram-media' data-instgrm-permalink='https://www.instagram.com/reel/C1a2b3c4d5e/'>"
        "<iframe src='https://www.instagram.com/p/C1a2b3c4d5e/embed'></iframe></blockquote></div>"
    )
    hits = PLATFORM.find_embeds(doc)
    assert [(h.post_id, h.variant) for h in hits] == [
        ("BsOGulcndj-", "instagram-iframe"),
        ("C1a2b3c4d5e", "instagram-blockquote"),
    ]


def test_browser_page() -> None:
    page = PLATFORM.browser_page("Bw-eOMwAiNU")
    assert page is not None and page.url == "https://www.instagram.com/p/Bw-eOMwAiNU/embed/captioned/"
    assert page.ready_selector and PLATFORM.browser_page("x") is None
