"""The one list of platforms. Adding a network is its package plus one line here (``docs/platforms.md``).

Order matters for URLs: a URL is given to each platform in turn and the first that claims it wins,
so platforms with fixed hosts come before Mastodon, whose servers can be any host.
"""

from __future__ import annotations

from crawlers.platforms.base import Platform, PostRef
from crawlers.platforms.bluesky import PLATFORM as BLUESKY
from crawlers.platforms.facebook import PLATFORM as FACEBOOK
from crawlers.platforms.instagram import PLATFORM as INSTAGRAM
from crawlers.platforms.mastodon import PLATFORM as MASTODON
from crawlers.platforms.threads import PLATFORM as THREADS
from crawlers.platforms.tiktok import PLATFORM as TIKTOK
from crawlers.platforms.x.platform import PLATFORM as X
from crawlers.platforms.youtube import PLATFORM as YOUTUBE

PLATFORMS: dict[str, Platform] = {
    p.name: p for p in (X, BLUESKY, THREADS, INSTAGRAM, FACEBOOK, TIKTOK, YOUTUBE, MASTODON)}  # Mastodon last: any host


def get_platform(name: str) -> Platform:
    """The registered platform *name*; KeyError names the known ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise KeyError(f"unknown platform {name!r} (known: {', '.join(PLATFORMS)})") from None


def post_ref(url: str) -> PostRef | None:
    """The post *url* names on any registered platform, or None."""
    for platform in PLATFORMS.values():
        ref = platform.parse_url(url)
        if ref is not None:
            return ref
    return None
