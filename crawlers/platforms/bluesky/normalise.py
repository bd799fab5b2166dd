"""An AppView ``postView`` (``app.bsky.feed.defs#postView``) → :class:`receipts.models.Post`.

Bodies come from the network, so every field is type-checked; a body either normalises or raises
:class:`PostFormatError`. Shapes: atproto lexicons ``app.bsky.feed.defs``, ``app.bsky.embed.*``,
``app.bsky.richtext.facet``, and real bodies (FORMATS.md §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from crawlers.platforms.bluesky.urls import PostUri, canonical_post_url, parse_at_uri
from crawlers.platforms.payload import PostFormatError, bson_safe
from crawlers.platforms.payload import as_dict as _dict
from crawlers.platforms.payload import as_list as _list
from crawlers.platforms.payload import as_str as _str
from receipts.models import Author, Media, Post, post_key

__all__ = ["Facet", "PostFormatError", "facets", "normalise_post_view", "quoted_uris", "view_media"]

HLS_TYPE = "application/x-mpegURL"
NO_UNAUTHENTICATED = "!no-unauthenticated"
HIDING_LABELS = frozenset({"!hide", "!takedown"})  # moderation labels the logged-out web hides a post for


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) < value < 2**63:
        return None
    return value


def _url(value: Any) -> str | None:
    text = _str(value)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme == "https" and parts.hostname else None


def parse_time(value: Any) -> datetime | None:
    """An atproto datetime (RFC 3339, ``Z`` or an offset, any fraction) → aware UTC."""
    text = _str(value)
    if text is None:
        return None
    text = text.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


# ---------------------------------------------------------------- rich text


@dataclass(frozen=True)
class Facet:
    """One decoded facet feature: its kind, its span in the text (code points) and its target."""

    kind: str  # "link" | "mention" | "tag"
    start: int  # code-point offsets into the record text
    end: int
    text: str  # the text the facet covers, as shown
    target: str  # link: the URI; mention: the DID; tag: the tag without "#"


_FEATURES = {
    "app.bsky.richtext.facet#link": ("link", "uri"),
    "app.bsky.richtext.facet#mention": ("mention", "did"),
    "app.bsky.richtext.facet#tag": ("tag", "tag"),
}


def facets(record: Mapping[str, Any]) -> list[Facet]:
    """The record's facets, decoded: ``index.byteStart``/``byteEnd`` are UTF-8 byte offsets.

    A facet whose range is out of bounds or splits a UTF-8 sequence is skipped (the app renders
    such text as plain text too). Sorted by position.
    """
    text = record.get("text")
    if not isinstance(text, str):
        return []
    data = text.encode("utf-8", "surrogatepass")
    out: list[Facet] = []
    for raw in _list(record.get("facets")):
        index = _dict(_dict(raw).get("index"))
        start, end = _int(index.get("byteStart")), _int(index.get("byteEnd"))
        if start is None or end is None or not 0 <= start < end <= len(data):
            continue
        try:
            before = data[:start].decode("utf-8")
            covered = data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        for feature in _list(_dict(raw).get("features")):
            feature = _dict(feature)
            kind_field = _FEATURES.get(feature.get("$type", ""))
            if kind_field is None:
                continue
            target = _str(feature.get(kind_field[1]))
            if target is None:
                continue
            out.append(Facet(kind_field[0], len(before), len(before) + len(covered), covered, target))
    return sorted(out, key=lambda f: (f.start, f.end))


# ---------------------------------------------------------------- embeds


def _aspect(item: Mapping[str, Any]) -> tuple[int | None, int | None]:
    ratio = _dict(item.get("aspectRatio"))
    width, height = _int(ratio.get("width")), _int(ratio.get("height"))
    return (width, height) if width and height and width > 0 and height > 0 else (None, None)


def _cdn_key(url: str) -> str | None:
    """The blob CID in a cdn.bsky.app / video.bsky.app URL (``…/<did>/<cid>@jpeg``, ``…/<cid>/playlist.m3u8``)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    for part in reversed(parts):
        cid = part.split("@", 1)[0]
        if cid.startswith("baf") and cid.isalnum():
            return cid
    return None


