"""The fake web's posts: real syndication bodies served verbatim, plus demo posts built in the real shape.

Every post is stored as one ``cdn.syndication.twimg.com/tweet-result`` body; the oEmbed answer, the
x.com page, the X API view and the Wayback listing are all derived from it, so a state change or an
edit shows up the same way everywhere. Demo bodies follow the real 2023 bodies in ``data/`` key by
key, with the 2025 changes (x.com ``expanded_url``) and, for posts marked ``shape="2026"``, the 2026
ones (empty entity arrays omitted, ``pic.x.com`` display URLs). See FORMATS.md §2.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fakeweb.media import derived_key, size_for

DATA_DIR = Path(__file__).with_name("data")
TWEPOCH_MS = 1288834974657

Body = dict[str, Any]


# --------------------------------------------------------------------------------------------- snowflakes


def snowflake_ms(post_id: str | int) -> int:
    """Milliseconds since the Unix epoch encoded in an X ID."""
    return (int(post_id) >> 22) + TWEPOCH_MS


def snowflake_at(iso: str, ms: int = 0, sequence: int = 0) -> str:
    """An ID whose snowflake time is ``iso`` (second precision) plus ``ms`` milliseconds."""
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    total = int(moment.timestamp()) * 1000 + ms
    return str(((total - TWEPOCH_MS) << 22) | sequence)


def created_at_of(post_id: str | int) -> str:
    """``created_at`` as syndication writes it (seconds, ``.000Z``) for an ID."""
    moment = dt.datetime.fromtimestamp(snowflake_ms(post_id) // 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_created_at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------------------------- users


@dataclass(frozen=True)
class User:
    id_str: str
    name: str
    screen_name: str
    avatar: str  # "{ID}/{KEY}" under https://pbs.twimg.com/profile_images/
    is_blue_verified: bool = False

    @property
    def avatar_url(self) -> str:
        return f"https://pbs.twimg.com/profile_images/{self.avatar}_normal.jpg"

    def body(self) -> Body:
        return {
            "id_str": self.id_str,
            "name": self.name,
            "profile_image_url_https": self.avatar_url,
            "screen_name": self.screen_name,
            "verified": False,
            "is_blue_verified": self.is_blue_verified,
            "profile_image_shape": "Circle",
        }


RUPAR = User("288277167", "Aaron Rupar", "atrupar", "1846587226530525184/Jr8qHk2A", True)
JOSHI = User("19431237", "Shashank Joshi", "shashj", "1598384512765353984/pQx3Lb9Z", True)
VIETOR = User("21147620", "Tommy Vietor", "TVietor08", "1717260913468485632/tVq1Nw3E", True)
SECDEF = User("66369181", "Secretary of Defense Pete Hegseth", "SecDef", "1880358713466531840/Hs4kPw7G")
BRUSSELS = User("1498250133775794176", "Brussels Desk", "brusselsdesk", "1498250524781547520/Bd7sKq1r")
EURODEF = User("1523901877470511104", "Euro Defence Watch", "eurodefwatch", "1523902251291217920/Ed3xWm9c")
CLIPS = User("1187650944123600896", "Reaction Clips", "reactionclips", "1187651283456008192/Rc5tYv0j")
BRIEFINGS = User("1352687140192301056", "HQ Briefings", "hqbriefings", "1352687471269904384/Hq2nPb6d")
WONK = User("901523387231383552", "Policy Wonk", "policywonk", "901524100678090752/Pw8jLc4s")
NEWSROOM = User("1620133470391119872", "Demo Newsroom", "demo_newsroom", "1620133843310874624/Dn1mZx5k")

USERS: dict[str, User] = {
    u.screen_name.lower(): u for u in (RUPAR, JOSHI, VIETOR, SECDEF, BRUSSELS, EURODEF, CLIPS, BRIEFINGS, WONK, NEWSROOM)
}


# --------------------------------------------------------------------------------------------- media specs


@dataclass(frozen=True)
class Photo:
    key: str
    width: int = 1200
    height: int = 800
    alt: str | None = None

    @property
    def url(self) -> str:
        return f"https://pbs.twimg.com/media/{self.key}.jpg"


@dataclass(frozen=True)
class Video:
    """An ``amplify_video`` / ``ext_tw_video`` upload. ``mp4`` lists (width, height, bitrate); empty = HLS only."""

    media_id: str
    width: int = 1280
    height: int = 720
    duration_ms: int = 44000
    mp4: tuple[tuple[int, int, int], ...] = ((320, 180, 256000), (640, 360, 832000), (1280, 720, 2176000))
    hls: bool = True
    kind: str = "amplify_video"
    mp4_bytes: int | None = None  # force the size of every mp4 variant (size-limit tests)

    @property
    def base(self) -> str:
        sub = "/pu" if self.kind == "ext_tw_video" else ""
        return f"https://video.twimg.com/{self.kind}/{self.media_id}{sub}"

    @property
    def poster(self) -> str:
        sub = "pu/img" if self.kind == "ext_tw_video" else "img"
        thumb = "ext_tw_video_thumb" if self.kind == "ext_tw_video" else "amplify_video_thumb"
        return f"https://pbs.twimg.com/{thumb}/{self.media_id}/{sub}/{derived_key('poster', self.media_id)}.jpg"

    def variants(self) -> list[Body]:
        tag = "12" if self.kind == "ext_tw_video" else "14"
        out: list[Body] = []
        for w, h, bitrate in self.mp4:
            key = derived_key("mp4", self.media_id, f"{w}x{h}")
            url = f"{self.base}/vid/avc1/{w}x{h}/{key}.mp4?tag={tag}"
            out.append({"bitrate": bitrate, "content_type": "video/mp4", "url": url})
        if self.hls:
            key = derived_key("master", self.media_id)
            out.append({"content_type": "application/x-mpegURL", "url": f"{self.base}/pl/{key}.m3u8?tag={tag}"})
        return out


@dataclass(frozen=True)
class Gif:
    key: str
    width: int = 480
    height: int = 270


MediaSpec = Photo | Video | Gif


# --------------------------------------------------------------------------------------------- builders


def _span(text: str, needle: str) -> list[int]:
    start = text.index(needle)
    return [start, start + len(needle)]


def _sizes(w: int, h: int) -> Body:
    out: Body = {}
    for name in ("large", "medium", "small", "thumb"):
        sw, sh = size_for(name, w, h) or (w, h)
        out[name] = {"h": sh, "resize": "crop" if name == "thumb" else "fit", "w": sw}
    return out


def _focus_rects(w: int, h: int) -> list[Body]:
    rects = []
    for ratio in (16 / 9, 1.0, 0.75, 0.5):
        cw, ch = (min(w, round(h * ratio)), h) if w / h >= ratio else (w, min(h, round(w / ratio)))
        rects.append({"x": (w - cw) // 2, "y": (h - ch) // 2, "w": cw, "h": ch})
    rects.append({"x": 0, "y": 0, "w": w, "h": h})
    return rects


def _media_detail(spec: MediaSpec, common: Body) -> Body:
    """One ``mediaDetails`` entry, keys in the real order."""
    detail: Body = {"display_url": common["display_url"], "expanded_url": common["expanded_url"]}
    if isinstance(spec, Photo) and spec.alt:
        detail["ext_alt_text"] = spec.alt
    detail["ext_media_availability"] = {"status": "Available"}
    if isinstance(spec, Video):
        detail["additional_media_info"] = {}
    if isinstance(spec, Photo):
        poster, focus = spec.url, _focus_rects(spec.width, spec.height)
    elif isinstance(spec, Gif):
        poster, focus = f"https://pbs.twimg.com/tweet_video_thumb/{spec.key}.jpg", []
    else:
        poster, focus = spec.poster, []
    detail.update({
        "indices": common["indices"],
        "media_url_https": poster,
        "original_info": {"height": spec.height, "width": spec.width, "focus_rects": focus},
        "sizes": _sizes(spec.width, spec.height),
        "type": "photo" if isinstance(spec, Photo) else "animated_gif" if isinstance(spec, Gif) else "video",
        "url": common["url"],
    })
    if isinstance(spec, Gif):
        url = f"https://video.twimg.com/tweet_video/{spec.key}.mp4"
        detail["video_info"] = {"aspect_ratio": _aspect(spec.width, spec.height),
                                "variants": [{"bitrate": 0, "content_type": "video/mp4", "url": url}]}
    elif isinstance(spec, Video):
        detail["video_info"] = {"aspect_ratio": _aspect(spec.width, spec.height), "duration_millis": spec.duration_ms,
                                "variants": spec.variants()}
    return detail


def _aspect(w: int, h: int) -> list[int]:
    g = math.gcd(w, h)
    return [w // g, h // g]


def _photo_entry(spec: Photo, expanded: str) -> Body:
    seed = derived_key("bg", spec.key)
    return {
        "backgroundColor": {"red": 150 + ord(seed[0]) % 100, "green": 150 + ord(seed[1]) % 100, "blue": 150 + ord(seed[2]) % 100},
        "cropCandidates": _focus_rects(spec.width, spec.height),
        "expandedUrl": expanded,
        "url": spec.url,
        "width": spec.width,
        "height": spec.height,
    }


def _video_object(post_id: str, spec: Video | Gif, detail: Body) -> Body:
    variants = detail["video_info"]["variants"]
    return {
        "aspectRatio": detail["video_info"]["aspect_ratio"],
        "contentType": "media_entity" if isinstance(spec, Video) else "gif",
        "durationMs": spec.duration_ms if isinstance(spec, Video) else 0,
        "mediaAvailability": {"status": "available"},
        "poster": detail["media_url_https"],
        "variants": [{"type": v["content_type"], "src": v["url"]} for v in variants],
        "videoId": {"type": "tweet", "id": post_id},
        "viewCount": 0,
    }


def build_entities(
    text: str,
    *,
    shape: str,
    mentions: tuple[User, ...] = (),
    urls: tuple[tuple[str, str, str], ...] = (),
    hashtags: tuple[str, ...] = (),
    media: list[Body] | None = None,
) -> Body:
    """Entities with code-point indices found in ``text``; ``urls`` are (t.co URL, expanded, display)."""
    entities: Body = {
        "hashtags": [{"indices": _span(text, "#" + tag), "text": tag} for tag in hashtags],
        "urls": [
            {"display_url": display, "expanded_url": expanded, "indices": _span(text, tco), "url": tco}
            for tco, expanded, display in urls
        ],
        "user_mentions": [
            {"id_str": u.id_str, "indices": _span(text, "@" + u.screen_name), "name": u.name, "screen_name": u.screen_name}
            for u in mentions
        ],
        "symbols": [],
    }
    if media:
        entities["media"] = media
    if shape == "2026":
        entities = {k: v for k, v in entities.items() if v}
    return entities


def build_post(
    *,
    post_id: str,
    user: User,
    text: str,
    media: tuple[MediaSpec, ...] = (),
    tco: str | None = None,
    mentions: tuple[User, ...] = (),
    urls: tuple[tuple[str, str, str], ...] = (),
    hashtags: tuple[str, ...] = (),
    shape: str = "2025",
    favorite_count: int = 0,
    conversation_count: int = 0,
    quoted: Body | None = None,
    reply_to: Body | None = None,
    note_tweet: bool = False,
    media_owner: tuple[str, str] | None = None,
) -> Body:
    """A syndication body. ``text`` is the display text; the media t.co link is appended after a space.

    ``media_owner`` = (handle, id) makes ``expanded_url`` point at another post (X's media re-use).
    """
    full = text
    display_start = 0
    if reply_to is not None:
        display_start = len(f"@{reply_to['user']['screen_name']} ")
    media_details: list[Body] = []
    media_entities: list[Body] = []
    if media:
        assert tco, "media posts need a t.co code"
        tco_url = f"https://t.co/{tco}"
        full = f"{text} {tco_url}"
        owner_handle, owner_id = media_owner or (user.screen_name, post_id)
        kind = "photo" if isinstance(media[0], Photo) else "video"
        expanded = f"https://x.com/{owner_handle}/status/{owner_id}/{kind}/1"
        display = f"pic.x.com/{tco}" if shape == "2026" else f"pic.twitter.com/{tco}"
        common = {"display_url": display, "expanded_url": expanded, "indices": [len(text) + 1, len(full)], "url": tco_url}
        media_entities.append(dict(common))
        media_details = [_media_detail(spec, dict(common)) for spec in media]
    entities = build_entities(
        full, shape=shape, mentions=mentions, urls=urls, hashtags=hashtags, media=media_entities or None
    )
    created = created_at_of(post_id)
    body: Body = {"__typename": "Tweet", "lang": "en"}
    if reply_to is not None:
        body.update({
            "in_reply_to_screen_name": reply_to["user"]["screen_name"],
            "in_reply_to_status_id_str": reply_to["id_str"],
            "in_reply_to_user_id_str": reply_to["user"]["id_str"],
        })
    body.update({
        "favorite_count": favorite_count,
        "possibly_sensitive": False,
        "created_at": created,
        "display_text_range": [display_start, len(text)],
        "entities": entities,
        "id_str": post_id,
        "text": full,
        "user": user.body(),
        "edit_control": {
            "edit_tweet_ids": [post_id],
            "editable_until_msecs": str(snowflake_ms(post_id) // 1000 * 1000 + 3_600_000),
            "is_edit_eligible": not media or isinstance(media[0], Photo),
            "edits_remaining": "5",
        },
    })
    if note_tweet:
        body["note_tweet"] = {"id": base64.b64encode(f"NoteTweetResults:{post_id}".encode()).decode()}
    if media_details:
        body["mediaDetails"] = media_details
        if isinstance(media[0], Photo):
            body["photos"] = [_photo_entry(spec, media_details[0]["expanded_url"]) for spec in media if isinstance(spec, Photo)]
        else:
            spec = media[0]
            assert isinstance(spec, Video | Gif)
            body["video"] = _video_object(post_id, spec, media_details[0])
    body["conversation_count"] = conversation_count
    body["news_action_type"] = "conversation"
    if quoted is not None:
        body["quoted_tweet"] = as_embedded(quoted)
    if reply_to is not None:
        body["parent"] = as_embedded(reply_to)
    body["isEdited"] = False
    body["isStaleEdit"] = False
    return body


def as_embedded(body: Body) -> Body:
    """The ``quoted_tweet`` / ``parent`` form: no ``__typename``; reply/retweet/like counts after ``lang``."""
    out: Body = {"lang": body.get("lang", "en"), "reply_count": 0, "retweet_count": 0,
                 "favorite_count": body.get("favorite_count", 0)}
    skip = {"__typename", "lang", "favorite_count", "conversation_count", "news_action_type", "quoted_tweet", "parent"}
    for key, value in body.items():
        if key not in skip:
            out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------- demo posts


@dataclass(frozen=True)
class DemoPost:
    """One catalogue post: its ID, author handle, what it is for, and the state it starts in."""

    id: str
    handle: str
    summary: str
    state: str = "live"
    tags: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str:
        return f"https://x.com/{self.handle}/status/{self.id}"


RUPAR_ID = "1890172385467187200"
RUPAR_MEDIA_ID = snowflake_at("2025-02-13T22:51:47Z", 318)
RUPAR_TCO = "8KqMe7ohG3"
RUPAR_TEXT = (
    "REPORTER: You have focused on what Ukraine is giving up. What concessions will Putin be asked to make?\n\n"
    "HEGSETH: Um. I would start by saying the arguments that have been made that somehow coming to the table right "
    "now is making concessions to Vladimir Putin, I just reject that at…"
)
JOSHI_ID = snowflake_at("2025-02-13T16:27:31Z", 412)
JOSHI_TEXT = (
    "Hegseth’s lack of experience is already showing. Publicly makes a series of pre-emptive concessions prior to "
    "the most important negotiations in many years, and then has to publicly explain that he had no authority to "
    "say any of those things."
)
VIETOR_ID = snowflake_at("2025-02-13T20:04:18Z", 733)
VIETOR_TEXT = (
    "This was a huge fuckup by Hegseth. There’s no walking back his initial comments that Ukraine won’t join NATO or "
    "gain back all the territory lost since 2014. He wrote Putin a big check that has already been cashed. Maybe "
    "don’t make an unqualified Fox News host @SecDef?"
)
PHOTO_ID = snowflake_at("2025-02-13T09:12:05Z", 201)
PHOTO_KEY = "GjqL3vXWQAAx2Rk"
PHOTO_SAME_BYTES_ID = snowflake_at("2026-03-02T11:00:00Z", 640)
PHOTO_SAME_BYTES_KEY = "HBx7kPqWAAAc9Zt"  # a different URL that serves PHOTO_KEY's exact bytes
GIF_ID = snowflake_at("2025-02-13T23:40:12Z", 95)
GIF_KEY = "GjsA1bZXwAAq5Lm"
HLS_ID = snowflake_at("2025-02-13T14:05:55Z", 511)
HLS_MEDIA_ID = snowflake_at("2025-02-13T14:01:20Z", 77)
QUOTE_ID = snowflake_at("2025-02-13T23:10:44Z", 830)
REPLY_ID = snowflake_at("2025-02-13T17:02:09Z", 154)
TEXT_2026_ID = snowflake_at("2026-02-13T12:00:00Z", 12)
FALLBACK_PHOTO_ID = snowflake_at("2025-02-12T10:00:00Z", 300)
NO_ORIG_KEY = "GjlNoOrigAAAa1b"  # name=orig answers 404, 4096x4096 and smaller work
PNG_PHOTO_ID = snowflake_at("2025-02-12T11:00:00Z", 301)
PNG_AS_JPEG_KEY = "GjlPngBytesAAc2"  # PNG bytes served as image/jpeg
LARGE_VIDEO_ID = snowflake_at("2025-02-12T12:00:00Z", 302)
LARGE_VIDEO_MEDIA_ID = snowflake_at("2025-02-12T11:58:00Z", 5)
LARGE_VIDEO_BYTES = 3 * 1024 * 1024
RUPAR_VIDEO = Video(RUPAR_MEDIA_ID, duration_ms=44000)
HLS_VIDEO = Video(HLS_MEDIA_ID, duration_ms=9000, mp4=())
LARGE_VIDEO = Video(LARGE_VIDEO_MEDIA_ID, mp4=((1280, 720, 2176000),), kind="ext_tw_video", duration_ms=60000,
                    mp4_bytes=LARGE_VIDEO_BYTES)

# posts that start in a non-live state (tweet-result behaviour per state: see syndication.py)
STATE_POSTS: dict[str, str] = {
    state: snowflake_at("2025-02-11T08:00:00Z", 100 + i)
    for i, state in enumerate(
        ("deleted", "suspended", "protected", "age_restricted", "empty", "error503", "error429", "flaky503",
         "login_required", "browser_only")
    )
}

EXTRA_TCO_CHAIN = "Ch4inT0c01"  # t.co → t.co/8KqMe7ohG3 → the Rupar video
EXTRA_TCO_ARTICLE = "N7rKp4Tz2W"  # t.co → the demo news article
ARTICLE_URL = "https://newrepublic.com/post/191502/pete-hegseth-russia-concessions-ukraine"

DEMO_POSTS: dict[str, DemoPost] = {
    "rupar_video": DemoPost(RUPAR_ID, "atrupar", "Aaron Rupar's Hegseth video (amplify_video, 3 mp4 + HLS), embedded in the article; long post (note_tweet)", tags=("video", "article")),
    "joshi_text": DemoPost(JOSHI_ID, "shashj", "Shashank Joshi's text post quoted as prose in the article", tags=("text", "article")),
    "vietor_text": DemoPost(VIETOR_ID, "TVietor08", "Tommy Vietor's text post quoted as prose; mentions @SecDef", tags=("text", "article")),
    "photo": DemoPost(PHOTO_ID, "brusselsdesk", "one photo (1200x800 orig)", tags=("photo",)),
    "photo_same_bytes": DemoPost(PHOTO_SAME_BYTES_ID, "eurodefwatch", "2026 shape (pic.x.com, entities only media); its photo URL differs but the bytes equal 'photo'", tags=("photo", "2026")),
    "gif": DemoPost(GIF_ID, "reactionclips", "animated_gif (tweet_video mp4, bitrate 0); text has an emoji", tags=("gif",)),
    "hls_only": DemoPost(HLS_ID, "hqbriefings", "video whose only variant is application/x-mpegURL (master, media playlists, segments served)", tags=("video", "hls")),
    "quote": DemoPost(QUOTE_ID, "brusselsdesk", "quotes the Rupar video post (quoted_tweet)", tags=("quote",)),
    "reply": DemoPost(REPLY_ID, "policywonk", "reply to the Joshi post (in_reply_to_*, parent)", tags=("reply",)),
    "text_2026": DemoPost(TEXT_2026_ID, "brusselsdesk", "2026 shape text post: entities is {}", tags=("text", "2026")),
    "photo_fallback": DemoPost(FALLBACK_PHOTO_ID, "brusselsdesk", "photo whose name=orig is 404 (4096x4096 works)", tags=("photo",)),
    "photo_png": DemoPost(PNG_PHOTO_ID, "brusselsdesk", "photo whose bytes are PNG served as image/jpeg", tags=("photo",)),
    "large_video": DemoPost(LARGE_VIDEO_ID, "hqbriefings", "ext_tw_video whose mp4 variants are 3 MB each", tags=("video",)),
    **{
        f"state_{state}": DemoPost(pid, "demo_newsroom", f"starts in state {state!r}", state=state, tags=("state",))
        for state, pid in STATE_POSTS.items()
    },
}
"""Named demo posts. Each ``DemoPost.state`` is the state the post starts in after ``FakeWeb.reset()``."""

REAL_POST_IDS = ("1629262255744503809", "1641086480675225601", "1641895049427550208", "1703436713362870723")
"""Real syndication bodies (``data/tweet_*_{ID}.json``) served verbatim under their own IDs."""


def _rupar() -> Body:
    return build_post(post_id=RUPAR_ID, user=RUPAR, text=RUPAR_TEXT, media=(RUPAR_VIDEO,), tco=RUPAR_TCO,
                      favorite_count=1843, conversation_count=212, note_tweet=True)


def _demo_bodies() -> dict[str, Body]:
    rupar = _rupar()
    joshi = build_post(post_id=JOSHI_ID, user=JOSHI, text=JOSHI_TEXT, favorite_count=2210, conversation_count=96)
    bodies: dict[str, Body] = {
        RUPAR_ID: rupar,
        JOSHI_ID: joshi,
        VIETOR_ID: build_post(post_id=VIETOR_ID, user=VIETOR, text=VIETOR_TEXT, mentions=(SECDEF,),
                              favorite_count=5120, conversation_count=301),
        PHOTO_ID: build_post(
            post_id=PHOTO_ID, user=BRUSSELS,
            text="NATO defence ministers gather at the alliance headquarters in Brussels this morning.",
            media=(Photo(PHOTO_KEY, alt="Flags outside NATO headquarters"),), tco="Xq7bN2cR4d", favorite_count=58,
        ),
        PHOTO_SAME_BYTES_ID: build_post(
            post_id=PHOTO_SAME_BYTES_ID, user=EURODEF,
            text="Throwback: the ministers' meeting that started it all.",
            media=(Photo(PHOTO_SAME_BYTES_KEY),), tco="Lp2Vb8Nw1Q", shape="2026",
        ),
        GIF_ID: build_post(
            post_id=GIF_ID, user=CLIPS, text="When the press conference goes off script 😬",
            media=(Gif(GIF_KEY),), tco="Gf5Hq2Zk8M", favorite_count=12,
        ),
        HLS_ID: build_post(
            post_id=HLS_ID, user=BRIEFINGS,
            text="Full remarks from the defence ministers' press conference at NATO headquarters.",
            media=(HLS_VIDEO,), tco="Hl9Sx4Pq7T",
        ),
        QUOTE_ID: build_post(
            post_id=QUOTE_ID, user=BRUSSELS, text="The key exchange from today's NATO press conference:",
            quoted=rupar, favorite_count=40,
        ),
        REPLY_ID: build_post(
            post_id=REPLY_ID, user=WONK,
            text="@shashj Agreed. Conceding the endgame before the talks even start is a strange way to negotiate.",
            mentions=(JOSHI,), reply_to=joshi,
        ),
        TEXT_2026_ID: build_post(
            post_id=TEXT_2026_ID, user=BRUSSELS, shape="2026",
            text="One year on, the Brussels remarks still frame every conversation about the talks.",
        ),
        FALLBACK_PHOTO_ID: build_post(
            post_id=FALLBACK_PHOTO_ID, user=BRUSSELS, text="Briefing room, before the doors open.",
            media=(Photo(NO_ORIG_KEY),), tco="Fb3Kt6Wm0R",
        ),
        PNG_PHOTO_ID: build_post(
            post_id=PNG_PHOTO_ID, user=BRUSSELS, text="Seating chart for the ministerial (screenshot).",
            media=(Photo(PNG_AS_JPEG_KEY, 800, 600),), tco="Pn6Gj1Yc3V",
        ),
        LARGE_VIDEO_ID: build_post(
            post_id=LARGE_VIDEO_ID, user=BRIEFINGS, text="Raw feed from the press area (long).",
            media=(LARGE_VIDEO,), tco="Lv7Rd2Ks9B",
        ),
    }
    for state, pid in STATE_POSTS.items():
        bodies[pid] = build_post(post_id=pid, user=NEWSROOM, text=f"Demo post for the {state.replace('_', ' ')} state.")
    return bodies


# --------------------------------------------------------------------------------------------- catalogue


def _real_bodies() -> dict[str, Body]:
    out: dict[str, Body] = {}
    for path in sorted(DATA_DIR.glob("tweet_*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        out[body["id_str"]] = body
    return out


@cache
def _catalog() -> dict[str, Body]:
    return {**_real_bodies(), **_demo_bodies()}


def catalog_bodies() -> dict[str, Body]:
    """A fresh deep copy of every post body (real + demo), keyed by ID."""
    return copy.deepcopy(_catalog())


CATALOG_IDS: tuple[str, ...] = tuple(REAL_POST_IDS) + tuple(p.id for p in DEMO_POSTS.values())
"""Every post ID the fake web knows; all other IDs are 404 everywhere."""


def initial_states() -> dict[str, str]:
    states = dict.fromkeys(CATALOG_IDS, "live")
    states.update({p.id: p.state for p in DEMO_POSTS.values()})
    return states


def _walk(value: Any):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


@cache
def tco_map() -> dict[str, str]:
    """t.co code → expanded URL, from every entity in the catalogue plus a chain and an article link."""
    out: dict[str, str] = {}
    for body in _catalog().values():
        for node in _walk(body):
            url, expanded = node.get("url"), node.get("expanded_url")
            if isinstance(url, str) and url.startswith("https://t.co/") and isinstance(expanded, str):
                out[url.rsplit("/", 1)[1]] = expanded
    out[EXTRA_TCO_CHAIN] = f"https://t.co/{RUPAR_TCO}"
    out[EXTRA_TCO_ARTICLE] = ARTICLE_URL
    return out


def catalog_urls(prefix: str) -> list[str]:
    """Every string in the catalogue starting with ``prefix`` (e.g. all pbs.twimg.com URLs)."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, str):
            if value.startswith(prefix):
                found.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(_catalog())
    for user in USERS.values():
        visit(user.avatar_url)
    return sorted(found)


@cache
def photo_dimensions() -> dict[str, tuple[int, int, dict[str, tuple[int, int]] | None]]:
    """pbs path (without extension) → (orig width, orig height, named sizes from the body's ``sizes``)."""
    out: dict[str, tuple[int, int, dict[str, tuple[int, int]] | None]] = {}
    for body in _catalog().values():
        for node in _walk(body):
            url = node.get("media_url_https")
            info = node.get("original_info")
            if isinstance(url, str) and isinstance(info, dict):
                sizes = {k: (v["w"], v["h"]) for k, v in node.get("sizes", {}).items()}
                out[url.split("pbs.twimg.com", 1)[1].rsplit(".", 1)[0]] = (info["width"], info["height"], sizes)
            image = node.get("image_value")
            if isinstance(image, dict) and "url" in image:
                path = image["url"].split("pbs.twimg.com", 1)[1].split("?", 1)[0]
                w, h = out.get(path, (0, 0, None))[:2]
                if image["width"] * image["height"] > w * h:
                    out[path] = (image["width"], image["height"], None)
    return out


@cache
def video_specs() -> dict[str, Video]:
    """Media ID → Video spec for every demo video (for serving mp4 /HLS under video.twimg.com)."""
    return {v.media_id: v for v in (RUPAR_VIDEO, HLS_VIDEO, LARGE_VIDEO)}


def same_bytes_alias() -> dict[str, str]:
    """pbs media keys that serve another key's bytes (media dedupe tests)."""
    return {PHOTO_SAME_BYTES_KEY: PHOTO_KEY}


def _fmt_date(value: str) -> str:
    moment = parse_created_at(value)
    return f"{moment:%B} {moment.day}, {moment.year}"


def display_date(body: Body) -> str:
    """``February 13, 2025`` — the date text of an embed's last link."""
    return _fmt_date(body["created_at"])
