"""The one interface every platform package implements, and the shapes it exchanges with the engines.

A platform package (``crawlers/platforms/<name>/``) knows everything about one network: which URLs
and embed markup name its posts, how to turn a post id into an ordered list of fetch plans (the
cheapest, most faithful route first), what each response means, and what its page looks like in
a browser. The spider owns HTTP, the discovery package owns the article's DOM walk, storage owns
the archive; none of them names a platform. Posts are keyed ``<platform>:<post_id>`` everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from receipts.models import Post

if TYPE_CHECKING:
    from lxml import etree

    from crawlers.platforms.hits import Hit

OutcomeKind = Literal["post", "gone", "error", "moved", "not_a_post"]


@dataclass(frozen=True)
class PostRef:
    """A post named by a URL or an embed: the platform's id for it, and what the URL also says."""

    platform: str
    post_id: str
    handle: str | None = None
    url: str | None = None  # the URL as found (kept on the reference's location)


@dataclass(frozen=True)
class FetchPlan:
    route: str  # "syndication", "oembed", "appview", "api", "browser", ...
    url: str  # the original (real-world) URL; RECEIPTS_ORIGIN_MAP is applied by the downloader
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchOutcome:
    """What one response says about a post.

    ``post``: the post was read (``post.status`` is "live"). ``gone``: the platform says it is
    deleted or unavailable (``status`` + ``reason``). ``error``: nothing can be concluded from
    this response (malformed body, 5xx, 429 …); the next route is tried and the post is never
    marked deleted because of it. ``moved``: the id named the post indirectly (a Bluesky handle
    instead of a DID); ``moved_to`` is the post's stable id, which is fetched instead and which
    the article's reference is re-keyed to. ``not_a_post``: the URL only looked like one of this
    platform's posts (a ``/@user/123`` link on a site that is not a Mastodon server); the reference
    is dropped with ``reason``, and no post is recorded.
    """

    kind: OutcomeKind
    post: Post | None = None
    status: Literal["deleted", "unavailable"] | None = None
    reason: str | None = None
    error: str | None = None
    related_post_ids: list[str] = field(default_factory=list)  # quoted / parent posts, same platform
    moved_to: str | None = None
    versions: list[Post] = field(default_factory=list)  # earlier versions the platform lists (edit history)
    # further requests that complete a read post (a Mastodon edit history …): the spider fetches each,
    # passes the answer to ``interpret`` and adds the outcome's ``versions``; a failed follow-up
    # leaves the post as read
    follow_ups: list[FetchPlan] = field(default_factory=list)


@dataclass(frozen=True)
class BrowserPage:
    """How the browser shows one post: the page to open, what to wait for, what to screenshot."""

    url: str
    ready_selector: str  # the page has rendered the post when this matches
    screenshot_selector: str  # the element whose screenshot is the post's evidence
    missing_texts: tuple[str, ...] = ()  # page texts that mean "this post does not exist"
    login_texts: tuple[str, ...] = ()  # page texts that mean "log in to see this"


class PlatformClient(Protocol):
    """The fetch half (kept apart so the X client stays usable on its own)."""

    name: str

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        """HTTP routes to try, in order (the browser route is added by the spider when enabled)."""
        ...

    def interpret(self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes) -> FetchOutcome:
        ...


class Platform(PlatformClient, Protocol):
    """Everything one network's package offers the engines (see ``docs/platforms.md``)."""

    name: str  # the key prefix: "x", "bluesky", "mastodon", …
    label: str  # for people: "X", "Bluesky", …

    def parse_url(self, url: str) -> PostRef | None:
        """The post a URL names (any of the platform's URL forms), or None."""
        ...

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        """The post's public URL (what archived records and Memento lookups use)."""
        ...

    def parse_key(self, text: str) -> str | None:
        """A user-typed id (after the ``<platform>:`` prefix) as the stored post id, or None if malformed."""
        ...

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        """Every embed of this platform in an article's DOM (``Hit.platform`` set, ``element`` claimed)."""
        ...

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The post's page for the browser (screenshots), or None if the platform has none."""
        ...
