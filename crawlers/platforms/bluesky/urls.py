"""Bluesky identifiers and URL shapes: AT-URIs, bsky.app permalinks, embed.bsky.app frames.

A post's stored id is its AT-URI ``at://<did>/app.bsky.feed.post/<rkey>``. A URL that names the
author by handle gives the provisional id ``at://<handle>/app.bsky.feed.post/<rkey>`` (handle in
lower case), which the client resolves to the DID form before anything is archived.
Syntax follows the atproto specs (DID, handle, record key); nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

POST_COLLECTION = "app.bsky.feed.post"
APP_HOSTS = frozenset({"bsky.app", "www.bsky.app", "staging.bsky.app"})
EMBED_HOSTS = frozenset({"embed.bsky.app"})

# did:<method>:<id>; plc ids are 24 base32 characters, did:web a domain (":" for ports/paths as %3A)
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2040}(?<![:%])", re.ASCII)
_DID_PLC = re.compile(r"did:plc:[a-z2-7]{24}", re.ASCII)
_HANDLE = re.compile(
    r"(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?",
    re.ASCII,
)
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}", re.ASCII)
# bsky.app sub-pages of a post still name it
_POST_SUBPAGES = frozenset({"", "liked-by", "reposted-by", "quotes"})


@dataclass(frozen=True)
class PostUri:
    """An ``app.bsky.feed.post`` AT-URI split into its authority (DID or handle) and record key."""

    authority: str
    rkey: str

    @property
    def is_did(self) -> bool:
        return self.authority.startswith("did:")

    @property
    def uri(self) -> str:
        return f"at://{self.authority}/{POST_COLLECTION}/{self.rkey}"

    def with_did(self, did: str) -> PostUri:
        return PostUri(did, self.rkey)


def is_did(text: str) -> bool:
    if not _DID.fullmatch(text):
        return False
    return not text.startswith("did:plc:") or bool(_DID_PLC.fullmatch(text))


def is_handle(text: str) -> bool:
    """A syntactically valid handle (a domain name of two or more labels, TLD not numeric)."""
    return bool(_HANDLE.fullmatch(text)) and not text.lower().endswith((".local", ".arpa", ".invalid"))


def is_rkey(text: str) -> bool:
    return bool(_RKEY.fullmatch(text)) and text not in (".", "..")


def _authority(text: str) -> str | None:
    text = unquote(text.strip())
    if text.startswith("@"):
        text = text[1:]
    if is_did(text):
        return text
    if is_handle(text):
        return text.lower()
    return None


def make_post_uri(authority: str, rkey: str) -> PostUri | None:
    """A :class:`PostUri` when both parts are valid (a handle is lower-cased), else None."""
    auth = _authority(authority)
    rkey = unquote(rkey.strip())
    if auth is None or not is_rkey(rkey):
        return None
    return PostUri(auth, rkey)


def parse_at_uri(text: str) -> PostUri | None:
    """``at://<did-or-handle>/app.bsky.feed.post/<rkey>`` → :class:`PostUri`; other collections → None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text.lower().startswith("at://"):
        return None
    rest = text[5:].split("#", 1)[0].split("?", 1)[0]
    parts = rest.split("/")
    if len(parts) != 3 or parts[1] != POST_COLLECTION:
        return None
    return make_post_uri(parts[0], parts[2])


def parse_post_url(url: str) -> PostUri | None:
    """A bsky.app permalink, an embed.bsky.app frame URL or an AT-URI → :class:`PostUri`."""
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    if url.lower().startswith("at://"):
        return parse_at_uri(url)
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # a malformed port raises here
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    segments = parts.path.split("/")[1:]
    if host in APP_HOSTS:
        # /profile/<actor>/post/<rkey>[/<subpage>][/]
        if len(segments) >= 4 and segments[0] == "profile" and segments[2] == "post":
            tail = segments[4:]
            if len(tail) > 2 or (tail and tail[0] not in _POST_SUBPAGES) or (len(tail) == 2 and tail[1]):
                return None
            return make_post_uri(segments[1], segments[3])
        return None
    if host in EMBED_HOSTS:
        # /embed/<did>/app.bsky.feed.post/<rkey>
        if len(segments) in (4, 5) and segments[0] == "embed" and segments[2] == POST_COLLECTION:
            if len(segments) == 5 and segments[4]:
                return None
            ref = make_post_uri(segments[1], segments[3])
            return ref if ref is not None and ref.is_did else None
    return None


def canonical_post_url(ref: PostUri) -> str:
    """``https://bsky.app/profile/<did>/post/<rkey>`` (the handle when the id is still a handle)."""
    return f"https://bsky.app/profile/{ref.authority}/post/{quote(ref.rkey, safe=':~._-')}"


def embed_page_url(ref: PostUri) -> str:
    """The embed.bsky.app frame for a DID-form post (what ``embed.js`` puts in the iframe)."""
    return f"https://embed.bsky.app/embed/{ref.authority}/{POST_COLLECTION}/{quote(ref.rkey, safe=':~._-')}"
