"""oEmbed parsing on the two real bodies saved under fakeweb/data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.payload import PostFormatError
from crawlers.platforms.x.oembed import (
    DAY_PRECISION_REASON,
    classify_oembed,
    oembed_url,
    parse_oembed,
    snowflake_time,
)
from fakeweb.catalog import DATA_DIR

FIXTURES = DATA_DIR  # the real bodies (one copy, shared with the fake web)
OEMBED_2024 = FIXTURES / "oembed_2024_twitter_dieworkwear_1797170834429313181.json"
OEMBED_2025 = FIXTURES / "oembed_2025_x_ucbethuel_1998024020726329831.json"


def test_oembed_url() -> None:
    assert oembed_url("https://x.com/jack/status/20") == (
        "https://publish.twitter.com/oembed?url=https%3A%2F%2Fx.com%2Fjack%2Fstatus%2F20&omit_script=1&dnt=true"
    )


def test_snowflake_time() -> None:
    assert snowflake_time("1641086480675225601") == datetime(2023, 3, 29, 14, 34, 41, 562000, tzinfo=UTC)
    assert snowflake_time("20") is None
    assert snowflake_time("not-an-id") is None
    assert snowflake_time(str(2**64)) is None


def test_2024_twitter_body() -> None:
    post = parse_oembed(OEMBED_2024.read_bytes(), "1797170834429313181")
    assert post.id == "x:1797170834429313181" and post.route == "oembed"
    assert (post.author.handle, post.author.name) == ("dieworkwear", "derek guy")
    assert post.url == "https://x.com/dieworkwear/status/1797170834429313181"
    assert post.text == (
        'If you have a large seat—which is the polite tailoring term for "ass"—you can use darts to make the pants '
        "follow your curves. I will demonstrate. 🧵 pic.twitter.com/G7G7Fm55z8"
    )
    assert post.lang == "en"
    assert post.created_at is not None and post.created_at.date().isoformat() == "2024-06-02"
    assert post.created_at == snowflake_time("1797170834429313181")
    assert post.status_reason is None
    assert post.raw is not None and post.raw["provider_name"] == "Twitter"


def test_2025_x_body() -> None:
    outcome = classify_oembed(200, {"content-type": "application/json"}, OEMBED_2025.read_bytes())
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert post.post_id == "1998024020726329831"
    assert (post.author.handle, post.author.name) == ("ucbethuel", "Uchenna Bethel Orji")
    assert post.text == (
        "So glad to be selected as @cowrywise ambassador, looking forward for an amazing growth with them "
        "especially financially, 😊.#cowrywise #graduate #Ambassadorprogram #ucbethuel"
    )
    assert post.created_at is not None and post.created_at.date().isoformat() == "2025-12-08"


def test_line_breaks_entities_and_day_precision_for_old_ids() -> None:
    data = json.loads(OEMBED_2024.read_text())
    data["url"] = "https://twitter.com/jack/status/20"
    data["html"] = (
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">just setting up my twttr<br>Tom &amp; Jerry'
        '</p>&mdash; jack (@jack) <a href="https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw">March 21, 2006</a>'
        "</blockquote>"
    )
    post = parse_oembed(json.dumps(data).encode(), "20")
    assert post.text == "just setting up my twttr\nTom & Jerry"
    assert post.created_at == datetime(2006, 3, 21, tzinfo=UTC)
    assert post.status_reason == DAY_PRECISION_REASON


def test_mismatched_or_broken_bodies() -> None:
    with pytest.raises(PostFormatError):
        parse_oembed(OEMBED_2024.read_bytes(), "1998024020726329831")
    for broken in (b"", b"<html>", b"[]", b'{"html": ""}', b'{"html": "<p>no blockquote</p>"}'):
        with pytest.raises(PostFormatError):
            parse_oembed(broken, "1797170834429313181")
    outcome = classify_oembed(200, {}, OEMBED_2024.read_bytes(), post_id="1998024020726329831")
    assert outcome.kind == "error"


@pytest.mark.parametrize(
    ("status", "payload", "kind", "gone_status"),
    [
        (404, b"<html>Not Found</html>", "gone", "deleted"),
        (403, b'{"error":"Sorry, you are not authorized to see this status."}', "gone", "unavailable"),
        (429, b"", "error", None),
        (500, b"", "error", None),
        (503, b"", "error", None),
        (301, b"", "error", None),
        (400, b'{"errors":[{"code":357,"message":"url: queryParam is required"}]}', "error", None),
        (200, b"not json", "error", None),
        (200, b'{"html": 5}', "error", None),
    ],
)
def test_oembed_response_classes(status: int, payload: bytes, kind: str, gone_status: str | None) -> None:
    outcome = classify_oembed(status, {}, payload, post_id="1797170834429313181")
    assert (outcome.kind, outcome.status) == (kind, gone_status)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=100, max_value=599), st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_oembed_never_raises(status: int, payload: bytes) -> None:
    outcome = classify_oembed(status, {}, payload, post_id="1797170834429313181")
    assert outcome.kind in ("post", "gone", "error")
    try:
        parse_oembed(payload, "1797170834429313181")
    except PostFormatError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_oembed_any_html_string(markup: str) -> None:
    data = json.loads(OEMBED_2024.read_text())
    data["html"] = markup
    try:
        post = parse_oembed(json.dumps(data).encode(), "1797170834429313181")
    except PostFormatError:
        return
    assert post.post_id == "1797170834429313181"
