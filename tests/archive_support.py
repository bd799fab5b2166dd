"""One seeded archive shared by the API, UI and export tests (built once per test session).

The demo article is crawled three times through the CLI: as published, after the Rupar post is
edited, and after it is deleted — so the archive holds two versions and a ``deleted`` status.
The crawl does not store screenshots or media bytes yet, so the seed stores a rendered PNG as the
post's screenshot, and adds a few articles/posts through :class:`Archive` (dates, domains,
languages, a hostile ``<script>`` title and post text) for the filters and pagination.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
from PIL import Image, ImageDraw

from fakeweb import ARTICLE_URL, DEMO_POSTS
from receipts.db.archive import MEDIA_BUCKET, Archive
from receipts.models import Article, Author, Media, Post, QuoteCheck, Reference

BIN = Path(sys.executable).parent
RUPAR = DEMO_POSTS["rupar_video"].id
RUPAR_KEY = f"x:{RUPAR}"
EDIT_SUFFIX = "[edited: corrected transcript]"
XSS_ARTICLE = "https://news.example/2024/xss-test"
XSS_TITLE = "<script>document.title='pwned'</script>Hostile <b>title</b>"
XSS_POST_ID = "1111111111111111111"
XSS_TEXT = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned=2\"> hostile post"
FILLER_DOMAIN = "filler.example"
FILLER_COUNT = 7


@dataclass
class Seed:
    env: dict[str, str]
    uri: str
    db_name: str
    data_dir: Path
    screenshot_sha256: str
    photo_sha256: str
    html_sha256: str

    @property
    def db(self) -> pymongo.database.Database:
        return pymongo.MongoClient(self.uri, tz_aware=True)[self.db_name]

    def archive(self) -> Archive:
        return Archive(self.db)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "receipts"), *args], env=self.env, capture_output=True, text=True,
                              timeout=120, cwd=self.data_dir)
        if check and proc.returncode != 0:
            raise AssertionError(f"receipts {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc


_SEEDS: dict[str, Seed] = {}


def png(text: str, size: tuple[int, int] = (600, 260), color: str = "#e8f0fe") -> bytes:
    img = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(img)
    y = 12
    for line in text.split("\n"):
        draw.text((12, y), line, fill="#111111")
        y += 16
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def store_media(archive: Archive, data: bytes, content_type: str, source_url: str) -> str:
    sha = archive.put_blob(data, MEDIA_BUCKET, content_type=content_type)
    now = datetime.now(UTC)
    archive.media.replace_one({"_id": sha}, {"_id": sha, "content_type": content_type, "bytes": len(data),
                                             "source_urls": [source_url], "first_seen_at": now, "last_seen_at": now},
                              upsert=True)
    return sha


def seeded(nx_uri: str, fakeweb, base_dir: Path) -> Seed:
    """The shared seed for this nx server (built on first use)."""
    if nx_uri in _SEEDS:
        return _SEEDS[nx_uri]
    db_name = "t_archive_" + uuid.uuid4().hex[:8]
    data_dir = base_dir / "var"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}
    env.update({"RECEIPTS_MONGODB_URI": nx_uri, "RECEIPTS_DB_NAME": db_name, "RECEIPTS_DATA_DIR": str(data_dir),
                "RECEIPTS_ORIGIN_MAP": json.dumps(fakeweb.origin_map()), "RECEIPTS_RETRY_MAX_WAIT": "5",
                "RECEIPTS_BROWSER": "0", "RECEIPTS_RECRAWL_FRESH": "0"})  # the re-crawls below re-fetch the posts
    seed = Seed(env=env, uri=nx_uri, db_name=db_name, data_dir=data_dir, screenshot_sha256="", photo_sha256="",
                html_sha256="")
    try:
        seed.cli("crawl", ARTICLE_URL, "--json", "--no-browser")
        original = seed.archive().get_post(RUPAR_KEY)
        assert original is not None and original.text
        fakeweb.set_post_state(RUPAR, "live", text=original.text + " " + EDIT_SUFFIX)
        seed.cli("crawl", ARTICLE_URL, "--json", "--no-browser")
        fakeweb.set_post_state(RUPAR, "deleted")
        seed.cli("crawl", ARTICLE_URL, "--json", "--no-browser")
    finally:
        fakeweb.reset()
    archive = seed.archive()
    archive.ensure_indexes()
    rupar = archive.get_post(RUPAR_KEY)
    assert rupar is not None and rupar.status == "deleted", rupar

    seed.screenshot_sha256 = store_media(archive, png(f"@atrupar  Aaron Rupar\n{rupar.text[:90]}\n(screenshot)"),
                                         "image/png", rupar.url)
    archive.update_post_fields(RUPAR_KEY, {"screenshot_sha256": seed.screenshot_sha256})
    article = archive.get_article(ARTICLE_URL)
    assert article is not None
    embed_shot = store_media(archive, png("embed as the article rendered it", color="#fff4e5"), "image/png",
                             ARTICLE_URL)
    refs = article.references
    refs[0].screenshot_sha256 = embed_shot
    refs[0].quote_check = QuoteCheck(verdict="edited_since", similarity=0.93, mismatches=["post edited after quoting"])
    archive.set_references(article.id, refs)

    seed.photo_sha256 = store_media(archive, png("a photo", (320, 200), "#ddeedd"), "image/png",
                                    "https://pbs.twimg.com/media/xss.jpg")
    seed.html_sha256 = store_media(archive, b"<html><script>alert(1)</script></html>", "text/html",
                                   "https://pbs.twimg.com/media/evil.html")
    xss_post = Post(id=f"x:{XSS_POST_ID}", post_id=XSS_POST_ID, url=f"https://x.com/evil_handle/status/{XSS_POST_ID}",
                    author=Author(id="42", handle="evil_handle", name="<i>Evil</i>"), text=XSS_TEXT, lang="en",
                    created_at=datetime(2024, 6, 1, 9, 0, tzinfo=UTC), route="syndication",
                    media=[Media(type="photo", source_url="https://pbs.twimg.com/media/xss.jpg",
                                 sha256=seed.photo_sha256, content_type="image/png", bytes=100)])
    archive.save_post(xss_post, None)
    archive.save_article(Article(
        id=XSS_ARTICLE, url=XSS_ARTICLE, canonical_url=XSS_ARTICLE, domain="news.example", title=XSS_TITLE,
        published_at=datetime(2024, 6, 2, 12, 0, tzinfo=UTC), language="de", body_text="Ein Artikel über Feuerwerk.",
        references=[Reference(kind="embed", post_id=XSS_POST_ID, handle="evil_handle", status="archived",
                              displayed_text="<script>alert('displayed')</script>")]), None)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(FILLER_COUNT):
        url = f"https://{FILLER_DOMAIN}/story/{i}"
        archive.save_article(Article(id=url, url=url, canonical_url=url, domain=FILLER_DOMAIN, title=f"Filler story {i}",
                                     published_at=base + timedelta(days=30 * i), language="fr",
                                     body_text=f"Histoire numéro {i} sans références."), None)
    _SEEDS[nx_uri] = seed
    return seed


@contextlib.contextmanager
def process_env(seed: Seed) -> Iterator[None]:
    """This process configured like the seed's CLI runs (settings read RECEIPTS_* from the environment)."""
    from receipts.settings import reset_settings

    saved = {k: v for k, v in os.environ.items() if k.startswith("RECEIPTS_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({k: v for k, v in seed.env.items() if k.startswith("RECEIPTS_")})
    reset_settings()
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("RECEIPTS_")]:
            del os.environ[key]
        os.environ.update(saved)
        reset_settings()
