"""Mastodon: statuses keyed ``<host>/<status id>`` on the server that serves them (docs/platforms/mastodon.md)."""

from crawlers.platforms.mastodon.client import MastodonPlatform

PLATFORM = MastodonPlatform()

__all__ = ["PLATFORM", "MastodonPlatform"]
