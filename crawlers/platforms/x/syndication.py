"""The syndication endpoint (``cdn.syndication.twimg.com/tweet-result``): URL, response classes, normaliser.

Both body shapes are accepted: the 2023 one (all entity arrays present, ``pic.twitter.com``) and the
2026 one (empty entity arrays omitted, ``entities`` possibly ``{}``, ``pic.x.com``/``x.com`` URLs,
``highlighted_label``). Bodies come from the network, so every field is type-checked: a body either
normalises to a :class:`Post` or raises :class:`PostFormatError` (FORMATS.md §2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from crawlers.platforms.base import FetchOutcome
from crawlers.platforms.payload import PostFormatError, bson_safe
from crawlers.platforms.payload import as_dict as _dict
from crawlers.platforms.payload import as_list as _list
from crawlers.platforms.payload import as_str as _str
from crawlers.platforms.x.links import link_map
from crawlers.platforms.x.media import (
    avatar_400,
    best_photo_urls,
    best_video_variant,
    resolution_from_url,
)
from crawlers.platforms.x.snowflake import snowflake_time
from crawlers.platforms.x.token import syndication_token
from crawlers.platforms.x.urls import canonical_post_url
from receipts.models import Author, Media, MediaVariant, Post, post_key

SYNDICATION_ENDPOINT = "https://cdn.syndication.twimg.com/tweet-result"
# The feature flags react-tweet sends (FORMATS.md §2); optional for the endpoint.
REACT_TWEET_FEATURES = ";".join([
    "tfw_timeline_list:", "tfw_follower_count_sunset:true", "tfw_tweet_edit_backend:on",
    "tfw_refsrc_session:on", "tfw_fosnr_soft_interventions_enabled:on",
    "tfw_show_birdwatch_pivots_enabled:on", "tfw_show_business_verified_badge:on",
    "tfw_duplicate_scribes_to_settings:on", "tfw_use_profile_image_shape_enabled:on",
    "tfw_show_blue_verified_badge:on", "tfw_legacy_timeline_sunset:true",
    "tfw_show_gov_verified_badge:on", "tfw_show_business_affiliate_badge:on", "tfw_tweet_edit_frontend:on",
])
NO_USER_REASON = "no user object in body (account suspended or withheld)"
TRUNCATED_REASON = "text truncated (long post, note_tweet)"
BARE_TOMBSTONE_REASON = "age-restricted or login required"

_INT64_MAX = 2**63 - 1
_ID_RE = re.compile(r"[0-9]{1,20}")


def syndication_url(post_id: str, *, features: str | None = None) -> str:
    """``https://cdn.syndication.twimg.com/tweet-result?id=ID&lang=en&token=T`` (+ ``features`` if given)."""
    params = [("id", post_id), ("lang", "en")]
    if features:
        params.append(("features", features))
    params.append(("token", syndication_token(post_id)))
    return f"{SYNDICATION_ENDPOINT}?{urlencode(params, safe=':;')}"


# ---------------------------------------------------------------- defensive accessors


def _int(value: Any) -> int | None:
    """An int that fits in BSON int64; numeric strings accepted; bools, floats with fractions rejected."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        value = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,19}", value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and -_INT64_MAX <= value <= _INT64_MAX:
        return value
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _INT64_MAX:
        return str(value)
    if isinstance(value, str) and _ID_RE.fullmatch(value.strip()):
        return value.strip().lstrip("0") or None
    return None


def _parse_time(value: Any) -> datetime | None:
    """ISO ``2023-03-29T14:34:41.000Z`` or legacy ``Thu Feb 08 12:00:45 +0000 2018`` → aware UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            try:
                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)




# ---------------------------------------------------------------- text


_ESCAPES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ESCAPE_RE = re.compile("|".join(_ESCAPES))


