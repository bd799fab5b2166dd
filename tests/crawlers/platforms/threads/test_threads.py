"""Threads: URL rules, the real embed snippet, every fetch outcome through the fake web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html

from crawlers.platforms.base import FetchPlan
from crawlers.platforms.threads import PLATFORM
from fakeweb import FakeWeb
from fakeweb import meta as fake
from tests.crawlers.platforms.meta.meta_http import TOKEN, run

REAL = Path("/work/shared/formats/other_platforms/threads_blockquote_text-post-media.html")
HOOKS = fake.HOOKS["threads"]


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize(
    ("url", "code", "handle"),
    [
        ("https://www.threads.net/@popey/post/C-GMXpGM4KR", "C-GMXpGM4KR", "popey"),
        ("https://threads.net/@popey/post/C-GMXpGM4KR/?xmt=AQGz", "C-GMXpGM4KR", "popey"),
        ("https://www.threads.com/@zuck/post/C9xTextOnly", "C9xTextOnly", "zuck"),
        ("https://www.threads.net/@popey/post/C-GMXpGM4KR/embed", "C-GMXpGM4KR", "popey"),
        ("https://www.threads.net/t/C-GMXpGM4KR", "C-GMXpGM4KR", None),
    ],
)
def test_urls(url: str, code: str, handle: str | None) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref is not None and (ref.platform, ref.post_id, ref.handle) == ("threads", code, handle)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.threads.net/@popey",
        "https://bsky.app/@popey/post/C-GMXpGM4KR",
        "https://www.threads.net/",
    ],
)
def test_not_urls(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_keys_and_canonical() -> None:
    assert PLATFORM.parse_key("C-GMXpGM4KR") == "C-GMXpGM4KR" and PLATFORM.parse_key("a b") is None
    assert PLATFORM.canonical_url("C-GMXpGM4KR", "popey") == "https://www.threads.net/@popey/post/C-GMXpGM4KR"
    assert PLATFORM.canonical_url("C-GMXpGM4KR") == "https://www.threads.net/t/C-GMXpGM4KR"


def test_real_blockquote() -> None:
    (hit,) = PLATFORM.find_embeds(html.fromstring(REAL.read_text(encoding="utf-8")))
    assert (hit.platform, hit.post_id, hit.handle, hit.variant) == (
        "threads",
        "C-GMXpGM4KR",
        "popey",
        "threads-blockquote",
    )
    assert hit.url == "https://www.threads.net/@popey/post/C-GMXpGM4KR"


def test_routes() -> None:
    (page,) = PLATFORM.routes("C-GMXpGM4KR", "popey")
    assert page.url == "https://www.threads.net/@popey/post/C-GMXpGM4KR/embed"
    _, oembed = PLATFORM.routes("C-GMXpGM4KR", "popey", token=TOKEN)
    assert oembed.url.startswith("https://graph.threads.net/v1.0/oembed?url=") and TOKEN not in oembed.url
    assert PLATFORM.routes("C-GMXpGM4KR") == []  # no handle: no embed page, no token: no oEmbed
    assert [p.route for p in PLATFORM.routes("C-GMXpGM4KR", token=TOKEN)] == ["oembed"]


def test_embed_page_post(web: FakeWeb, client: httpx.Client) -> None:
    (plan,) = PLATFORM.routes("C-GMXpGM4KR", "popey")
    post = run(PLATFORM, web, client, "C-GMXpGM4KR", plan).post
    assert post is not None and (post.id, post.route) == ("threads:C-GMXpGM4KR", "embed_page")
    assert post.author.handle == "popey" and post.author.name == "Alan Pope"
    assert post.text == fake.posts("threads")["C-GMXpGM4KR"]["text"]
    assert [m.type for m in post.media] == ["photo"]
    text_only = run(PLATFORM, web, client, "C9xTextOnly", PLATFORM.routes("C9xTextOnly", "zuck")[0]).post
    assert text_only is not None and text_only.media == []


def test_oembed_post_has_author_only(web: FakeWeb, client: httpx.Client) -> None:
    plan = PLATFORM.routes("C-GMXpGM4KR", "popey", token=TOKEN)[-1]
    outcome = run(PLATFORM, web, client, "C-GMXpGM4KR", plan)
    assert outcome.kind == "post" and outcome.post is not None and outcome.post.route == "oembed"
    assert outcome.post.author.handle == "popey" and not outcome.post.text
    bad = run(
        PLATFORM, web, client, "C-GMXpGM4KR", FetchPlan(plan.route, plan.url, {"Authorization": "Bearer x"})
    )
    assert bad.kind == "error" and "code 190" in (bad.error or "")


@pytest.mark.parametrize(
    ("state", "kind", "words"),
    [
        ("removed", "gone", "HTTP 404"),
        ("login", "gone", "login wall"),
        ("garbage", "gone", "names no author"),
        ("server_error", "error", "HTTP 500"),
        ("rate_limited", "error", "Retry-After"),
    ],
)
def test_outcomes(web: FakeWeb, client: httpx.Client, state: str, kind: str, words: str) -> None:
    code = HOOKS[state]
    page = PLATFORM.routes(code, fake.HOOK_USER)[0]
    outcome = run(PLATFORM, web, client, code, page)
    assert outcome.kind == kind and words in (outcome.reason or outcome.error or "")
    assert outcome.status in (None, "unavailable")
    oembed = PLATFORM.routes(code, fake.HOOK_USER, token=TOKEN)[-1]
    assert run(PLATFORM, web, client, code, oembed).kind == "error"
