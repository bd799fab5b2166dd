"""Facebook: URL key normal form, embeds on the real markup, every fetch outcome through the fake web."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import html

from crawlers.platforms.base import FetchPlan
from crawlers.platforms.facebook import PLATFORM
from fakeweb import FakeWeb
from fakeweb import meta as fake
from tests.crawlers.platforms.meta.meta_http import TOKEN, get, run

REAL = Path("/work/shared/formats/other_platforms")
HOOKS = fake.HOOKS["facebook"]
SPOE = "/sozialdemokratie/posts/928812574504508"


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
    ("url", "key"),
    [
        ("https://www.facebook.com/NASA/posts/10159401234567890", "/nasa/posts/10159401234567890"),
        (
            "https://m.facebook.com/nasa/posts/10159401234567890/?ref=embed_post",
            "/nasa/posts/10159401234567890",
        ),
        (
            "https://www.facebook.com/mannynewsletter/posts/pfbid02abcdefghijklmnopqrstuvwxyzABCD",
            "/mannynewsletter/posts/pfbid02abcdefghijklmnopqrstuvwxyzABCD",
        ),
        ("https://www.facebook.com/permalink.php?story_fbid=1234567&id=100064", "/100064/posts/1234567"),
        ("https://www.facebook.com/NASA/videos/a-walk-in-space/987654321/", "/nasa/videos/987654321"),
        ("https://www.facebook.com/photo/?fbid=5551212&set=a.1", "/photo/?fbid=5551212"),
        ("https://www.facebook.com/photo.php?fbid=5551212", "/photo/?fbid=5551212"),
        (
            "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2FNASA%2Fposts%2F42&width=500",
            "/nasa/posts/42",
        ),
        (
            "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2FNASA%2Fvideos%2F77%2F",
            "/nasa/videos/77",
        ),
    ],
)
def test_url_keys(url: str, key: str) -> None:
    ref = PLATFORM.parse_url(url)
    assert ref is not None and (ref.platform, ref.post_id) == ("facebook", key)
    assert PLATFORM.parse_key(key) == key and PLATFORM.canonical_url(key) == "https://www.facebook.com" + key


@pytest.mark.parametrize(
    "url",
    [
        "https://www.facebook.com/NASA",
        "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fevil.example%2Fx%2Fposts%2F1",
        "https://www.facebook.com/permalink.php?story_fbid=1",
        "https://facebook.com.evil.example/NASA/posts/1",
        "https://www.facebook.com/groups/123/posts/456",
    ],
)
def test_not_post_urls(url: str) -> None:
    assert PLATFORM.parse_url(url) is None


def test_real_xfbml_and_iframe() -> None:
    (xfbml,) = PLATFORM.find_embeds(
        html.fromstring((REAL / "facebook_div_fb-post.html").read_text(encoding="utf-8"))
    )
    assert (xfbml.post_id, xfbml.variant, xfbml.display_name) == (SPOE, "facebook-xfbml", "SPÖ")
    assert xfbml.displayed_date == "Monday, February 7, 2022"
    assert xfbml.displayed_text is not None and xfbml.displayed_text.startswith(
        "In Zeiten explodierender Kosten"
    )
    (iframe,) = PLATFORM.find_embeds(
        html.fromstring((REAL / "facebook_iframe_plugins_post.html").read_text(encoding="utf-8"))
    )
    assert (iframe.post_id, iframe.variant) == ("/wanyu.claire/posts/155510659249821", "facebook-iframe")


def test_routes() -> None:
    (page,) = PLATFORM.routes(SPOE)
    assert (
        page.url
        == "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2Fsozialdemokratie%2Fposts%2F928812574504508"
    )
    oembed, _ = PLATFORM.routes(SPOE, token=TOKEN)
    assert oembed.url.startswith("https://graph.facebook.com/v19.0/oembed_post?url=")
    assert PLATFORM.routes("/nasa/videos/77", token=TOKEN)[0].url.startswith(
        "https://graph.facebook.com/v19.0/oembed_video?url="
    )
    assert PLATFORM.routes("/NASA/posts/1") == [] and PLATFORM.routes("nope") == []


def test_plugin_page_post(web: FakeWeb, client: httpx.Client) -> None:
    (plan,) = PLATFORM.routes(SPOE)
    post = run(PLATFORM, web, client, SPOE, plan).post
    assert post is not None and (post.id, post.route) == (f"facebook:{SPOE}", "embed_page")
    assert post.author.handle == "sozialdemokratie" and post.author.name == "SPÖ"
    assert post.text == "\n\n".join(fake.posts("facebook")[SPOE]["text"])
    assert post.created_at is not None and int(post.created_at.timestamp()) == 1644242400
    assert [m.type for m in post.media] == ["photo", "avatar"] and post.media[0].width == 552
    assert (
        get(web, client, FetchPlan("media", post.media[0].source_url)).headers["content-type"] == "image/jpeg"
    )


def test_oembed_post(web: FakeWeb, client: httpx.Client) -> None:
    plan = PLATFORM.routes(SPOE, token=TOKEN)[0]
    post = run(PLATFORM, web, client, SPOE, plan).post
    assert post is not None and post.route == "oembed" and post.author.name == "SPÖ"
    assert post.text == "\n\n".join(fake.posts("facebook")[SPOE]["text"])
    assert post.raw is not None and post.raw["displayed_date"] == "Monday, February 7, 2022"
    bad = run(PLATFORM, web, client, SPOE, FetchPlan(plan.route, plan.url, {"Authorization": "Bearer nope"}))
    assert bad.kind == "error" and "RECEIPTS_META_TOKEN" in (bad.error or "")


@pytest.mark.parametrize(
    ("state", "kind", "words"),
    [
        ("removed", "gone", "This Facebook post is no longer available."),
        ("login", "gone", "login wall"),
        ("garbage", "gone", "shows no post"),
        ("server_error", "error", "HTTP 500"),
        ("rate_limited", "error", "Retry-After"),
    ],
)
def test_outcomes(web: FakeWeb, client: httpx.Client, state: str, kind: str, words: str) -> None:
    key = HOOKS[state]
    (page,) = PLATFORM.routes(key)
    outcome = run(PLATFORM, web, client, key, page)
    assert outcome.kind == kind and words in (outcome.reason or outcome.error or "")
    assert outcome.status in (None, "unavailable")  # never "deleted"
    oembed = PLATFORM.routes(key, token=TOKEN)[0]
    assert run(PLATFORM, web, client, key, oembed).kind == "error"
