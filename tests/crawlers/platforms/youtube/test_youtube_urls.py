"""YouTube URL rules: every URL form of a video, the ids that are not videos, typed keys, canonical URLs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.platforms.base import Platform, PostRef
from crawlers.platforms.youtube import PLATFORM
from crawlers.platforms.youtube.urls import channel_from_url, embed_url, oembed_url

VID = "dQw4w9WgXcQ"


def test_platform_protocol_and_names() -> None:
    platform: Platform = PLATFORM
    assert (platform.name, platform.label) == ("youtube", "YouTube")


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={VID}",
        f"https://youtube.com/watch?v={VID}&t=42s",
        f"http://www.youtube.com/watch?feature=share&v={VID}",
        f"https://m.youtube.com/watch?v={VID}&list=PL123",
        f"https://music.youtube.com/watch?v={VID}",
        f"https://youtu.be/{VID}",
        f"https://youtu.be/{VID}?si=AbCdEf&t=10",
        f"https://www.youtube.com/shorts/{VID}",
        f"https://youtube.com/shorts/{VID}?feature=share",
        f"https://m.youtube.com/shorts/{VID}",
        f"https://www.youtube.com/embed/{VID}",
        f"https://www.youtube.com/embed/{VID}?feature=oembed",
        f"https://www.youtube-nocookie.com/embed/{VID}?rel=0",
        f"https://youtube-nocookie.com/embed/{VID}",
        f"https://www.youtube.com/live/{VID}?si=x",
        f"https://www.youtube.com/v/{VID}",
        f"//www.youtube.com/embed/{VID}",
        f"  https://WWW.YOUTUBE.COM/watch?v={VID}  ",
    ],
)
def test_video_url_forms(url: str) -> None:
    assert PLATFORM.parse_url(url) == PostRef(platform="youtube", post_id=VID, handle=None, url=url.strip())


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",  # 11 chars, a playlist
        "https://www.youtube.com/embed/live_stream?channel=UC4R8DWoMoI7CAwX8_LjQHig",  # 11 chars, a channel
        "https://www.youtube.com/watch?v=dQw4w9WgXc",  # 10 characters
        "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12
        "https://www.youtube.com/watch?list=PL123",
        "https://www.youtube.com/@RickAstleyYT",
        "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        "https://www.youtube.com/playlist?list=PL123",
        f"https://www.youtube.com/shorts/{VID}/extra",
        f"https://www.youtube-nocookie.com/watch?v={VID}",  # nocookie serves the player only
        f"https://www.youtube-nocookie.com/shorts/{VID}",
        f"https://youtube.com.evil.example/watch?v={VID}",
        f"https://notyoutube.com/watch?v={VID}",
        f"https://www.youtube.com:8443/watch?v={VID}",
        f"https://user:pw@www.youtube.com/watch?v={VID}",
        f"ftp://www.youtube.com/watch?v={VID}",
        f"https://www.youtube.com/embed/{VID[:5]}%20{VID[5:]}",
        "",
        "not a url",
    ],
)
def test_not_video_urls(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_typed_keys() -> None:
    assert PLATFORM.parse_key(VID) == VID
    assert PLATFORM.parse_key(f" {VID} ") == VID
    assert PLATFORM.parse_key(f"https://youtu.be/{VID}") == VID
    assert PLATFORM.parse_key("videoseries") is None and PLATFORM.parse_key("live_stream") is None
    assert PLATFORM.parse_key("dQw4w9WgXc!") is None and PLATFORM.parse_key("") is None
    assert PLATFORM.parse_key(None) is None  # type: ignore[arg-type]


def test_canonical_embed_and_oembed_urls() -> None:
    assert PLATFORM.canonical_url(VID) == f"https://www.youtube.com/watch?v={VID}"
    assert PLATFORM.canonical_url(VID, "SomeHandle") == f"https://www.youtube.com/watch?v={VID}"
    assert embed_url(VID) == f"https://www.youtube.com/embed/{VID}"
    assert oembed_url(VID) == (
        f"https://www.youtube.com/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{VID}&format=json"
    )
    with pytest.raises(ValueError):
        PLATFORM.canonical_url("videoseries")


def test_channel_from_author_url() -> None:
    assert channel_from_url("https://www.youtube.com/@RickAstleyYT") == ("RickAstleyYT", None)
    assert channel_from_url("https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw") == (
        None,
        "UCuAXFkgsw1L7xaCfnd5JJOw",
    )
    assert channel_from_url("https://www.youtube.com/user/RickAstleyVEVO") == (None, None)
    assert channel_from_url("https://evil.example/@RickAstleyYT") == (None, None)
    assert channel_from_url(None) == (None, None)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=11, max_size=11
    )
)
def test_every_id_round_trips(video_id: str) -> None:
    if video_id in ("videoseries", "live_stream"):
        return
    for url in (PLATFORM.canonical_url(video_id), f"https://youtu.be/{video_id}", embed_url(video_id)):
        ref = PLATFORM.parse_url(url)
        assert ref is not None and ref.post_id == video_id


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    ref = PLATFORM.parse_url(text)
    assert ref is None or len(ref.post_id) == 11
    key = PLATFORM.parse_key(text)
    assert key is None or len(key) == 11
