"""Media pipeline: every live post's media downloaded at best quality and stored once by sha256.

Built on Scrapy's :class:`scrapy.pipelines.media.MediaPipeline`: every download goes through its
``process_item`` machinery (request fingerprint dedupe across the whole crawl, one download for
concurrent requests of the same URL) and ``engine.download``, so the downloader middlewares apply:
origin map, retry, and the capture middleware — each media fetch is a Capture with ``route`` and
``target_type`` ``"media"``, ``target_id`` the post that asked for it first, and its body not
duplicated into ``bodies`` (``capture_body=False``, ``body_ref = gridfs:mediafiles/<sha256>``).
Fallbacks and HLS need downloads that depend on earlier ones, so a post's media run as a series of
batches, each one pass of the base ``process_item`` (``_Batch`` items; see :meth:`_download`).

What is fetched for a live ``PostItem``: each media's ``source_url`` then its ``fallback_urls`` in
order on 404/failure (photos ``name=orig`` → ``4096x4096`` → ``large``; avatars ``_400x400`` →
``_normal``; card images ``orig`` → smaller), videos/GIFs the selected best mp4 then the other mp4
variants best first, a ``poster`` media item added for every video/GIF ``poster_url``. Media X marks
unavailable are not fetched. HLS-only videos: see :meth:`MediaPipeline._archive_hls`; the Media
item's ``sha256`` is the master playlist's, and the playlist structure (chosen renditions, every
playlist, init segment and segment with its sha256) is stored on that master's ``media`` document
under ``hls``; the master's renditions are added to the item's ``variants``.

Each Media item gets ``status``: ``stored`` (with ``sha256``, sniffed ``content_type``, ``bytes``, and
``width``/``height``/``duration_ms`` measured from the bytes when possible), ``too_large`` (over
``RECEIPTS_MAX_MEDIA_BYTES``), ``unavailable`` (403/404/410/451) or ``failed``; anything but
``stored`` leaves ``sha256`` None and no media document, so a later crawl retries it.

Streaming, honestly: on the ``headers_received`` signal a :class:`~receipts.media_store.TempSink`
(``RECEIPTS_DATA_DIR/tmp/*.part``) is opened, and an oversized ``Content-Length`` is flagged; on
every ``bytes_received`` chunk the bytes are appended and hashed incrementally and the running size
checked. Per-request ``download_maxsize = RECEIPTS_MAX_MEDIA_BYTES`` makes Scrapy cancel an oversize
download (from the header, or as soon as the count passes the limit) → ``too_large``, sink deleted.
On completion the sink is fsynced and atomically renamed, then uploaded to GridFS as a file stream
(in a worker thread) and deleted. What is still buffered: Scrapy's download handlers (HTTP/1.1,
httpx, aiohttp alike) also accumulate the body in memory and hand a ``Response`` with the whole
``body`` to the middlewares, so memory per download is bounded by the size limit, not by a chunk.
Removing that copy needs a custom download handler (``DOWNLOAD_HANDLERS``), outside this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.pipelines.media import MediaPipeline as ScrapyMediaPipeline
from twisted.python.failure import Failure

from crawlers.config import crawl_config
from crawlers.items import PostItem
from crawlers.platforms.hls import parse_hls_master, parse_hls_media
from pipelines.writer import get_writer
from receipts.media_store import HLS_TYPE, MediaStore, StoredMedia, TempSink, clean_temp_dir
from receipts.models import Media, MediaVariant, Post

log = logging.getLogger(__name__)

STATE_KEY = "receipts_media"  # request meta: the _Download shared by retries and the origin-map copy
DOWNLOADABLE = ("photo", "video", "animated_gif", "poster", "avatar", "card_image", "hls")
GONE_STATUSES = (403, 404, 410, 451)


try:  # the base pipeline logs every failure with a traceback unless it is this (private) kind
    from scrapy.pipelines.media import _MediaRequestFiltered as _QuietFailure
except ImportError:  # pragma: no cover - other Scrapy versions
    from scrapy.pipelines.media import FileException as _QuietFailure


class MediaFetchError(_QuietFailure):
    """A media download that produced no stored bytes; ``status`` is the Media status to record.

    Logged by this pipeline as a warning naming the media, not by Scrapy as an error.
    """

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class _Download:
    """Per-URL download state; the same object is reachable from every copy of the request."""

    url: str
    max_bytes: int
    tmp_dir: Path
    sink: TempSink | None = None
    too_large: bool = False
    served_type: str | None = None

    def begin(self) -> None:
        self.discard()
        self.too_large = False
        self.sink = TempSink(self.tmp_dir)

    def discard(self) -> None:
        if self.sink is not None:
            self.sink.discard()
            self.sink = None


@dataclass
class Fetched:
    """What one URL gave: a status, the stored media, and the text of a playlist."""

    url: str
    status: str
    stored: StoredMedia | None = None
    reason: str | None = None
    text: str | None = None


@dataclass
class _Batch:
    """A pseudo-item carrying a set of requests through the base ``process_item``."""

    post_key: str
    requests: list[Request]
    results: list[tuple[bool, Any]] = field(default_factory=list)


def _header(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


def is_hls(media: Media) -> bool:
    return "mpegurl" in (media.content_type or "").lower() or urlsplit(media.source_url).path.endswith(".m3u8")


def candidate_urls(media: Media) -> list[str]:
    """Best first: the source URL, its fallbacks, then (videos) the other mp4 variants by size and bitrate."""
    urls = [media.source_url, *media.fallback_urls]
    if media.type in ("video", "animated_gif"):
        mp4s = [v for v in media.variants if "mp4" in (v.content_type or "") and not v.url.endswith(".m3u8")]

        def rank(v: MediaVariant) -> tuple[int, int]:
            return ((v.width or 0) * (v.height or 0), v.bitrate or 0)  # sizes as the platform gave them

        urls += [v.url for v in sorted(mp4s, key=rank, reverse=True)]
    return list(dict.fromkeys(urls))


def add_posters(post: Post) -> None:
    """A ``poster`` media item for each video/GIF poster not already listed."""
    listed = {m.source_url for m in post.media}
    for media in list(post.media):
        if media.type in ("video", "animated_gif") and media.poster_url and media.poster_url not in listed:
            post.media.append(Media(type="poster", source_url=media.poster_url, media_key=media.media_key))
            listed.add(media.poster_url)


def _apply(media: Media, stored: StoredMedia) -> None:
    media.sha256, media.content_type, media.bytes, media.status = stored.sha256, stored.content_type, stored.bytes, "stored"
    if stored.width and stored.height:
        media.width, media.height = stored.width, stored.height
    if stored.duration_ms:
        media.duration_ms = stored.duration_ms


def _unstored(media: Media, status: str) -> None:
    media.sha256, media.bytes, media.status = None, None, status


class MediaPipeline(ScrapyMediaPipeline):
    LOG_FAILED_RESULTS = False  # failures become Media statuses, logged below

    def __init__(self, download_func: None = None, *, crawler: Crawler) -> None:
        super().__init__(download_func, crawler=crawler)
        config = crawl_config(crawler.settings)
        self.max_bytes = config.max_media_bytes
        self.tmp_dir = config.tmp_dir
        self._store: MediaStore | None = None
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @property
    def store(self) -> MediaStore:
        if self._store is None:
            self._store = MediaStore(get_writer(self.crawler).archive)
        return self._store

    # -- items --------------------------------------------------------------------------------
    async def process_item(self, item: Any) -> Any:  # type: ignore[override]
        if not isinstance(item, PostItem) or item.post.status != "live":
            return item
        post = item.post
        add_posters(post)
        self.reuse_known(post)
        todo = [m for m in post.media if m.type in DOWNLOADABLE and m.status != "unavailable" and m.sha256 is None]
        await asyncio.gather(*(self._archive(m, post.id) for m in todo))
        return item

    def reuse_known(self, post: Post) -> None:
        """Media an earlier crawl stored by sha256 from this very source URL (the spider's ``previous``,
        prepared by the runner) are not downloaded again; a changed URL (or ``--full``) is fetched."""
        known: dict[str, dict[str, Any]] = getattr(self.crawler.spider, "previous", {}).get("media") or {}
        for media in post.media:
            stored = known.get(media.source_url)
            if (stored is None or media.sha256 is not None or media.type not in DOWNLOADABLE or is_hls(media)
                    or media.status == "unavailable"):
                continue
            media.sha256, media.content_type, media.bytes = stored["sha256"], stored["content_type"], stored["bytes"]
            for name in ("width", "height", "duration_ms"):
                if stored.get(name):
                    setattr(media, name, stored[name])
            media.status = "stored"
            self.crawler.stats.inc_value("receipts/media/known")

    async def _archive(self, media: Media, post_key: str) -> None:
        try:
            if is_hls(media):
                await self._archive_hls(media, post_key)
            else:
                await self._archive_file(media, post_key)
        except Exception:  # one media item must never lose the post
            log.exception("media %s failed", media.source_url)
            _unstored(media, "failed")
            return
        if media.status != "stored":
            log.warning("media %s: %s", media.source_url, media.status)

    async def _archive_file(self, media: Media, post_key: str) -> None:
        last = "failed"
        for url in candidate_urls(media):
            (got,) = await self._download([url], post_key)
            if got.status == "stored" and got.stored is not None:
                _apply(media, got.stored)
                return
            last = got.status
            if got.status == "too_large":  # a smaller copy would not be the archived original
                break
        _unstored(media, last)

    async def _archive_hls(self, media: Media, post_key: str) -> None:
        """Master playlist → best video rendition and best audio group → their media playlists →
        the init segment and every segment, all stored as served, each as its own media."""
        (master,) = await self._download([media.source_url], post_key)
        if master.status != "stored" or master.stored is None:
            return _unstored(media, master.status)
        if master.text is None:
            return _unstored(media, "failed")
        parsed = parse_hls_master(master.text, base_url=media.source_url)
        tracks = {name: parsed[name] for name in ("video", "audio") if parsed[name]}
        if not tracks:  # a media playlist served directly
            tracks = {"video": {"url": media.source_url}}
        playlists = await self._download([t["url"] for t in tracks.values()], post_key)
        structure: dict[str, Any] = {"master_url": media.source_url}
        status = "stored"
        for (name, track), playlist in zip(tracks.items(), playlists, strict=True):
            entry = {k: v for k, v in track.items() if v is not None}
            structure[name] = entry
            if playlist.status != "stored" or playlist.text is None or playlist.stored is None:
                status = playlist.status if playlist.status != "stored" else "failed"
                continue
            entry["playlist_sha256"] = playlist.stored.sha256
            urls = parse_hls_media(playlist.text, base_url=track["url"])
            parts = await self._download(urls, post_key)
            has_map = "#EXT-X-MAP:" in playlist.text
            records = [{"url": p.url, "sha256": p.stored.sha256 if p.stored else None,
                        "bytes": p.stored.bytes if p.stored else None, "status": p.status} for p in parts]
            if has_map and records:
                entry["init"] = records.pop(0)
            entry["segments"] = records
            bad = [p.status for p in parts if p.status != "stored"]
            if bad:
                status = "too_large" if "too_large" in bad else bad[0]
        if status != "stored":
            return _unstored(media, status)
        self.store.archive.set_media_fields(master.stored.sha256, {"hls": structure})
        _apply(media, master.stored)
        video = structure.get("video", {})
        if video.get("width") and video.get("height"):
            media.width, media.height = video["width"], video["height"]
        known = {v.url for v in media.variants}
        for v in parsed["variants"]:
            if v["url"] not in known:
                media.variants.append(MediaVariant(url=v["url"], content_type=HLS_TYPE, bitrate=v["bandwidth"],
                                                   width=v["width"], height=v["height"]))
        for a in parsed["audio_groups"]:
            if a["url"] not in known:
                media.variants.append(MediaVariant(url=a["url"], content_type=HLS_TYPE, bitrate=a["bitrate"]))
        return None

    # -- one batch through Scrapy's media machinery --------------------------------------------
    async def _download(self, urls: list[str], post_key: str) -> list[Fetched]:
        batch = _Batch(post_key, [self._request(url, post_key) for url in urls])
        await super().process_item(batch)
        out: list[Fetched] = []
        for url, (ok, value) in zip(urls, batch.results, strict=True):
            if ok and isinstance(value, Fetched):
                out.append(value)
            elif isinstance(value, Failure) and isinstance(value.value, MediaFetchError):
                out.append(Fetched(url, value.value.status, reason=str(value.value)))
            else:
                out.append(Fetched(url, "failed", reason=str(value)))
        return out

    def _request(self, url: str, post_key: str) -> Request:
        return Request(url, headers={"Accept-Encoding": "identity"}, meta={
            "route": "media", "target_type": "media", "target_id": post_key, "requested_url": url,
            "capture_body": False, "download_maxsize": self.max_bytes,
            STATE_KEY: _Download(url, self.max_bytes, self.tmp_dir),
        })

    def get_media_requests(self, item: Any, info: Any) -> list[Request]:
        return list(item.requests) if isinstance(item, _Batch) else []

    def item_completed(self, results: list[tuple[bool, Any]], item: Any, info: Any) -> Any:
        if isinstance(item, _Batch):
            item.results = results
        return item

    def media_to_download(self, request: Request, info: Any, *, item: Any = None) -> None:
        return None  # always fetch: each crawl re-captures what the URL serves now

    def file_path(self, request: Request, response: Response | None = None, info: Any = None, *,
                  item: Any = None) -> str:
        return "media/" + hashlib.sha1(request.url.encode()).hexdigest()

    async def media_downloaded(self, response: Response, request: Request, info: Any, *,
                               item: Any = None) -> Fetched:
        state: _Download = request.meta[STATE_KEY]
        url = state.url
        try:
            if response.status in GONE_STATUSES:
                return Fetched(url, "unavailable", reason=f"HTTP {response.status}")
            if not 200 <= response.status < 300:
                return Fetched(url, "failed", reason=f"HTTP {response.status}")
            body = response.body
            if not body:
                return Fetched(url, "failed", reason="empty body")
            sink, state.sink = state.sink, None
            streamed = sink is not None and not sink.closed and sink.size == len(body)
            self.crawler.stats.inc_value("receipts/media/streamed" if streamed else "receipts/media/rewritten")
            if not streamed:
                # no streamed copy (or the body was decoded after transfer): write what Scrapy has
                if sink is not None:
                    sink.discard()
                sink = TempSink(self.tmp_dir)
                sink.write(body)
            path, sha256, size = sink.finish()
            served = _header(response.headers.get(b"Content-Type"))
            stored = await asyncio.to_thread(self.store.store_file, path, sha256, size, url, served)
            text = body.decode("utf-8", "replace") if stored.content_type == HLS_TYPE else None
            return Fetched(url, "stored", stored, text=text)
        finally:
            state.discard()

    def media_failed(self, failure: Failure, request: Request, info: Any) -> Failure:
        state: _Download | None = request.meta.get(STATE_KEY)
        too_large = bool(state and state.too_large)
        if state is not None:
            state.discard()
        raise MediaFetchError("too_large" if too_large else "failed", failure.getErrorMessage()[:300])

    # -- streaming to disk --------------------------------------------------------------------
    def headers_received(self, headers: Any, body_length: Any, request: Request, spider: Any = None) -> None:
        state: _Download | None = request.meta.get(STATE_KEY)
        if state is None:
            return
        state.begin()
        state.served_type = _header(headers.get(b"Content-Type"))
        if isinstance(body_length, int) and state.max_bytes and body_length > state.max_bytes:
            state.too_large = True  # Scrapy cancels right after this signal (download_maxsize)
            state.discard()

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        state: _Download | None = request.meta.get(STATE_KEY)
        if state is None or state.sink is None:
            return
        state.sink.write(data)
        if state.max_bytes and state.sink.size > state.max_bytes:
            state.too_large = True  # Scrapy cancels right after this signal (download_maxsize)
            state.discard()

    def spider_closed(self, spider: Any = None) -> None:
        clean_temp_dir(self.tmp_dir)
