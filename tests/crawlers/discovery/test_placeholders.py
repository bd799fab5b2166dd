"""The cheap URL pre-check of the generic detectors lets through every registered platform's post URLs."""

from __future__ import annotations

import pytest

from crawlers.discovery.placeholders import post_of
from crawlers.platforms.registry import PLATFORMS, post_ref

POSTS = [
    "https://twitter.com/atrupar/status/1890172385467187200",
    "https://x.com/i/web/status/1890172385467187200",
    "https://mobile.twitter.com/atrupar/status/1890172385467187200?s=20",
    "https://fxtwitter.com/atrupar/status/1890172385467187200",
    "https://bsky.app/profile/did:plc:fll26nbvvyfm6ion7tj2sbjc/post/3ljsyvltpvk2e",
    "https://www.threads.net/t/DAbCdEfGhIj",
    "https://www.threads.com/@zuck/post/DAbCdEfGhIj",
    "https://www.instagram.com/p/C8xYzAbCdEf/",
    "https://instagr.am/p/C8xYzAbCdEf/",
    "https://www.tiktok.com/@scout2015/video/6718335390845095173",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    "https://mastodon.social/@Gargron/113456789012345680",
    "https://hachyderm.io/users/someone/statuses/113456789012345680",
    "//x.com/atrupar/status/1890172385467187200",
    "https://www.facebook.com/20531316728/posts/10154009990506729",
    "https://www.facebook.com/permalink.php?story_fbid=10154009990506729&id=20531316728",
]


@pytest.mark.parametrize("url", POSTS)
def test_post_urls_pass_the_precheck(url: str) -> None:
    ref = post_ref("https:" + url if url.startswith("//") else url)
    if ref is None and "fxtwitter" not in url:
        pytest.fail(f"the sample {url} is not a post of any platform: fix the sample")
    found = post_of(url)
    assert found is not None
    if ref is not None:
        assert found[:2] == (ref.platform, ref.post_id)


def test_every_registered_platform_has_a_sample() -> None:
    sampled = {post_ref("https:" + u if u.startswith("//") else u).platform for u in POSTS
               if post_ref("https:" + u if u.startswith("//") else u)}
    assert set(PLATFORMS) <= sampled


@pytest.mark.parametrize("url", ["https://news.example/story/1", "/relative/status/123", "https://example.org/@"
                                 "not-mastodon", "mailto:a@b.c"])
def test_site_links_are_not_posts(url: str) -> None:
    assert post_of(url) is None
