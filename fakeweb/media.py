"""Generated media for pbs.twimg.com and video.twimg.com: real JPEG/PNG images, small valid MP4s, HLS.

Everything is deterministic per URL path, so the same key always yields the same bytes (media
dedupe and content hashes can be asserted) and different size names yield different pixel sizes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import re
import struct
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from PIL import Image, ImageDraw

# ----------------------------------------------------------------------------------------- keys and sizes


def derived_key(*parts: str) -> str:
    """A 16-character X-looking media key derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:16]


_NAMED_BOX = {"large": 1024, "medium": 900, "small": 680}
_PROFILE_SUFFIX = {"normal": 48, "bigger": 73, "mini": 24, "x96": 96, "200x200": 200, "400x400": 400}


def size_for(name: str, width: int, height: int) -> tuple[int, int] | None:
    """Pixel size pbs serves for ``name`` of an image whose original is ``width``×``height`` (None = 404).

    orig/4096x4096 → the original; large/medium/small fit 1024/900/680 (so a 1200×800 photo gives
    1024×683, 900×600, 680×453); thumb is a 150×150 crop; ``WxH`` names fit that box.
    """
    if name == "orig":
        return width, height
    if name == "thumb":
        return 150, 150
    if name in _NAMED_BOX:
        box = _NAMED_BOX[name]
        return _fit(width, height, box, box)
    match = re.fullmatch(r"(\d{2,4})x(\d{2,4})(?:_\w+)?", name)
    if match:
        return _fit(width, height, int(match[1]), int(match[2]))
    return None


def _fit(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    scale = min(1.0, box_w / width, box_h / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


# ----------------------------------------------------------------------------------------- images


@lru_cache(maxsize=256)
def _canvas(seed: str, width: int, height: int) -> Image.Image:
    digest = hashlib.sha256(seed.encode()).digest()
    rng = random.Random(digest)
    image = Image.new("RGB", (width, height), tuple(digest[:3]))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(width // 3 + 1), y0 + rng.randrange(height // 3 + 1)
        draw.rectangle((x0, y0, x1, y1), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw.text((max(4, width // 40), max(4, height // 40)), seed[-24:], fill=(255, 255, 255))
    return image


@lru_cache(maxsize=512)
def image_bytes(seed: str, orig: tuple[int, int], size: tuple[int, int], fmt: str = "jpeg", crop: bool = False) -> bytes:
    """Encoded image of ``size`` cut from the deterministic ``orig``-sized picture for ``seed``."""
    image = _canvas(seed, *orig)
    if crop:
        side = min(orig)
        left, top = (orig[0] - side) // 2, (orig[1] - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, format="PNG", optimize=False)
    elif fmt == "webp":
        image.save(out, format="WEBP", quality=80)
    else:
        image.save(out, format="JPEG", quality=85)
    return out.getvalue()


_IMAGE_EXT = re.compile(r"\.(jpg|jpeg|png|webp|gif)$")
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def parse_pbs_path(path: str, query: Mapping[str, str]) -> tuple[str, str, str, bool]:
    """``/media/KEY.jpg:large`` etc. → (lookup path without extension, size name, format, is_avatar)."""
    name = query.get("name", "")
    head, _, suffix = path.partition(":")
    if suffix and not name:
        name = suffix
    fmt = query.get("format", "")
    match = _IMAGE_EXT.search(head)
    if match:
        fmt = fmt or match[1]
        head = head[: match.start()]
    fmt = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}.get(fmt or "jpg", "jpeg")
    avatar = head.startswith("/profile_images/")
    if avatar:
        base, _, size = head.rpartition("_")
        if size in _PROFILE_SUFFIX:
            head, name = base, size
        name = name or "orig"
    return head, name or "medium", fmt, avatar


def avatar_size(name: str) -> tuple[int, int] | None:
    if name == "orig":
        return 400, 400
    side = _PROFILE_SUFFIX.get(name)
    return (side, side) if side else None


# ----------------------------------------------------------------------------------------- MP4


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


_MATRIX = struct.pack(">9I", 0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000)


def _moov(width: int, height: int, duration_ms: int, fragmented: bool) -> bytes:
    mvhd = _full_box(b"mvhd", 0, 0, struct.pack(">IIII", 0, 0, 1000, duration_ms) + struct.pack(">IH", 0x00010000, 0x0100)
                     + bytes(10) + _MATRIX + bytes(24) + struct.pack(">I", 2))
    tkhd = _full_box(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, duration_ms) + bytes(8)
                     + struct.pack(">hhhH", 0, 0, 0, 0) + _MATRIX + struct.pack(">II", width << 16, height << 16))
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, 1000, duration_ms, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, bytes(4) + b"vide" + bytes(12) + b"VideoHandler\x00")
    dinf = _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1) + _full_box(b"url ", 0, 1, b"")))
    stbl = _box(b"stbl", b"".join((
        _full_box(b"stsd", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stts", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stsc", 0, 0, struct.pack(">I", 0)),
        _full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        _full_box(b"stco", 0, 0, struct.pack(">I", 0)),
    )))
    minf = _box(b"minf", _full_box(b"vmhd", 0, 1, bytes(8)) + dinf + stbl)
    trak = _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + minf))
    mvex = _box(b"mvex", _full_box(b"trex", 0, 0, struct.pack(">IIIII", 1, 1, 0, 0, 0))) if fragmented else b""
    return _box(b"moov", mvhd + trak + mvex)


