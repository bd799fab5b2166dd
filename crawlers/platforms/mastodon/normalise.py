"""Mastodon Status / StatusEdit JSON → :class:`receipts.models.Post` (entities as documented by Mastodon).

Bodies come from any server of the federation, so every field is type-checked; a body that is not a
Status raises :class:`NotAStatus`. The body itself is kept in ``Post.raw`` (BSON-safe), which holds
what the Post model has no field for: the HTML ``content``, ``spoiler_text``, ``sensitive``,
``visibility``, ``edited_at``, mentions, tags, emojis, poll, blurhashes and the origin's ``uri``/``url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree, html

from crawlers.platforms.mastodon.urls import canonical_url, normalise_handle
from crawlers.platforms.payload import PostFormatError, bson_safe
from crawlers.platforms.payload import as_dict as _dict
from crawlers.platforms.payload import as_list as _list
from crawlers.platforms.payload import as_str as _str
from receipts.models import Author, Media, MediaVariant, Post, post_key

PLATFORM = "mastodon"
_ID = re.compile(r"^[0-9]{1,20}$")
_BLOCKS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
)
_MEDIA_TYPES = {"image": "photo", "gifv": "animated_gif", "video": "video", "audio": "video"}
_AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "m4a": "audio/mp4",
    "wav": "audio/wave",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "mp4": "audio/mp4",
}


class NotAStatus(ValueError):
    """The JSON is not a Mastodon Status (or StatusEdit)."""


# ---------------------------------------------------------------- defensive accessors


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and 0 <= value < 2**63 else None


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        value = str(value)
    if isinstance(value, str) and _ID.match(value.strip()):
        return value.strip().lstrip("0") or None
    return None


def _url(value: Any) -> str | None:
    text = _str(value)
    return text if text and text.startswith(("https://", "http://")) else None


def parse_time(value: Any) -> datetime | None:
    """``2019-12-08T03:48:33.901Z`` (or any ISO 8601 with an offset) → aware UTC; None when not a time."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


# ---------------------------------------------------------------- text