def _unescape(text: str) -> str:
    """Undo the only escaping X applies to tweet text: ``&amp;`` ``&lt;`` ``&gt;`` (one pass)."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def _entity_span(text: str, entity: Mapping[str, Any], url: str) -> tuple[int, int] | None:
    idx = _list(entity.get("indices"))
    if len(idx) == 2:
        start, end = _int(idx[0]), _int(idx[1])
        if start is not None and end is not None and 0 <= start <= end <= len(text) and text[start:end] == url:
            return start, end
    return None


def _indices_match(text: str, entities: list[tuple[dict[str, Any], str]]) -> bool:
    return all(_entity_span(text, e, url) is not None for e, url in entities)


def display_text(data: Mapping[str, Any]) -> str:
    """The post text as X displays it.

    Choices: the ``display_text_range`` slice (so auto-added leading reply @mentions and the trailing
    media/quote permalink are dropped, as on x.com); every ``t.co`` link in ``entities.urls``
    replaced by its ``expanded_url``; media ``t.co`` links (``entities.media``) removed wherever they
    are; X's escapes (``&amp;`` ``&lt;`` ``&gt;``, nothing else) decoded. Indices are code points. If the indices do
    not line up with the raw text but do with the unescaped text, the unescaped text is the base.
    The exact body is kept in ``Post.raw`` for anyone who needs the original.
    """
    text = data.get("text")
    if not isinstance(text, str):
        text = data.get("full_text") if isinstance(data.get("full_text"), str) else ""
    ents = _dict(data.get("entities"))
    urls = [(u, u["url"]) for u in _list(ents.get("urls")) if isinstance(u, dict) and _str(u.get("url"))]
    media = [(m, m["url"]) for m in _list(ents.get("media")) if isinstance(m, dict) and _str(m.get("url"))]
    for m in _list(data.get("mediaDetails")):
        if isinstance(m, dict) and _str(m.get("url")) and all(m["url"] != u for _, u in media):
            media.append((m, m["url"]))

    base, escaped = text, True
    unescaped = _unescape(text)
    if unescaped != text and not _indices_match(text, urls + media) and _indices_match(unescaped, urls + media):
        base, escaped = unescaped, False

    start, end = 0, len(base)
    rng = _list(data.get("display_text_range"))
    if len(rng) == 2:
        s, e = _int(rng[0]), _int(rng[1])
        if s is not None and e is not None and 0 <= s <= e:
            start, end = min(s, len(base)), min(e, len(base))

    # (start, end, replacement) for each entity found in the text
    edits: list[tuple[int, int, str]] = []
    tagged = [(e, u, _str(e.get("expanded_url")) or u) for e, u in urls] + [(e, u, "") for e, u in media]
    for entity, url, replacement in tagged:
        span = _entity_span(base, entity, url)
        if span is None:
            pos = base.find(url)
            if pos < 0:
                continue
            span = (pos, pos + len(url))
        if any(span[0] < e and s < span[1] for s, e, _ in edits):
            continue
        edits.append((span[0], span[1], replacement))

    out: list[str] = []
    cursor = start
    for s, e, replacement in sorted(edits):
        if e <= start or s >= end:
            continue
        out.append(base[cursor:max(s, cursor)])
        out.append(replacement)
        cursor = max(e, cursor)
    out.append(base[cursor:end] if cursor < end else "")
    result = "".join(out)
    if escaped:
        result = _unescape_keeping_urls(result, {r for _, _, r in edits if r})
    return result.rstrip()


def _unescape_keeping_urls(text: str, urls: set[str]) -> str:
    """Decode X's HTML escapes in the text but never inside the expanded URLs we inserted."""
    if not urls:
        return _unescape(text)
    pattern = re.compile("|".join(re.escape(u) for u in sorted(urls, key=len, reverse=True)))
    pieces: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        pieces.append(_unescape(text[last:m.start()]))
        pieces.append(m.group(0))
        last = m.end()
    pieces.append(_unescape(text[last:]))
    return "".join(pieces)


# ---------------------------------------------------------------- media


def _availability(item: Mapping[str, Any]) -> str | None:
    status = _str(_dict(item.get("ext_media_availability")).get("status")) or _str(
        _dict(item.get("mediaAvailability")).get("status")
    )
    if status is None:
        return None
    return "unavailable" if status.lower() == "unavailable" else "available"


def _variants(raw_variants: list[Any]) -> list[MediaVariant]:
    out: list[MediaVariant] = []
    for v in raw_variants:
        if not isinstance(v, dict):
            continue
        url = _str(v.get("url")) or _str(v.get("src"))
        if not url or not url.startswith(("https://", "http://")):
            continue
        res = resolution_from_url(url)
        out.append(MediaVariant(
            url=url,
            content_type=_str(v.get("content_type")) or _str(v.get("type")),
            bitrate=_int(v.get("bitrate")),
            width=res[0] if res else None,
            height=res[1] if res else None,
        ))
    return out


