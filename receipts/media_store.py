"""Content-addressed media: temp-file sinks, content sniffing, dimensions, and the ``media`` collection.

One ``media`` document per distinct sha256 (``_id``), the bytes in the GridFS bucket
:data:`~receipts.db.archive.MEDIA_BUCKET` under the same id::

    {_id: sha256, sha256, content_type (sniffed from the bytes, else the served header),
     served_content_type, bytes, width, height, duration_ms, source_urls: [every URL that served
     these bytes], first_seen_at, last_seen_at, blob_ref: "gridfs:mediafiles/<sha256>",
     hls: {...},  # only on an HLS master playlist: the renditions and segments archived with it
     phash, phash_algo, phash_b0 … phash_b8}  # images only: the perceptual hash (receipts.db.phash)

Bytes arrive in a :class:`TempSink` (a ``*.part`` file under ``RECEIPTS_DATA_DIR/tmp``, hashed
while written); :meth:`TempSink.finish` fsyncs and renames it atomically to ``<sha256>.<pid>.blob``;
:meth:`MediaStore.store_file` uploads that file to GridFS as a stream, then upserts the document,
then deletes the file. A media document therefore always has its complete blob.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from receipts.db.archive import MEDIA_BUCKET, Archive
from receipts.db.evidence import media_doc, record_media
from receipts.db.phash import media_to_hash, phash_fields
from receipts.models import utcnow

HLS_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/iso.segment"

_store_lock = threading.Lock()  # one GridFS upload per process at a time: two same-sha uploads must not race


# ----------------------------------------------------------------------------------------- temp files


class TempSink:
    """A temp file that hashes what is written to it; ``finish`` makes it final, ``discard`` removes it."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path: Path | None = directory / f"{os.getpid()}-{uuid.uuid4().hex}.part"
        self._file: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 - closed in finish/discard
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise ValueError("sink already closed")
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def finish(self) -> tuple[Path, str, int]:
        """fsync, then rename to ``<sha256>.<pid>.<n>.blob`` (atomic on one file system)."""
        assert self._file is not None and self.path is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        digest = self._hash.hexdigest()
        final = self.directory / f"{digest}.{os.getpid()}.{uuid.uuid4().hex[:8]}.blob"
        os.replace(self.path, final)
        self.path = None
        return final, digest, self.size

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

    @property
    def closed(self) -> bool:
        return self._file is None


def clean_temp_dir(directory: Path) -> int:
    """Remove this process's leftover temp files (a crash mid-download); returns how many."""
    removed = 0
    if not directory.is_dir():
        return 0
    pid = str(os.getpid())
    for path in directory.iterdir():
        if path.suffix in (".part", ".blob") and (path.name.startswith(pid + "-") or f".{pid}." in path.name):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# ----------------------------------------------------------------------------------------- sniffing


def _is_mpeg_ts(head: bytes) -> bool:
    return len(head) >= 188 and head[0] == 0x47 and all(head[i] == 0x47 for i in range(188, len(head), 188))


def sniff_content_type(head: bytes) -> str | None:
    """The media type the leading bytes say (JPEG, PNG, GIF, WebP, MP4, CMAF segment, MPEG-TS, m3u8)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    kind = head[4:8]
    if kind == b"ftyp":
        brand = head[8:12]
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if kind in (b"styp", b"moof", b"sidx", b"emsg", b"prft"):
        return SEGMENT_TYPE
    if _is_mpeg_ts(head[: 188 * 4]):
        return "video/mp2t"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"#EXTM3U"):
        return HLS_TYPE
    return None


# ----------------------------------------------------------------------------------------- dimensions


def _boxes(f: BinaryIO, start: int, end: int):
    """(type, payload offset, payload size) of the ISO-BMFF boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, kind = struct.unpack(">I4s", header)
        head_len = 8
        if size == 1:
            large = f.read(8)
            if len(large) < 8:
                return
            size, head_len = struct.unpack(">Q", large)[0], 16
        elif size == 0:
            size = end - pos
        if size < head_len:
            return
        yield kind, pos + head_len, size - head_len
        pos += size


def _read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    f.seek(offset)
    return f.read(size)


