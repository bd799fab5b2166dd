"""Perceptual hashes (issue 14): computed when media are stored, banded for index lookups on nx-27017, and
``GET /api/v1/media?similar_to=`` finding the same picture re-encoded or resized, never a different one."""

from __future__ import annotations

import io
import random
import warnings
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from receipts.db.archive import MEDIA_BUCKET, Archive
from receipts.db.phash import BAND_FIELDS, MAX_DISTANCE, bands, distance, phash_fields, similar_media
from receipts.media_store import MediaStore, TempSink

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like picture: a gradient and random shapes (the same *seed* draws the same picture)."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    top, bottom = [rnd.randrange(256) for _ in range(3)], [rnd.randrange(256) for _ in range(3)]
    for y in range(size[1]):
        t = y / size[1]
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for _ in range(12):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        w, h = rnd.randrange(40, 260), rnd.randrange(40, 200)
        shape = draw.ellipse if rnd.random() < 0.5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=tuple(rnd.randrange(256) for _ in range(3)))
    return img


def encoded(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def store(archive: Archive, tmp: Path, data: bytes, url: str) -> str:
    sink = TempSink(tmp)
    sink.write(data)
    path, sha, size = sink.finish()
    return MediaStore(archive).store_file(path, sha, size, url).sha256


@pytest.fixture
def archive(receipts_env) -> Archive:
    archive = Archive(receipts_env.db)
    archive.ensure_indexes()
    return archive


@pytest.fixture
def api(archive: Archive):
    from receipts.api.app import create_app

    with TestClient(create_app(archive=archive), base_url="http://localhost") as client:
        yield client


def test_same_picture_reencoded_or_resized_is_found_a_different_one_is_not(archive: Archive, api, tmp_path) -> None:
    original = picture(1)
    shas = {
        "original": store(archive, tmp_path, encoded(original, "JPEG", quality=92), "https://a.example/o.jpg"),
        "png": store(archive, tmp_path, encoded(original, "PNG"), "https://b.example/o.png"),
        "half": store(archive, tmp_path, encoded(original.resize((320, 240)), "JPEG", quality=60),
                      "https://c.example/small.jpg"),
        "bigger_webp": store(archive, tmp_path, encoded(original.resize((1000, 750)), "WEBP", quality=50),
                             "https://d.example/big.webp"),
        "other": store(archive, tmp_path, encoded(picture(2), "JPEG", quality=92), "https://e.example/x.jpg"),
    }
    assert len(set(shas.values())) == 5  # five different files
    for sha in shas.values():
        doc = archive.media.find_one({"_id": sha})
        assert len(doc["phash"]) == 16 and [doc[f] for f in BAND_FIELDS] == bands(doc["phash"])

    resp = api.get("/api/v1/media", params={"similar_to": shas["original"]})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    found = {item["sha256"]: item["distance"] for item in body["items"]}
    assert set(found) == {shas["png"], shas["half"], shas["bigger_webp"]}  # not itself, not the other picture
    assert [i["distance"] for i in body["items"]] == sorted(found.values())  # nearest first
    assert body["items"][0]["href"] == f"/api/v1/media/{body['items'][0]['sha256']}"
    other = archive.media.find_one({"_id": shas["other"]})["phash"]
    assert distance(body["phash"], other) > MAX_DISTANCE
    assert api.get("/api/v1/media", params={"similar_to": shas["other"], "max_distance": MAX_DISTANCE}).json()[
        "items"] == []


def test_errors_unknown_malformed_and_not_an_image(archive: Archive, api, tmp_path) -> None:
    assert api.get("/api/v1/media", params={"similar_to": "0" * 64}).status_code == 404
    for bad in ("ABC", "A" * 64, "g" * 64, "0" * 63):
        resp = api.get("/api/v1/media", params={"similar_to": bad})
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_parameter", bad
    assert api.get("/api/v1/media").status_code == 400
    video = store(archive, tmp_path, b"\x00\x00\x00\x18ftypmp42" + bytes(200), "https://v.example/v.mp4")
    resp = api.get("/api/v1/media", params={"similar_to": video})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "not_an_image"
    sha = store(archive, tmp_path, encoded(picture(3), "PNG"), "https://p.example/p.png")
    assert api.get("/api/v1/media", params={"similar_to": sha, "max_distance": MAX_DISTANCE + 1}).status_code == 422


def test_media_stored_before_hashing_are_hashed_lazily_and_by_rehash(receipts_env, archive: Archive, api,
                                                                      tmp_path) -> None:
    original = picture(4)
    hashed = store(archive, tmp_path, encoded(original, "JPEG", quality=90), "https://a.example/new.jpg")

    def legacy(data: bytes, url: str) -> str:  # as older versions stored media: no hash fields
        sha = archive.put_blob(data, MEDIA_BUCKET, content_type="image/png")
        archive.media.replace_one({"_id": sha}, {"_id": sha, "content_type": "image/png", "bytes": len(data),
                                                 "source_urls": [url]}, upsert=True)
        return sha

    old_query = legacy(encoded(original.resize((400, 300)), "PNG"), "https://old.example/1.png")
    old_other = legacy(encoded(original, "PNG", compress_level=1), "https://old.example/2.png")
    first = api.get("/api/v1/media", params={"similar_to": old_query}).json()  # hashes the query image itself
    assert {i["sha256"] for i in first["items"]} == {hashed}
    assert archive.media.find_one({"_id": old_query})["phash"] == first["phash"]
    assert "phash" not in archive.media.find_one({"_id": old_other})

    proc = receipts_env.run("media", "rehash", check=True)
    assert "hashed 1 image(s)" in proc.stdout
    again = api.get("/api/v1/media", params={"similar_to": old_query}).json()
    assert {i["sha256"] for i in again["items"]} == {hashed, old_other}
    assert "hashed 0 image(s)" in receipts_env.run("media", "rehash", check=True).stdout


def test_band_lookup_finds_exactly_what_a_full_scan_finds_and_uses_indexes(archive: Archive) -> None:
    rnd = random.Random(14)
    query = rnd.getrandbits(64)
    docs = []
    for i in range(300):
        if i < 120:  # near the query: k random bits flipped
            value = query
            for bit in rnd.sample(range(64), rnd.randrange(0, 13)):
                value ^= 1 << bit
        else:
            value = rnd.getrandbits(64)
        docs.append({"_id": f"{i:064x}", "content_type": "image/jpeg", **phash_fields(f"{value:016x}")})
    archive.media.insert_many(docs)
    q = f"{query:016x}"
    for max_distance in range(MAX_DISTANCE + 1):
        expected = sorted((distance(q, d["phash"]), d["_id"]) for d in docs if distance(q, d["phash"]) <= max_distance)
        got = [(dist, doc["_id"]) for doc, dist in similar_media(archive, q, max_distance, limit=500)]
        assert got == expected, max_distance
    limited = similar_media(archive, q, MAX_DISTANCE, limit=5)
    assert len(limited) == 5 and [d for _, d in limited] == sorted(d for _, d in limited)
    for name in BAND_FIELDS:  # each candidate lookup is an index search, not a scan
        plan = archive.media.find({name: 3}, {"phash": 1}).explain()
        detail = str(plan.get("queryPlanner", {}).get("winningPlan", plan))
        assert "INDEX" in detail.upper() and "SCAN media" not in detail, (name, detail)


def test_a_crawl_hashes_every_image_it_stores(receipts_env, archive: Archive, api) -> None:
    from fakeweb import ARTICLE_URL

    receipts_env.crawl_json(ARTICLE_URL, "--no-browser")
    docs = list(archive.media.find({}, {"content_type": 1, "phash": 1, "source_urls": 1}))
    images = [d for d in docs if (d.get("content_type") or "").startswith("image/")]
    assert len(images) >= 3  # avatars, photos, video posters
    assert all(len(d.get("phash") or "") == 16 for d in images), images
    assert not any(d.get("phash") for d in docs if d not in images)  # videos and playlists have none
    poster = next(d for d in images if "thumb" in " ".join(d["source_urls"]))  # a video poster
    assert api.get("/api/v1/media", params={"similar_to": poster["_id"]}).status_code == 200
