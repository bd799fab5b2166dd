"""Hits → References: one Reference per post (or per short link / quote), every sighting a Location."""

from __future__ import annotations

from crawlers.platforms.hits import Hit
from receipts.models import Location, Reference
from receipts.references import merge_references

_FILLED = ("url", "handle", "display_name", "displayed_text", "displayed_date")


def hit_key(hit: Hit) -> str:
    if hit.post_id:
        return f"{hit.platform}:{hit.post_id}"
    if hit.kind == "media_link" and hit.url:
        return f"url:{hit.url}"
    if hit.displayed_text:
        return f"quote:{hit.displayed_text[:200]}"
    return f"at:{hit.handle}:{hit.offsets}:{hit.order}"


def _location(hit: Hit) -> Location:
    return Location(css_path=hit.css_path, paragraph_index=hit.paragraph_index, offsets=hit.offsets,
                    url=hit.url or hit.media_url, variant=hit.variant)


def _shown(text: str | None) -> str | None:
    """Displayed text as one line: ``<br>`` and paragraph breaks read as spaces (entities are decoded)."""
    return " ".join(text.split()) or None if text else None


def _reference(hit: Hit) -> Reference:
    hit.displayed_text = _shown(hit.displayed_text)
    location = _location(hit)
    unresolved = hit.post_id is None and hit.kind != "media_link"
    return Reference(
        platform=hit.platform, post_id=hit.post_id, kind=hit.kind, variant=hit.variant, offsets=hit.offsets,
        locations=[location], in_body=bool(hit.in_body), status="unresolved" if unresolved else "pending",
        unresolved_reason=("no post ID in the article" if unresolved else None),
        **{name: getattr(hit, name) for name in _FILLED},
    )


def merge_hits(hits: list[Hit]) -> list[Reference]:
    """One Reference per post (the shared rule in :mod:`receipts.references`), in document order."""
    keyed = [(hit_key(hit), _reference(hit)) for hit in sorted(hits, key=lambda h: h.order)]
    keys = {id(ref): key for key, ref in keyed}
    return merge_references([ref for _, ref in keyed], key=lambda ref: keys[id(ref)])