def mp4_info(f: BinaryIO, length: int) -> tuple[int | None, int | None, int | None]:
    """(width, height, duration_ms) from ``moov/mvhd`` and the first video ``trak/tkhd``; Nones when absent.

    Only box headers and the small header boxes are read, never ``mdat``.
    """
    width = height = duration_ms = None
    for kind, off, size in _boxes(f, 0, length):
        if kind != b"moov":
            continue
        for sub, s_off, s_size in _boxes(f, off, off + size):
            if sub == b"mvhd" and s_size >= 32:
                data = _read_at(f, s_off, min(s_size, 40))
                if data[0] == 1:
                    timescale, duration = struct.unpack(">IQ", data[20:32])
                else:
                    timescale, duration = struct.unpack(">II", data[12:20])
                if timescale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
                    duration_ms = round(duration * 1000 / timescale)
            elif sub == b"trak" and width is None:
                for t, t_off, t_size in _boxes(f, s_off, s_off + s_size):
                    if t == b"tkhd" and t_size >= 84:
                        data = _read_at(f, t_off, t_size)
                        tail = data[-8:]
                        w, h = struct.unpack(">II", tail)
                        if w >> 16 and h >> 16:
                            width, height = w >> 16, h >> 16
        break
    return width, height, duration_ms


def probe(path: Path, content_type: str | None) -> dict[str, int | None]:
    """Width/height (images via Pillow, MP4 via its boxes) and duration when cheaply known."""
    out: dict[str, int | None] = {"width": None, "height": None, "duration_ms": None}
    try:
        if content_type and content_type.startswith("image/"):
            from PIL import Image

            with Image.open(path) as image:
                out["width"], out["height"] = image.size
        elif content_type in ("video/mp4", "audio/mp4"):
            with open(path, "rb") as f:
                out["width"], out["height"], out["duration_ms"] = mp4_info(f, path.stat().st_size)
    except Exception:  # a file we cannot parse is still archived, just without dimensions
        pass
    return out


def perceptual_hash(source: Path | BinaryIO) -> str | None:
    """The 64-bit perceptual hash (``imagehash.phash``, 16 hex digits) of an image file; None when it is not an
    image Pillow can read (the bytes are archived all the same)."""
    try:
        import imagehash
        from PIL import Image

        with Image.open(source) as image:
            image.draft("L", (128, 128))  # JPEG: decode at a reduced size, enough for a 32×32 DCT
            return str(imagehash.phash(image))
    except Exception:
        return None


# ----------------------------------------------------------------------------------------- the store


@dataclass
class StoredMedia:
    sha256: str
    bytes: int
    content_type: str | None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    new_blob: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    phash: str | None = None


class MediaStore:
    """Writes media blobs and documents through an :class:`Archive`."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def store_file(self, path: Path, sha256: str, size: int, source_url: str,
                   served_content_type: str | None = None, extra: dict[str, Any] | None = None) -> StoredMedia:
        """Upload the finished file *path* (hash and size computed while it was written), record the
        document, and delete the file."""
        try:
            with open(path, "rb") as f:
                head = f.read(4096)
                sniffed = sniff_content_type(head)
                content_type = sniffed or _bare_type(served_content_type)
                dims = probe(path, content_type)
                phash = perceptual_hash(path) if content_type and content_type.startswith("image/") else None
                f.seek(0)
                with _store_lock:
                    new_blob = self.archive.put_blob_stream(f, sha256, MEDIA_BUCKET, filename=sha256,
                                                            content_type=content_type)
            fields = {**(extra or {}), **(phash_fields(phash) if phash else {})}
            self.record(sha256, size, content_type, served_content_type, source_url, dims, fields or None)
        finally:
            path.unlink(missing_ok=True)
        return StoredMedia(sha256, size, content_type, dims["width"], dims["height"], dims["duration_ms"], new_blob,
                           dict(extra or {}), phash)

    def record(self, sha256: str, size: int, content_type: str | None, served_content_type: str | None,
               source_url: str, dims: dict[str, int | None], extra: dict[str, Any] | None = None) -> None:
        on_insert = {"sha256": sha256, "bytes": size, "content_type": content_type,
                     "served_content_type": served_content_type, "first_seen_at": utcnow(),
                     "blob_ref": f"gridfs:{MEDIA_BUCKET}/{sha256}", **dims}
        record_media(self.archive, sha256, source_url, on_insert, extra)

    def get(self, sha256: str) -> dict[str, Any] | None:
        return media_doc(self.archive, sha256)

    def hash_stored(self, sha256: str) -> str | None:
        """Compute and store the perceptual hash of stored image *sha256* (None: not stored, or not an image)."""
        blob = self.archive.open_blob(sha256, MEDIA_BUCKET)
        if blob is None:
            return None
        with blob:
            phash = perceptual_hash(blob)
        if phash:
            self.archive.set_media_fields(sha256, phash_fields(phash))
        return phash

    def rehash(self, force: bool = False) -> tuple[int, int]:
        """Hash every stored image that has no perceptual hash yet (all of them with *force*): (hashed, skipped)."""
        hashed = skipped = 0
        for sha256 in list(media_to_hash(self.archive, force)):
            if self.hash_stored(sha256):
                hashed += 1
            else:
                skipped += 1
        return hashed, skipped


def _bare_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() or None if value else None
