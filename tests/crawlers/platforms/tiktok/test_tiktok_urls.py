"""TikTok URL rules: the video URL forms, handles, typed keys, canonical URLs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.platforms.base import Platform, PostRef
from crawlers.platforms.tiktok import PLATFORM
from crawlers.platforms.tiktok.urls import embed_url, handle_from_url, normalise_handle, oembed_url

VID = "7348705314746699054"
USER = "atribecalledval"


def test_platform_protocol_and_names() -> None:
    platform: Platform = PLATFORM
    assert (platform.name, platform.label) == ("tiktok", "TikTok")


@pytest.mark.parametrize(
    ("url", "handle"),
    [
        (f"https://www.tiktok.com/@{USER}/video/{VID}", USER),
        (f"https://www.tiktok.com/@{USER}/video/{VID}?is_from_webapp=1&sender_device=pc", USER),
        (f"https://m.tiktok.com/@{USER}/video/{VID}/", USER),
        (f"http://tiktok.com/@{USER}/video/{VID}", USER),
        (f"https://www.tiktok.com/@some.user_1/video/{VID}", "some.user_1"),
        (f"https://www.tiktok.com/@/video/{VID}", None),
        (f"https://www.tiktok.com/video/{VID}", None),
        (f"https://www.tiktok.com/embed/v2/{VID}", None),
        (f"https://www.tiktok.com/embed/v2/{VID}?lang=en-US&referrer=https%3A%2F%2Fnews.example", None),
        (f"https://www.tiktok.com/embed/{VID}", None),
        (f"https://www.tiktok.com/player/v1/{VID}?music_info=1&description=1", None),
        (f"//www.tiktok.com/embed/v2/{VID}", None),
    ],
)
def test_video_url_forms(url: str, handle: str | None) -> None:
    assert PLATFORM.parse_url(url) == PostRef(platform="tiktok", post_id=VID, handle=handle, url=url.strip())


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.tiktok.com/@{USER}",
        f"https://www.tiktok.com/@{USER}/photo/{VID}",  # a photo post, not a video
        "https://vm.tiktok.com/ZMabc123/",  # a short link: no id until followed
        "https://www.tiktok.com/t/ZTL2SmoGF/",
        f"https://www.tiktok.com/@{USER}/video/0{VID}",  # leading zero
        f"https://www.tiktok.com/@{USER}/video/{VID}abc",
        "https://www.tiktok.com/@user/video/99999999999999999999",  # above 2**64
        f"https://www.tiktok.com/tag/fyp?video={VID}",
        f"https://www.tiktok.com/music/some-sound-{VID}",
        f"https://tiktok.com.evil.example/@{USER}/video/{VID}",
        f"https://www.tiktokv.com/share/video/{VID}/",
        f"https://www.tiktok.com:444/@{USER}/video/{VID}",
        f"https://u:p@www.tiktok.com/@{USER}/video/{VID}",
        f"https://www.tiktok.com/@{USER}/video/{VID}/extra",
        "",
        "tiktok",
    ],
)
def test_not_video_urls(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_handles() -> None:
    assert normalise_handle("@atribecalledval") == USER and normalise_handle(" Name_1.x ") == "Name_1.x"
    assert (
        normalise_handle("bad handle") is None
        and normalise_handle("") is None
        and normalise_handle("x.") is None
    )
    assert handle_from_url(f"https://www.tiktok.com/@{USER}?refer=embed") == USER
    assert handle_from_url(f"https://www.tiktok.com/@{USER}/video/{VID}") is None
    assert handle_from_url("https://evil.example/@someone") is None and handle_from_url(None) is None


def test_typed_keys() -> None:
    assert PLATFORM.parse_key(VID) == VID and PLATFORM.parse_key(f" {VID} ") == VID
    assert PLATFORM.parse_key(f"https://www.tiktok.com/@{USER}/video/{VID}") == VID
    assert PLATFORM.parse_key("0123") is None and PLATFORM.parse_key("12a") is None
    assert PLATFORM.parse_key("") is None and PLATFORM.parse_key(None) is None  # type: ignore[arg-type]


def test_canonical_embed_and_oembed_urls() -> None:
    assert PLATFORM.canonical_url(VID, USER) == f"https://www.tiktok.com/@{USER}/video/{VID}"
    assert PLATFORM.canonical_url(VID, f"@{USER}") == f"https://www.tiktok.com/@{USER}/video/{VID}"
    assert PLATFORM.canonical_url(VID) == f"https://www.tiktok.com/@/video/{VID}"
    assert PLATFORM.canonical_url(VID, "not a handle") == f"https://www.tiktok.com/@/video/{VID}"
    assert embed_url(VID) == f"https://www.tiktok.com/embed/v2/{VID}"
    assert oembed_url(VID, USER) == (
        f"https://www.tiktok.com/oembed?url=https%3A%2F%2Fwww.tiktok.com%2F%40{USER}%2Fvideo%2F{VID}"
    )
    with pytest.raises(ValueError):
        PLATFORM.canonical_url("abc")


@given(st.integers(min_value=1, max_value=2**64 - 1), st.from_regex(r"[A-Za-z0-9_]{1,24}", fullmatch=True))
def test_every_id_round_trips(number: int, user: str) -> None:
    video_id = str(number)
    for url in (
        PLATFORM.canonical_url(video_id, user),
        PLATFORM.canonical_url(video_id),
        embed_url(video_id),
    ):
        ref = PLATFORM.parse_url(url)
        assert ref is not None and ref.post_id == video_id


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    ref = PLATFORM.parse_url(text)
    assert ref is None or ref.post_id.isdigit()
    key = PLATFORM.parse_key(text)
    assert key is None or key.isdigit()