def _images(view: Mapping[str, Any]) -> list[Media]:
    media: list[Media] = []
    for image in _list(view.get("images")):
        image = _dict(image)
        fullsize, thumb = _url(image.get("fullsize")), _url(image.get("thumb"))
        best = fullsize or thumb
        if best is None:
            continue
        width, height = _aspect(image)
        media.append(
            Media(
                type="photo",
                source_url=best,
                fallback_urls=[thumb] if thumb and thumb != best else [],
                width=width,
                height=height,
                alt_text=_str(image.get("alt")),
                media_key=_cdn_key(best),
            )
        )
    return media


def _video(view: Mapping[str, Any]) -> list[Media]:
    playlist = _url(view.get("playlist"))
    if playlist is None:
        return []
    width, height = _aspect(view)
    return [
        Media(
            type="video",
            source_url=playlist,
            content_type=HLS_TYPE,
            poster_url=_url(view.get("thumbnail")),
            width=width,
            height=height,
            alt_text=_str(view.get("alt")),
            media_key=_str(view.get("cid")) or _cdn_key(playlist),
        )
    ]


def _external(view: Mapping[str, Any]) -> list[Media]:
    thumb = _url(_dict(view.get("external")).get("thumb"))
    return [Media(type="card_image", source_url=thumb, media_key=_cdn_key(thumb))] if thumb else []


def view_media(embed: Any) -> list[Media]:
    """Media of an embed view: images (``feed_fullsize`` first), video (HLS playlist + poster), card thumb."""
    embed = _dict(embed)
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images#view":
        return _images(embed)
    if kind == "app.bsky.embed.video#view":
        return _video(embed)
    if kind == "app.bsky.embed.external#view":
        return _external(embed)
    if kind == "app.bsky.embed.recordWithMedia#view":
        return view_media(embed.get("media"))
    return []


def quoted_uris(embed: Any) -> list[str]:
    """AT-URIs of the posts an embed view quotes (``record#view``, ``recordWithMedia#view``), DID form only.

    Any record view names its post, found or not (``viewNotFound``, ``viewBlocked``, ``viewDetached``);
    feeds, lists and starter packs are not posts and are left out.
    """
    embed = _dict(embed)
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        embed = _dict(embed.get("record"))
    elif kind != "app.bsky.embed.record#view":
        return []
    ref = parse_at_uri(_dict(embed.get("record")).get("uri") or "")
    return [ref.uri] if ref is not None and ref.is_did else []


def _card(embed: Any) -> dict[str, Any] | None:
    embed = _dict(embed)
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        embed = _dict(embed.get("media"))
    if embed.get("$type") != "app.bsky.embed.external#view":
        return None
    external = _dict(embed.get("external"))
    uri = _str(external.get("uri"))
    if uri is None:
        return None
    return {
        "name": "external",
        "url": uri,
        "title": _str(external.get("title")),
        "description": _str(external.get("description")),
        "thumb": _url(external.get("thumb")),
    }


# ---------------------------------------------------------------- labels


def label_values(labels: Any, *, self_src: str | None = None) -> set[str]:
    """The ``val`` of each label; with *self_src*, only self-labels (``src`` that DID or absent)."""
    out: set[str] = set()
    for label in _list(labels):
        label = _dict(label)
        val = _str(label.get("val"))
        if val is None or label.get("neg") is True:
            continue
        if self_src is not None and _str(label.get("src")) not in (None, self_src):
            continue
        out.add(val)
    return out


def visibility_reason(view: Mapping[str, Any]) -> str | None:
    """Why the logged-out web would not show this post view, or None when it would."""
    author = _dict(view.get("author"))
    did = _str(author.get("did"))
    if NO_UNAUTHENTICATED in label_values(author.get("labels"), self_src=did):
        return "the author allows only signed-in viewers (!no-unauthenticated)"
    hidden = (label_values(author.get("labels")) | label_values(view.get("labels"))) & HIDING_LABELS
    if hidden:
        return f"hidden by a moderation label ({', '.join(sorted(hidden))})"
    return None