def _video_media(kind: str, variants: list[MediaVariant], poster: str | None) -> Media | None:
    best = best_video_variant([v.model_dump() for v in variants])
    if best is not None:
        source, ctype = best["url"], best.get("content_type")
    else:
        hls = next((v for v in variants if "mpegurl" in (v.content_type or "").lower() or ".m3u8" in v.url), None)
        if hls is None:
            return None
        source, ctype, kind = hls.url, hls.content_type, "video"
    return Media(type=kind, source_url=source, content_type=ctype, variants=variants, poster_url=poster)


def _media_key(item: Mapping[str, Any]) -> str | None:
    return _str(item.get("media_key")) or _id(item.get("id_str"))


def _photo(url: str) -> Media | None:
    if not url.startswith(("https://", "http://")):
        return None
    first, *rest = best_photo_urls(url)
    return Media(type="photo", source_url=first, fallback_urls=rest)


def _media_details(item: Mapping[str, Any]) -> Media | None:
    kind = item.get("type")
    poster = _str(item.get("media_url_https")) or _str(item.get("media_url"))
    if kind == "photo":
        media = _photo(poster) if poster else None
    elif kind in ("video", "animated_gif"):
        info = _dict(item.get("video_info"))
        media = _video_media(kind, _variants(_list(info.get("variants"))), poster)
        if media is not None:
            media.duration_ms = _int(info.get("duration_millis"))
    else:
        return None
    if media is None:
        return None
    original = _dict(item.get("original_info"))
    media.width, media.height = _int(original.get("width")), _int(original.get("height"))
    media.alt_text = _str(item.get("ext_alt_text"))
    media.media_key = _media_key(item)
    media.status = _availability(item)
    return media


def _top_level_video(video: Mapping[str, Any]) -> Media | None:
    media = _video_media("video", _variants(_list(video.get("variants"))), _str(video.get("poster")))
    if media is None:
        return None
    media.duration_ms = _int(video.get("durationMs"))
    media.media_key = _id(_dict(video.get("videoId")).get("id"))
    media.status = _availability(video)
    return media


