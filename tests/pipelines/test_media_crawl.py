"""Media archiving end to end: the real CLI crawls pages embedding demo posts (fake web, nx-27017)."""

from __future__ import annotations

import hashlib
import json
import urllib.request

from fakeweb import ARTICLE_URL
from fakeweb.catalog import (
    FALLBACK_PHOTO_ID,
    GIF_ID,
    GIF_KEY,
    HLS_ID,
    LARGE_VIDEO_ID,
    NO_ORIG_KEY,
    PHOTO_ID,
    PHOTO_KEY,
    PHOTO_SAME_BYTES_ID,
    PHOTO_SAME_BYTES_KEY,
    PNG_PHOTO_ID,
    RUPAR_ID,
)
from receipts.db.archive import BODY_BUCKET, MEDIA_BUCKET, Archive
from receipts.origin import route

PBS = "https://pbs.twimg.com/media"


def embed(post_id: str, handle: str = "someone") -> str:
    return (f'<blockquote class="twitter-tweet"><p lang="en" dir="ltr">text</p>&mdash; Someone (@{handle}) '
            f'<a href="https://twitter.com/{handle}/status/{post_id}?ref_src=twsrc%5Etfw">February 13, 2025</a>'
            '</blockquote>')


def page(*post_ids: str) -> str:
    embeds = "".join(embed(pid) for pid in post_ids)
    return ("<!doctype html><html lang='en'><head><title>Media test</title></head><body><article><h1>Media test</h1>"
            f"<p>Intro paragraph with enough words to count as an article body.</p>{embeds}</article></body></html>")


def served(fakeweb, url: str) -> bytes:
    """The bytes the fake web serves for the real-world *url*."""
    with urllib.request.urlopen(route(url, fakeweb.origin_map()), timeout=10) as response:
        return response.read()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def media_of(report: dict, post_id: str) -> dict[str, list[dict]]:
    (post,) = [p for p in report["posts"] if p["post_id"] == post_id]
    out: dict[str, list[dict]] = {}
    for m in post["media"]:
        out.setdefault(m["type"], []).append(m)
    return out


def blob_ids(archive: Archive, bucket: str) -> list[str]:
    return sorted(f._id for f in archive.bucket(bucket).find({}))


def no_temp_files(receipts_env) -> bool:
    tmp = receipts_env.data_dir / "tmp"
    return not tmp.exists() or not any(tmp.iterdir())


