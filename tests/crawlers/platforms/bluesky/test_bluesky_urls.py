"""Bluesky ids and URL forms: parse_url, parse_key, canonical_url, the AT-URI syntax rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.base import Platform, PostRef
from crawlers.platforms.bluesky import PLATFORM
from crawlers.platforms.bluesky.urls import is_did, is_handle, parse_at_uri

DID = "did:plc:pqeikn4fnyts5seuh5bazj7b"
RKEY = "3la4vfasktq27"
URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


def test_platform_protocol_and_names() -> None:
    platform: Platform = PLATFORM
    assert (platform.name, platform.label) == ("bluesky", "Bluesky")


@pytest.mark.parametrize(
    "url",
    [
        f"https://bsky.app/profile/{DID}/post/{RKEY}",
        f"https://bsky.app/profile/{DID}/post/{RKEY}?ref_src=embed",
        f"https://bsky.app/profile/{DID}/post/{RKEY}/",
        f"https://bsky.app/profile/{DID}/post/{RKEY}#replies",
        f"http://www.bsky.app/profile/{DID}/post/{RKEY}",
        f"//bsky.app/profile/{DID}/post/{RKEY}",
        f"  https://BSKY.APP/profile/{DID}/post/{RKEY}  ",
        f"https://bsky.app/profile/did%3Aplc%3Apqeikn4fnyts5seuh5bazj7b/post/{RKEY}",
        f"https://bsky.app/profile/{DID}/post/{RKEY}/liked-by",
        f"https://bsky.app/profile/{DID}/post/{RKEY}/quotes",
        f"https://embed.bsky.app/embed/{DID}/app.bsky.feed.post/{RKEY}",
        f"https://embed.bsky.app/embed/{DID}/app.bsky.feed.post/{RKEY}?id=7153&ref_url=https%253A%252F%252Fa.example&colorMode=system",
        URI,
        f"AT://{DID}/app.bsky.feed.post/{RKEY}",
    ],
)
def test_did_forms_name_the_post(url: str) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref == PostRef(platform="bluesky", post_id=URI, handle=None, url=url.strip())
    assert PLATFORM.parse_key(url) == URI


@pytest.mark.parametrize(
    "url",
    [
        f"https://bsky.app/profile/davidharting.com/post/{RKEY}",
        f"https://bsky.app/profile/DavidHarting.COM/post/{RKEY}?ref_src=embed",
        f"https://bsky.app/profile/@davidharting.com/post/{RKEY}",
        f"at://davidharting.com/app.bsky.feed.post/{RKEY}",
    ],
)
def test_handle_forms_keep_the_handle(url: str) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref is not None
    assert ref.post_id == f"at://davidharting.com/app.bsky.feed.post/{RKEY}"
    assert ref.handle == "davidharting.com"


def test_did_web_and_other_rkeys() -> None:
    ref = PLATFORM.parse_url("https://bsky.app/profile/did:web:de1.tentacle.expert/post/3l3w4tnezek2e")
    assert (
        ref is not None and ref.post_id == "at://did:web:de1.tentacle.expert/app.bsky.feed.post/3l3w4tnezek2e"
    )
    assert PLATFORM.parse_key("at://did:plc:pqeikn4fnyts5seuh5bazj7b/app.bsky.feed.post/self") is not None


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://bsky.app/",
        f"https://bsky.app/profile/{DID}",
        f"https://bsky.app/profile/{DID}/feed/{RKEY}",
        f"https://bsky.app/profile/{DID}/post/",
        f"https://bsky.app/profile/{DID}/post/{RKEY}/likes",
        f"https://bsky.app/profile/{DID}/post/{RKEY}/liked-by/extra",
        f"https://bsky.app/profile/nodots/post/{RKEY}",
        f"https://bsky.app/profile/did:plc:short/post/{RKEY}",
        f"https://bsky.app/profile/{DID}/post/bad%20key",
        f"https://bsky.app/profile/{DID}/post/..",
        f"https://bsky.social/profile/{DID}/post/{RKEY}",
        f"https://evil.example/bsky.app/profile/{DID}/post/{RKEY}",
        f"ftp://bsky.app/profile/{DID}/post/{RKEY}",
        f"https://bsky.app:99999/profile/{DID}/post/{RKEY}",
        f"https://embed.bsky.app/embed/davidharting.com/app.bsky.feed.post/{RKEY}",
        f"https://embed.bsky.app/embed/{DID}/app.bsky.feed.like/{RKEY}",
        f"at://{DID}/app.bsky.feed.like/{RKEY}",
        f"at://{DID}/app.bsky.feed.post",
        f"at://{DID}/app.bsky.feed.post/{RKEY}/more",
        "https://x.com/jack/status/20",
        "bluesky:" + URI,
    ],
)
def test_other_urls_are_not_posts(url: str) -> None:
    assert PLATFORM.parse_url(url) is None
    assert PLATFORM.parse_key(url) is None


def test_canonical_url_uses_the_did() -> None:
    assert PLATFORM.canonical_url(URI) == f"https://bsky.app/profile/{DID}/post/{RKEY}"
    assert (
        PLATFORM.canonical_url(URI, handle="davidharting.com")
        == f"https://bsky.app/profile/{DID}/post/{RKEY}"
    )
    with pytest.raises(ValueError):
        PLATFORM.canonical_url("3la4vfasktq27")


def test_syntax_rules() -> None:
    assert is_did(DID) and is_did("did:web:example.com") and not is_did("did:plc:ABCDEFGHIJKLMNOPQRSTUVWX")
    assert not is_did("did:plc:pqeikn4fnyts5seuh5bazj7") and not is_did("did:web:")
    assert is_handle("alice.bsky.social") and not is_handle("alice") and not is_handle("alice.123")
    assert not is_handle("-alice.bsky.social") and not is_handle("handle.invalid")
    assert parse_at_uri(URI).rkey == RKEY  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=120)
    | st.from_regex(r"(https?://(bsky\.app|embed\.bsky\.app)/|at://)[^\s]{0,80}", fullmatch=True)
)
def test_parsers_never_raise(text: str) -> None:
    ref = PLATFORM.parse_url(text)
    key = PLATFORM.parse_key(text)
    assert (ref.post_id if ref else None) == key
    if key is not None:
        assert parse_at_uri(key) is not None and PLATFORM.parse_key(key) == key
