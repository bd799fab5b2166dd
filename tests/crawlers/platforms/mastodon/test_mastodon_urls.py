"""Mastodon URL rules: the status URL forms, the deny list, user-typed keys, canonical URLs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.platforms.base import Platform, PostRef
from crawlers.platforms.mastodon import PLATFORM
from crawlers.platforms.mastodon.urls import embed_url, split_post_id

SID = "113456789012345678"


def test_platform_protocol_and_names() -> None:
    platform: Platform = PLATFORM
    assert (platform.name, platform.label) == ("mastodon", "Mastodon")


@pytest.mark.parametrize(
    ("url", "post_id", "handle"),
    [
        (f"https://mastodon.social/@dana/{SID}", f"mastodon.social/{SID}", "dana@mastodon.social"),
        (f"https://mastodon.social/@dana/{SID}/", f"mastodon.social/{SID}", "dana@mastodon.social"),
        (f"https://mastodon.social/@dana/{SID}/embed", f"mastodon.social/{SID}", "dana@mastodon.social"),
        (
            f"https://mastodon.social/users/dana/statuses/{SID}",
            f"mastodon.social/{SID}",
            "dana@mastodon.social",
        ),
        (
            f"https://mastodon.social/users/dana/statuses/{SID}/activity",
            f"mastodon.social/{SID}",
            "dana@mastodon.social",
        ),
        # a remote author's post as shown on mastodon.social: the id is the local copy's
        (
            f"https://mastodon.social/@editor@journa.host/{SID}",
            f"mastodon.social/{SID}",
            "editor@journa.host",
        ),
        (
            f"https://Mastodon.Social/@dana/{SID}?utm_source=x#top",
            f"mastodon.social/{SID}",
            "dana@mastodon.social",
        ),
        (f"//journa.host/@editor/{SID}", f"journa.host/{SID}", "editor@journa.host"),
        (f"https://mastodon.social/web/@dana/{SID}", f"mastodon.social/{SID}", "dana@mastodon.social"),
        (f"https://mastodon.social/web/statuses/{SID}", f"mastodon.social/{SID}", None),
        ("https://mastodon.social/@Gargron/1", "mastodon.social/1", "Gargron@mastodon.social"),
        ("https://mastodon.social/@Gargron/0099", "mastodon.social/99", "Gargron@mastodon.social"),
        # any host may be a Mastodon server: the fetch decides
        ("https://blog.example/@user/123", "blog.example/123", "user@blog.example"),
        ("http://social.example.org:443/@a_b.c/42", "social.example.org/42", "a_b.c@social.example.org"),
    ],
)
def test_parse_url_forms(url: str, post_id: str, handle: str | None) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref == PostRef(platform="mastodon", post_id=post_id, handle=handle, url=url.strip())


@pytest.mark.parametrize(
    "url",
    [
        # other platforms with /@user/… paths
        "https://medium.com/@writer/123456",
        "https://writer.medium.com/@writer/123456",
        "https://www.tiktok.com/@user/123456",
        "https://www.youtube.com/@channel/123",
        "https://www.threads.net/@user/123",
        "https://www.threads.com/@user/123",
        "https://bsky.app/@user/123",
        "https://x.com/@user/123",
        "https://twitter.com/@user/123",
        "https://www.instagram.com/@user/123",
        "https://m.facebook.com/@user/123",
        # wrong path shapes
        f"https://mastodon.social/@dana/{SID}/favourites",
        f"https://mastodon.social/@dana/{SID}abc",
        "https://mastodon.social/@dana",
        "https://mastodon.social/@dana/",
        "https://mastodon.social/@dana/0",
        "https://mastodon.social/@dana/000",
        "https://mastodon.social/@/123",
        "https://mastodon.social/dana/123",
        f"https://mastodon.social/statuses/{SID}",
        f"https://mastodon.social/tags/{SID}",
        "https://mastodon.social/@dana/" + "1" * 21,
        "https://mastodon.social/@dana/١٢٣",
        # hosts that are no server of the federation, or URLs that are not web URLs
        "https://localhost/@dana/123",
        "https://127.0.0.1/@dana/123",
        "https://[::1]/@dana/123",
        "https://mastodon.social:8443/@dana/123",
        "https://user:pw@mastodon.social/@dana/123",
        "ftp://mastodon.social/@dana/123",
        "mastodon.social/@dana/123",
        "javascript:alert(1)//mastodon.social/@dana/123",
        "https://mastodon..social/@dana/123",
        "https://-bad-.social/@dana/123",
        "",
        "   ",
        "https://[broken/@dana/123",
    ],
)
def test_parse_url_rejects(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_parse_url_idn_host_is_punycode() -> None:
    ref = PLATFORM.parse_url("https://tööt.example/@ana/7")
    assert (
        ref is not None and ref.post_id == "xn--tt-fkaa.example/7" and ref.handle == "ana@xn--tt-fkaa.example"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"mastodon.social/{SID}", f"mastodon.social/{SID}"),
        (f"  Mastodon.Social/{SID} ", f"mastodon.social/{SID}"),
        ("journa.host/007", "journa.host/7"),
        (f"https://mastodon.social/@dana/{SID}", f"mastodon.social/{SID}"),
        (f"https://mastodon.social/@editor@journa.host/{SID}/embed", f"mastodon.social/{SID}"),
        (f"mastodon.social/@dana/{SID}", None),
        (f"mastodon.social/{SID}/history", None),
        (f"{SID}", None),
        ("mastodon.social/", None),
        ("mastodon.social/abc", None),
        ("mastodon.social/0", None),
        ("medium.com/123", None),
        ("localhost/123", None),
        ("10.0.0.1/123", None),
        (f"mastodon.social/{'9' * 21}", None),
        ("https://medium.com/@writer/123", None),
        ("", None),
    ],
)
def test_parse_key(text: str, expected: str | None) -> None:
    assert PLATFORM.parse_key(text) == expected


def test_parse_key_rejects_non_strings() -> None:
    assert PLATFORM.parse_key(None) is None  # type: ignore[arg-type]


def test_canonical_url() -> None:
    pid = f"mastodon.social/{SID}"
    assert PLATFORM.canonical_url(pid, "dana@mastodon.social") == f"https://mastodon.social/@dana/{SID}"
    assert PLATFORM.canonical_url(pid, "@dana") == f"https://mastodon.social/@dana/{SID}"
    assert (
        PLATFORM.canonical_url(pid, "editor@Journa.Host")
        == f"https://mastodon.social/@editor@journa.host/{SID}"
    )
    assert PLATFORM.canonical_url(pid) == f"https://mastodon.social/statuses/{SID}"
    with pytest.raises(ValueError):
        PLATFORM.canonical_url("not an id")


@pytest.mark.parametrize("handle", ["dana@mastodon.social", "editor@journa.host"])
def test_canonical_url_round_trips_through_parse_url(handle: str) -> None:
    pid = f"mastodon.social/{SID}"
    ref = PLATFORM.parse_url(PLATFORM.canonical_url(pid, handle))
    assert ref is not None and (ref.post_id, ref.handle) == (pid, handle)


def test_embed_url_only_for_local_authors() -> None:
    pid = f"mastodon.social/{SID}"
    assert embed_url(pid, "dana@mastodon.social") == f"https://mastodon.social/@dana/{SID}/embed"
    assert embed_url(pid, "editor@journa.host") is None
    assert embed_url(pid) is None


@pytest.mark.parametrize(
    "bad", ["mastodon.social", "mastodon.social/", "/123", "Mastodon.social/1", "a/b/1", "x.y/01"]
)
def test_split_post_id_is_strict(bad: str) -> None:
    with pytest.raises(ValueError):
        split_post_id(bad)


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=120)
    | st.builds(lambda a, b: f"https://{a}/@{b}", st.text(max_size=30), st.text(max_size=40))
)
def test_parse_url_and_key_never_raise(text: str) -> None:
    ref = PLATFORM.parse_url(text)
    if ref is not None:
        assert PLATFORM.parse_key(ref.post_id) == ref.post_id
        assert PLATFORM.parse_url(PLATFORM.canonical_url(ref.post_id, ref.handle)) is not None
    key = PLATFORM.parse_key(text)
    assert key is None or PLATFORM.parse_key(key) == key
