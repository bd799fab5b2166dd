"""The evidence sheet: one self-contained HTML page (printed to PDF by :mod:`receipts.exports.pdf`) that an
editor or a lawyer can read — the article, each reference beside the archived post with its status, quote
verdict, media thumbnails and screenshots, then every hash, the WARC/WACZ names, the timestamp tokens, and how
to check them with standard tools.

Images are embedded as ``data:`` URIs (downscaled copies; the hashes listed are those of the stored originals),
so the page needs no server and the PDF contains them. Timestamp tokens are read from the ``timestamps``
collection when it exists, or passed in as ``tokens`` (``{tsa, time, serial, digest}`` each).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from receipts.db.archive import BODY_BUCKET, MEDIA_BUCKET, Archive
from receipts.db.dates import utc_label
from receipts.db.evidence import media_doc, warc_docs
from receipts.db.reads import timestamp_docs
from receipts.evidence.select import select_article
from receipts.exports.records import article_detail, iso
from receipts.models import utcnow
from receipts.queries import find_article, short_id

HERE = Path(__file__).resolve().parent
THUMB_PX = 360  # media thumbnails: the longest side
SHOT_PX = 1100  # screenshots: the width
MAX_IMAGE_BYTES = 40 * 1024 * 1024  # larger stored images are listed by hash only

VERDICT_LABELS = {
    "exact": "Quoted exactly",
    "equivalent": "Same words (punctuation, case or spacing differ)",
    "excerpt": "A faithful excerpt",
    "altered": "Words changed from the post",
    "edited_since": "The post was edited after the article quoted it",
    "deleted": "The post has been deleted",
    "unavailable": "The post is unavailable",
    "misattributed": "Author or date shown does not match the post",
    "unverified": "Not verified (no archived text to compare)",
}
STATE_LABELS = {"live": "live", "deleted": "deleted", "edited": "edited since archived",
                "unavailable": "unavailable", "unresolved": "not matched to a post"}


def _software() -> str:
    try:
        return f"Receipts {version('receipts')}"
    except PackageNotFoundError:
        return "Receipts"


def _when(value: Any) -> str:
    return utc_label(value, seconds=True)


env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
env.filters["when"] = _when


# -- images -------------------------------------------------------------------------------------
def _blob(archive: Archive, sha256: str) -> bytes | None:
    for bucket in (MEDIA_BUCKET, BODY_BUCKET):
        grid_out = archive.open_blob(sha256, bucket)
        if grid_out is None:
            continue
        with grid_out:
            if grid_out.length > MAX_IMAGE_BYTES:
                return None
            return grid_out.read()
    return None


def image_data_uri(archive: Archive, sha256: str | None, max_px: int, *, width_only: bool = False) -> str | None:
    """A downscaled copy of the stored image *sha256* as a ``data:`` URI (None when not stored or not an image)."""
    if not sha256:
        return None
    data = _blob(archive, sha256)
    if data is None:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.seek(0)
            img.draft("RGB", (max_px, max_px))  # JPEG: decode at a reduced size
            box = (max_px, max_px * 20) if width_only else (max_px, max_px)
            img.thumbnail(box)
            keep_png = img.format == "PNG" or img.mode in ("RGBA", "LA", "P")
            out = io.BytesIO()
            if keep_png:
                img.save(out, "PNG", optimize=True)
                mime = "image/png"
            else:
                img.convert("RGB").save(out, "JPEG", quality=82)
                mime = "image/jpeg"
    except Exception:  # not an image Pillow reads: listed by hash only
        return None
    return f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode('ascii')}"


# -- tokens -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """One RFC 3161 timestamp token as the sheet shows it."""

    tsa: str
    time: str
    serial: str
    digest: str
    status: str = "granted"


def _token(doc: Mapping[str, Any], digest: str) -> Token:
    return Token(tsa=str(doc.get("tsa") or doc.get("tsa_url") or doc.get("url") or "?"),
                 time=_when(doc.get("time") or doc.get("gen_time") or doc.get("genTime")) or "",
                 serial=str(doc.get("serial") or doc.get("serial_number") or ""),
                 digest=str(doc.get("digest") or digest), status=str(doc.get("status") or "granted"))


def tokens_from_docs(docs: Iterable[Mapping[str, Any]]) -> list[Token]:
    """Tokens from ``timestamps`` documents (``_id`` = digest): one token per document, or one per entry of its
    ``tokens`` list (a digest stamped by several authorities)."""
    out: list[Token] = []
    for doc in docs:
        digest = str(doc.get("digest") or doc.get("_id") or "")
        entries = doc.get("tokens")
        if isinstance(entries, list):
            out.extend(_token({**e, "status": e.get("status") or doc.get("status")}, digest) for e in entries)
        else:
            out.append(_token(doc, digest))
    return out


# -- the sheet ----------------------------------------------------------------------------------
def _media_item(archive: Archive, m: dict[str, Any]) -> dict[str, Any]:
    sha = m.get("sha256")
    ctype = m.get("content_type") or ""
    thumb = image_data_uri(archive, sha, THUMB_PX) if sha and ctype.startswith("image/") else None
    return {**m, "thumb": thumb}  # a video's poster is a media item of its own (type ``poster``)


def _reference(archive: Archive, index: int, ref: dict[str, Any]) -> dict[str, Any]:
    qc = ref.get("quote_check") or {}
    post = ref.get("post")
    if post:
        post = {**post, "media": [_media_item(archive, m) for m in post["media"]],
                "screenshot": image_data_uri(archive, post.get("screenshot_sha256"), SHOT_PX, width_only=True)}
    verdict = qc.get("verdict")
    return {**ref, "index": index, "post": post, "state_label": STATE_LABELS.get(ref["state"], ref["state"]),
            "verdict": verdict, "verdict_label": VERDICT_LABELS.get(verdict or "", verdict),
            "similarity": qc.get("similarity"), "mismatches": qc.get("mismatches") or [],
            "embed_screenshot": image_data_uri(archive, ref.get("screenshot_sha256"), SHOT_PX, width_only=True)}


def _hash_rows(archive: Archive, captures: list[Any], refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each listed sha256 is: capture bodies, media, screenshots (one row per digest)."""
    rows: dict[str, dict[str, Any]] = {}

    def add(sha: str | None, what: str, detail: str | None = None) -> None:
        if sha and sha not in rows:
            doc = media_doc(archive, sha) or {}
            rows[sha] = {"sha256": sha, "what": what, "detail": detail or "", "phash": doc.get("phash")}

    for ref in refs:
        add(ref.get("screenshot_sha256"), f"screenshot of reference {ref['index']} as the article showed it")
        post = ref.get("post") or {}
        add(post.get("screenshot_sha256"), f"screenshot of the post in reference {ref['index']}")
        for m in post.get("media") or []:
            add(m.get("sha256"), f"{m.get('type')} of reference {ref['index']}", m.get("source_url"))
    for cap in captures:
        add(cap.body_sha256, f"{cap.target_type} capture ({cap.route}, HTTP {cap.http_status or '-'})",
            cap.requested_url)
    return list(rows.values())