def _filler(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(max(0, size))


@lru_cache(maxsize=32)
def mp4_bytes(seed: str, width: int, height: int, duration_ms: int, size: int) -> bytes:
    """A structurally valid MP4 (ftyp, moov/mvhd with the duration, mdat) of about ``size`` bytes."""
    head = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41") + _moov(width, height, duration_ms, False)
    return head + _box(b"mdat", _filler(seed, size - len(head) - 8))


@lru_cache(maxsize=64)
def init_segment(width: int, height: int, duration_ms: int) -> bytes:
    """CMAF init segment (``…/0/0/WxH/KEY.mp4`` in X's HLS playlists)."""
    return _box(b"ftyp", b"iso6" + struct.pack(">I", 0) + b"iso6cmfcmp41") + _moov(width, height, duration_ms, True)


@lru_cache(maxsize=64)
def media_segment(seed: str, sequence: int, size: int = 6000) -> bytes:
    """A CMAF media segment: styp + moof(mfhd) + mdat."""
    moof = _box(b"moof", _full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)))
    return _box(b"styp", b"msdh" + bytes(4) + b"msdhmsix") + moof + _box(b"mdat", _filler(seed, size))


# ----------------------------------------------------------------------------------------- video.twimg.com


class VideoLike(Protocol):
    media_id: str
    width: int
    height: int
    duration_ms: int
    mp4: tuple[tuple[int, int, int], ...]
    hls: bool
    kind: str
    mp4_bytes: int | None


SEGMENT_MS = 3000


def _rendition_sizes(video: VideoLike) -> list[tuple[int, int, str, str, int, int]]:
    """(w, h, audio group, codecs, average bandwidth, bandwidth) as in X's real master playlists."""
    small_w = 480
    small_h = round(480 * video.height / video.width / 2) * 2
    return [
        (small_w, small_h, "audio-32000", "mp4a.40.2,avc1.4D4015", 93181, 149034),
        (video.width, video.height, "audio-128000", "mp4a.40.2,avc1.640032", 1505617, 2372256),
    ]


def _base_path(video: VideoLike) -> str:
    return f"/{video.kind}/{video.media_id}" + ("/pu" if video.kind == "ext_tw_video" else "")


def master_playlist(video: VideoLike) -> str:
    base = _base_path(video)
    mid = video.media_id
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rate in (32000, 128000):
        uri = f"{base}/pl/mp4a/{rate}/{derived_key('audio-pl', mid, str(rate))}.m3u8"
        lines.append(f'#EXT-X-MEDIA:NAME="Audio",TYPE=AUDIO,GROUP-ID="audio-{rate}",AUTOSELECT=YES,URI="{uri}"')
    for w, h, group, codecs, avg, peak in _rendition_sizes(video):
        lines.append(f'#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH={avg},BANDWIDTH={peak},RESOLUTION={w}x{h},'
                     f'CODECS="{codecs}",AUDIO="{group}"')
        lines.append(f"{base}/pl/avc1/{w}x{h}/{derived_key('video-pl', mid, f'{w}x{h}')}.m3u8")
    return "\n".join(lines) + "\n"