def test_photos_gif_and_hls_are_stored_by_content(receipts_env, fakeweb):
    url = fakeweb.add_page("/media/mixed", page(PHOTO_ID, PHOTO_SAME_BYTES_ID, FALLBACK_PHOTO_ID, PNG_PHOTO_ID,
                                                GIF_ID, HLS_ID))
    report = receipts_env.crawl_json(url)
    db = receipts_env.db
    archive = Archive(db)

    # photo at name=orig: the exact bytes served, sniffed and measured
    (photo,) = media_of(report, PHOTO_ID)["photo"]
    orig_url = f"{PBS}/{PHOTO_KEY}?format=jpg&name=orig"
    assert photo["source_url"] == orig_url
    data = served(fakeweb, orig_url)
    assert (photo["sha256"], photo["bytes"], photo["content_type"], photo["status"]) == (
        sha(data), len(data), "image/jpeg", "stored")
    assert (photo["width"], photo["height"]) == (1200, 800)
    assert archive.get_blob(photo["sha256"], MEDIA_BUCKET) == data

    # a different URL serving the same bytes: one document, one GridFS file, both URLs
    (same,) = media_of(report, PHOTO_SAME_BYTES_ID)["photo"]
    assert same["sha256"] == photo["sha256"]
    doc = db.media.find_one({"_id": photo["sha256"]})
    assert sorted(doc["source_urls"]) == sorted([orig_url, f"{PBS}/{PHOTO_SAME_BYTES_KEY}?format=jpg&name=orig"])
    assert (doc["content_type"], doc["bytes"], doc["width"], doc["height"]) == ("image/jpeg", len(data), 1200, 800)
    assert blob_ids(archive, MEDIA_BUCKET).count(photo["sha256"]) == 1

    # name=orig answers 404: the 4096x4096 copy is archived, the 404 is a capture
    (fallback,) = media_of(report, FALLBACK_PHOTO_ID)["photo"]
    big_url = f"{PBS}/{NO_ORIG_KEY}?format=jpg&name=4096x4096"
    assert fallback["sha256"] == sha(served(fakeweb, big_url)) and fallback["status"] == "stored"
    assert db.media.find_one({"_id": fallback["sha256"]})["source_urls"] == [big_url]
    orig_capture = db.captures.find_one({"requested_url": f"{PBS}/{NO_ORIG_KEY}?format=jpg&name=orig"})
    assert orig_capture["http_status"] == 404

    # PNG bytes labelled image/jpeg: the bytes decide
    (png,) = media_of(report, PNG_PHOTO_ID)["photo"]
    assert (png["content_type"], png["width"], png["height"]) == ("image/png", 800, 600)
    assert db.media.find_one({"_id": png["sha256"]})["served_content_type"] == "image/jpeg"

    # GIF: the tweet_video mp4 and its poster
    gif = media_of(report, GIF_ID)
    (gif_mp4,) = gif["animated_gif"]
    gif_url = f"https://video.twimg.com/tweet_video/{GIF_KEY}.mp4"
    assert gif_mp4["source_url"] == gif_url
    assert (gif_mp4["sha256"], gif_mp4["content_type"]) == (sha(served(fakeweb, gif_url)), "video/mp4")
    assert (gif_mp4["width"], gif_mp4["height"], gif_mp4["duration_ms"]) == (480, 270, 3000)
    (poster,) = gif["poster"]
    assert poster["source_url"] == f"https://pbs.twimg.com/tweet_video_thumb/{GIF_KEY}.jpg"
    assert poster["sha256"] == sha(served(fakeweb, poster["source_url"])) and poster["content_type"] == "image/jpeg"

    # HLS only: master (the item's sha256), best video + best audio playlists, init and every segment
    hls = media_of(report, HLS_ID)
    (video,) = hls["video"]
    master = served(fakeweb, video["source_url"])
    assert (video["sha256"], video["content_type"], video["status"]) == (
        sha(master), "application/vnd.apple.mpegurl", "stored")
    assert (video["width"], video["height"]) == (1280, 720)
    structure = db.media.find_one({"_id": video["sha256"]})["hls"]
    assert (structure["video"]["width"], structure["video"]["height"]) == (1280, 720)
    assert structure["audio"]["group_id"] == "audio-128000"
    for track in ("video", "audio"):
        entry = structure[track]
        assert entry["playlist_sha256"] == sha(served(fakeweb, entry["url"]))
        parts = [entry["init"], *entry["segments"]]
        assert len(entry["segments"]) == 3  # 9 s in 3 s segments
        for part in parts:
            assert part["status"] == "stored" and part["sha256"] == sha(served(fakeweb, part["url"]))
            assert db.media.find_one({"_id": part["sha256"]}) is not None
        assert db.media.find_one({"_id": entry["segments"][0]["sha256"]})["content_type"] == "video/iso.segment"
        assert db.media.find_one({"_id": entry["init"]["sha256"]})["content_type"] == "video/mp4"
    stored_post = archive.get_post(f"x:{HLS_ID}")
    variants = {(v.width, v.height) for v in stored_post.media[0].variants if v.width}
    assert {(480, 270), (1280, 720)} <= variants

    # every media item of every post is stored; avatars at 400x400
    for post in report["posts"]:
        for m in post["media"]:
            assert m["sha256"] and m["content_type"] and m["bytes"], m
        (avatar,) = [m for m in post["media"] if m["type"] == "avatar"]
        assert avatar["source_url"].endswith("_400x400.jpg") and (avatar["width"], avatar["height"]) == (400, 400)

    # media fetches are captures whose bodies live once, in mediafiles
    captures = list(db.captures.find({"route": "media"}))
    assert captures and all(c["target_type"] == "media" for c in captures)
    bodies = set(blob_ids(archive, BODY_BUCKET))
    for c in captures:
        if c["http_status"] == 200:
            assert c["body_ref"] == f"gridfs:{MEDIA_BUCKET}/{c['body_sha256']}"
            assert c["body_sha256"] not in bodies
    assert no_temp_files(receipts_env)


