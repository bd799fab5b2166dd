"""The one merge rule for an article's references: one Reference per post, every sighting kept.

Discovery merges its hits with it and storage merges again once short links and quotes have been
resolved to posts (two sightings can turn out to be the same post only then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from receipts.models import Location, Reference

KIND_RANK = {"embed": 0, "link": 1, "media_link": 2, "attribution": 3}  # which sighting speaks for the post
_OWN = {"kind", "variant", "locations", "offsets", "in_body", "status"}  # never filled in from another sighting
_NOT_A_POST_URL = ("media_link", "attribution")  # their URL is a picture or a search, not the post's


def merge_sightings(group: list[Reference]) -> Reference:
    """One reference from sightings of the same post, in document order.

    The best-ranked sighting (embed > link > media link > attribution; the first among equals) speaks;
    what it lacks is filled in from the others in order; locations are joined, offsets are the
    earliest, and the post is in the body if any sighting is.
    """
    primary = min(group, key=lambda ref: KIND_RANK[ref.kind])
    merged = primary.model_copy(deep=True)
    for other in group:
        if other is primary:
            continue
        for name in Reference.model_fields:
            if name in _OWN or (name == "url" and other.kind in _NOT_A_POST_URL):
                continue
            if getattr(merged, name) in (None, []) and getattr(other, name) not in (None, []):
                setattr(merged, name, getattr(other, name))
        merged.in_body = merged.in_body or other.in_body
    merged.locations, seen = [], set()
    for ref in group:  # a set of field tuples: 10,000 embeds of one post must not compare pairwise
        for loc in ref.locations:
            key = tuple(getattr(loc, name) for name in Location.model_fields)
            if key not in seen:
                seen.add(key)
                merged.locations.append(loc)
    starts = [ref.offsets for ref in group if ref.offsets is not None]
    merged.offsets = min(starts, key=lambda o: o[0]) if starts else None
    return merged


def merge_references(refs: Iterable[Reference], key: Callable[[Reference], str] | None = None) -> list[Reference]:
    """Group *refs* (document order) by *key* (the reference's post key by default) and merge each group."""
    groups: dict[str, list[Reference]] = {}
    for ref in refs:
        groups.setdefault(key(ref) if key else ref.key, []).append(ref)
    return [group[0] if len(group) == 1 else merge_sightings(group) for group in groups.values()]
