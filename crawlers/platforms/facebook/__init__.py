"""Facebook: posts keyed by the normal form of their URL path (docs/platforms/facebook.md)."""

from crawlers.platforms.facebook.client import FacebookPlatform

PLATFORM = FacebookPlatform()

__all__ = ["FacebookPlatform", "PLATFORM"]