def _card_images(card: Mapping[str, Any]) -> list[Media]:
    """One ``card_image`` Media per distinct image: the ``orig`` (else largest) URL, other sizes as fallbacks."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for value in _dict(card.get("binding_values")).values():
        image = _dict(_dict(value).get("image_value"))
        url = _str(image.get("url"))
        if not url or not url.startswith(("https://", "http://")):
            continue
        parts = urlsplit(url)
        groups.setdefault(parts.netloc + parts.path, []).append(image)
    media: list[Media] = []
    for images in groups.values():
        def rank(img: dict[str, Any]) -> tuple[int, int]:
            is_orig = "name=orig" in img["url"]
            return (1 if is_orig else 0, (_int(img.get("width")) or 0) * (_int(img.get("height")) or 0))

        ordered = sorted(images, key=rank, reverse=True)
        urls = list(dict.fromkeys(img["url"] for img in ordered))
        best = ordered[0]
        media.append(Media(
            type="card_image", source_url=urls[0], fallback_urls=urls[1:],
            width=_int(best.get("width")), height=_int(best.get("height")),
            alt_text=next((_str(img.get("alt")) for img in ordered if _str(img.get("alt"))), None),
        ))
    return media


def _card_summary(card: Mapping[str, Any], url_map: dict[str, str]) -> dict[str, Any]:
    """The card without its bulky colour palettes: name, URL (t.co expanded), strings, image URLs."""
    strings: dict[str, str] = {}
    images: dict[str, str] = {}
    for key, value in _dict(card.get("binding_values")).items():
        value = _dict(value)
        if _str(value.get("string_value")):
            strings[str(key)] = value["string_value"]
        image_url = _str(_dict(value.get("image_value")).get("url"))
        if image_url:
            images[str(key)] = image_url
    tco = _str(card.get("url"))
    return {
        "name": _str(card.get("name")),
        "url": url_map.get(tco, tco) if tco else None,
        "tco_url": tco,
        "strings": strings,
        "images": images,
    }


def _collect_media(data: Mapping[str, Any]) -> list[Media]:
    media: list[Media] = []
    details = [m for m in _list(data.get("mediaDetails")) if isinstance(m, dict)]
    for item in details:
        built = _media_details(item)
        if built is not None:
            media.append(built)
    if not any(m.type == "photo" for m in media):
        for photo in _list(data.get("photos")):
            url = _str(_dict(photo).get("url"))
            built = _photo(url) if url else None
            if built is not None:
                built.width, built.height = _int(photo.get("width")), _int(photo.get("height"))
                media.append(built)
    video = data.get("video")
    if isinstance(video, dict) and not any(m.type in ("video", "animated_gif") for m in media):
        built = _top_level_video(video)
        if built is not None:
            media.append(built)
    card = data.get("card")
    if isinstance(card, dict):
        media.extend(_card_images(card))
    return media


# ---------------------------------------------------------------- normaliser


def _edit_ids(data: Mapping[str, Any]) -> list[str]:
    control = _dict(data.get("edit_control"))
    ids = _list(control.get("edit_tweet_ids")) or _list(_dict(control.get("edit_control_initial")).get("edit_tweet_ids"))
    return list(dict.fromkeys(i for i in (_id(x) for x in ids) if i))


def _metrics(data: Mapping[str, Any]) -> dict[str, int]:
    keys = ("favorite_count", "conversation_count", "reply_count", "retweet_count", "quote_count")
    return {k: v for k in keys if (v := _int(data.get(k))) is not None}


def normalize_tweet(
    data: Any, *, fetched_at: datetime | None = None, route: str = "syndication"
) -> Post:
    """A syndication tweet body (or an embedded ``quoted_tweet``/``parent``) → :class:`Post`.

    - ``text``: see :func:`display_text` (display range, t.co expanded, media links removed).
    - ``created_at``: the body's ``created_at``; the snowflake time when it is missing/unparseable.
    - No ``user`` (suspended/withheld author): still a live Post with ``author`` fields None and
      ``status_reason`` = :data:`NO_USER_REASON`; a ``note_tweet`` marker adds :data:`TRUNCATED_REASON`.
    - ``media``: photos (``name=orig`` + fallbacks), videos/GIFs (all variants, best mp4 as source, HLS
      when only HLS exists), card images (``card_image``) and the avatar (``avatar``, ``_400x400``).
      Media marked unavailable by X are kept with ``status="unavailable"`` so nothing fetches them.
    - ``fetched_at`` (if given) becomes ``first_seen_at`` and ``last_checked_at``.
    - ``raw``: the body, made BSON-safe first (:func:`bson_safe`; a no-op for real bodies), which is
      also what every field is read from.
    """
    if not isinstance(data, dict):
        raise PostFormatError(f"tweet body is {type(data).__name__}, not an object")
    data = bson_safe(data)
    typename = data.get("__typename")
    if typename is not None and typename != "Tweet":
        raise PostFormatError(f"not a tweet: __typename={typename!r}")
    post_id = _id(data.get("id_str")) or _id(data.get("id"))
    if post_id is None:
        raise PostFormatError("tweet body without a usable id_str")
    if not isinstance(data.get("text"), str) and not isinstance(data.get("full_text"), str):
        raise PostFormatError("tweet body without text")

    user = data.get("user") if isinstance(data.get("user"), dict) else None
    reasons: list[str] = []
    author = Author()
    if user is None:
        reasons.append(NO_USER_REASON)
    else:
        verified = user.get("verified") is True or user.get("is_blue_verified") is True or bool(
            _str(user.get("verified_type"))
        )
        author = Author(
            id=_id(user.get("id_str")),
            handle=_str(user.get("screen_name")),
            name=_str(user.get("name")),
            avatar_url=_str(user.get("profile_image_url_https")),
            verified=verified,
        )
    if isinstance(data.get("note_tweet"), dict):
        reasons.append(TRUNCATED_REASON)

    ents = _dict(data.get("entities"))
    url_map = {
        u["url"]: u["expanded_url"]
        for u in _list(ents.get("urls"))
        if isinstance(u, dict) and _str(u.get("url")) and _str(u.get("expanded_url"))
    }
    card = data.get("card")
    media = _collect_media(data)
    if author.avatar_url and author.avatar_url.startswith(("https://", "http://")):
        big = avatar_400(author.avatar_url)
        media.append(Media(
            type="avatar", source_url=big, fallback_urls=[author.avatar_url] if big != author.avatar_url else []
        ))

    quoted = _dict(data.get("quoted_tweet"))
    parent = _dict(data.get("parent"))
    edit_ids = _edit_ids(data)
    is_edited = data.get("isEdited") if isinstance(data.get("isEdited"), bool) else (
        len(edit_ids) > 1 if edit_ids else None
    )
    now_fields: dict[str, Any] = {}
    if isinstance(fetched_at, datetime):
        now_fields = {"first_seen_at": fetched_at, "last_checked_at": fetched_at}

    return Post(
        id=post_key("x", post_id),
        post_id=post_id,
        url=canonical_post_url(post_id, author.handle),
        author=author,
        text=display_text(data),
        lang=_str(data.get("lang")),
        created_at=_parse_time(data.get("created_at")) or snowflake_time(post_id),
        status="live",
        status_reason="; ".join(reasons) or None,
        route=route,
        media=media,
        quoted_post_id=_id(quoted.get("id_str")) or _id(data.get("quoted_status_id_str")),
        reply_to_post_id=_id(data.get("in_reply_to_status_id_str")) or _id(parent.get("id_str")),
        reply_to_handle=_str(data.get("in_reply_to_screen_name")) or _str(_dict(parent.get("user")).get("screen_name")),
        edit_ids=edit_ids,
        is_edited=is_edited,
        card=_card_summary(card, url_map) if isinstance(card, dict) else None,
        metrics=_metrics(data),
        raw=data,
        links=link_map(data),
        **now_fields,
    )


def embedded_posts(data: Any, *, fetched_at: datetime | None = None) -> list[Post]:
    """Posts carried inside a body: the quoted tweet, normalised from its embedded copy.

    Route ``syndication-embedded``: the copy is as fresh as the outer fetch but partial (no card).
    An embedded copy that does not normalise is skipped.
    """
    if not isinstance(data, dict):
        return []
    posts: list[Post] = []
    quoted = data.get("quoted_tweet")
    if isinstance(quoted, dict):
        try:
            posts.append(normalize_tweet(quoted, fetched_at=fetched_at, route="syndication-embedded"))
        except PostFormatError:
            pass
    return posts


# ---------------------------------------------------------------- response classification


def tombstone_outcome(text: str | None) -> FetchOutcome:
    """Map a tombstone's text to deleted/unavailable (FORMATS.md §2 wordings, "Post" or "Tweet")."""
    if not text:
        return FetchOutcome(kind="gone", status="unavailable", reason=BARE_TOMBSTONE_REASON)
    lowered = text.lower()
    if "deleted" in lowered or "no longer exists" in lowered or "doesn't exist" in lowered:
        return FetchOutcome(kind="gone", status="deleted", reason=text)
    return FetchOutcome(kind="gone", status="unavailable", reason=text)


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PostFormatError("body is not JSON") from None


