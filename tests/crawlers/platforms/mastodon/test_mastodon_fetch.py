"""Mastodon routes → real HTTP against the fake web → interpret(): every kind of outcome."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.mastodon import PLATFORM
from fakeweb import FakeWeb
from fakeweb import mastodon as fake

SOCIAL = "mastodon.social"
DOC_EXAMPLE = f"{SOCIAL}/103270115826048975"  # the documentation's Status example, served verbatim
PLAIN = f"{SOCIAL}/113456789012345678"
EDITED = f"{SOCIAL}/108942703571991143"


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


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


def get(web: FakeWeb, client: httpx.Client, plan: FetchPlan) -> httpx.Response:
    return client.get(transport(web, plan.url), headers=plan.headers)


def fetch(web: FakeWeb, client: httpx.Client, post_id: str, plan: FetchPlan | None = None) -> FetchOutcome:
    plan = plan or PLATFORM.routes(post_id)[0]
    response = get(web, client, plan)
    return PLATFORM.interpret(plan, post_id, response.status_code, dict(response.headers), response.content)


def test_routes() -> None:
    (api,) = PLATFORM.routes(PLAIN, "dana@mastodon.social")
    assert api == FetchPlan(
        "api", f"https://{SOCIAL}/api/v1/statuses/113456789012345678", {"Accept": "application/json"}
    )
    assert PLATFORM.routes("journa.host/5")[0].url == "https://journa.host/api/v1/statuses/5"
    assert PLATFORM.routes("not-a-key") == [] and PLATFORM.routes("mastodon.social/0") == []


def test_documentation_example(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, DOC_EXAMPLE)
    assert outcome.kind == "post" and outcome.post is not None
    post = outcome.post
    assert (post.id, post.platform, post.post_id) == (f"mastodon:{DOC_EXAMPLE}", "mastodon", DOC_EXAMPLE)
    assert post.status == "live" and post.route == "api"
    assert post.url == "https://mastodon.social/@Gargron/103270115826048975"
    assert post.text == (
        '"I lost my inheritance with one wrong digit on my sort code"\n\n'
        "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert post.raw is not None and post.raw["content"].startswith("<p>&quot;I lost")  # the HTML is kept
    assert post.created_at is not None and post.created_at.isoformat() == "2019-12-08T03:48:33.901000+00:00"
    assert post.lang == "en" and post.is_edited is False
    assert (
        post.author.handle == "Gargron@mastodon.social"
        and post.author.name == "Eugen"
        and post.author.id == "1"
    )
    assert (
        post.author.avatar_url
        == "https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg"
    )
    assert post.metrics == {"replies_count": 5, "reblogs_count": 6, "favourites_count": 11, "quotes_count": 2}
    assert post.card is not None and post.card["title"].startswith("‘I lost my £193,000")
    assert "html" not in post.card and "image" not in post.card  # empty fields dropped
    assert [m.type for m in post.media] == ["avatar"]
    assert outcome.related_post_ids == [] and outcome.follow_ups == []


def test_plain_post_with_mention_link_hashtag(web: FakeWeb, client: httpx.Client) -> None:
    post = fetch(web, client, PLAIN).post
    assert post is not None
    assert post.text == (
        "Reporting from the hearing with @Gargron: the full transcript is at "
        "https://news.example/hearing-transcript #journalism\n\nMore to follow & soon.\nSecond line."
    )
    assert '<a href="https://mastodon.social/tags/journalism" class="mention hashtag"' in post.raw["content"]
    assert post.raw["mentions"][0]["acct"] == "Gargron" and post.raw["tags"][0]["name"] == "journalism"
    assert (
        post.author.handle == "dana@mastodon.social"
        and post.url == "https://mastodon.social/@dana/113456789012345678"
    )


def test_image_best_quality(web: FakeWeb, client: httpx.Client) -> None:
    post = fetch(web, client, f"{SOCIAL}/113456789012345679").post
    assert post is not None and post.has_media
    image = post.media[0]
    assert image.type == "photo" and image.media_key == "22345792"
    assert image.source_url.endswith("/original/57859aede991da25.jpeg")  # the original, not preview_url
    assert image.fallback_urls == [image.source_url.replace("/original/", "/small/")]
    assert (image.width, image.height, image.alt_text) == (640, 480, "test media description")
    assert post.raw["media_attachments"][0]["blurhash"] == "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}"
    served = get(web, client, FetchPlan("media", image.source_url))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(served.content)).size == (640, 480)


@pytest.mark.parametrize(
    ("status_id", "kind", "size", "duration_ms", "ctype"),
    [
        ("113456789012345680", "video", (1280, 720), 88654, "video/mp4"),
        ("113456789012345681", "animated_gif", (600, 332), 1110, "video/mp4"),
        ("113456789012345682", "video", (None, None), 402860, "audio/mpeg"),  # audio: typed video, audio/*
    ],
)
def test_video_gifv_audio(
    web: FakeWeb, client: httpx.Client, status_id: str, kind: str, size: tuple, duration_ms: int, ctype: str
) -> None:
    post = fetch(web, client, f"{SOCIAL}/{status_id}").post
    assert post is not None
    media = post.media[0]
    assert media.type == kind and (media.width, media.height) == size
    assert media.duration_ms == duration_ms and media.content_type == ctype
    assert "/original/" in media.source_url and media.poster_url is not None and "/small/" in media.poster_url
    assert media.variants and media.variants[0].url == media.source_url
    served = get(web, client, FetchPlan("media", media.source_url))
    assert served.status_code == 200 and served.headers["content-type"] == ctype
    if ctype == "video/mp4":
        assert served.content[4:8] == b"ftyp"


def test_edited_post_and_its_history(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, EDITED)
    assert outcome.kind == "post" and outcome.post is not None and outcome.post.is_edited is True
    assert (
        outcome.post.author.handle == "trwnh@mastodon.social"
        and outcome.post.author.name == "infinite love ⴳ"
    )
    (follow_up,) = outcome.follow_ups
    assert (
        follow_up.route == "history"
        and follow_up.url == f"https://{SOCIAL}/api/v1/statuses/108942703571991143/history"
    )
    history = fetch(web, client, EDITED, follow_up)
    assert history.kind == "post" and history.post is None
    texts = [v.text for v in history.versions]
    assert texts == [
        "this is a status that will be edited",
        "this is a status that has been edited",
        "this is a status that has been edited twice",
        "this is a status that has been edited three times. this time a poll has been added.",
        "this is a status that has been edited three times. this time a poll has been added.",
    ]
    times = [v.created_at for v in history.versions]
    assert times == sorted(times) and times[0] == outcome.post.created_at
    assert all(
        v.post_id == EDITED and v.route == "history" and v.id == f"mastodon:{EDITED}"
        for v in history.versions
    )
    assert [v.is_edited for v in history.versions] == [False, True, True, True, True]
    assert (
        history.versions[-1].raw["poll"]["options"][2]["title"] == "spiderman (this option has been changed)"
    )
    assert history.versions[-1].text == outcome.post.text


def test_unedited_post_has_no_follow_up_and_one_revision(web: FakeWeb, client: httpx.Client) -> None:
    assert fetch(web, client, PLAIN).follow_ups == []
    plan = FetchPlan("history", f"https://{SOCIAL}/api/v1/statuses/113456789012345678/history")
    (only,) = fetch(web, client, PLAIN, plan).versions
    assert only.text.startswith("Reporting from the hearing")


def test_history_failure_is_an_error_never_gone(web: FakeWeb, client: httpx.Client) -> None:
    plan = FetchPlan("history", f"https://{SOCIAL}/api/v1/statuses/{fake.DELETED_ID}/history")
    outcome = fetch(web, client, f"{SOCIAL}/{fake.DELETED_ID}", plan)
    assert outcome.kind == "error" and outcome.versions == [] and "Record not found" in (outcome.error or "")


def test_reply(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, f"{SOCIAL}/113456789012345690")
    post = outcome.post
    assert (
        post is not None and post.reply_to_post_id == PLAIN and post.reply_to_handle == "dana@mastodon.social"
    )
    assert outcome.related_post_ids == [PLAIN]
    assert post.text == "@dana thanks for the thread, very useful."


def test_quote_post(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, f"{SOCIAL}/113456789012345696")
    assert outcome.post is not None and outcome.post.quoted_post_id == DOC_EXAMPLE
    assert outcome.related_post_ids == [DOC_EXAMPLE]
    assert outcome.post.text == "Banks should have caught this."  # the hidden "RE: <link>" fallback dropped
    assert "quote-inline" in outcome.post.raw["content"]


def test_boost_moves_to_the_boosted_status(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, f"{SOCIAL}/113456789012345692")
    assert outcome.kind == "moved" and outcome.moved_to == DOC_EXAMPLE and outcome.post is None
    assert fetch(web, client, outcome.moved_to).kind == "post"


def test_content_warning(web: FakeWeb, client: httpx.Client) -> None:
    post = fetch(web, client, f"{SOCIAL}/113456789012345693").post
    assert post is not None and post.text == "The finale ends with the detective confessing."
    assert post.status_reason == "content warning: Spoilers: the season finale"
    assert post.raw["spoiler_text"] == "Spoilers: the season finale" and post.raw["sensitive"] is True


def test_non_ascii_and_emoji(web: FakeWeb, client: httpx.Client) -> None:
    post = fetch(web, client, f"{SOCIAL}/113456789012345694").post
    assert post is not None and post.lang == "fr"
    assert (
        post.text
        == 'Ça marche ! 🎉 Grüße aus Zürich — 日本語のテキスト :blobcat:\n\n«guillemets» <tags> "quotes"'
    )
    assert post.raw["emojis"][0]["shortcode"] == "blobcat"


def test_remote_post_on_the_local_instance(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, f"{SOCIAL}/113456789012345695")
    post = outcome.post
    assert post is not None and post.post_id == f"{SOCIAL}/113456789012345695"
    assert post.author.handle == "editor@journa.host"
    assert post.url == "https://mastodon.social/@editor@journa.host/113456789012345695"
    assert post.raw["uri"] == "https://journa.host/users/editor/statuses/112233445566778899"
    image = post.media[0]
    assert "/cache/media_attachments/" in image.source_url  # the local copy first …
    assert image.fallback_urls[0].startswith("https://journa.host/system/")  # … the origin's next
    assert get(web, client, FetchPlan("media", image.fallback_urls[0])).status_code == 200


def test_deleted(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, f"{SOCIAL}/{fake.DELETED_ID}")
    assert (outcome.kind, outcome.status, outcome.reason) == ("gone", "deleted", "Record not found")


def test_authorized_fetch_instance(web: FakeWeb, client: httpx.Client) -> None:
    outcome = fetch(web, client, "journa.host/112233445566778899")
    assert (outcome.kind, outcome.status) == ("gone", "unavailable")
    assert outcome.reason == "This API requires an authenticated user"


def test_forbidden_and_gone_hooks(web: FakeWeb, client: httpx.Client) -> None:
    forbidden = fetch(web, client, f"{SOCIAL}/{fake.HOOK_IDS['forbidden']}")
    assert (forbidden.kind, forbidden.status, forbidden.reason) == (
        "gone",
        "unavailable",
        "This action is not allowed",
    )
    gone = fetch(web, client, f"{SOCIAL}/{fake.HOOK_IDS['gone']}")
    assert (gone.kind, gone.status) == ("gone", "deleted")


def test_server_error_rate_limit_and_garbage_are_errors(web: FakeWeb, client: httpx.Client) -> None:
    error = fetch(web, client, f"{SOCIAL}/{fake.HOOK_IDS['server_error']}")
    assert error.kind == "error" and error.status is None and (error.error or "").startswith("HTTP 500")
    limited = fetch(web, client, f"{SOCIAL}/{fake.HOOK_IDS['rate_limited']}")
    assert (
        limited.kind == "error"
        and limited.error == f"HTTP 429: Too many requests (Retry-After: {fake.RETRY_AFTER})"
    )
    garbage = fetch(web, client, f"{SOCIAL}/{fake.HOOK_IDS['garbage']}")
    assert garbage.kind == "error" and garbage.error == "body is not JSON"


@pytest.mark.parametrize("status_id", ["123", "200", "201"])
def test_a_blog_is_not_a_mastodon_server(web: FakeWeb, client: httpx.Client, status_id: str) -> None:
    ref = PLATFORM.parse_url(f"https://blog.example/@user/{status_id}")
    assert ref is not None  # the URL alone cannot tell …
    page = client.get(transport(web, f"https://blog.example/@user/{status_id}"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    outcome = fetch(web, client, ref.post_id)  # … the API answer does
    assert outcome.kind == "not_a_post" and outcome.post is None and outcome.reason
    assert "blog.example" in outcome.reason or "404" in outcome.reason


def test_id_mismatch_is_an_error(web: FakeWeb, client: httpx.Client) -> None:
    plan = PLATFORM.routes(PLAIN)[0]
    response = get(web, client, plan)
    outcome = PLATFORM.interpret(
        plan, f"{SOCIAL}/113456789012345679", 200, dict(response.headers), response.content
    )
    assert outcome.kind == "error" and "asked for" in (outcome.error or "")


def test_oembed_plan(web: FakeWeb, client: httpx.Client) -> None:
    from crawlers.platforms.mastodon.client import oembed_plan

    plan = oembed_plan(PLAIN, "dana@mastodon.social")
    assert (
        plan.url
        == "https://mastodon.social/api/oembed?url=https%3A%2F%2Fmastodon.social%2F%40dana%2F113456789012345678"
    )
    outcome = fetch(web, client, PLAIN, plan)
    assert outcome.kind == "post" and outcome.post is not None and outcome.post.route == "oembed"
    assert outcome.post.text is None and outcome.post.author.handle == "dana@mastodon.social"
    assert 'class="mastodon-embed"' in outcome.post.raw["html"]
    # journa.host refuses its API but still answers oEmbed
    remote_id = "journa.host/112233445566778899"
    remote = fetch(web, client, remote_id, oembed_plan(remote_id, "editor@journa.host"))
    assert remote.kind == "post" and remote.post.author.name == "The Editor"
    missing = fetch(web, client, f"{SOCIAL}/{fake.DELETED_ID}", oembed_plan(f"{SOCIAL}/{fake.DELETED_ID}"))
    assert (missing.kind, missing.status) == ("gone", "deleted")


def test_browser_pages(web: FakeWeb, client: httpx.Client) -> None:
    page = PLATFORM.browser_page(PLAIN, "dana@mastodon.social")
    assert page is not None and page.url == "https://mastodon.social/@dana/113456789012345678/embed"
    served = client.get(transport(web, page.url))
    assert served.status_code == 200
    from lxml import html

    doc = html.document_fromstring(served.content)
    (status,) = doc.cssselect(page.ready_selector)
    assert doc.cssselect(page.screenshot_selector) and "Reporting from the hearing" in status.text_content()
    missing = PLATFORM.browser_page(f"{SOCIAL}/{fake.DELETED_ID}", "dana@mastodon.social")
    gone = client.get(transport(web, missing.url))
    gone_doc = html.document_fromstring(gone.content)  # the text as the browser shows it (entities decoded)
    assert gone.status_code == 404 and any(text in gone_doc.text_content() for text in page.missing_texts)
    assert not gone_doc.cssselect(page.ready_selector)
    # a remote author's status: the local embed page does not exist, the web app's page is used
    remote = PLATFORM.browser_page(f"{SOCIAL}/113456789012345695", "editor@journa.host")
    assert (
        remote is not None and remote.url == "https://mastodon.social/@editor@journa.host/113456789012345695"
    )
    assert PLATFORM.browser_page("bad") is None


def test_status_pages_and_redirect(web: FakeWeb, client: httpx.Client) -> None:
    page = client.get(transport(web, "https://mastodon.social/@dana/113456789012345678"))
    assert page.status_code == 200 and 'property="og:url"' in page.text
    moved = client.get(transport(web, "https://mastodon.social/users/dana/statuses/113456789012345678"))
    assert (
        moved.status_code == 301
        and moved.headers["location"] == "https://mastodon.social/@dana/113456789012345678"
    )
    wrong_user = client.get(transport(web, "https://mastodon.social/@someone/113456789012345678"))
    assert wrong_user.status_code == 404
    js = client.get(transport(web, "https://mastodon.social/embed.js"))
    assert js.status_code == 200 and "mastodon-embed" in js.text


def test_every_media_url_the_bodies_name_is_served(web: FakeWeb, client: httpx.Client) -> None:
    urls = sorted(fake.media_index())
    assert len(urls) >= 12
    for url in urls:
        response = client.get(transport(web, url))
        assert response.status_code == 200 and response.content, url
    assert (
        client.get(transport(web, "https://files.mastodon.social/media_attachments/nope.jpg")).status_code
        == 404
    )


def test_served_bodies_are_the_data_files(web: FakeWeb, client: httpx.Client) -> None:
    """The fake answers with the bodies in fakeweb/data/mastodon, byte-for-byte as JSON."""
    for status_id, body in fake.statuses(SOCIAL).items():
        response = get(web, client, PLATFORM.routes(f"{SOCIAL}/{status_id}")[0])
        assert response.status_code == 200 and json.loads(response.content) == body