def html_to_text(content: str | None) -> str:
    """Plain text of a status's HTML ``content``, as a reader copies it from the page.

    Paragraphs become blank-line separated, ``<br>`` a newline, entities are decoded, link text is
    kept whole (the ``invisible`` spans Mastodon uses to shorten URLs are part of the copied text,
    the ``…`` of ``.ellipsis`` is CSS and is not), and the ``p.quote-inline`` fallback ("RE: <link>")
    that Mastodon's web UI hides for quote posts is dropped.
    """
    if not content or not content.strip():
        return ""
    try:
        root = html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions: no text of the post
            el.drop_tree()
            continue
        tag = el.tag.lower()
        classes = (el.get("class") or "").split()
        if "quote-inline" in classes:
            el.drop_tree()
            continue
        if tag in ("script", "style"):
            el.drop_tree()
        elif tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif tag == "li":
            el.tail = "\n" + (el.tail or "")
        elif tag in _BLOCKS:
            el.tail = "\n\n" + (el.tail or "")
    text = root.text_content().replace("\r\n", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- media


def _content_type(kind: str, url: str) -> str | None:
    ext = urlsplit(url).path.rsplit(".", 1)[-1].lower() if "." in urlsplit(url).path else ""
    if kind == "audio":
        return _AUDIO_TYPES.get(ext, "audio/mpeg")
    if kind in ("video", "gifv"):
        return "video/mp4" if ext in ("mp4", "m4v") else ("video/webm" if ext == "webm" else None)
    return {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
        "avif": "image/avif",
        "heic": "image/heic",
    }.get(ext)


def attachment_media(item: Any) -> Media | None:
    """One MediaAttachment → Media: the ``original`` file (``url``; ``remote_url`` when the server kept no copy).

    Images fall back to ``remote_url`` then ``preview_url`` (the ``small`` size); video/gifv/audio
    keep the preview image as ``poster_url``. Size from ``meta.original`` (else ``meta``), duration
    from ``meta.original.duration`` (seconds). Audio is typed ``video`` with an ``audio/*``
    content type (the model has no audio type). ``unknown`` attachments (not fetched by the server)
    are kept with ``status="unavailable"`` pointing at ``remote_url``.
    """
    item = _dict(item)
    kind = _str(item.get("type"))
    local, remote, preview = (
        _url(item.get("url")),
        _url(item.get("remote_url")),
        _url(item.get("preview_url")),
    )
    source = local or remote
    if source is None:
        return None
    meta = _dict(item.get("meta"))
    original = _dict(meta.get("original"))
    width = _int(original.get("width")) or _int(meta.get("width"))
    height = _int(original.get("height")) or _int(meta.get("height"))
    duration = original.get("duration", meta.get("duration"))
    duration_ms = (
        round(duration * 1000)
        if isinstance(duration, int | float) and not isinstance(duration, bool)
        else None
    )
    if kind not in _MEDIA_TYPES:
        return Media(
            type="photo",
            source_url=source,
            media_key=_id(item.get("id")) or _str(item.get("id")),
            alt_text=_str(item.get("description")),
            status="unavailable",
        )
    fallbacks = [u for u in (remote,) if u and u != source]
    if kind == "image" and preview and preview not in (source, *fallbacks):
        fallbacks.append(preview)
    media = Media(
        type=_MEDIA_TYPES[kind],  # type: ignore[arg-type]
        source_url=source,
        fallback_urls=fallbacks,
        media_key=_id(item.get("id")) or _str(item.get("id")),
        width=width,
        height=height,
        duration_ms=duration_ms if kind != "image" else None,
        alt_text=_str(item.get("description")),
        poster_url=preview if kind != "image" else None,
        content_type=_content_type(kind, source),
    )
    if kind in ("video", "gifv", "audio"):
        media.variants = [
            MediaVariant(
                url=source,
                content_type=media.content_type,
                width=width,
                height=height,
                bitrate=_int(original.get("bitrate")),
            )
        ]
    return media


def _card(card: Any) -> tuple[dict[str, Any] | None, Media | None]:
    """The link preview (PreviewCard) without empty fields, and its image as a ``card_image``."""
    card = _dict(card)
    if not card:
        return None, None
    summary = {
        k: v for k, v in card.items() if isinstance(v, str | int | float | bool) and v not in ("", None)
    }
    authors = [a for a in _list(card.get("authors")) if isinstance(a, dict)]
    if authors:
        summary["authors"] = [{k: v for k, v in a.items() if isinstance(v, str) and v} for a in authors]
    image = _url(card.get("image"))
    media = None
    if image:
        media = Media(
            type="card_image",
            source_url=image,
            width=_int(card.get("width")) or None,
            height=_int(card.get("height")) or None,
            alt_text=_str(card.get("image_description")),
        )
    return summary, media


# ---------------------------------------------------------------- author, relations


def _author(account: Any, host: str) -> Author:
    account = _dict(account)
    return Author(
        id=_id(account.get("id")) or _str(account.get("id")),
        handle=normalise_handle(_str(account.get("acct")) or _str(account.get("username")), host),
        name=_str(account.get("display_name")) or _str(account.get("username")),
        avatar_url=_url(account.get("avatar")),
        verified=None,
    )


def _quoted_id(data: Mapping[str, Any]) -> str | None:
    quote = _dict(data.get("quote"))
    return _id(_dict(quote.get("quoted_status")).get("id")) or _id(quote.get("quoted_status_id"))


def _reply_handle(data: Mapping[str, Any], host: str, author: Author) -> str | None:
    account_id = _str(data.get("in_reply_to_account_id")) or (
        str(data["in_reply_to_account_id"]) if _int(data.get("in_reply_to_account_id")) else None
    )
    if account_id is None:
        return None
    if account_id == author.id:
        return author.handle
    for mention in _list(data.get("mentions")):
        mention = _dict(mention)
        if str(mention.get("id")) == account_id:
            return normalise_handle(_str(mention.get("acct")), host)
    return None


def _metrics(data: Mapping[str, Any]) -> dict[str, int]:
    keys = ("replies_count", "reblogs_count", "favourites_count", "quotes_count")
    return {k: v for k in keys if (v := _int(data.get(k))) is not None}


def _collect_media(data: Mapping[str, Any], author: Author) -> list[Media]:
    media = [m for m in (attachment_media(a) for a in _list(data.get("media_attachments"))) if m is not None]
    if author.avatar_url:
        media.append(Media(type="avatar", source_url=author.avatar_url))
    return media


# ---------------------------------------------------------------- normalisers


def is_status(data: Any) -> bool:
    """Whether *data* has the shape of a Mastodon Status (id, created_at, account, content)."""
    return (
        isinstance(data, dict)
        and _id(data.get("id")) is not None
        and isinstance(data.get("content"), str)
        and isinstance(data.get("account"), dict)
        and parse_time(data.get("created_at")) is not None
    )


def normalise_status(data: Any, host: str, *, fetched_at: datetime | None = None, route: str = "api") -> Post:
    """A Status body served by *host* → a live :class:`Post` keyed ``mastodon:<host>/<id>``.

    ``text`` is the plain text of ``content`` (:func:`html_to_text`); the HTML stays in ``raw``.
    ``reply_to_post_id`` / ``quoted_post_id`` are ids on the same host. ``is_edited`` is whether
    ``edited_at`` is set. A reblog wrapper is normalised as it is (the caller follows ``reblog``).
    """
    if not is_status(data):
        raise NotAStatus("the JSON is not a Mastodon Status")
    try:
        data = bson_safe(data)
    except PostFormatError as exc:
        raise NotAStatus(str(exc)) from None
    status_id = _id(data["id"])
    assert status_id is not None  # checked by is_status
    post_id = f"{host}/{status_id}"
    author = _author(data.get("account"), host)
    card, card_media = _card(data.get("card"))
    media = _collect_media(data, author)
    if card_media is not None:
        media.append(card_media)
    reply_id = _id(data.get("in_reply_to_id"))
    quoted_id = _quoted_id(data)
    now_fields: dict[str, Any] = {}
    if isinstance(fetched_at, datetime):
        now_fields = {"first_seen_at": fetched_at, "last_checked_at": fetched_at}
    reasons = []
    if _str(data.get("spoiler_text")):
        reasons.append(f"content warning: {html_to_text(data['spoiler_text'])}")
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id, author.handle),
        author=author,
        text=html_to_text(data.get("content")),
        lang=_str(data.get("language")),
        created_at=parse_time(data.get("created_at")),
        status="live",
        status_reason="; ".join(reasons) or None,
        route=route,
        media=media,
        quoted_post_id=f"{host}/{quoted_id}" if quoted_id else None,
        reply_to_post_id=f"{host}/{reply_id}" if reply_id else None,
        reply_to_handle=_reply_handle(data, host, author),
        is_edited=parse_time(data.get("edited_at")) is not None,
        card=card,
        metrics=_metrics(data),
        raw=data,
        **now_fields,
    )


