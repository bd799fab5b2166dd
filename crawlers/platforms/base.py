"""The one interface every platform package implements, and the shapes it exchanges with the engines.

A platform package (``crawlers/platforms/<name>/``) knows everything about one network: which URLs
and embed markup name its posts, how to turn a post id into an ordered list of fetch plans (the
cheapest, most faithful route first), what each response means, and what its page looks like in
a browser. The spider owns HTTP, the discovery package owns the article's DOM walk, storage owns
the archive; none of them names a platform. Posts are keyed ``<platform>:<post_id>`` everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from receipts.models import Post

if TYPE_CHECKING:
    from lxml import etree

    from crawlers.platforms.hits import Hit

OutcomeKind = Literal["post", "gone", "error", "moved", "not_a_post"]
PageKind = Literal["post", "login", "missing", "error", "blank"]


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


@dataclass
class PageOutcome:
    """What a rendered page shows: the post (``post`` set when the page was read into one), a login
    wall, a "does not exist" page, an error, or nothing recognisable (``blank``)."""

    kind: PageKind
    post: Post | None = None
    reason: str | None = None
    dom_text: str | None = None


@dataclass(frozen=True)
class BrowserPage:
    """How the browser shows one post: the page to open, what to wait for, what to screenshot.

    ``read`` (the page's HTML and final URL → :class:`PageOutcome` with a ``Post``) makes the page a
    fetch route of its own and the judge of a bare "not found" answer (a login-gated post answers
    that too); without it the page is only screenshotted, and classified by the texts and selector.
    """

    url: str
    ready_selector: str  # the page has rendered the post when this matches
    screenshot_selector: str  # the element whose screenshot is the post's evidence
    missing_texts: tuple[str, ...] = ()  # page texts that mean "this post does not exist"
    login_texts: tuple[str, ...] = ()  # page texts that mean "log in to see this"
    state_script: str | None = None  # a JS expression, truthy once the page settled (default: from the above)
    read: Callable[[str, str], PageOutcome] | None = None


@dataclass(frozen=True)
class EmbedRender:
    """How the browser finds this platform's embeds in a rendered article, to screenshot each.

    ``tag_script`` is a JS function of the first free number ``n``: it marks each embed element with
    ``data-receipts-embed="<n>"`` and returns ``[{n, id, element, text}]`` (``id`` the post id);
    ``pending_script`` is truthy once the platform's widget script has rendered its embeds.
    """

    tag_script: str
    pending_script: str | None = None


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

    embed_render: EmbedRender | None  # how the browser finds its embeds in an article (None: not shot)

    def short_link_plan(self, url: str) -> FetchPlan | None:
        """How to resolve *url* when it is this platform's short link (t.co …), else None."""
        ...

    def short_link_target(self, status: int, headers: dict[str, str], body: bytes) -> str | None:
        """Where one answer to a :meth:`short_link_plan` request points, or None when it does not say."""
        ...

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The post's page for the browser (screenshots), or None if the platform has none."""
        ...

    def configured(self, settings: Mapping[str, Any]) -> Platform:
        """This platform as one crawl's settings (``RECEIPTS_*`` keys: tokens …) configure it."""
        ...


class PlatformDefaults:
    """What a platform without short links, embed screenshots or settings inherits."""

    embed_render: EmbedRender | None = None

    def short_link_plan(self, url: str) -> FetchPlan | None:
        return None

    def short_link_target(self, status: int, headers: dict[str, str], body: bytes) -> str | None:
        return None

    def configured(self, settings: Mapping[str, Any]) -> Any:
        return self
