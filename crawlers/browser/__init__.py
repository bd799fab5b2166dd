"""Browser captures (placeholder until the browser route lands)."""

from __future__ import annotations

from typing import Any

from receipts.settings import Settings


def browser_settings(settings: Settings, enabled: bool) -> dict[str, Any]:
    """Scrapy settings that route ``meta["playwright"]`` requests through Chromium."""
    return {}
