"""Hits → References: one Reference per post (or per short link / quote), every sighting a Location."""

from __future__ import annotations

from crawlers.platforms.hits import Hit
from receipts.models import Location, Reference

_RANK = {"embed": 0, "link": 1, "media_link": 2, "attribution": 3}
_FILLED = ("url", "handle", "display_name", "displayed_text", "displayed_date")


def hit_key(hit: Hit) -> str:
    if hit.post_id:
        return f"x:{hit.post_id}"
    if hit.kind == "media_link" and hit.url:
        return f"url:{hit.url}"
    if hit.displayed_text:
        return f"quote:{hit.displayed_text[:200]}"
    return f"at:{hit.handle}:{hit.offsets}:{hit.order}"


def _location(hit: Hit) -> Location:
    return Location(css_path=hit.css_path, paragraph_index=hit.paragraph_index, offsets=hit.offsets,
                    url=hit.url or hit.media_url, variant=hit.variant)


def merge_hits(hits: list[Hit]) -> list[Reference]:
    """Group by post; kind precedence embed > link > media_link > attribution; document order kept."""
    groups: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.order):
        groups.setdefault(hit_key(hit), []).append(hit)
    refs: list[Reference] = []
    for group in groups.values():
        primary = min(group, key=lambda h: (_RANK[h.kind], h.order))
        fields = {name: getattr(primary, name) for name in _FILLED}
        for other in group:
            for name in _FILLED:
                if fields[name] is None and getattr(other, name) is not None and not (
                        name == "url" and other.kind in ("media_link", "attribution")):
                    fields[name] = getattr(other, name)
        locations = [_location(h) for h in group]
        unresolved = primary.post_id is None and primary.kind != "media_link"
        refs.append(Reference(
            platform="x", post_id=primary.post_id, kind=primary.kind, variant=primary.variant,
            offsets=locations[0].offsets, locations=locations, in_body=any(h.in_body for h in group),
            status="unresolved" if unresolved else "pending",
            unresolved_reason=("no post ID in the article" if unresolved else None),
            **fields,
        ))
    return refs
