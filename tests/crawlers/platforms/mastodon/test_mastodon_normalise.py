"""The Mastodon normaliser and the answer classes, on the documented bodies and on hostile ones."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.base import FetchPlan
from crawlers.platforms.mastodon import PLATFORM
from crawlers.platforms.mastodon.normalise import (
    NotAStatus,
    attachment_media,
    html_to_text,
    normalise_history,
    normalise_status,
)
from fakeweb.mastodon import DATA

ROOT = Path(__file__).resolve().parents[4]
# shared/ lies beside the checkout (CI) or beside the worktrees' folder
SHARED = next(
    (
        p / "shared" / "formats" / "other_platforms" / "json"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared").is_dir()
    ),
    ROOT / "shared-missing",
)
STATUS = json.loads((DATA / "mastodon.social" / "103270115826048975.json").read_text(encoding="utf-8"))
API = FetchPlan("api", "https://mastodon.social/api/v1/statuses/103270115826048975")
PID = "mastodon.social/103270115826048975"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def attachments() -> list[dict]:
    """The four MediaAttachment examples of Mastodon's documentation (the copy in the data files)."""
    found = {}
    for path in sorted((DATA / "mastodon.social").glob("11345678901234567[89].json")) + sorted(
        (DATA / "mastodon.social").glob("11345678901234568[0-2].json")
    ):
        for item in json.loads(path.read_text(encoding="utf-8"))["media_attachments"]:
            found[item["type"]] = item
    return [found[kind] for kind in ("image", "video", "gifv", "audio")]


def test_the_data_files_keep_the_documented_examples() -> None:
    if not SHARED.exists():
        pytest.skip("shared/formats not laid beside the worktree")
    assert STATUS == json.loads((SHARED / "mastodon_status_entity_example.json").read_text(encoding="utf-8"))
    md = (SHARED / "mastodon_media_attachment_examples.md").read_text(encoding="utf-8")
    documented = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", md, re.S)]
    assert attachments() == documented


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>Hello world</p>", "Hello world"),
        ("<p>one</p><p>two<br>three<br/>four</p>", "one\n\ntwo\nthree\nfour"),
        ("<p>a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;</p>", "a & b <c> \"d\" 'e'"),
        ("<ul><li>first</li><li>second</li></ul><p>after</p>", "first\nsecond\n\nafter"),
        ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"),
        ("<p>x<script>alert(1)</script><style>p{}</style>y</p>", "xy"),
        ('<p class="quote-inline">RE: <a href="https://a.example/@b/1">…</a></p><p>mine</p>', "mine"),
        ("plain text, no tags", "plain text, no tags"),
        ("", ""),
        ("   ", ""),
        ("<p></p>", ""),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<p>emoji 🎉 and ZWJ 👩‍💻</p>", "emoji 🎉 and ZWJ 👩‍💻"),
    ],
)
def test_html_to_text(content: str, text: str) -> None:
    assert html_to_text(content) == text


def test_attachment_best_quality_per_type() -> None:
    image, video, gifv, audio = (attachment_media(a) for a in attachments())
    assert (
        image is not None
        and image.type == "photo"
        and image.source_url.endswith("/original/57859aede991da25.jpeg")
    )
    assert image.poster_url is None and image.duration_ms is None and image.content_type == "image/jpeg"
    assert video is not None and video.variants[0].bitrate == 862056 and video.variants[0].width == 1280
    assert gifv is not None and gifv.type == "animated_gif" and gifv.media_key == "21130559"
    assert audio is not None and audio.content_type == "audio/mpeg" and audio.width is None


def test_attachment_remote_only_and_unknown() -> None:
    item = copy.deepcopy(attachments()[0])
    item.update(url=None, remote_url="https://origin.example/original/x.png", preview_url=None)
    media = attachment_media(item)
    assert (
        media is not None
        and media.source_url == "https://origin.example/original/x.png"
        and media.fallback_urls == []
    )
    item.update(type="unknown")
    unknown = attachment_media(item)
    assert unknown is not None and unknown.status == "unavailable"
    item.update(remote_url=None)
    assert attachment_media(item) is None
    assert attachment_media("not a dict") is None
    assert attachment_media({"type": "image", "url": "javascript:alert(1)"}) is None


def test_normalise_rejects_what_is_not_a_status() -> None:
    for body in (
        {},
        [],
        "x",
        {"id": "1"},
        {**STATUS, "id": "abc"},
        {**STATUS, "account": "x"},
        {**STATUS, "created_at": "yesterday"},
        {**STATUS, "content": None},
    ):
        with pytest.raises(NotAStatus):
            normalise_status(body, "mastodon.social")


def test_normalise_is_defensive_about_field_types() -> None:
    body = copy.deepcopy(STATUS)
    body.update(
        language=5,
        replies_count="many",
        reblogs_count=True,
        media_attachments="none",
        card=[],
        in_reply_to_id={"x": 1},
        quote="no",
        mentions=None,
        edited_at="not a time",
    )
    body["account"].update(acct=None, username="Gargron", avatar="ftp://x")
    post = normalise_status(body, "mastodon.social")
    assert post.lang is None and post.reply_to_post_id is None and post.quoted_post_id is None
    assert post.metrics == {"favourites_count": 11, "quotes_count": 2} and post.card is None
    assert (
        post.author.handle == "Gargron@mastodon.social"
        and post.author.avatar_url is None
        and post.media == []
    )
    assert post.is_edited is False


