"""Perceptual hashes on ``media`` documents, and finding the stored images near one.

Each image (photos, video posters, screenshots) carries ``phash`` (64-bit DCT hash as 16 hex digits,
``imagehash.phash``) and ``phash_b0`` … ``phash_b8``: the hash cut into :data:`BANDS` bands (8 of 7 bits,
one of 8), each an indexed top-level field. Two hashes at Hamming distance *d* differ in at most *d*
bands, so with ``d <= t`` they agree exactly on at least one of any ``t + 1`` bands (pigeonhole): a
search looks up ``t + 1`` bands by equality (an index lookup each, on MongoDB and on nx-27017 alike,
where ``$in``/``$or`` would scan), then checks the exact distance of those candidates only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from receipts.db.archive import Archive

ALGORITHM = "phash64"  # imagehash.phash, hash_size 8
BITS = 64
BANDS = 9
WIDTHS = (7, 7, 7, 7, 7, 7, 7, 7, 8)
MAX_DISTANCE = BANDS - 1  # the largest distance the band layout finds every match for
BAND_FIELDS = tuple(f"phash_b{i}" for i in range(BANDS))
NO_BULK = {"hls": 0}


def parse(phash: str) -> int:
    """The hash as an integer; ValueError unless 16 hex digits."""
    if len(phash) != BITS // 4:
        raise ValueError("a perceptual hash is 16 hex digits")
    return int(phash, 16)


def bands(phash: str) -> list[int]:
    """The band values of *phash*, most significant bits first."""
    value, out, shift = parse(phash), [], BITS
    for width in WIDTHS:
        shift -= width
        out.append((value >> shift) & ((1 << width) - 1))
    return out


def distance(a: str, b: str) -> int:
    """Hamming distance of two hashes."""
    return (parse(a) ^ parse(b)).bit_count()


def phash_fields(phash: str) -> dict[str, Any]:
    """The fields stored on a media document for *phash*."""
    return {"phash": phash.lower(), "phash_algo": ALGORITHM, **dict(zip(BAND_FIELDS, bands(phash), strict=True))}


def index_specs() -> list[tuple[list[tuple[str, Any]], dict[str, Any]]]:
    return [([(name, 1)], {}) for name in BAND_FIELDS]


def similar_media(archive: Archive, phash: str, max_distance: int, limit: int,
                  exclude: str | None = None) -> list[tuple[dict[str, Any], int]]:
    """Media documents whose hash is within *max_distance* of *phash*, nearest first (ties by sha256):
    ``(document, distance)`` pairs, *exclude* (an ``_id``) left out."""
    if not 0 <= max_distance <= MAX_DISTANCE:
        raise ValueError(f"max_distance must be 0..{MAX_DISTANCE}")
    near: dict[str, int] = {}
    for name, value in list(zip(BAND_FIELDS, bands(phash), strict=True))[: max_distance + 1]:
        for doc in archive.media.find({name: value}, {"phash": 1}):
            if doc["_id"] in near or doc["_id"] == exclude or not doc.get("phash"):
                continue
            d = distance(phash, doc["phash"])
            if d <= max_distance:
                near[doc["_id"]] = d
    ranked = sorted(near.items(), key=lambda kv: (kv[1], kv[0]))[:limit]
    docs = {d["_id"]: d for d in (archive.media.find_one({"_id": sha}, NO_BULK) for sha, _ in ranked) if d}
    return [(docs[sha], d) for sha, d in ranked if sha in docs]


def media_to_hash(archive: Archive, force: bool = False) -> Iterator[str]:
    """The ids of image media without a hash (every image with *force*), streamed: a one-off full read."""
    for doc in archive.media.find({}, {"content_type": 1, "phash": 1, "phash_algo": 1}):
        if not (doc.get("content_type") or "").startswith("image/"):
            continue
        if force or not doc.get("phash") or doc.get("phash_algo") != ALGORITHM:
            yield doc["_id"]
