"""Issue 16: ``export wacz`` no longer calls screenshots "not in the package" — they are WARC resources."""

from __future__ import annotations

from pathlib import Path

from receipts.evidence.select import ArticleEvidence
from receipts.evidence.wacz import write_selected_warc
from receipts.models import Article, Capture


def test_screenshot_resources_count_as_packaged_and_old_captures_do_not(tmp_path: Path) -> None:
    article = Article(id="https://news.example/a", url="https://news.example/a", canonical_url="https://news.example/a",
                      domain="news.example")
    shot = Capture(id="cap1", target_type="screenshot", target_id="x:1", route="browser",
                   requested_url="https://x.com/a/status/1", warc_record_id="<urn:uuid:shot>")
    old = Capture(id="cap2", target_type="post", target_id="x:2", route="syndication",
                  requested_url="https://x.com/a/status/2")  # before WARC writing: no file, no record
    orphan = Capture(id="cap3", target_type="screenshot", target_id="x:3", route="browser",
                     requested_url="https://x.com/a/status/3", warc_record_id="<urn:uuid:gone>")
    ev = ArticleEvidence(article=article, captures=[shot, old, orphan])
    ev.resources = []  # no WARC file to copy from; only the record ids matter for the count
    copied, missing = write_selected_warc(ev, tmp_path / "out.warc.gz", tmp_path)
    assert (copied, missing) == (0, 3)
    ev.resources = [("w.warc.gz", {"record_id": "<urn:uuid:shot>", "offset": 0, "length": 0})]
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    (warc_dir / "w.warc.gz").write_bytes(b"")
    copied, missing = write_selected_warc(ev, tmp_path / "out2.warc.gz", warc_dir)
    assert missing == 2  # the old post capture and the screenshot whose resource is not in the package
