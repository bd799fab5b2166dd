"""Storing a screenshot: the PNG as content-addressed media, a ``screenshot`` capture, a WARC resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawlers.browser.capture import png_size
from crawlers.items import ScreenshotItem
from receipts.ids import new_id
from receipts.media_store import MediaStore, TempSink
from receipts.models import Capture


def screenshot_uri(item: ScreenshotItem) -> str:
    """The WARC resource URI: ``urn:receipts:screenshot:post:x:ID`` / ``…:embed:x:ID``."""
    return f"urn:receipts:screenshot:{item.kind}:{item.subject_id}"


def store_screenshot(writer: Any, item: ScreenshotItem, tmp_dir: Path) -> str:
    """Store *item* through the crawl's ``ArchiveWriter``; returns the PNG's sha256."""
    sink = TempSink(tmp_dir)
    try:
        sink.write(item.png)
        path, sha256, size = sink.finish()
    except BaseException:
        sink.discard()
        raise
    MediaStore(writer.archive).store_file(path, sha256, size, item.url, "image/png")
    width, height = png_size(item.png) or (None, None)
    capture = Capture(
        id=new_id("cap"), crawl_id=writer.crawl_id, target_type="screenshot", target_id=item.subject_id,
        route="browser", requested_url=item.url, fetched_url=item.url, content_type="image/png",
        meta={"kind": f"{item.kind}_screenshot", "dom_text": item.dom_text, "element": item.element,
              "page_capture_id": item.capture_id, "article_id": item.article_id, "media_sha256": sha256,
              "width": width, "height": height},
    )
    add_resource = getattr(writer, "add_resource", None)
    if add_resource is not None:
        capture.warc_record_id = add_resource(screenshot_uri(item), "image/png", item.png, {
            "target_id": item.subject_id, "capture_id": capture.id, "kind": f"{item.kind}_screenshot",
            "page_url": item.url, "article_id": item.article_id, "dom_text": item.dom_text})
    writer.archive.add_capture(capture, item.png)  # a derived resource, not a fetch: no capture hooks
    writer.captures += 1
    return sha256