def test_normalise_int_ids_and_huge_numbers_are_storable() -> None:
    body = copy.deepcopy(STATUS)
    body.update(id=103270115826048975, favourites_count=2**70)
    body["deep"] = {"n": 2**80}
    post = normalise_status(body, "mastodon.social")
    assert post.post_id == PID and "favourites_count" not in post.metrics
    assert post.raw["deep"]["n"] == str(2**80)  # BSON int64 cannot hold it


def test_history_rejects_non_lists_and_sorts() -> None:
    for body in ([], {}, [1], [{"content": 5}]):
        with pytest.raises(NotAStatus):
            normalise_history(body, PID)
    later = {"content": "<p>b</p>", "created_at": "2022-09-05T00:00:00Z", "account": STATUS["account"]}
    first = {
        "content": "<p>a</p>",
        "created_at": "2022-09-04T00:00:00Z",
        "account": STATUS["account"],
        "spoiler_text": "cw",
    }
    versions = normalise_history([later, first], PID)
    assert [v.text for v in versions] == ["a", "b"] and versions[0].status_reason == "content warning: cw"


def body(data: object) -> bytes:
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("status", "headers", "payload", "kind", "detail"),
    [
        (200, JSON_HEADERS, body(STATUS), "post", None),
        (
            200,
            JSON_HEADERS,
            b"<html><body>oops</body></html>",
            "error",
            "body is not JSON",
        ),  # JSON type, HTML body
        (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html></html>", "not_a_post", "HTML"),
        (200, {}, b"\x00\x01garbage", "error", "body is not JSON"),
        (200, JSON_HEADERS, b"[]", "not_a_post", "not a Mastodon Status"),
        (200, JSON_HEADERS, body({"ok": True}), "not_a_post", "not a Mastodon Status"),
        (200, JSON_HEADERS, b"[" * 100000 + b"]" * 100000, "error", "body is not JSON"),
        (404, JSON_HEADERS, body({"error": "Record not found"}), "gone", "Record not found"),
        (404, JSON_HEADERS, body({"error": "Not Found: status"}), "gone", "Not Found: status"),
        (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>", "not_a_post", "404"),
        (410, {}, b"", "gone", "HTTP 410 Gone"),
        (
            401,
            JSON_HEADERS,
            body({"error": "This API requires an authenticated user"}),
            "gone",
            "authenticated",
        ),
        (
            403,
            {"Content-Type": "text/html"},
            b"<title>Just a moment...</title>",
            "error",
            "HTTP 403",
        ),  # a CDN wall
        (401, {}, b"", "error", "HTTP 401"),
        (429, {"Retry-After": "30"}, body({"error": "Too many requests"}), "error", "Retry-After: 30"),
        (503, {}, b"", "error", "HTTP 503"),
        (302, {"Location": "https://elsewhere.example/"}, b"", "error", "HTTP 302"),
    ],
)
def test_answer_classes(status: int, headers: dict, payload: bytes, kind: str, detail: str | None) -> None:
    outcome = PLATFORM.interpret(API, PID, status, headers, payload)
    assert outcome.kind == kind
    if detail:
        assert detail in (outcome.reason or outcome.error or "")
    if kind == "gone":
        assert outcome.status == ("unavailable" if status in (401, 403) else "deleted")


def test_broken_boost_and_bad_routes() -> None:
    boost = {**STATUS, "id": "5", "content": "", "reblog": {"id": "x"}}
    assert PLATFORM.interpret(API, "mastodon.social/5", 200, JSON_HEADERS, body(boost)).kind == "error"
    assert PLATFORM.interpret(FetchPlan("browser", "https://x"), PID, 200, {}, b"").kind == "error"
    assert PLATFORM.interpret(API, "not a key", 200, JSON_HEADERS, body(STATUS)).kind == "error"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["api", "history", "oembed"]),
    st.integers(min_value=100, max_value=599),
    st.dictionaries(st.sampled_from(["Content-Type", "content-type", "Retry-After"]), st.text(max_size=40)),
    st.binary(max_size=400)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "content",
                        "account",
                        "created_at",
                        "reblog",
                        "media_attachments",
                        "error",
                        "html",
                        "quote",
                    ]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
)
def test_interpret_never_raises(route: str, status: int, headers: dict, payload: bytes) -> None:
    outcome = PLATFORM.interpret(FetchPlan(route, "https://mastodon.social/x"), PID, status, headers, payload)
    assert outcome.kind in ("post", "gone", "error", "moved", "not_a_post")
    if status != 200:
        assert outcome.kind != "post"
    if outcome.kind == "post" and route == "api":
        assert outcome.post is not None and outcome.post.post_id == PID
