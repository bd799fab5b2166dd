"""Instagram: posts keyed by shortcode (docs/platforms/instagram.md)."""

from crawlers.platforms.instagram.client import InstagramPlatform

PLATFORM = InstagramPlatform()

__all__ = ["PLATFORM", "InstagramPlatform"]
