"""``scrapy crawl article -s RECEIPTS_…=…`` reaches every component (issue 11): they read ``crawler.settings`` only.

The environment points at the shared test database and data dir; the ``-s`` overrides point
elsewhere, and each component's output is looked for where the override sent it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pymongo
from conftest import ROOT

from fakeweb import ARTICLE_URL

SCRAPY = Path(sys.executable).parent / "scrapy"


def test_dash_s_overrides_reach_writer_evidence_media_and_search(receipts_env, own_nx, tmp_path: Path) -> None:
    other_dir = tmp_path / "elsewhere"
    overrides = {
        "RECEIPTS_MONGODB_URI": own_nx.uri,  # the writer
        "RECEIPTS_DATA_DIR": str(other_dir),  # the evidence extension's WARC dir follows it
        "RECEIPTS_MAX_MEDIA_BYTES": "64",  # the media pipeline
        "RECEIPTS_SEARCH_PROVIDERS": "nosuchprovider",  # the spider's quote search
    }
    args = [str(SCRAPY), "crawl", "article", "-a", f"url={ARTICLE_URL}"]
    for key, value in overrides.items():
        args += ["-s", f"{key}={value}"]
    proc = subprocess.run(args, cwd=ROOT, env=receipts_env.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    moved = pymongo.MongoClient(own_nx.uri, tz_aware=True)[receipts_env.db_name]
    article = moved.articles.find_one({"_id": ARTICLE_URL})
    assert article is not None, "the writer ignored -s RECEIPTS_MONGODB_URI"
    assert receipts_env.db.articles.find_one({"_id": ARTICLE_URL}) is None

    assert list((other_dir / "warc").glob("*.warc.gz")), "the WARC did not follow -s RECEIPTS_DATA_DIR"
    assert not list((receipts_env.data_dir / "warc").glob("*.warc.gz"))

    media = [m for post in moved.posts.find({}) for m in post.get("media", [])]
    assert media and all(m["status"] == "too_large" for m in media if m["type"] in ("photo", "video"))
    assert any(m["type"] in ("photo", "video") for m in media)

    searched = [ref for ref in article["references"] if ref["kind"] == "attribution" and not ref.get("post_id")]
    assert searched and all("nosuchprovider" in (ref.get("unresolved_reason") or "") for ref in searched)
