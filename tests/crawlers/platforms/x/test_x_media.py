"""Best-quality media selection, on the real HLS playlists saved from X."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.x.media import (
    avatar_400,
    best_photo_urls,
    best_video_variant,
    parse_hls_master,
    parse_hls_media,
    photo_url,
)
from fakeweb.catalog import DATA_DIR

HLS = DATA_DIR  # the real playlists (one copy, shared with the fake web)
MEDIA_ID = "1974992463661289472"


def test_best_photo_urls_plain_and_legacy_suffix() -> None:
    expected = [
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig",
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=4096x4096",
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=large",
    ]
    assert best_photo_urls("https://pbs.twimg.com/media/FsZNOgcWAAEQtrd.jpg") == expected
    assert best_photo_urls("https://pbs.twimg.com/media/FsZNOgcWAAEQtrd.jpg:large") == expected
    assert best_photo_urls("https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=small") == expected
    assert photo_url("https://pbs.twimg.com/media/ABC.png", "orig") == "https://pbs.twimg.com/media/ABC?format=png&name=orig"


def test_avatar_400() -> None:
    base = "https://pbs.twimg.com/profile_images/1042172116911697920/JkIt3onc"
    assert avatar_400(base + "_normal.jpg") == base + "_400x400.jpg"
    assert avatar_400(base + "_bigger.png") == base + "_400x400.png"
    assert avatar_400("https://abs.twimg.com/sticky/default_profile_images/default_profile.png") == (
        "https://abs.twimg.com/sticky/default_profile_images/default_profile.png"
    )


def test_best_video_variant_by_resolution_then_bitrate() -> None:
    variants = [
        {"bitrate": 2176000, "content_type": "video/mp4",
         "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/640x360/a.mp4?tag=12"},
        {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/ext_tw_video/1/pu/pl/b.m3u8?tag=12"},
        {"bitrate": 832000, "content_type": "video/mp4",
         "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/avc1/1280x720/c.mp4?tag=12"},
        {"bitrate": 256000, "content_type": "video/mp4",
         "url": "https://video.twimg.com/ext_tw_video/1/pu/vid/320x180/d.mp4?tag=12"},
    ]
    best = best_video_variant(variants)
    assert best is not None and "1280x720" in best["url"]
    same_res = [
        {"bitrate": 100, "content_type": "video/mp4", "url": "https://video.twimg.com/v/vid/640x360/low.mp4"},
        {"bitrate": 900, "content_type": "video/mp4", "url": "https://video.twimg.com/v/vid/640x360/high.mp4"},
    ]
    assert best_video_variant(same_res)["url"].endswith("high.mp4")  # type: ignore[index]
    assert best_video_variant([variants[1]]) is None
    assert best_video_variant([]) is None


def test_parse_hls_master_real_playlist() -> None:
    parsed = parse_hls_master((HLS / f"hls_master_amplify_video_{MEDIA_ID}.m3u8").read_text())
    assert len(parsed["variants"]) == 2
    video = parsed["video"]
    assert (video["width"], video["height"], video["bandwidth"]) == (1920, 1080, 2372256)
    assert video["url"] == f"https://video.twimg.com/amplify_video/{MEDIA_ID}/pl/avc1/1920x1080/INhPr2hrWQu6anIL.m3u8"
    assert video["audio_group"] == "audio-128000"
    audio = parsed["audio"]
    assert audio["group_id"] == "audio-128000" and audio["bitrate"] == 128000
    assert audio["url"] == f"https://video.twimg.com/amplify_video/{MEDIA_ID}/pl/mp4a/128000/4fSIpl7HlQOQKAd1.m3u8"
    assert [g["bitrate"] for g in parsed["audio_groups"]] == [32000, 128000]


def test_parse_hls_master_prefers_bandwidth_on_equal_resolution() -> None:
    text = (
        "#EXTM3U\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=500,RESOLUTION=640x360,CODECS="avc1"\nlow.m3u8\n'
        '#EXT-X-STREAM-INF:BANDWIDTH=900,RESOLUTION=640x360,CODECS="avc1"\nhigh.m3u8\n'
    )
    parsed = parse_hls_master(text, "https://video.twimg.com/x/pl/master.m3u8")
    assert parsed["video"]["url"] == "https://video.twimg.com/x/pl/high.m3u8"
    assert parsed["audio"] is None


def test_parse_hls_media_real_playlist() -> None:
    urls = parse_hls_media((HLS / f"hls_media_amplify_video_{MEDIA_ID}_1920x1080.m3u8").read_text())
    prefix = f"https://video.twimg.com/amplify_video/{MEDIA_ID}/vid/avc1"
    assert urls == [
        f"{prefix}/0/0/1920x1080/MvQcUji9OKbPZhG-.mp4",
        f"{prefix}/0/3000/1920x1080/IOHkdJpNm61XWnFk.m4s",
        f"{prefix}/3000/6000/1920x1080/4n1QaOrrGQtIV2tC.m4s",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_hls_parsers_never_raise(text: str) -> None:
    parsed = parse_hls_master(text)
    assert parsed["video"] is None or parsed["video"] in parsed["variants"]
    assert all(isinstance(u, str) for u in parse_hls_media(text))