def media_playlist(video: VideoLike, track: str, detail: str) -> str:
    """``track`` "vid/avc1" with detail "WxH", or "aud/mp4a" with detail the bitrate."""
    base = _base_path(video)
    mid = video.media_id
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-MEDIA-SEQUENCE:0", f"#EXT-X-TARGETDURATION:{SEGMENT_MS // 1000}",
             "#EXT-X-PLAYLIST-TYPE:VOD",
             f'#EXT-X-MAP:URI="{base}/{track}/0/0/{detail}/{derived_key("init", mid, track, detail)}.mp4"']
    start = 0
    while start < video.duration_ms:
        end = min(start + SEGMENT_MS, video.duration_ms)
        lines.append(f"#EXTINF:{(end - start) / 1000:.3f},")
        lines.append(f"{base}/{track}/{start}/{end}/{detail}/{derived_key('seg', mid, track, detail, str(start))}.m4s")
        start = end
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


_VIDEO_PATH = re.compile(r"^/(?P<kind>amplify_video|ext_tw_video)/(?P<mid>\d+)(?:/pu)?/(?P<rest>.+)$")
HLS_TYPE = "application/x-mpegURL"


def serve_video(path: str, videos: Mapping[str, Any], gif_keys: set[str]) -> tuple[bytes, str] | None:
    """Bytes and content type for a video.twimg.com path (query stripped), or None for 404."""
    gif = re.fullmatch(r"/tweet_video/([\w-]+)\.mp4", path)
    if gif:
        if gif[1] not in gif_keys:
            return None
        return mp4_bytes(path, 480, 270, 3000, 40_000), "video/mp4"
    match = _VIDEO_PATH.match(path)
    if not match or match["mid"] not in videos:
        return None
    video = videos[match["mid"]]
    if video.kind != match["kind"] or not path.startswith(_base_path(video) + "/"):
        return None
    mid, rest = video.media_id, match["rest"]
    if video.hls:
        if rest.startswith("pl/") and rest.endswith(".m3u8"):
            if rest == f"pl/{derived_key('master', mid)}.m3u8":
                return master_playlist(video).encode(), HLS_TYPE
            m = re.fullmatch(r"pl/avc1/(\d+x\d+)/[\w-]+\.m3u8", rest)
            if m and m[1] in {f"{w}x{h}" for w, h, *_ in _rendition_sizes(video)}:
                return media_playlist(video, "vid/avc1", m[1]).encode(), HLS_TYPE
            m = re.fullmatch(r"pl/mp4a/(32000|128000)/[\w-]+\.m3u8", rest)
            if m:
                return media_playlist(video, "aud/mp4a", m[1]).encode(), HLS_TYPE
            return None
        m = re.fullmatch(r"(vid/avc1|aud/mp4a)/(\d+)/(\d+)/(\d+x\d+|\d+)/[\w-]+\.(mp4|m4s)", rest)
        if m:
            if m[5] == "mp4":
                return init_segment(video.width, video.height, video.duration_ms), "video/mp4"
            return media_segment(path, int(m[2]) // SEGMENT_MS + 1), "video/iso.segment"
    m = re.fullmatch(r"vid/avc1/(\d+)x(\d+)/([\w-]+)\.mp4", rest)
    if m:
        w, h = int(m[1]), int(m[2])
        if (w, h) in {(vw, vh) for vw, vh, _ in video.mp4} and m[3] == derived_key("mp4", mid, f"{w}x{h}"):
            size = video.mp4_bytes or max(4000, w * h // 8)
            return mp4_bytes(path, w, h, video.duration_ms, size), "video/mp4"
    return None