def classify_response(
    status: int, headers: Mapping[str, str], body: bytes, *, fetched_at: datetime | None = None
) -> FetchOutcome:
    """What one syndication response says (react-tweet ``fetchTweet`` semantics, FORMATS.md §2).

    200 tweet → ``post``; 200 tombstone → ``gone``; 200 ``{}`` and 404 → ``gone``/deleted ("not
    found"); anything else (429, 5xx, 403, non-JSON, unknown shapes) → ``error``, never ``gone``.
    """
    if status == 404:
        return FetchOutcome(kind="gone", status="deleted", reason="not found (HTTP 404)")
    if status != 200:
        detail = ""
        try:
            data = _decode_json(body)
            if isinstance(data, dict) and _str(data.get("error")):
                detail = f": {data['error']}"
        except PostFormatError:
            pass
        return FetchOutcome(kind="error", error=f"HTTP {status}{detail}")
    try:
        data = _decode_json(body)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=str(exc))
    if not isinstance(data, dict):
        return FetchOutcome(kind="error", error=f"body is {type(data).__name__}, not an object")
    if data == {}:
        return FetchOutcome(kind="gone", status="deleted", reason="not found")
    if data.get("__typename") == "TweetTombstone":
        tomb_text = _str(_dict(_dict(data.get("tombstone")).get("text")).get("text"))
        return tombstone_outcome(tomb_text.strip() if tomb_text else None)
    try:
        post = normalize_tweet(data, fetched_at=fetched_at)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=f"unusable tweet body: {exc}")
    related = [post.quoted_post_id] if post.quoted_post_id else []
    return FetchOutcome(kind="post", post=post, related_post_ids=related)
