"""Media pipeline (placeholder until the media archiving lands): passes items through."""

from __future__ import annotations

from typing import Any


class MediaPipeline:
    def process_item(self, item: Any) -> Any:
        return item
