"""The evidence sheet (issue 14) of the seeded demo article: HTML content, the PDF Chromium prints (text read
back with pypdf), PNGs of page 1 and of a phone-width layout under tests/artifacts/, timestamp tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from archive_support import EDIT_SUFFIX, RUPAR, XSS_ARTICLE, Seed, process_env
from conftest import ARTIFACTS

from fakeweb import ARTICLE_URL
from receipts.exports.sheet import render_html, sheet_data, sheet_html
from receipts.queries import short_id

pypdf = pytest.importorskip("pypdf")


def squeezed(text: str) -> str:
    """Text without whitespace: a hash wrapped over two lines in the PDF reads back whole."""
    return re.sub(r"\s+", "", text)


def expected_hashes(seed: Seed) -> tuple[list[str], list[tuple[str, str]]]:
    """The screenshots and media of the demo article's posts, and its WARC files (name, sha256), as stored."""
    article = seed.db.articles.find_one({"_id": ARTICLE_URL})
    keys = [f"{r.get('platform') or 'x'}:{r['post_id']}" for r in article["references"] if r.get("post_id")]
    shas = [r["screenshot_sha256"] for r in article["references"] if r.get("screenshot_sha256")]
    for post in seed.db.posts.find({"_id": {"$in": keys}}):
        shas += [m["sha256"] for m in post.get("media") or [] if m.get("sha256")]
        if post.get("screenshot_sha256"):
            shas.append(post["screenshot_sha256"])
    names = {c["warc_file"] for c in seed.db.captures.find({"target_id": {"$in": keys}}) if c.get("warc_file")}
    warcs = [(w["_id"], w["sha256"]) for w in seed.db.warcs.find({"_id": {"$in": sorted(names)}})]
    return shas, warcs


def test_html_sheet_shows_article_references_hashes_and_how_to_verify(seed: Seed) -> None:
    with process_env(seed):
        data = sheet_data(seed.archive(), short_id(ARTICLE_URL))
        html = render_html(data)
    article = seed.db.articles.find_one({"_id": ARTICLE_URL})
    assert data["article"]["id"] == ARTICLE_URL and article["title"] in html
    assert ARTICLE_URL in html and data["captures"], "capture times of the article"
    refs = article["references"]
    assert len(data["references"]) == len(refs) and html.count('class="reference"') == len(refs)
    for ref in refs:  # what the article showed, escaped as archived
        if ref.get("handle"):
            assert f"@{ref['handle']}" in html
    first = data["references"][0]  # the seed's Rupar reference: edited since quoting, post deleted since
    assert first["post_id"] == RUPAR and first["verdict"] == "edited_since"
    assert "The post was edited after the article quoted it" in html
    assert first["post"]["state"] == "deleted" and EDIT_SUFFIX in html
    assert first["embed_screenshot"].startswith("data:image/png;base64,")
    assert first["post"]["screenshot"].startswith("data:image/")
    shas, warcs = expected_hashes(seed)
    assert seed.screenshot_sha256 in shas and warcs
    for sha in shas:
        assert sha in html, sha
    for name, sha in warcs:
        assert name in html and sha in html
    assert "none recorded" in html  # no timestamps collection in the seed
    for tool in ("sha256sum", "wacz validate", "openssl ts -verify"):
        assert tool in html
    assert "<script" not in html and "src=\"http" not in html and "src=\"/" not in html  # self-contained


