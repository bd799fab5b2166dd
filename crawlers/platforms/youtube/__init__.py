"""YouTube: videos keyed by their 11-character id, read through oEmbed (docs/platforms/youtube.md)."""

from crawlers.platforms.youtube.client import YouTubePlatform

PLATFORM = YouTubePlatform()

__all__ = ["PLATFORM", "YouTubePlatform"]
