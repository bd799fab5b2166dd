"""Bodies and media bytes in GridFS buckets, keyed by sha256 (identical bytes are stored once).

:meth:`Blobs.put_blobs` stores a crawl's small bodies in batches: one query for what is stored
already, one insert of the chunks and one of the file documents, in GridFS's own format (the
file document last, so a reader never sees a file without its bytes). A body larger than one
chunk, or one another writer is storing at the same moment, takes :meth:`Blobs.put_blob_stream`,
which copes with uploads cut off half-way.
"""

from __future__ import annotations

import io
import time
from collections.abc import Mapping
from typing import Any, BinaryIO

import gridfs
from bson import Binary, ObjectId
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from receipts.models import sha256_hex, utcnow

BODY_BUCKET = "bodies"
MEDIA_BUCKET = "mediafiles"
ORPHAN_CHUNK_AGE_S = 30.0  # chunks without a file this old are a cut-off upload, never one in flight
CHUNK_SIZE = 255 * 1024  # GridFS's default chunk size (pymongo's DEFAULT_CHUNK_SIZE)


def bucket_indexes(name: str) -> dict[str, list[tuple[list[tuple[str, Any]], dict[str, Any]]]]:
    """The indexes GridFS itself creates on a bucket's first upload. :meth:`Blobs.put_blobs` writes
    without GridFS, so it creates them itself (the unique one makes a racing upload fail)."""
    return {f"{name}.files": [([("filename", 1), ("uploadDate", 1)], {})],
            f"{name}.chunks": [([("files_id", 1), ("n", 1)], {"unique": True})]}


