"""Instagram routes → real HTTP against the fake web → interpret(): every outcome, with and without a token."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from PIL import Image

from crawlers.platforms.base import FetchPlan
from crawlers.platforms.instagram import PLATFORM
from fakeweb import FakeWeb
from fakeweb import meta as fake
from tests.crawlers.platforms.meta.meta_http import TOKEN, get, run, transport

HOOKS = fake.HOOKS["instagram"]


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


def test_routes_with_and_without_token() -> None:
    (page,) = PLATFORM.routes("Bw-eOMwAiNU")
    assert (
        page.route == "embed_page" and page.url == "https://www.instagram.com/p/Bw-eOMwAiNU/embed/captioned/"
    )
    oembed, page2 = PLATFORM.routes("Bw-eOMwAiNU", token=TOKEN)
    assert oembed.route == "oembed" and page2 == page
    assert oembed.url.startswith(
        "https://graph.facebook.com/v19.0/instagram_oembed?url=https%3A%2F%2Fwww.instagram.com"
    )
    assert TOKEN not in oembed.url and oembed.headers["Authorization"] == f"Bearer {TOKEN}"
    assert [p.route for p in PLATFORM.with_token(TOKEN).routes("Bw-eOMwAiNU")] == ["oembed", "embed_page"]
    assert PLATFORM.routes("no") == []


def test_embed_page_post(web: FakeWeb, client: httpx.Client) -> None:
    (plan,) = PLATFORM.routes("BsOGulcndj-")
    outcome = run(PLATFORM, web, client, "BsOGulcndj-", plan)
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert (post.id, post.route, post.status) == ("instagram:BsOGulcndj-", "embed_page", "live")
    assert post.author.handle == "world_record_egg"
    assert post.text == fake.posts("instagram")["BsOGulcndj-"]["caption"]
    assert "\n\n#LikeTheEgg" in post.text and "comments" not in post.text
    (photo,) = post.media
    assert photo.type == "photo" and "_s1080_n.jpg" in photo.source_url  # the widest srcset entry
    served = get(web, client, FetchPlan("media", photo.source_url))
    assert served.status_code == 200 and Image.open(BytesIO(served.content)).size == (1080, 1080)


def test_video_embed_page_says_poster_only(web: FakeWeb, client: httpx.Client) -> None:
    (plan,) = PLATFORM.routes("C1a2b3c4d5e")
    post = run(PLATFORM, web, client, "C1a2b3c4d5e", plan).post
    assert post is not None and post.text == "" and post.author.handle == "nasa"
    assert post.status_reason and "video" in post.status_reason


def test_oembed_post(web: FakeWeb, client: httpx.Client) -> None:
    plan = PLATFORM.routes("Bw-eOMwAiNU", token=TOKEN)[0]
    outcome = run(PLATFORM, web, client, "Bw-eOMwAiNU", plan)
    post = outcome.post
    assert outcome.kind == "post" and post is not None and post.route == "oembed"
    assert post.author.handle == "bumblebff" and post.author.name == "Bumble, For Friendship"
    assert post.text == "Our favorite wall in our hometown. (📸 @AustinTourCo)"
    assert post.created_at is not None and post.created_at.isoformat() == "2019-05-02T22:00:10+00:00"
    assert [m.type for m in post.media] == ["photo"] and post.media[0].width == 640


@pytest.mark.parametrize(("token", "code"), [("wrong-token", "190"), (None, "104")])
def test_refused_token_is_an_error(web: FakeWeb, client: httpx.Client, token: str | None, code: str) -> None:
    plan = PLATFORM.routes("Bw-eOMwAiNU", token=TOKEN)[0]
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    outcome = run(PLATFORM, web, client, "Bw-eOMwAiNU", FetchPlan(plan.route, plan.url, headers))
    assert outcome.kind == "error" and "RECEIPTS_META_TOKEN" in (outcome.error or "")
    assert f"code {code}" in (outcome.error or "") and "OAuthException" in (outcome.error or "")


@pytest.mark.parametrize(
    ("state", "kind", "status", "words"),
    [
        ("removed", "gone", "unavailable", "HTTP 404"),
        ("login", "gone", "unavailable", "login wall"),
        ("garbage", "gone", "unavailable", "shows no post"),
        ("server_error", "error", None, "HTTP 500"),
        ("rate_limited", "error", None, f"HTTP 429 (Retry-After: {fake.RETRY_AFTER})"),
    ],
)
def test_embed_page_outcomes(
    web: FakeWeb, client: httpx.Client, state: str, kind: str, status: str | None, words: str
) -> None:
    code = HOOKS[state]
    (plan,) = PLATFORM.routes(code)
    outcome = run(PLATFORM, web, client, code, plan)
    assert (outcome.kind, outcome.status) == (kind, status)
    assert words in (outcome.reason or outcome.error or "")
    assert outcome.status != "deleted"


@pytest.mark.parametrize("state", ["removed", "login", "rate_limited", "server_error"])
def test_oembed_failures_fall_through(web: FakeWeb, client: httpx.Client, state: str) -> None:
    code = HOOKS[state]
    plan = PLATFORM.routes(code, token=TOKEN)[0]
    outcome = run(PLATFORM, web, client, code, plan)
    assert outcome.kind == "error" and outcome.error and outcome.error.startswith("oEmbed HTTP")


def test_state_change_reaches_both_routes(web: FakeWeb, client: httpx.Client) -> None:
    fake.set_state(web.store, "instagram", "Bw-eOMwAiNU", "removed")
    try:
        oembed, page = PLATFORM.routes("Bw-eOMwAiNU", token=TOKEN)
        assert run(PLATFORM, web, client, "Bw-eOMwAiNU", oembed).kind == "error"
        gone = run(PLATFORM, web, client, "Bw-eOMwAiNU", page)
        assert gone.kind == "gone" and gone.status == "unavailable"
    finally:
        fake.set_state(web.store, "instagram", "Bw-eOMwAiNU", "live")
    assert run(PLATFORM, web, client, "Bw-eOMwAiNU", PLATFORM.routes("Bw-eOMwAiNU")[0]).kind == "post"


def test_login_redirect_followed_to_the_login_page(web: FakeWeb, client: httpx.Client) -> None:
    """A downloader that follows the 302 lands on the login page: still unavailable, never a post."""
    (plan,) = PLATFORM.routes(HOOKS["login"])
    response = get(web, client, plan)
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://www.instagram.com/accounts/login/")
    landed = client.get(transport(web, response.headers["location"]))
    outcome = PLATFORM.interpret(
        plan, HOOKS["login"], landed.status_code, dict(landed.headers), landed.content
    )
    assert (
        outcome.kind == "gone" and outcome.status == "unavailable" and "login wall" in (outcome.reason or "")
    )
