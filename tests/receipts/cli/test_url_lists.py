"""``receipts import`` input formats: lines, CSV with a url column, sitemap and sitemap index."""

from __future__ import annotations

from pathlib import Path

import pytest

from receipts.url_lists import UrlListError, read_url_list

SITEMAP = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           b"<url><loc>https://a.example/1</loc></url><url><loc> https://a.example/2 </loc></url></urlset>")
INDEX = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         b"<sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>")


def test_formats(tmp_path: Path) -> None:
    lines = tmp_path / "l.txt"
    lines.write_text("# comment\nhttps://a.example/1\n\nhttps://a.example/1\nhttps://a.example/2\n")
    assert read_url_list(str(lines)) == ["https://a.example/1", "https://a.example/2"]
    csv_file = tmp_path / "c.csv"
    csv_file.write_text('Title,Url\n"Hello, world",https://a.example/3\nNo link,\n')
    assert read_url_list(str(csv_file)) == ["https://a.example/3"]
    sitemap = tmp_path / "s.xml"
    sitemap.write_bytes(SITEMAP)
    assert read_url_list(str(sitemap)) == ["https://a.example/1", "https://a.example/2"]
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return INDEX if url.endswith("index.xml") else SITEMAP

    assert read_url_list("https://a.example/index.xml", fetch) == ["https://a.example/1", "https://a.example/2"]
    assert fetched == ["https://a.example/index.xml", "https://a.example/s1.xml"]


def test_errors(tmp_path: Path) -> None:
    bad = tmp_path / "b.csv"
    bad.write_text("title,link\na,b\n")
    with pytest.raises(UrlListError, match="url column"):
        read_url_list(str(bad))
    with pytest.raises(UrlListError, match="cannot read"):
        read_url_list(str(tmp_path / "missing.txt"))
    index = tmp_path / "i.xml"
    index.write_bytes(INDEX)
    with pytest.raises(UrlListError, match="sitemap index in a file"):
        read_url_list(str(index))
