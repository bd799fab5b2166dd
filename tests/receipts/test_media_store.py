"""The content-addressed media store: sniffing, MP4 boxes, temp sinks, and dedupe on a real nx-27017."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pymongo
import pytest
from PIL import Image

from fakeweb.catalog import DATA_DIR
from fakeweb.media import image_bytes, init_segment, media_segment, mp4_bytes
from pipelines.media import add_posters, candidate_urls
from receipts.db.archive import MEDIA_BUCKET, Archive
from receipts.media_store import HLS_TYPE, MediaStore, TempSink, mp4_info, probe, sniff_content_type
from receipts.models import Media, MediaVariant, Post

HLS_DIR = DATA_DIR  # the real playlists (one copy, shared with the fake web)


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 10, 10)).save(out, format="GIF")
    return out.getvalue()


def _mpeg_ts() -> bytes:
    packet = b"\x47\x40\x00\x10" + bytes(184)
    return packet * 4


@pytest.mark.parametrize(("data", "expected"), [
    (image_bytes("s", (40, 30), (40, 30), "jpeg"), "image/jpeg"),
    (image_bytes("s", (40, 30), (40, 30), "png"), "image/png"),
    (image_bytes("s", (40, 30), (40, 30), "webp"), "image/webp"),
    (_gif(), "image/gif"),
    (mp4_bytes("v", 640, 360, 5000, 3000), "video/mp4"),
    (init_segment(640, 360, 5000), "video/mp4"),
    (media_segment("seg", 1, 500), "video/iso.segment"),
    (_mpeg_ts(), "video/mp2t"),
    ((HLS_DIR / "hls_master_amplify_video_1974992463661289472.m3u8").read_bytes(), HLS_TYPE),
    ((HLS_DIR / "hls_media_amplify_video_1974992463661289472_1920x1080.m3u8").read_bytes(), HLS_TYPE),
    (b"<!doctype html><html><body>Not found</body></html>", None),
])
def test_sniff_content_type(data: bytes, expected: str | None) -> None:
    assert sniff_content_type(data[:4096]) == expected


def test_mp4_boxes_give_dimensions_and_duration(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(mp4_bytes("video", 1280, 720, 44000, 50_000))
    with open(path, "rb") as f:
        assert mp4_info(f, path.stat().st_size) == (1280, 720, 44000)
    assert probe(path, "video/mp4") == {"width": 1280, "height": 720, "duration_ms": 44000}
    image = tmp_path / "i.png"
    image.write_bytes(image_bytes("s", (64, 48), (64, 48), "png"))
    assert probe(image, "image/png") == {"width": 64, "height": 48, "duration_ms": None}
    segment = tmp_path / "s.m4s"
    segment.write_bytes(media_segment("seg", 2, 300))
    assert probe(segment, "video/iso.segment") == {"width": None, "height": None, "duration_ms": None}


def test_temp_sink_hashes_while_writing_and_finishes_atomically(tmp_path: Path) -> None:
    sink = TempSink(tmp_path)
    part = sink.path
    assert part is not None and part.suffix == ".part"
    for chunk in (b"abc", b"", b"defg"):
        sink.write(chunk)
    path, digest, size = sink.finish()
    assert (digest, size) == (hashlib.sha256(b"abcdefg").hexdigest(), 7)
    assert path.read_bytes() == b"abcdefg" and path.name.startswith(digest) and not part.exists()
    other = TempSink(tmp_path)
    other.write(b"partial")
    other.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_same_bytes_from_two_urls_are_one_document_and_one_file(nx, tmp_path: Path) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(nx.uri, tz_aware=True)
    db = client["t_media_" + uuid.uuid4().hex[:10]]
    store = MediaStore(Archive(db))
    data = image_bytes("dedupe", (120, 80), (120, 80), "jpeg")
    urls = ["https://pbs.twimg.com/media/A?format=jpg&name=orig", "https://pbs.twimg.com/media/B?format=jpg&name=orig"]
    results = []
    for url in [*urls, urls[0]]:
        sink = TempSink(tmp_path)
        sink.write(data)
        path, digest, size = sink.finish()
        results.append(store.store_file(path, digest, size, url, "image/jpeg"))
        assert not path.exists()
    digest = hashlib.sha256(data).hexdigest()
    assert [r.new_blob for r in results] == [True, False, False]
    assert {r.sha256 for r in results} == {digest}
    (doc,) = list(db.media.find())
    assert doc["_id"] == digest and doc["source_urls"] == urls
    assert (doc["content_type"], doc["bytes"], doc["width"], doc["height"]) == ("image/jpeg", len(data), 120, 80)
    assert doc["last_seen_at"] >= doc["first_seen_at"]
    assert [f._id for f in Archive(db).bucket(MEDIA_BUCKET).find({})] == [digest]
    assert Archive(db).get_blob(digest, MEDIA_BUCKET) == data
    assert list(tmp_path.iterdir()) == []
    client.close()


def test_candidates_and_posters() -> None:
    photo = Media(type="photo", source_url="https://pbs.twimg.com/media/K?format=jpg&name=orig",
                  fallback_urls=["https://pbs.twimg.com/media/K?format=jpg&name=4096x4096",
                                 "https://pbs.twimg.com/media/K?format=jpg&name=large"])
    assert [u.rsplit("=", 1)[1] for u in candidate_urls(photo)] == ["orig", "4096x4096", "large"]
    base = "https://video.twimg.com/amplify_video/1/vid/avc1"
    variants = [MediaVariant(url=f"{base}/{w}x{h}/k.mp4", content_type="video/mp4", bitrate=b, width=w, height=h)
                for w, h, b in ((320, 180, 256000), (1280, 720, 2176000), (640, 360, 832000))]
    variants.append(MediaVariant(url="https://video.twimg.com/amplify_video/1/pl/m.m3u8", content_type="application/x-mpegURL"))
    video = Media(type="video", source_url=f"{base}/1280x720/k.mp4", variants=variants, poster_url="https://pbs.twimg.com/p.jpg")
    assert candidate_urls(video) == [f"{base}/1280x720/k.mp4", f"{base}/640x360/k.mp4", f"{base}/320x180/k.mp4"]
    post = Post(id="x:1", post_id="1", url="https://x.com/i/status/1", media=[video, photo])
    add_posters(post)
    add_posters(post)
    assert [(m.type, m.source_url) for m in post.media[2:]] == [("poster", "https://pbs.twimg.com/p.jpg")]
