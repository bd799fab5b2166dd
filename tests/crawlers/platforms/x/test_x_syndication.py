"""Syndication normaliser and response classes, on the real bodies saved under fakeweb/data."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import bson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.platforms.x.syndication import (
    BARE_TOMBSTONE_REASON,
    NO_USER_REASON,
    PostFormatError,
    classify_response,
    embedded_posts,
    normalize_tweet,
    syndication_url,
)
from fakeweb.catalog import DATA_DIR
from receipts.models import Post

FIXTURES = DATA_DIR  # the real bodies (one copy, shared with the fake web)
PHOTO = "tweet_photo_1641086480675225601.json"
QUOTE = "tweet_quote_1641895049427550208.json"
CARD = "tweet_card_1629262255744503809.json"
CARD_LINK = "tweet_card_link_1703436713362870723.json"
AVATAR_SAMMY = "https://pbs.twimg.com/profile_images/1042172116911697920/JkIt3onc"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def media_of(post: Post, kind: str) -> list[Any]:
    return [m for m in post.media if m.type == kind]


# ------------------------------------------------------------------ URL


def test_syndication_url() -> None:
    assert syndication_url("1629262255744503809") == (
        "https://cdn.syndication.twimg.com/tweet-result?id=1629262255744503809&lang=en&token=3y6h7x4gn61"
    )
    with_features = syndication_url("20", features="tfw_timeline_list:;tfw_tweet_edit_backend:on")
    assert "&features=tfw_timeline_list:;tfw_tweet_edit_backend:on&token=6dq1a2xwd93" in with_features


# ------------------------------------------------------------------ real bodies


def test_photo_tweet() -> None:
    fetched = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    post = normalize_tweet(load(PHOTO), fetched_at=fetched)
    assert post.id == "x:1641086480675225601"
    assert post.url == "https://x.com/SamuelSusla/status/1641086480675225601"
    assert (post.author.id, post.author.handle, post.author.name) == ("469266133", "SamuelSusla", "sammy")
    assert post.author.avatar_url == AVATAR_SAMMY + "_normal.jpg"
    assert post.text == (
        "If you are interested about View Flattening in React Native, I wrote a short post about it: "
        "https://github.com/reactwg/react-native-new-architecture/discussions/110\n\nLet me know what you think!"
    )
    assert post.created_at == datetime(2023, 3, 29, 14, 34, 41, tzinfo=UTC)
    assert post.lang == "en" and post.status == "live" and post.status_reason is None
    assert post.route == "syndication"
    [photo] = media_of(post, "photo")
    assert photo.source_url == "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig"
    assert photo.fallback_urls == [
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=4096x4096",
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=large",
    ]
    assert (photo.width, photo.height, photo.status) == (1995, 896, "available")
    [avatar] = media_of(post, "avatar")
    assert avatar.source_url == AVATAR_SAMMY + "_400x400.jpg"
    assert avatar.fallback_urls == [AVATAR_SAMMY + "_normal.jpg"]
    assert post.edit_ids == ["1641086480675225601"] and post.is_edited is False
    assert post.metrics == {"favorite_count": 226, "conversation_count": 1}
    assert post.quoted_post_id is None and post.card is None
    assert post.raw == load(PHOTO)
    assert post.first_seen_at == fetched and post.last_checked_at == fetched


def test_quote_tweet_and_embedded_quoted_post() -> None:
    data = load(QUOTE)
    outcome = classify_response(200, {"content-type": "application/json"}, body(data))
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert post.quoted_post_id == "1641086480675225601"
    assert outcome.related_post_ids == ["1641086480675225601"]
    assert post.author.handle == "mattcarrollcode"
    assert post.text is not None and post.text.startswith("#ReactNative's new architecture renderer")
    assert post.created_at == datetime(2023, 3, 31, 20, 7, 39, tzinfo=UTC)

    [quoted] = embedded_posts(data)
    assert quoted.id == "x:1641086480675225601"
    assert quoted.route == "syndication-embedded"
    assert quoted.author.handle == "SamuelSusla"
    assert quoted.text == normalize_tweet(load(PHOTO)).text
    assert quoted.metrics == {"favorite_count": 226, "reply_count": 1, "retweet_count": 42}
    assert media_of(quoted, "photo")[0].source_url.endswith("FsZNOgcWAAEQtrd?format=jpg&name=orig")
    assert embedded_posts(load(PHOTO)) == []


def test_card_tweet() -> None:
    post = normalize_tweet(load(CARD))
    assert post.text == (
        "📰 I recently joined @reactjs! My inaugural project was porting @sophiebits's Tic Tac Toe tutorial to the "
        "new React docs. What would you like to see in the next, in the React tutorial? "
        "https://beta.reactjs.org/learn/tutorial-tic-tac-toe"
    )
    assert post.card is not None
    assert post.card["name"] == "summary_large_image"
    assert post.card["url"] == "https://beta.reactjs.org/learn/tutorial-tic-tac-toe"
    assert post.card["strings"]["title"] == "Tutorial: Tic-Tac-Toe – React"
    assert post.card["images"]["thumbnail_image_original"].endswith("7ayIAMcm?format=png&name=orig")
    [card_image] = media_of(post, "card_image")
    assert card_image.source_url == "https://pbs.twimg.com/card_img/1639232954701594625/7ayIAMcm?format=png&name=orig"
    assert (card_image.width, card_image.height) == (1080, 567)
    assert "https://pbs.twimg.com/card_img/1639232954701594625/7ayIAMcm?format=png&name=800x419" in (
        card_image.fallback_urls
    )
    assert post.metrics["conversation_count"] == 11


def test_card_link_tweet_with_mentions_and_alt() -> None:
    post = normalize_tweet(load(CARD_LINK))
    assert post.author.handle == "rhaksw" and post.author.id == "1047412980948713472"
    assert post.text is not None
    assert "https://reddit.com/r/technology/comments/16jlhj7/we_are_senator_ron_wyden_fight_for_the_future/…" in post.text
    assert "https://t.co/" not in post.text
    assert post.text.endswith("I'll be asleep at the time of the AMA. 1/2 🧵")
    [card_image] = media_of(post, "card_image")
    assert card_image.source_url.endswith("wjPofjBa?format=jpg&name=orig")
    assert card_image.alt_text is not None and card_image.alt_text.startswith("From the technology community on Reddit")
    assert post.created_at == datetime(2023, 9, 17, 15, 52, 15, tzinfo=UTC)


@pytest.mark.parametrize("name", [PHOTO, QUOTE, CARD, CARD_LINK])
def test_every_real_body_is_a_post(name: str) -> None:
    outcome = classify_response(200, {}, (FIXTURES / name).read_bytes())
    assert outcome.kind == "post" and outcome.post is not None
    assert outcome.post.post_id == name.rsplit("_", 1)[1].removesuffix(".json")
    assert outcome.post.to_doc()["_id"] == outcome.post.id


# ------------------------------------------------------------------ shapes described in FORMATS.md §2


def shape_2026() -> dict[str, Any]:
    """The photo tweet as X sends it since June 2026: empty entity arrays omitted, pic.x.com, x.com."""
    data = load(PHOTO)
    ents = data["entities"]
    for key in ("hashtags", "user_mentions", "symbols"):
        del ents[key]
    for item in [*ents["media"], *data["mediaDetails"]]:
        item["display_url"] = "pic.x.com/rQd6FIwZ0U"
        item["expanded_url"] = "https://x.com/SamuelSusla/status/1641086480675225601/photo/1"
    data["photos"][0]["expandedUrl"] = "https://x.com/SamuelSusla/status/1641086480675225601/photo/1"
    data["user"]["highlighted_label"] = {
        "description": "X", "badge": {"url": "https://pbs.twimg.com/profile_images/1/x_normal.jpg"},
        "url": {"url": "https://x.com/X", "url_type": "DeepLink"},
        "user_label_type": "BusinessLabel", "user_label_display_type": "Badge",
    }
    return data


def test_2026_shape_normalises_like_2023() -> None:
    post = normalize_tweet(shape_2026())
    old = normalize_tweet(load(PHOTO))
    assert post.text == old.text
    assert [m.source_url for m in post.media] == [m.source_url for m in old.media]
    assert post.author.handle == "SamuelSusla"


def test_2026_shape_with_empty_or_broken_entities() -> None:
    data = load(QUOTE)
    data["entities"] = {}
    assert normalize_tweet(data).text == normalize_tweet(load(QUOTE)).text
    data["entities"] = {"media": "not a list", "urls": [None, 3, {"url": 5}]}
    assert normalize_tweet(data).post_id == "1641895049427550208"
    del data["entities"]
    assert normalize_tweet(data).text is not None


def test_2026_media_only_entities() -> None:
    data = shape_2026()
    data["entities"] = {"media": data["entities"]["media"]}
    post = normalize_tweet(data)
    assert post.text is not None
    assert post.text.endswith("Let me know what you think!")
    assert "https://t.co/4G6RAMfrHy" in post.text  # no url entity → the t.co stays as sent
    assert "rQd6FIwZ0U" not in post.text


def video_tweet(kind: str = "video") -> dict[str, Any]:
    """A video tweet built from the FORMATS.md §2/§5 description on top of the real photo body."""
    data = load(PHOTO)
    base = "https://video.twimg.com/ext_tw_video/1641086400000000000/pu"
    detail = data["mediaDetails"][0]
    detail["type"] = kind
    detail["media_url_https"] = "https://pbs.twimg.com/ext_tw_video_thumb/1641086400000000000/pu/img/POSTER.jpg"
    detail["original_info"] = {"height": 720, "width": 1280, "focus_rects": []}
    detail["video_info"] = {
        "aspect_ratio": [16, 9],
        "duration_millis": 30033,
        "variants": [
            {"bitrate": 256000, "content_type": "video/mp4", "url": f"{base}/vid/320x180/a.mp4?tag=12"},
            {"content_type": "application/x-mpegURL", "url": f"{base}/pl/m.m3u8?tag=12&container=fmp4"},
            {"bitrate": 2176000, "content_type": "video/mp4", "url": f"{base}/vid/1280x720/c.mp4?tag=12"},
            {"bitrate": 832000, "content_type": "video/mp4", "url": f"{base}/vid/640x360/b.mp4?tag=12"},
        ],
    }
    detail["ext_alt_text"] = "a cat"
    del data["photos"]
    return data


def test_video_picks_1280x720_and_keeps_all_variants() -> None:
    post = normalize_tweet(video_tweet())
    [video] = media_of(post, "video")
    assert video.source_url.endswith("/vid/1280x720/c.mp4?tag=12")
    assert video.content_type == "video/mp4"
    assert len(video.variants) == 4
    sizes = {(v.width, v.height, v.bitrate) for v in video.variants}
    assert {(320, 180, 256000), (640, 360, 832000), (1280, 720, 2176000), (None, None, None)} == sizes
    assert video.poster_url == "https://pbs.twimg.com/ext_tw_video_thumb/1641086400000000000/pu/img/POSTER.jpg"
    assert (video.width, video.height, video.duration_ms, video.alt_text) == (1280, 720, 30033, "a cat")
    assert media_of(post, "photo") == []


def test_gif_single_variant_bitrate_zero() -> None:
    data = video_tweet("animated_gif")
    url = "https://video.twimg.com/tweet_video/FsZNOgcWAAEQtrd.mp4"
    data["mediaDetails"][0]["video_info"] = {"aspect_ratio": [1, 1], "variants": [
        {"bitrate": 0, "content_type": "video/mp4", "url": url},
    ]}
    [gif] = media_of(normalize_tweet(data), "animated_gif")
    assert gif.source_url == url and gif.variants[0].bitrate == 0 and gif.duration_ms is None


def test_hls_only_video() -> None:
    data = video_tweet()
    m3u8 = "https://video.twimg.com/amplify_video/1974992463661289472/pl/INhPr2hrWQu6anIL.m3u8?variant_version=1&tag=14"
    data["mediaDetails"][0]["video_info"]["variants"] = [{"content_type": "application/x-mpegURL", "url": m3u8}]
    [video] = media_of(normalize_tweet(data), "video")
    assert video.source_url == m3u8 and video.content_type == "application/x-mpegURL"


def test_top_level_video_object() -> None:
    data = load(PHOTO)
    del data["mediaDetails"], data["photos"]
    data["video"] = {
        "aspectRatio": [16, 9], "contentType": "media_entity", "durationMs": 5000,
        "mediaAvailability": {"status": "available"},
        "poster": "https://pbs.twimg.com/amplify_video_thumb/1974992463661289472/img/P.jpg",
        "variants": [
            {"type": "application/x-mpegURL", "src": "https://video.twimg.com/amplify_video/1974992463661289472/pl/x.m3u8"},
            {"type": "video/mp4", "src": "https://video.twimg.com/amplify_video/1974992463661289472/vid/avc1/640x360/s.mp4"},
            {"type": "video/mp4", "src": "https://video.twimg.com/amplify_video/1974992463661289472/vid/avc1/1920x1080/l.mp4"},
        ],
        "videoId": {"type": "tweet", "id": "1641086480675225601"}, "viewCount": 10,
    }
    [video] = media_of(normalize_tweet(data), "video")
    assert video.source_url.endswith("/1920x1080/l.mp4")
    assert video.duration_ms == 5000 and video.poster_url is not None and video.poster_url.endswith("/P.jpg")


def test_unavailable_media_is_marked() -> None:
    data = load(PHOTO)
    data["mediaDetails"][0]["ext_media_availability"] = {"status": "Unavailable", "reason": "Dmcaed"}
    [photo] = media_of(normalize_tweet(data), "photo")
    assert photo.status == "unavailable"


def test_suspended_author_without_user() -> None:
    data = load(PHOTO)
    del data["user"]
    post = normalize_tweet(data)
    assert post.status == "live" and post.status_reason == NO_USER_REASON
    assert post.author.handle is None and post.author.id is None
    assert post.url == "https://x.com/i/web/status/1641086480675225601"
    assert media_of(post, "avatar") == []
    assert classify_response(200, {}, body(data)).kind == "post"


def test_reply_and_edits() -> None:
    data = load(PHOTO)
    data["parent"] = {"id_str": "1641000000000000000", "user": {"screen_name": "TitterDaily"}, "text": "x"}
    data["edit_control"] = {"edit_control_initial": {"edit_tweet_ids": ["1641086480675225600", "1641086480675225601"]}}
    del data["isEdited"]
    post = normalize_tweet(data)
    assert post.reply_to_post_id == "1641000000000000000" and post.reply_to_handle == "TitterDaily"
    assert post.edit_ids == ["1641086480675225600", "1641086480675225601"] and post.is_edited is True
    data["in_reply_to_status_id_str"] = "1640000000000000000"
    data["in_reply_to_screen_name"] = "elonmusk"
    post = normalize_tweet(data)
    assert (post.reply_to_post_id, post.reply_to_handle) == ("1640000000000000000", "elonmusk")


def test_display_range_drops_reply_mentions_and_unescapes() -> None:
    data = {
        "__typename": "Tweet", "id_str": "1641086480675225601",
        "text": "@bob Tom &amp; Jerry &lt;3 https://t.co/AbC https://t.co/PiC",
        "display_text_range": [5, 36],
        "entities": {
            "urls": [{"url": "https://t.co/AbC", "expanded_url": "https://e.example/?a=1&amp;b=2", "indices": [20, 36]}],
            "media": [{"url": "https://t.co/PiC", "indices": [37, 53]}],
        },
    }
    # indices counted on the unescaped text ("&" and "<" are one character each); expanded URLs kept verbatim
    assert normalize_tweet(data).text == "Tom & Jerry <3 https://e.example/?a=1&amp;b=2"
    # indices counted on the raw (escaped) text
    data["text"] = "Tom &amp; Jerry https://t.co/AbC"
    data["display_text_range"] = [0, 32]
    data["entities"] = {"urls": [{"url": "https://t.co/AbC", "expanded_url": "https://e.example/?a=1&amp;b=2",
                                  "indices": [16, 32]}]}
    assert normalize_tweet(data).text == "Tom & Jerry https://e.example/?a=1&amp;b=2"
    # only X's three escapes are decoded, once
    plain = {"id_str": "1641086480675225601", "text": "R&amp;D &copy &amp;amp; &lt;3"}
    assert normalize_tweet(plain).text == "R&D &copy &amp; <3"


def test_huge_numbers_and_wrong_types() -> None:
    data = load(CARD)
    data["favorite_count"] = 10**40
    data["conversation_count"] = "12"
    data["created_at"] = 12345
    data["mediaDetails"] = [{"type": "photo", "media_url_https": 7, "original_info": {"width": 10**30}}]
    data["card"]["binding_values"]["thumbnail_image"]["image_value"]["width"] = 1e308
    post = normalize_tweet(data)
    assert post.metrics == {"conversation_count": 12}
    assert post.created_at == datetime(2023, 2, 24, 23, 29, 26, 655000, tzinfo=UTC)  # from the snowflake
    data["extra"] = {"n": 10**30, "deep": [[[1]]], "k\x00": "\ud800"}
    assert normalize_tweet(data).raw["extra"] == {"n": str(10**30), "deep": [[[1]]], "k\ufffd": "?"}
    nested: Any = 1
    for _ in range(200):
        nested = [nested]
    data["extra"] = nested
    with pytest.raises(PostFormatError):
        normalize_tweet(data)
    for bad_id in ("99999999999999999999999", "12a", True, -5, None):
        data["id_str"] = bad_id
        with pytest.raises(PostFormatError):
            normalize_tweet(data)


@pytest.mark.parametrize("value", [None, [], "tweet", 3, {}, {"__typename": "TweetTombstone"}, {"id_str": "123"}])
def test_not_a_tweet(value: Any) -> None:
    with pytest.raises(PostFormatError):
        normalize_tweet(value)


# ------------------------------------------------------------------ response classes


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("This Post was deleted by the Post author. Learn more", "deleted"),
        ("This Tweet was deleted by the Tweet author. Learn more", "deleted"),
        ("This Post is from an account that no longer exists. Learn more", "deleted"),
        ("This Post is from a suspended account. Learn more", "unavailable"),
        ("You’re unable to view this Post because this account owner limits who can view their Posts. Learn more",
         "unavailable"),
        ("This Post violated the X Rules. Learn more", "unavailable"),
        ("Age-restricted adult content. This content might not be appropriate for people under 18 years old.",
         "unavailable"),
    ],
)
def test_tombstones(text: str, status: str) -> None:
    data = load("tombstone_deleted.json")
    data["tombstone"]["text"]["text"] = text
    outcome = classify_response(200, {"content-type": "application/json"}, body(data))
    assert (outcome.kind, outcome.status, outcome.reason) == ("gone", status, text)


def test_real_tombstone_and_bare_tombstone() -> None:
    real = classify_response(200, {}, (FIXTURES / "tombstone_deleted.json").read_bytes())
    assert (real.kind, real.status) == ("gone", "deleted")
    assert real.reason == "This Post was deleted by the Post author. Learn more"
    bare = classify_response(200, {}, b'{"__typename":"TweetTombstone"}')
    assert (bare.kind, bare.status, bare.reason) == ("gone", "unavailable", BARE_TOMBSTONE_REASON)


@pytest.mark.parametrize(
    ("status", "payload", "kind", "gone_status"),
    [
        (200, b"{}", "gone", "deleted"),
        (404, b"", "gone", "deleted"),
        (404, b"<html>not found</html>", "gone", "deleted"),
        (429, b'{"error":"Rate limit exceeded"}', "error", None),
        (503, b"<html>Service Unavailable</html>", "error", None),
        (500, b"", "error", None),
        (403, b"{}", "error", None),
        (200, b"<html>garbage", "error", None),
        (200, b"\xff\xfe\x00", "error", None),
        (200, b"[]", "error", None),
        (200, b'"Tweet"', "error", None),
        (200, b'{"__typename":"Tweet"}', "error", None),
        (200, b'{"__typename":"TweetUnavailable","reason":"Suspended"}', "error", None),
        (200, b'{"error":"oops"}', "error", None),
    ],
)
def test_response_classes(status: int, payload: bytes, kind: str, gone_status: str | None) -> None:
    outcome = classify_response(status, {}, payload)
    assert outcome.kind == kind
    assert outcome.status == gone_status
    assert (outcome.post is None) is True
    if kind == "error":
        assert outcome.error


def test_error_message_carries_api_error() -> None:
    assert classify_response(429, {}, b'{"error":"Rate limit exceeded"}').error == "HTTP 429: Rate limit exceeded"
    assert classify_response(404, {}, b"").reason == "not found (HTTP 404)"
    assert classify_response(200, {}, b"{}").reason == "not found"


# ------------------------------------------------------------------ properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=()), max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


REAL_BODIES = {name: load(name) for name in (PHOTO, QUOTE, CARD, CARD_LINK)}
REAL_PATHS = [(name, path) for name, data in REAL_BODIES.items() for path in _paths(data) if path]


def _check(value: Any) -> None:
    try:
        post = normalize_tweet(value)
    except PostFormatError:
        return
    assert isinstance(post, Post)
    bson.encode(post.to_doc())  # storable in MongoDB as is


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_is_a_post_or_format_error(value: Any) -> None:
    _check(value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(REAL_PATHS), json_values | st.integers(min_value=2**63, max_value=10**40))
def test_mutated_real_bodies_are_a_post_or_format_error(target: tuple[str, tuple[Any, ...]], value: Any) -> None:
    name, path = target
    data = copy.deepcopy(REAL_BODIES[name])
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    _check(data)
    outcome = classify_response(200, {}, json.dumps(data).encode())
    assert outcome.kind in ("post", "gone", "error")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=100, max_value=599), st.binary(max_size=200))
def test_classify_never_raises(status: int, payload: bytes) -> None:
    outcome = classify_response(status, {}, payload)
    if status not in (200, 404):
        assert outcome.kind == "error"