def normalise_history(data: Any, post_id: str, *, fetched_at: datetime | None = None) -> list[Post]:
    """A ``/history`` body (array of StatusEdit, oldest first) → one Post per revision, oldest first.

    Each revision's ``created_at`` is when that revision was published; ``raw`` is the StatusEdit.
    Raises :class:`NotAStatus` when the body is not such an array.
    """
    if not isinstance(data, list) or not data:
        raise NotAStatus("the edit history is not a non-empty array")
    host = post_id.split("/", 1)[0]
    versions: list[Post] = []
    for edit in data:
        if not isinstance(edit, dict) or not isinstance(edit.get("content"), str):
            raise NotAStatus("an edit history entry is not a StatusEdit")
        try:
            edit = bson_safe(edit)
        except PostFormatError as exc:
            raise NotAStatus(str(exc)) from None
        author = _author(edit.get("account"), host)
        reasons = (
            [f"content warning: {html_to_text(edit['spoiler_text'])}"]
            if _str(edit.get("spoiler_text"))
            else []
        )
        now_fields: dict[str, Any] = {}
        if isinstance(fetched_at, datetime):
            now_fields = {"first_seen_at": fetched_at, "last_checked_at": fetched_at}
        versions.append(
            Post(
                id=post_key(PLATFORM, post_id),
                platform=PLATFORM,
                post_id=post_id,
                url=canonical_url(post_id, author.handle),
                author=author,
                text=html_to_text(edit.get("content")),
                created_at=parse_time(edit.get("created_at")),
                status="live",
                status_reason="; ".join(reasons) or None,
                route="history",
                media=[
                    m
                    for m in (attachment_media(a) for a in _list(edit.get("media_attachments")))
                    if m is not None
                ],
                quoted_post_id=(f"{host}/{q}" if (q := _quoted_id(edit)) else None),
                raw=edit,
                **now_fields,
            )
        )
    versions.sort(key=lambda p: p.created_at or datetime.min.replace(tzinfo=UTC))
    for index, version in enumerate(versions):
        version.is_edited = index > 0
    return versions
