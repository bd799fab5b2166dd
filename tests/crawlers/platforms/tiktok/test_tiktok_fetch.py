"""TikTok routes → real HTTP against the fake web → interpret(): every kind of outcome."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from lxml import html
from PIL import Image

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.tiktok import PLATFORM
from fakeweb import FakeWeb
from fakeweb.tiktok import DATA

VID = "7348705314746699054"  # the real oEmbed body
USER = "atribecalledval"
UNKNOWN = "7000000000000000001"
REAL = json.loads((DATA / f"oembed_{VID}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


@pytest.fixture
def states(web: FakeWeb) -> Iterator[FakeWeb]:
    """The fake web, its video states put back afterwards."""
    yield web
    web.reset()


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


def transport(web: FakeWeb, original: str) -> str:
    """The loopback URL RECEIPTS_ORIGIN_MAP would send *original* to."""
    for origin, base in sorted(web.origin_map().items(), key=lambda kv: -len(kv[0])):
        if original == origin or original.startswith(origin + "/"):
            return base + original[len(origin) :]
    raise AssertionError(f"no origin for {original}")


def fetch(
    web: FakeWeb, client: httpx.Client, post_id: str, handle: str | None = None
) -> tuple[httpx.Response, FetchOutcome]:
    (plan,) = PLATFORM.routes(post_id, handle)
    response = client.get(transport(web, plan.url), headers=plan.headers)
    outcome = PLATFORM.interpret(
        plan, post_id, response.status_code, dict(response.headers), response.content
    )
    return response, outcome


def test_routes() -> None:
    assert PLATFORM.routes(VID, USER) == [
        FetchPlan(
            "oembed",
            f"https://www.tiktok.com/oembed?url=https%3A%2F%2Fwww.tiktok.com%2F%40{USER}%2Fvideo%2F{VID}",
            {"Accept": "application/json"},
        )
    ]
    assert PLATFORM.routes(VID)[0].url.endswith(f"%2F%40%2Fvideo%2F{VID}")  # /@/video/ID without a handle
    assert PLATFORM.routes("abc") == [] and PLATFORM.routes("0") == []


@pytest.mark.parametrize("handle", [USER, None])
def test_live_video(web: FakeWeb, client: httpx.Client, handle: str | None) -> None:
    response, outcome = fetch(web, client, VID, handle)
    assert response.status_code == 200 and response.content == (DATA / f"oembed_{VID}.json").read_bytes()
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert (post.id, post.platform, post.post_id, post.status, post.route) == (
        f"tiktok:{VID}",
        "tiktok",
        VID,
        "live",
        "oembed",
    )
    assert post.url == f"https://www.tiktok.com/@{USER}/video/{VID}"  # the handle from author_unique_id
    assert post.text == REAL["title"].strip() and post.text.endswith("#foryoupage")
    assert (post.author.handle, post.author.name) == (USER, "Valeria Cardona")
    (cover,) = post.media
    assert (cover.type, cover.source_url, cover.width, cover.height) == (
        "photo",
        REAL["thumbnail_url"],
        576,
        1024,
    )
    assert post.raw == REAL and "oEmbed" in (post.status_reason or "")
    image = client.get(transport(web, cover.source_url))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert Image.open(BytesIO(image.content)).size == (576, 1024)


def test_unknown_video(web: FakeWeb, client: httpx.Client) -> None:
    response, outcome = fetch(web, client, UNKNOWN)
    assert response.status_code == 400 and response.json() == {"status_msg": "Something went wrong"}
    assert (outcome.kind, outcome.status) == ("gone", "unavailable")  # never "deleted" on this answer
    assert "Something went wrong" in (outcome.reason or "")


@pytest.mark.parametrize(
    ("state", "http", "status", "words"),
    [
        ("deleted", 400, "unavailable", "HTTP 400: Something went wrong"),
        ("private", 400, "unavailable", "Something went wrong (status_code 10101)"),
        ("gone404", 404, "deleted", "404"),
    ],
)
def test_gone(states: FakeWeb, client: httpx.Client, state: str, http: int, status: str, words: str) -> None:
    states.set_video_state("tiktok", VID, state)
    response, outcome = fetch(states, client, VID, USER)
    assert response.status_code == http
    assert (outcome.kind, outcome.status, outcome.post) == ("gone", status, None)
    assert words in (outcome.reason or "")


@pytest.mark.parametrize(
    ("state", "http", "words"),
    [
        ("error500", 500, "HTTP 500: Something went wrong"),  # TikTok's error JSON on a 5xx is still an error
        ("error503", 503, "Retry-After: 30"),
        ("error429", 429, "Retry-After: 30"),
        ("blocked403", 403, "HTTP 403"),  # an edge's HTML wall, not TikTok's answer
        ("malformed", 200, "not JSON"),
        ("html", 200, "not JSON"),
    ],
)
def test_errors_never_mark_gone(
    states: FakeWeb, client: httpx.Client, state: str, http: int, words: str
) -> None:
    states.set_video_state("tiktok", VID, state)
    response, outcome = fetch(states, client, VID, USER)
    assert response.status_code == http
    assert (outcome.kind, outcome.status, outcome.post) == ("error", None, None)
    assert words in (outcome.error or "")


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            200,
            json.dumps({**REAL, "embed_product_id": UNKNOWN}).encode(),
            "error",
        ),  # an answer for another video
        (200, json.dumps({**REAL, "type": "photo"}).encode(), "error"),
        (200, json.dumps({k: v for k, v in REAL.items() if k != "html"}).encode(), "error"),
        (
            200,
            b'{"code":400,"message":"Something went wrong","data":{}}',
            "error",
        ),  # not TikTok's error shape
        (400, b"<html><body>Bad Request</body></html>", "error"),
        (400, b'{"status_msg":""}', "error"),
        (200, b'{"status_msg":"Something went wrong"}', "gone"),
        (403, b'{"status_code":10101,"status_msg":"Something went wrong"}', "gone"),
        (301, b"", "error"),
    ],
)
def test_bodies(status: int, body: bytes, kind: str) -> None:
    (plan,) = PLATFORM.routes(VID, USER)
    outcome = PLATFORM.interpret(plan, VID, status, {"Content-Type": "application/json"}, body)
    assert outcome.kind == kind
    if kind == "gone":
        assert outcome.status == "unavailable"


def test_answer_without_product_id_is_checked_by_its_html() -> None:
    (plan,) = PLATFORM.routes(VID, USER)
    body = {k: v for k, v in REAL.items() if k != "embed_product_id"}
    assert PLATFORM.interpret(plan, VID, 200, {}, json.dumps(body).encode()).kind == "post"
    assert PLATFORM.interpret(plan, UNKNOWN, 200, {}, json.dumps(body).encode()).kind == "error"


def test_other_routes_and_bad_ids() -> None:
    (plan,) = PLATFORM.routes(VID)
    body = (DATA / f"oembed_{VID}.json").read_bytes()
    assert PLATFORM.interpret(FetchPlan("api", plan.url), VID, 200, {}, body).kind == "error"
    assert PLATFORM.interpret(plan, "abc", 200, {}, body).kind == "error"


def test_browser_page(states: FakeWeb, client: httpx.Client) -> None:
    page = PLATFORM.browser_page(VID, USER)
    assert page is not None and page.url == f"https://www.tiktok.com/embed/v2/{VID}"
    served = client.get(transport(states, page.url))
    doc = html.document_fromstring(served.content)
    assert (
        served.status_code == 200
        and doc.cssselect(page.ready_selector)
        and doc.cssselect(page.screenshot_selector)
    )
    assert f"@{USER}" in doc.text_content() and "Andre 3000" in doc.text_content()
    states.set_video_state("tiktok", VID, "deleted")
    gone = html.document_fromstring(client.get(transport(states, page.url)).content)
    assert not gone.cssselect(page.ready_selector)
    assert page.missing_texts == () and page.login_texts == ()  # no real texts known: no claims
    js = client.get(transport(states, "https://www.tiktok.com/embed.js"))
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert PLATFORM.browser_page("abc") is None


def test_state_controls_reject_nonsense(web: FakeWeb) -> None:
    with pytest.raises(ValueError):
        web.set_video_state("tiktok", VID, "vanished")
    with pytest.raises(ValueError):
        web.set_video_state("tiktok", "0123", "deleted")
    with pytest.raises(KeyError):
        web.set_video_state("tiktok", UNKNOWN, "live")