class Blobs:
    """GridFS storage of an :class:`~receipts.db.archive.Archive` (``self.db``)."""

    db: Database
    _buckets: dict[str, gridfs.GridFSBucket]
    _indexed: set[str]

    def bucket(self, name: str) -> gridfs.GridFSBucket:
        if name not in self._buckets:
            self._buckets[name] = gridfs.GridFSBucket(self.db, bucket_name=name)
        return self._buckets[name]

    def has_blob(self, sha256: str, bucket: str = BODY_BUCKET) -> bool:
        """Stored whole: a file document written by a finished upload (it carries its ``metadata.sha256``;
        nx-27017 makes an empty one of its own as soon as a chunk arrives)."""
        return sha256 in self.stored_blobs([sha256], bucket)

    def stored_blobs(self, digests: list[str], bucket: str = BODY_BUCKET) -> set[str]:
        """Which of *digests* are stored whole (see :meth:`has_blob`), in one query."""
        if not digests:
            return set()
        files = self.db[f"{bucket}.files"].find({"_id": {"$in": sorted(set(digests))}}, {"metadata": 1})
        return {f["_id"] for f in files if (f.get("metadata") or {}).get("sha256") == f["_id"]}

    def put_blob(self, data: bytes, bucket: str = BODY_BUCKET, filename: str | None = None,
                 content_type: str | None = None) -> str:
        """Store *data* once under its sha256 (content addressing) and return the hash."""
        digest = sha256_hex(data)
        self.put_blob_stream(io.BytesIO(data), digest, bucket, filename, content_type)
        return digest

    def put_blobs(self, blobs: Mapping[str, tuple[bytes, str | None]], bucket: str = BODY_BUCKET) -> None:
        """Store many bodies (sha256 → (bytes, content type)), each once, in a few round trips."""
        if not blobs:
            return
        if bucket not in self._indexed:  # once per process: GridFS's indexes, the unique one above all
            for name, specs in bucket_indexes(bucket).items():
                for keys, opts in specs:
                    self.db[name].create_index(keys, **opts)
            self._indexed.add(bucket)
        stored = self.stored_blobs(list(blobs), bucket)
        todo = {digest: value for digest, value in blobs.items() if digest not in stored}
        small = {d: v for d, v in todo.items() if 0 < len(v[0]) <= CHUNK_SIZE}
        if small and not self._insert_small(small, bucket):
            small = {}  # another writer is storing one of them: each goes the careful way
        for digest, (data, content_type) in todo.items():
            if digest not in small:
                self.put_blob_stream(io.BytesIO(data), digest, bucket, content_type=content_type)

    def _insert_small(self, blobs: Mapping[str, tuple[bytes, str | None]], bucket: str) -> bool:
        """One chunk per body, then the file documents; False (nothing left behind) when a chunk of
        one of them exists already: an upload in flight, or cut off."""
        chunks = [{"_id": ObjectId(), "files_id": d, "n": 0, "data": Binary(data)} for d, (data, _) in blobs.items()]
        try:
            self.db[f"{bucket}.chunks"].insert_many(chunks)
        except OperationFailure:  # the unique (files_id, n) index: someone else's chunk
            self.db[f"{bucket}.chunks"].delete_many({"_id": {"$in": [c["_id"] for c in chunks]}})
            return False
        now = utcnow()
        self.db[f"{bucket}.files"].insert_many([
            {"_id": d, "length": len(data), "chunkSize": CHUNK_SIZE, "uploadDate": now, "filename": d,
             "metadata": {"sha256": d, "content_type": content_type}} for d, (data, content_type) in blobs.items()])
        return True

    def put_blob_stream(self, stream: BinaryIO, sha256: str, bucket: str = BODY_BUCKET,
                        filename: str | None = None, content_type: str | None = None) -> bool:
        """Store a stream whose sha256 the caller computed; False when already stored."""
        if self.has_blob(sha256, bucket) or not self._clear_orphan_chunks(bucket, sha256):
            return False
        try:
            self.bucket(bucket).upload_from_stream_with_id(
                sha256, filename or sha256, stream, metadata={"sha256": sha256, "content_type": content_type})
        except (DuplicateKeyError, gridfs.errors.FileExists):
            return False  # a concurrent writer stored the same bytes first
        return True

    def _clear_orphan_chunks(self, bucket: str, sha256: str) -> bool:
        """Chunks with no finished file are an upload cut off (a killed writer) or one in flight.

        GridFS writes the chunks first and the file document last, so a writer killed in between
        leaves chunks that would clash with (or, without a unique index, corrupt) the next upload of
        the same bytes. Once no chunk has been written for :data:`ORPHAN_CHUNK_AGE_S` (told by the
        chunks' ObjectIds, or watched where the server numbers them itself, as nx-27017 does) the
        writer is gone and they are removed; until then a live writer is waited for. False: the blob
        got stored meanwhile.
        """
        chunks = self.db[f"{bucket}.chunks"]
        seen: tuple[int, float] | None = None  # (chunk count, when first seen at that count)
        while True:
            found = [c["_id"] for c in chunks.find({"files_id": sha256}, {"_id": 1})]
            if not found:
                return True
            now = time.monotonic()
            if all(isinstance(i, ObjectId) for i in found):
                idle = utcnow().timestamp() - max(i.generation_time.timestamp() for i in found)
            else:
                seen = seen if seen is not None and seen[0] == len(found) else (len(found), now)
                idle = now - seen[1]
            if idle >= ORPHAN_CHUNK_AGE_S:  # nobody has written one for a while: the writer is gone
                chunks.delete_many({"_id": {"$in": found}})
                self.db[f"{bucket}.files"].delete_one({"_id": sha256})  # an unfinished one (nx-27017)
                return True
            time.sleep(0.2)  # a live writer: its file document follows its last chunk
            if self.has_blob(sha256, bucket):
                return False

    def get_blob(self, sha256: str, bucket: str = BODY_BUCKET) -> bytes | None:
        try:
            return self.bucket(bucket).open_download_stream(sha256).read()
        except gridfs.errors.NoFile:
            return None

    def open_blob(self, sha256: str, bucket: str = BODY_BUCKET) -> gridfs.GridOut | None:
        try:
            return self.bucket(bucket).open_download_stream(sha256)
        except gridfs.errors.NoFile:
            return None
