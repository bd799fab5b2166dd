"""Threads: posts keyed by shortcode (docs/platforms/threads.md)."""

from crawlers.platforms.threads.client import ThreadsPlatform

PLATFORM = ThreadsPlatform()

__all__ = ["PLATFORM", "ThreadsPlatform"]
