"""The intermediate finding every detector returns (platform packages and discovery); discovery/merge.py turns hits into References."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from receipts.models import ReferenceKind


@dataclass
class Hit:
    kind: ReferenceKind
    post_id: str | None = None
    platform: str = "x"  # the registry name of the platform the post belongs to
    url: str | None = None
    element: etree._Element | None = None  # where it was found (css path, body span)
    variant: str | None = None
    handle: str | None = None
    display_name: str | None = None
    displayed_text: str | None = None
    displayed_date: str | None = None
    media_url: str | None = None  # a t.co / pic link shown inside an embed
    offsets: tuple[int, int] | None = None  # set by text-based detectors; element-based ones use spans
    paragraph_index: int | None = None
    css_path: str | None = None
    in_body: bool | None = None
    order: float = 0.0  # document position, for a stable reference order