# ---------------------------------------------------------------- the post


def _metrics(view: Mapping[str, Any]) -> dict[str, int]:
    names = {
        "likeCount": "like_count",
        "repostCount": "repost_count",
        "replyCount": "reply_count",
        "quoteCount": "quote_count",
    }
    return {name: v for key, name in names.items() if (v := _int(view.get(key))) is not None and v >= 0}


def _verified(author: Mapping[str, Any]) -> bool | None:
    status = _str(_dict(author.get("verification")).get("verifiedStatus"))
    return None if status is None else status == "valid"


def normalise_post_view(
    view: Any,
    *,
    raw: dict[str, Any] | None = None,
    fetched_at: datetime | None = None,
    route: str = "appview",
) -> Post:
    """A ``postView`` → live :class:`Post`.

    - ``post_id``: the view's ``uri`` (DID form); ``url`` the bsky.app permalink with the DID.
    - ``text``: ``record.text`` exactly as posted (what embeds display); facets stay in ``raw``
      and decode with :func:`facets`. ``lang``: the first of ``record.langs``.
    - ``created_at``: ``record.createdAt`` (client-declared), else ``indexedAt``.
    - ``media``: images (``feed_fullsize`` URL, thumbnail as fallback), video (HLS playlist, the
      thumbnail as poster), the external card's thumb, the author's avatar.
    - ``quoted_post_id``: the quoted post (``record#view`` / ``recordWithMedia#view``).
    - ``raw``: *raw* (the whole response body) if given, else the view, made BSON-safe.
    """
    if not isinstance(view, dict):
        raise PostFormatError(f"post view is {type(view).__name__}, not an object")
    ref = parse_at_uri(view.get("uri") or "")
    if ref is None or not ref.is_did:
        raise PostFormatError(f"post view without a DID-form post uri: {view.get('uri')!r}")
    record = view.get("record")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise PostFormatError("post view without a record text")
    author_data = _dict(view.get("author"))
    did = _str(author_data.get("did"))
    if did is not None and did != ref.authority:
        raise PostFormatError(f"author {did} is not the uri's repository {ref.authority}")
    author = Author(
        id=ref.authority,
        handle=_str(author_data.get("handle")),
        name=_str(author_data.get("displayName")),
        avatar_url=_url(author_data.get("avatar")),
        verified=_verified(author_data),
    )
    embed = view.get("embed")
    media = view_media(embed)
    if author.avatar_url:
        media.append(
            Media(type="avatar", source_url=author.avatar_url, media_key=_cdn_key(author.avatar_url))
        )
    quoted = quoted_uris(embed)
    parent = parse_at_uri(_dict(_dict(record.get("reply")).get("parent")).get("uri") or "")
    langs = [lang for lang in _list(record.get("langs")) if _str(lang)]
    times: dict[str, Any] = {"first_seen_at": fetched_at, "last_checked_at": fetched_at} if fetched_at else {}
    return Post(
        id=post_key("bluesky", ref.uri),
        platform="bluesky",
        post_id=ref.uri,
        url=canonical_post_url(ref),
        author=author,
        text=record["text"],
        lang=langs[0] if langs else None,
        created_at=parse_time(record.get("createdAt")) or parse_time(view.get("indexedAt")),
        status="live",
        route=route,
        media=media,
        quoted_post_id=quoted[0] if quoted else None,
        reply_to_post_id=parent.uri if parent is not None and parent.is_did else None,
        card=_card(embed),
        metrics=_metrics(view),
        revision=_str(view.get("cid")),  # a new CID for the same URI is a new version of the record
        raw=bson_safe(raw if raw is not None else view),
        **times,
    )


def post_ref(view: Mapping[str, Any]) -> PostUri | None:
    return parse_at_uri(_str(view.get("uri")) or "")
