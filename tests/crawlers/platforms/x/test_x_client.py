"""XClient routes/interpretation and t.co resolution."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.base import FetchPlan, PlatformClient
from crawlers.platforms.x.client import XClient, tco_outcome, tco_plan
from fakeweb.catalog import DATA_DIR  # the real bodies (one copy, shared with the fake web)

PHOTO_BODY = (DATA_DIR / "tweet_photo_1641086480675225601.json").read_bytes()
OEMBED_BODY = (DATA_DIR / "oembed_2024_twitter_dieworkwear_1797170834429313181.json").read_bytes()

# Real 200 body t.co sends to browser user agents (FORMATS.md §4).
TCO_200 = (
    b'<head><meta name="referrer" content="always"><noscript><META http-equiv="refresh" '
    b'content="0;URL=http://youtu.be/8EYeX5PkDXQ?a"></noscript><title>http://youtu.be/8EYeX5PkDXQ?a</title></head>'
    b'<script>window.opener = null; location.replace("http:\\/\\/youtu.be\\/8EYeX5PkDXQ?a")</script>'
)


def test_routes() -> None:
    client: PlatformClient = XClient()
    assert client.name == "x"
    syndication, oembed = client.routes("1641086480675225601")
    assert syndication == FetchPlan(
        "syndication",
        "https://cdn.syndication.twimg.com/tweet-result?id=1641086480675225601&lang=en&token=3z7miaszni8",
        {"User-Agent": "Googlebot"},
    )
    assert oembed.route == "oembed"
    assert oembed.url.startswith("https://publish.twitter.com/oembed?url=https%3A%2F%2Fx.com%2F")
    assert "1641086480675225601" in oembed.url and oembed.url.endswith("&omit_script=1&dnt=true")
    assert "%2Fjack%2Fstatus%2F" in XClient().routes("20", handle="jack")[1].url


def test_interpret_dispatches_and_checks_id() -> None:
    client = XClient()
    syndication, oembed = client.routes("1641086480675225601")
    ok = client.interpret(syndication, "1641086480675225601", 200, {"content-type": "application/json"}, PHOTO_BODY)
    assert ok.kind == "post" and ok.post is not None and ok.post.author.handle == "SamuelSusla"
    other = client.interpret(syndication, "1641895049427550208", 200, {}, PHOTO_BODY)
    assert other.kind == "error" and other.post is None
    assert client.interpret(syndication, "1641086480675225601", 404, {}, b"").kind == "gone"
    assert client.interpret(syndication, "1641086480675225601", 429, {}, b"").kind == "error"

    oembed_ok = client.interpret(oembed, "1797170834429313181", 200, {}, OEMBED_BODY)
    assert oembed_ok.kind == "post" and oembed_ok.post is not None and oembed_ok.post.route == "oembed"
    assert client.interpret(oembed, "1641086480675225601", 200, {}, OEMBED_BODY).kind == "error"
    gone = client.interpret(oembed, "1641086480675225601", 404, {}, b"")
    assert (gone.kind, gone.status) == ("gone", "deleted")
    assert client.interpret(FetchPlan("browser", "https://x.com/"), "1", 200, {}, b"").kind == "error"


def test_interpret_tombstone_and_empty_object() -> None:
    client = XClient()
    plan = client.routes("1641086480675225601")[0]
    tomb = json.dumps({"__typename": "TweetTombstone", "tombstone": {"text": {"text": "This Post is from a suspended account. Learn more"}}})
    outcome = client.interpret(plan, "1641086480675225601", 200, {}, tomb.encode())
    assert (outcome.kind, outcome.status) == ("gone", "unavailable")
    assert client.interpret(plan, "1641086480675225601", 200, {}, b"{}").status == "deleted"


def test_tco_redirects() -> None:
    assert tco_outcome(301, {"Location": "https://example.com/a?b=1"}, b"") == "https://example.com/a?b=1"
    assert tco_outcome(302, {"location": "https://example.com/"}, b"") == "https://example.com/"
    assert tco_outcome(301, {}, b"") is None
    unsafe = "https://twitter.com/safety/unsafe_link_warning?unsafe_link=https%3A%2F%2Fbad.example%2Fx%3Fa%3D1"
    assert tco_outcome(301, {"Location": unsafe}, b"") == "https://bad.example/x?a=1"
    assert tco_plan("https://t.co/abc").headers["User-Agent"].startswith("curl")


def test_tco_200_meta_refresh_pages() -> None:
    assert tco_outcome(200, {}, TCO_200) == "http://youtu.be/8EYeX5PkDXQ?a"
    # the 2013 form: only the meta refresh, no script
    old = b'<noscript><META http-equiv="refresh" content="0;URL=http://example.com/x?a&amp;b"></noscript>'
    assert tco_outcome(200, {}, old) == "http://example.com/x?a&b"
    script = b'<script>location.replace("https:\\/\\/twitter.com\\/safety\\/unsafe_link_warning?unsafe_link=https%3A%2F%2Fe.example%2F")</script>'
    assert tco_outcome(200, {}, script) == "https://e.example/"
    assert tco_outcome(200, {}, b"<html>nothing here</html>") is None
    assert tco_outcome(404, {}, TCO_200) is None
    assert tco_outcome(200, {}, b'<script>location.replace("javascript:alert(1)")</script>') is None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=100, max_value=599),
    st.dictionaries(st.sampled_from(["Location", "location", "Content-Type"]), st.text(max_size=80)),
    st.binary(max_size=300) | st.text(max_size=300).map(lambda t: f'location.replace("{t}")'.encode()),
)
def test_tco_outcome_never_raises(status: int, headers: dict[str, str], payload: bytes) -> None:
    target = tco_outcome(status, headers, payload)
    assert target is None or target.lower().startswith(("http://", "https://"))