def test_tokens_passed_in_and_read_from_the_timestamps_collection(seed: Seed) -> None:
    with process_env(seed):
        _, warcs = expected_hashes(seed)
        name, digest = warcs[0]
        given = [{"tsa": "https://tsa.test/one", "time": "2025-02-14T16:00:00Z", "serial": "0x1f2e", "digest": digest}]
        html = sheet_html(seed.archive(), ARTICLE_URL, tokens=given)
        assert "https://tsa.test/one" in html and "0x1f2e" in html and "2025-02-14 16:00:00 UTC" in html
        assert "none recorded" not in html
        seed.db.timestamps.insert_one({"_id": digest, "tokens": [
            {"tsa": "https://tsa.test/a", "gen_time": "2025-02-15T10:11:12Z", "serial": "4242"},
            {"tsa": "https://tsa.test/b", "status": "pending"}]})
        try:
            html = sheet_html(seed.archive(), ARTICLE_URL)
        finally:
            seed.db.timestamps.delete_one({"_id": digest})
    assert "https://tsa.test/a" in html and "4242" in html and "2025-02-15 10:11:12 UTC" in html
    assert re.search(re.escape(digest) + r"</code><br>" + re.escape(name), html)  # the file the token covers
    assert "pending" in html and "none recorded" not in html


def test_hostile_article_text_stays_text(seed: Seed) -> None:
    with process_env(seed):
        html = sheet_html(seed.archive(), XSS_ARTICLE)
    assert "<script" not in html and "&lt;script&gt;" in html


def test_cli_writes_pdf_with_the_references_and_hashes_and_a_png_of_page_one(seed: Seed, tmp_path: Path) -> None:
    out = tmp_path / "receipt.pdf"
    proc = seed.cli("export", "sheet", "--url", ARTICLE_URL, "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF-") and "wrote" in proc.stderr
    reader = pypdf.PdfReader(str(out))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = squeezed(text)
    article = seed.db.articles.find_one({"_id": ARTICLE_URL})
    assert squeezed(article["title"]) in flat
    for i, ref in enumerate(article["references"], 1):
        assert f"#{i}" in text
        if ref.get("handle"):
            assert f"@{ref['handle']}" in text
    shas, warcs = expected_hashes(seed)
    for sha in [*shas, *(w for _, w in warcs)]:
        assert sha in flat, sha
    assert "openssl ts -verify" in text and "sha256sum" in text
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2  # the screenshots are in the PDF itself

    html = seed.cli("export", "sheet", "--article", ARTICLE_URL, "-o", "-").stdout
    assert html.startswith("<!doctype html>") and seed.screenshot_sha256 in html
    (tmp_path / "r.html").write_text(html)
    from receipts.exports.pdf import html_to_png

    ARTIFACTS.mkdir(exist_ok=True)
    page1 = html_to_png(html, ARTIFACTS / "evidence_sheet_page1.png", width=794, height=1123, print_media=True)
    phone = html_to_png(html, ARTIFACTS / "evidence_sheet_phone.png", width=390)
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(page1)).size == (794, 1123)
    width, height = Image.open(BytesIO(phone)).size
    assert width == 390 and height > 2000  # one column, nothing wider than the phone


def test_cli_refuses_unknown_article_and_other_extensions(seed: Seed, tmp_path: Path) -> None:
    missing = seed.cli("export", "sheet", "--article", "https://nowhere.example/x", "-o", "-", check=False)
    assert missing.returncode == 1 and "no archived article" in missing.stderr
    wrong = seed.cli("export", "sheet", "--article", ARTICLE_URL, "-o", str(tmp_path / "r.txt"), check=False)
    assert wrong.returncode == 2 and not (tmp_path / "r.txt").exists()


def test_demo_prints_where_the_evidence_sheet_is(receipts_env) -> None:
    out = receipts_env.run("demo", check=True, timeout=300).stdout
    lines = [line for line in out.splitlines() if line.startswith("evidence sheet: ")]
    assert len(lines) == 1, out
    path = Path(lines[0].removeprefix("evidence sheet: "))
    assert path.parent == receipts_env.data_dir and path.exists()
    html = path.with_suffix(".html").read_text()
    assert ARTICLE_URL in html and "none recorded" in html
    from receipts.exports.pdf import chromium_path

    assert path.suffix == (".pdf" if chromium_path() else ".html")
    if path.suffix == ".pdf":  # Chromium printed it
        text = "\n".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages)
        assert "@atrupar" in text and "Hashes" in text