def test_size_limit_gives_too_large_and_a_later_crawl_retries(receipts_env, fakeweb):
    url = fakeweb.add_page("/media/large", page(LARGE_VIDEO_ID))
    proc = receipts_env.run("crawl", url, "--json", extra_env={"RECEIPTS_MAX_MEDIA_BYTES": "1000000"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    media = media_of(report, LARGE_VIDEO_ID)
    (video,) = media["video"]
    assert (video["status"], video["sha256"], video["bytes"]) == ("too_large", None, None)
    db = receipts_env.db
    assert db.media.find_one({"source_urls": video["source_url"]}) is None
    assert [c["outcome"] for c in db.captures.find({"requested_url": video["source_url"]})] == ["error"]
    assert media["poster"][0]["status"] == "stored"  # small media still archived
    assert no_temp_files(receipts_env)

    again = media_of(receipts_env.crawl_json(url), LARGE_VIDEO_ID)["video"][0]
    data = served(fakeweb, video["source_url"])
    assert len(data) == 3 * 1024 * 1024
    assert (again["status"], again["sha256"], again["bytes"]) == ("stored", sha(data), len(data))
    assert db.media.find_one({"_id": again["sha256"]})["source_urls"] == [video["source_url"]]
    assert no_temp_files(receipts_env)


def test_article_media_filled_and_recrawl_does_not_duplicate(receipts_env, fakeweb):
    first = receipts_env.crawl_json(ARTICLE_URL)
    items = [m for p in first["posts"] for m in p["media"]]
    assert items and all(m["sha256"] and m["content_type"] and m["bytes"] and m["status"] == "stored" for m in items)
    rupar = media_of(first, RUPAR_ID)
    (video,) = rupar["video"]
    assert "/1280x720/" in video["source_url"]
    assert video["sha256"] == sha(served(fakeweb, video["source_url"]))
    assert (video["content_type"], video["width"], video["height"], video["duration_ms"]) == ("video/mp4", 1280, 720, 44000)
    assert rupar["poster"][0]["content_type"] == "image/jpeg"

    db = receipts_env.db
    archive = Archive(db)
    docs = {d["_id"]: d for d in db.media.find()}
    files = blob_ids(archive, MEDIA_BUCKET)
    assert sorted(docs) == files == sorted({m["sha256"] for m in items})

    second = receipts_env.crawl_json(ARTICLE_URL)  # media stored from the same URLs are not fetched again
    assert sorted(m["sha256"] for p in second["posts"] for m in p["media"]) == sorted(m["sha256"] for m in items)
    assert {d["_id"]: d["last_seen_at"] for d in db.media.find()} == {k: d["last_seen_at"] for k, d in docs.items()}
    assert db.captures.count_documents({"crawl_id": second["crawl"]["id"], "route": "media"}) == 0
    third = receipts_env.crawl_json(ARTICLE_URL, "--full")  # a full re-fetch captures them again
    assert sorted(m["sha256"] for p in third["posts"] for m in p["media"]) == sorted(m["sha256"] for m in items)
    after = {d["_id"]: d for d in db.media.find()}
    assert sorted(after) == sorted(docs) and blob_ids(archive, MEDIA_BUCKET) == files
    for key, doc in after.items():
        assert doc["first_seen_at"] == docs[key]["first_seen_at"]
        assert doc["last_seen_at"] > docs[key]["last_seen_at"]
        assert doc["source_urls"] == docs[key]["source_urls"]
    assert no_temp_files(receipts_env)
