"""YouTube routes → real HTTP against the fake web → interpret(): every kind of outcome."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import BytesIO

import httpx
import pytest
from lxml import html
from PIL import Image

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.youtube import PLATFORM
from fakeweb import FakeWeb
from fakeweb.youtube import DATA

VID = "dQw4w9WgXcQ"  # the real oEmbed body
UNKNOWN = "LtOGa5M8AuU"  # an id the fake has no body for
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


def fetch(web: FakeWeb, client: httpx.Client, post_id: str) -> tuple[httpx.Response, FetchOutcome]:
    (plan,) = PLATFORM.routes(post_id)
    response = client.get(transport(web, plan.url), headers=plan.headers)
    outcome = PLATFORM.interpret(
        plan, post_id, response.status_code, dict(response.headers), response.content
    )
    return response, outcome


def test_routes() -> None:
    assert PLATFORM.routes(VID, "ignored") == [
        FetchPlan(
            "oembed",
            f"https://www.youtube.com/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{VID}&format=json",
            {"Accept": "application/json"},
        )
    ]
    assert PLATFORM.routes("videoseries") == [] and PLATFORM.routes("short") == []


def test_live_video(web: FakeWeb, client: httpx.Client) -> None:
    response, outcome = fetch(web, client, VID)
    assert response.status_code == 200 and response.content == (DATA / f"oembed_{VID}.json").read_bytes()
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert (post.id, post.platform, post.post_id, post.status, post.route) == (
        f"youtube:{VID}",
        "youtube",
        VID,
        "live",
        "oembed",
    )
    assert post.url == f"https://www.youtube.com/watch?v={VID}"
    assert post.text == REAL["title"] == "Rick Astley - Never Gonna Give You Up (Official Music Video)"
    assert (post.author.name, post.author.handle, post.author.id) == ("Rick Astley", "RickAstleyYT", None)
    (thumb,) = post.media
    assert (thumb.type, thumb.source_url) == ("photo", "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg")
    assert (thumb.width, thumb.height, thumb.content_type) == (480, 360, "image/jpeg")
    assert post.raw == REAL and "oEmbed" in (post.status_reason or "")
    assert outcome.related_post_ids == [] and outcome.follow_ups == []
    image = client.get(transport(web, thumb.source_url))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert Image.open(BytesIO(image.content)).size == (480, 360)


def test_unknown_video_is_not_found(web: FakeWeb, client: httpx.Client) -> None:
    response, outcome = fetch(web, client, UNKNOWN)
    assert (response.status_code, response.text) == (404, "Not Found")
    assert (outcome.kind, outcome.status) == ("gone", "deleted")
    assert "404" in (outcome.reason or "") and "removed" in (outcome.reason or "")


@pytest.mark.parametrize(
    ("state", "http", "status", "words"),
    [
        ("deleted", 404, "deleted", "404 Not Found"),
        ("private", 401, "unavailable", "401 Unauthorized"),
        ("forbidden", 403, "unavailable", "403 Forbidden"),
    ],
)
def test_gone(states: FakeWeb, client: httpx.Client, state: str, http: int, status: str, words: str) -> None:
    states.set_video_state("youtube", VID, state)
    response, outcome = fetch(states, client, VID)
    assert response.status_code == http
    assert (outcome.kind, outcome.status, outcome.post) == ("gone", status, None)
    assert words in (outcome.reason or "")


@pytest.mark.parametrize(
    ("state", "http", "words"),
    [
        ("error500", 500, "HTTP 500"),
        ("error503", 503, "Retry-After: 30"),
        ("error429", 429, "Retry-After: 30"),
        ("malformed", 200, "not JSON"),
        ("html", 200, "not JSON"),
    ],
)
def test_errors_never_mark_gone(
    states: FakeWeb, client: httpx.Client, state: str, http: int, words: str
) -> None:
    states.set_video_state("youtube", VID, state)
    response, outcome = fetch(states, client, VID)
    assert response.status_code == http
    assert (outcome.kind, outcome.status, outcome.post) == ("error", None, None)
    assert words in (outcome.error or "")


def test_bad_request_is_an_error(web: FakeWeb, client: httpx.Client) -> None:
    (plan,) = PLATFORM.routes(VID)
    bad = FetchPlan("oembed", plan.url.replace("url=", "url=x"), plan.headers)  # not a video URL
    response = client.get(transport(web, bad.url))
    assert (response.status_code, response.text) == (400, "Bad Request")
    outcome = PLATFORM.interpret(bad, VID, response.status_code, dict(response.headers), response.content)
    assert outcome.kind == "error" and outcome.error == "oembed HTTP 400: Bad Request"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, b"Forbidden", "error"),  # YouTube's 2020 answer for private videos (ruby-oembed #79)
        (200, b"[]", "error"),
        (200, json.dumps({**REAL, "type": "rich"}).encode(), "error"),
        (200, json.dumps({k: v for k, v in REAL.items() if k != "title"}).encode(), "error"),
        (
            200,
            json.dumps({**REAL, "html": REAL["html"].replace(VID, "aaaaaaaaaaa")}).encode(),
            "error",
        ),  # other video
        (401, b"<!DOCTYPE html><html><body>Sign in</body></html>", "error"),  # a wall, not YouTube's answer
        (403, b"<html><body>Access denied</body></html>", "error"),
        (302, b"", "error"),
        (401, b"Unauthorized", "gone"),
    ],
)
def test_bodies_that_conclude_nothing(status: int, body: bytes, kind: str) -> None:
    (plan,) = PLATFORM.routes(VID)
    outcome = PLATFORM.interpret(plan, VID, status, {"Content-Type": "text/html"}, body)
    assert outcome.kind == kind and (outcome.status is None) == (kind == "error")


def test_other_routes_and_bad_ids() -> None:
    (plan,) = PLATFORM.routes(VID)
    body = (DATA / f"oembed_{VID}.json").read_bytes()
    assert PLATFORM.interpret(FetchPlan("api", plan.url), VID, 200, {}, body).kind == "error"
    assert PLATFORM.interpret(plan, "nope", 200, {}, body).kind == "error"


def test_browser_page(states: FakeWeb, client: httpx.Client) -> None:
    page = PLATFORM.browser_page(VID)
    assert page is not None and page.url == f"https://www.youtube.com/embed/{VID}"
    served = client.get(transport(states, page.url))
    doc = html.document_fromstring(served.content)
    (player,) = doc.cssselect(page.ready_selector)
    assert doc.cssselect(page.screenshot_selector) and REAL["title"] in player.text_content()
    states.set_video_state("youtube", VID, "deleted")
    gone = html.document_fromstring(client.get(transport(states, page.url)).content)
    assert not gone.cssselect(page.ready_selector)
    assert any(text in gone.text_content() for text in page.missing_texts)
    states.set_video_state("youtube", VID, "private")
    private = html.document_fromstring(client.get(transport(states, page.url)).content)
    assert any(text in private.text_content() for text in page.login_texts)
    assert not any(text in private.text_content() for text in page.missing_texts)
    nocookie = client.get(transport(states, f"https://www.youtube-nocookie.com/embed/{UNKNOWN}"))
    unknown = html.document_fromstring(nocookie.content)
    assert "Video unavailable" in unknown.text_content() and not unknown.cssselect(page.ready_selector)
    assert not any(text in unknown.text_content() for text in page.missing_texts)  # no claim it was removed
    assert PLATFORM.browser_page("videoseries") is None


def test_state_controls_reject_nonsense(web: FakeWeb) -> None:
    with pytest.raises(ValueError):
        web.set_video_state("youtube", VID, "vanished")
    with pytest.raises(ValueError):
        web.set_video_state("youtube", "short", "deleted")
    with pytest.raises(KeyError):
        web.set_video_state("youtube", UNKNOWN, "live")
    with pytest.raises(ValueError):
        web.set_video_state("vimeo", VID, "deleted")
