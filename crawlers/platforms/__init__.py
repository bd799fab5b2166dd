"""Platform modules (one per social network) behind :class:`crawlers.platforms.base.PlatformClient`."""
