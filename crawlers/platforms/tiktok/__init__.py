"""TikTok: videos keyed by their numeric id, read through oEmbed (docs/platforms/tiktok.md)."""

from crawlers.platforms.tiktok.client import TikTokPlatform

PLATFORM = TikTokPlatform()

__all__ = ["PLATFORM", "TikTokPlatform"]