def sheet_data(archive: Archive, key: str, *, tokens: Iterable[Mapping[str, Any] | Token] | None = None,
               wacz: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Everything the sheet shows for the article *key* (URL, canonical URL or short id); LookupError if unknown.

    *tokens* (``{tsa, time, serial, digest}`` each) replace those read from the ``timestamps`` collection;
    *wacz* lists packages made for this article (``{name, sha256}``).
    """
    doc = find_article(archive, key)
    if doc is None:
        raise LookupError(f"no archived article {key}")
    article = article_detail(archive, doc)
    ev = select_article(archive, doc["_id"])
    own = set(article["capture_ids"])
    article_caps = [c for c in ev.captures if c.id in own or c.target_type == "article"]
    refs = [_reference(archive, i, r) for i, r in enumerate(article["references"], 1)]
    warcs = [{"name": w["_id"], "sha256": w.get("sha256"), "bytes": w.get("bytes"), "records": w.get("records"),
              "closed_at": iso(w.get("closed_at"))} for w in warc_docs(archive, ev.warc_files)]
    hashes = _hash_rows(archive, ev.captures, refs)
    if tokens is None:
        digests = {w["sha256"] for w in warcs if w["sha256"]} | {h["sha256"] for h in hashes}
        digests |= {w["sha256"] for w in wacz if w.get("sha256")}
        found = tokens_from_docs(timestamp_docs(archive, sorted(digests)))
    else:
        found = [t if isinstance(t, Token) else _token(t, str(t.get("digest") or "")) for t in tokens]
    return {
        "article": article, "short_id": short_id(doc["_id"]), "references": refs,
        "captures": [{"id": c.id, "fetched_at": iso(c.fetched_at), "route": c.route, "http_status": c.http_status,
                      "body_sha256": c.body_sha256, "warc_file": c.warc_file, "url": c.requested_url}
                     for c in article_caps],
        "capture_count": len(ev.captures), "hashes": hashes, "warcs": warcs, "wacz": list(wacz),
        "tokens": found, "digest_names": {**{h["sha256"]: h["what"] for h in hashes},
                                          **{w["sha256"]: w["name"] for w in [*warcs, *wacz] if w.get("sha256")}},
        "generated_at": iso(utcnow()), "software": _software(),
    }


def render_html(data: dict[str, Any]) -> str:
    """The sheet as one HTML document (inline CSS, images as ``data:`` URIs, no scripts)."""
    return env.get_template("sheet.html").render(css=SHEET_CSS, **data)


def sheet_html(archive: Archive, key: str, **kwargs: Any) -> str:
    return render_html(sheet_data(archive, key, **kwargs))


SHEET_CSS = (HERE / "templates" / "sheet.css").read_text(encoding="utf-8")


def style_hash() -> str:
    """The CSP source for the sheet's inline stylesheet (``'sha256-…'``)."""
    digest = base64.b64encode(hashlib.sha256(SHEET_CSS.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"
