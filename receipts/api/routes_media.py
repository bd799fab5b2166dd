"""``GET /api/v1/media?similar_to=<sha256>``: stored images that look like one (perceptual hashes).

Every stored image — photos, video posters, screenshots — has a 64-bit perceptual hash (see
:mod:`receipts.db.phash`); the same picture re-encoded, resized or re-uploaded elsewhere lands within a
few bits of it, a different picture about 32 bits away.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from receipts.api.auth import require_read
from receipts.api.common import ApiError
from receipts.api.routes_archive import SHA256_RE, archive_of
from receipts.api.timeouts import DeadlineRoute
from receipts.db.evidence import media_doc
from receipts.db.phash import ALGORITHM, MAX_DISTANCE, similar_media
from receipts.exports.records import iso
from receipts.media_store import MediaStore

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1", tags=["archive"], dependencies=[Depends(require_read)])

DEFAULT_DISTANCE = 4


def media_item(doc: dict[str, Any], distance: int | None = None) -> dict[str, Any]:
    sha = doc["_id"]
    out = {"sha256": sha, "content_type": doc.get("content_type"), "bytes": doc.get("bytes"),
           "width": doc.get("width"), "height": doc.get("height"), "phash": doc.get("phash"),
           "source_urls": doc.get("source_urls") or [], "first_seen_at": iso(doc.get("first_seen_at")),
           "href": f"/api/v1/media/{sha}"}
    if distance is not None:
        out["distance"] = distance
    return out


@router.get("/media")
def list_similar_media(
    request: Request,
    similar_to: Annotated[str | None, Query(description="sha256 of a stored image: list the images that look "
                                                        "like it (its perceptual hash within max_distance bits).")] = None,
    max_distance: Annotated[int, Query(ge=0, le=MAX_DISTANCE, description="Hamming distance out of 64 bits: 0 "
                                       "same picture; re-encoded, resized or slightly cropped copies are within 2–4; "
                                       "different pictures about 32 apart (text screenshots of one layout can be 6).")] = DEFAULT_DISTANCE,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Images whose perceptual hash is within ``max_distance`` of the given one, nearest first (itself left out)."""
    if similar_to is None:
        raise ApiError(400, "bad_parameter", "pass similar_to=<sha256> (media are listed by similarity only)")
    if not re.fullmatch(SHA256_RE, similar_to):
        raise ApiError(400, "bad_parameter", "similar_to must be 64 lowercase hex digits")
    archive = archive_of(request)
    doc = media_doc(archive, similar_to)
    if doc is None:
        raise ApiError(404, "not_found", "no stored media with this sha256")
    phash = doc.get("phash") if doc.get("phash_algo") == ALGORITHM else None
    if not phash and (doc.get("content_type") or "").startswith("image/"):
        phash = MediaStore(archive).hash_stored(similar_to)  # stored before hashing existed: hashed now
    if not phash:
        raise ApiError(400, "not_an_image", "this media has no perceptual hash (only images, posters and "
                                             "screenshots have one)")
    found = similar_media(archive, phash, max_distance, limit, exclude=similar_to)
    return {"similar_to": similar_to, "phash": phash, "algorithm": ALGORITHM, "max_distance": max_distance,
            "items": [media_item(d, dist) for d, dist in found]}
